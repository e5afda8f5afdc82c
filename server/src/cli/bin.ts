/**
 * Entry point of the bundled CLI (out/cli.cjs); the prelude ships beside the bundle.
 *
 * The main thread's stack (about 1 MB for V8) holds the parser's recursion for only ~90 nested
 * parentheses. A command that overflows it is run again, from the start, in a worker thread
 * with a {@link DEEP_STACK_MB} stack; the worker sends its output back to be written here.
 * Nothing is written before that point (a command writes only once its files have parsed);
 * the worker's output waits for a slow reader as the main thread's does (workerIO).
 */
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { main, NEEDS_DEEP_STACK } from './main.js';
import { processIO, type CliIO, type ProcessIO } from './output.js';

declare const __dirname: string;
declare const __filename: string;

const DEEP_STACK_MB = 256;
const preludePath = join(__dirname, 'prelude.uintr');

interface DeepRun {
    readonly argv: string[];
    readonly color: boolean;
    readonly errColor: boolean;
}

type Message = ['out' | 'err', string] | ['exit', number];

/** The main thread's answer to each piece of output the worker sends, once it is written (and stdout has drained). */
const ACK = 'ack';
/** How many pieces the worker sends before it waits for the main thread's answers. */
const WINDOW = 16;

/**
 * The worker's side of the output: each piece is posted to the main thread, which answers it
 * once written and drained; `drained` holds the command (trace --format json waits on it
 * between rows, decisions.md #39) while more than {@link WINDOW} pieces are unanswered, so
 * that a slow reader keeps the output in hand rather than queued whole in memory. `close`
 * stops listening for answers (the worker may then end).
 */
function workerIO(run: DeepRun): { io: CliIO; post: (m: Message) => void; close: () => void } {
    const port = parentPort!;
    let unanswered = 0;
    let wake: (() => void) | null = null;
    const answered = (): void => {
        unanswered--;
        if (wake && unanswered <= WINDOW) {
            const w = wake;
            wake = null;
            w();
        }
    };
    port.on('message', answered);
    const post = (m: Message): void => {
        if (m[0] !== 'exit') unanswered++;
        port.postMessage(m);
    };
    const io: CliIO = {
        out: t => post(['out', t]), err: t => post(['err', t]), color: run.color, errColor: run.errColor,
        drained: () => (unanswered <= WINDOW ? undefined : new Promise<void>(resolve => { wake = resolve; })),
    };
    return { io, post, close: () => port.off('message', answered) };
}

/** Ends with status 2 after an internal failure (one line) or a failed write (said where it failed: output.ts). */
function fail(io: ProcessIO, e: unknown): void {
    io.err(`uintr: internal error: ${(e as Error)?.message ?? e}\n`);
    process.exitCode = 2;
}

/** The exit status: the command's, unless the output could not be written. */
function exitWith(io: ProcessIO, status: number): void {
    process.exitCode = io.failed() ? 2 : status;
}

/** Runs the command again in a worker with a deep stack, writing what it sends. */
function runDeep(run: DeepRun, io: ProcessIO): void {
    const worker = new Worker(__filename, { workerData: run, resourceLimits: { stackSizeMb: DEEP_STACK_MB } });
    let status: number | undefined;
    worker.on('message', (m: Message) => {
        if (m[0] === 'exit') {
            status = m[1];
            return;
        }
        (m[0] === 'out' ? io.out : io.err)(m[1]);
        // the worker sends at most WINDOW pieces ahead of these (see workerIO)
        const drained = m[0] === 'out' ? io.drained?.() : undefined;
        if (drained) void drained.then(() => worker.postMessage(ACK));
        else worker.postMessage(ACK);
    });
    worker.on('error', e => fail(io, e));
    worker.on('exit', () => exitWith(io, status ?? 2));
}

if (isMainThread) {
    const argv = process.argv.slice(2);
    const io = processIO();
    main(argv, io, { preludePath, deepStack: false }).then(
        status => {
            if (status === NEEDS_DEEP_STACK) runDeep({ argv, color: io.color, errColor: io.errColor ?? false }, io);
            else exitWith(io, status);
        },
        e => fail(io, e),
    );
} else {
    const run = workerData as DeepRun;
    const { io, post, close } = workerIO(run);
    main(run.argv, io, { preludePath, deepStack: true }).then(
        status => {
            post(['exit', status]);
            close();
        },
        e => {
            post(['err', `uintr: internal error: ${(e as Error)?.message ?? e}\n`]);
            post(['exit', 2]);
            close();
        },
    );
}
