/**
 * Where the CLI writes, and colour only on a terminal (and never with NO_COLOR).
 */
export interface CliIO {
    out(text: string): void;
    err(text: string): void;
    /** Colour the output (stdout is a TTY and NO_COLOR is unset). */
    readonly color: boolean;
    /** Colour what goes to stderr (stderr is a TTY and NO_COLOR is unset). */
    readonly errColor?: boolean;
    /** Show the progress of long explorations on stderr (a terminal; never in a pipe or a log). */
    readonly progress?: boolean;
    /**
     * When what was written to stdout is still waiting for a slow reader (a pipe), a promise
     * that settles once it has gone (or the stream has failed); else undefined. A command that
     * writes a lot in pieces waits for it between them, so that memory holds a piece, not the
     * whole output (`uintr trace --format json` of a large machine is gigabytes).
     */
    readonly drained?: () => Promise<void> | undefined;
}

/** The process's streams, and whether writing to them failed (see {@link processIO}). */
export interface ProcessIO extends CliIO {
    /** Writing failed for another reason than a reader gone (a full disk): the exit status is then 2. */
    readonly failed: () => boolean;
}

/**
 * A reader that stops early (`uintr trace … | head`) closes the pipe: the rest of the output has
 * nowhere to go, which is no error of the command (it was an unhandled EPIPE, a stack trace);
 * the command runs to its end and exits with its own status. Any other failure to write (a
 * full disk: ENOSPC) loses output: one line on stderr, if it can still be written, and the exit
 * status is 2 whatever the check found (it was a stack trace, and status 1).
 */
export function processIO(): ProcessIO {
    let failed = false;
    // a stream that failed: Node's stdout and stderr stay `writable` after an EPIPE, never
    // drain, and say nothing of it (neither `errored` nor `destroyed`)
    const closed = new Set<NodeJS.WriteStream>();
    const writer = (stream: NodeJS.WriteStream, name: string): ((text: string) => void) => {
        stream.on('error', (e: NodeJS.ErrnoException) => {
            closed.add(stream);
            if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
            failed = true;
            process.exitCode = 2;
            if (stream !== process.stderr && process.stderr.writable) process.stderr.write(`uintr: cannot write to ${name}: ${e.code ?? e.message}${e.code === 'ENOSPC' ? ' (no space left on the device)' : ''}\n`);
        });
        return text => { if (!closed.has(stream) && stream.writable) stream.write(text); };
    };
    const stdout = process.stdout;
    let waiting: Promise<void> | undefined;
    const plain = Boolean(process.env.NO_COLOR) || process.env.TERM === 'dumb';
    return {
        out: writer(process.stdout, 'standard output'),
        err: writer(process.stderr, 'standard error'),
        color: Boolean(process.stdout.isTTY) && !plain,
        errColor: Boolean(process.stderr.isTTY) && !plain,
        progress: Boolean(process.stderr.isTTY) && process.env.TERM !== 'dumb',
        failed: () => failed,
        // one wait at a time, shared by whoever asks while it lasts (the deep-stack worker's
        // pieces each ask: bin.ts); none once stdout has failed (it would never drain: the
        // command stalled there and the process ended with status 0 when its reader left early)
        drained: () => {
            if (!stdout.writableNeedDrain || !stdout.writable || closed.has(stdout)) return undefined;
            return (waiting ??= new Promise<void>(resolve => {
                const done = (): void => {
                    stdout.off('drain', done).off('close', done).off('error', done);
                    waiting = undefined;
                    resolve();
                };
                stdout.on('drain', done).on('close', done).on('error', done);
            }));
        },
    };
}

const CODES = { red: [31, 39], yellow: [33, 39], cyan: [36, 39], bold: [1, 22], dim: [2, 22], green: [32, 39] } as const;
export type Style = keyof typeof CODES;

export function paint(io: CliIO, style: Style, text: string): string {
    if (!io.color) return text;
    const [a, b] = CODES[style];
    return `\u001b[${a}m${text}\u001b[${b}m`;
}
