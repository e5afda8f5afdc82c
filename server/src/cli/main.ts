/**
 * The `uintr` command line (LANGUAGE.md §9): check, trace, compare. Exit status 0 when no
 * error was found, 1 when one was, 2 on bad usage or unreadable input — one clear line on
 * stderr, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UintrWorkspace } from '../syntax/workspace.js';
import { comparePolicies, formatCompareJson, formatCompareText } from './compare-command.js';
import { formatJson } from './format-json.js';
import { formatSarif } from './format-sarif.js';
import { formatAnnotationDiffs, formatText } from './format-text.js';
import { InputError, readScenario, resolveInputs } from './inputs.js';
import type { CliIO } from './output.js';
import { checkFile, checkFiles, StackOverflow, type ExplorationProgress, type RunFilesOptions } from './run-files.js';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_STATES } from '../scenario/race-explorer.js';
import { traceJson, traceTable } from './trace-command.js';
import { thousands } from '../syntax/message-text.js';

declare const __UINTR_VERSION__: string | undefined;
export const VERSION = typeof __UINTR_VERSION__ === 'string' ? __UINTR_VERSION__ : '0.0.0-dev';

export interface MainOptions {
    /** Where the built-in prelude ships. */
    readonly preludePath: string;
    /**
     * Whether this runs on a deep stack (bin.ts's worker). If not, a file that overflows the
     * stack makes {@link main} return {@link NEEDS_DEEP_STACK} before anything is written; if so,
     * it gets a `syntax` diagnostic ("nested too deeply").
     */
    readonly deepStack?: boolean;
}

/** What {@link main} returns when the command should run again on a deep stack (bin.ts). */
export const NEEDS_DEEP_STACK = -1;

async function openWorkspace(options: MainOptions): Promise<UintrWorkspace> {
    let text: string;
    try {
        text = readFileSync(options.preludePath, 'utf8');
    } catch {
        throw new InputError(`the built-in prelude is missing at '${options.preludePath}' (a broken install?)`);
    }
    const ws = new UintrWorkspace();
    await ws.loadPrelude(text, options.preludePath);
    return ws;
}

/** An internal failure: one line, and the stack only when UINTR_DEBUG is set. */
function reportInternal(io: CliIO, file: string, stack: string | undefined): void {
    if (!stack) return;
    io.err(`uintr: internal error while checking ${file}: ${stack.split('\n')[0]} (please report it; UINTR_DEBUG=1 shows the stack)\n`);
    if (process.env.UINTR_DEBUG) io.err(`${stack}\n`);
}

/** A positive whole number for a bound option (`--max-states 1e6` is refused: it is not written as one). */
function bound(value: string): number {
    const n = /^[0-9][0-9_]*$/.test(value) ? Number(value.replace(/_/g, '')) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('Expected a whole number of at least 1.');
    return n;
}

interface BoundFlags {
    maxStates?: number;
    maxDepth?: number;
}

/** The race explorer's bound options, the same on every command that explores races. */
const maxStatesOption = (): Option => new Option('--max-states <n>', `bound on the distinct states explored per race (default ${thousands(DEFAULT_MAX_STATES)})`).argParser(bound);
const maxDepthOption = (): Option => new Option('--max-depth <n>', `bound on the events of one interleaving (default ${thousands(DEFAULT_MAX_DEPTH)})`).argParser(bound);

/** The race explorer's bounds from the flags, and, on a terminal, a progress line on stderr for long explorations. */
function exploreOptions(io: CliIO, o: BoundFlags): { options: Pick<RunFilesOptions, 'explore' | 'progress'>; done: () => void } {
    const explore = { maxStates: o.maxStates, maxDepth: o.maxDepth };
    if (!io.progress) return { options: { explore }, done: () => undefined };
    // a display only: the clock decides when to redraw (the first slice at once, then at most
    // four times a second), never what is explored
    let shown = false, last = 0;
    const progress = (file: string, at: ExplorationProgress): void => {
        const now = Date.now();
        if (now - last < 250) return;
        last = now;
        shown = true;
        io.err(`\r\u001b[Kuintr: ${file}: exploring race ${at.race} of ${at.races}, ${thousands(at.states)} distinct states so far`);
    };
    return { options: { explore, progress }, done: () => { if (shown) io.err('\r\u001b[K'); } };
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: readonly string[], io: CliIO, options: MainOptions): Promise<number> {
    let status = 0;
    const overflow = options.deepStack === false ? 'escalate' : 'report';
    const program = new Command('uintr')
        .description('UINTR Lab: check .uintr scenarios of Intel user interrupts against an emulator of the architecture and of kernel policies')
        .version(VERSION, '-V, --version')
        .exitOverride()
        .configureOutput({ writeOut: t => io.out(t), writeErr: t => io.err(t) })
        .showSuggestionAfterError(true);

    program.command('check')
        .description('check scenario files and folders (recursing into *.uintr)')
        .argument('<paths...>', 'files or folders')
        .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
        .option('--policy <name>', "run under this policy instead of the file's own")
        .option('--stats', 'add the cost counts of SEMANTICS.md §7')
        .option('--annotations', 'compare each file with its //! annotations; exit 0 only when all agree')
        .addOption(maxStatesOption())
        .addOption(maxDepthOption())
        .action(async (paths: string[], o: { format: string; policy?: string; stats?: boolean; annotations?: boolean } & BoundFlags) => {
            const files = resolveInputs(paths);
            const ws = await openWorkspace(options);
            const explore = exploreOptions(io, o);
            const reports = await checkFiles(ws, files, { policy: o.policy, annotations: o.annotations, overflow, ...explore.options }).finally(explore.done);
            for (const r of reports) reportInternal(io, r.file, r.internalError);
            if (o.format === 'json') io.out(formatJson(reports, Boolean(o.stats)));
            else if (o.format === 'sarif') io.out(formatSarif(reports, VERSION, Boolean(o.stats)));
            else io.out(formatText(io, reports, Boolean(o.stats)));
            if (o.annotations) {
                // with JSON or SARIF on stdout the differences go to stderr, coloured only if that is a terminal
                const toErr = o.format !== 'text';
                const diff = formatAnnotationDiffs(toErr ? { ...io, color: io.errColor ?? false } : io, reports);
                (toErr ? io.err : io.out)(diff.text);
                status = diff.ok ? 0 : 1;
            } else {
                status = reports.some(r => r.diagnostics.some(d => d.severity === 'error')) ? 1 : 0;
            }
        });

    program.command('trace')
        .description('the state after every step of one scenario, as a table')
        .argument('<file>', 'a .uintr file')
        .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
        .option('--policy <name>', "run under this policy instead of the file's own")
        .addOption(maxStatesOption())
        .addOption(maxDepthOption())
        .action(async (file: string, o: { format: string; policy?: string } & BoundFlags) => {
            const text = readScenario(file);
            const ws = await openWorkspace(options);
            const explore = exploreOptions(io, o);
            const report = await checkFile(ws, file, text, { policy: o.policy, recordTrace: true, overflow, ...explore.options }).finally(explore.done);
            if (o.format === 'json') {
                for (const piece of traceJson(report)) {
                    io.out(piece);
                    await io.drained?.();
                }
            } else {
                io.out(traceTable(report));
            }
            status = report.diagnostics.some(d => d.severity === 'error') ? 1 : 0;
        });

    program.command('compare')
        .description('the verdicts of one scenario under every built-in policy')
        .argument('<file>', 'a .uintr file')
        .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
        .addOption(maxStatesOption())
        .addOption(maxDepthOption())
        .action(async (file: string, o: { format: string } & BoundFlags) => {
            const text = readScenario(file);
            const ws = await openWorkspace(options);
            const explore = exploreOptions(io, o);
            const rows = await comparePolicies(ws, file, text, { overflow, ...explore.options }).finally(explore.done);
            io.out(o.format === 'json' ? formatCompareJson(file, rows) : formatCompareText(file, rows));
            status = 0;
        });

    try {
        await program.parseAsync([...argv], { from: 'user' });
        return status;
    } catch (e) {
        if (e instanceof CommanderError) {
            if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
            // no command: the help went to stderr as for any bad usage (LANGUAGE.md §9: exit 2)
            if (e.code === 'commander.help') {
                if (argv[0] !== 'help') return 2;
                // `help NAME` of a command that does not exist is bad usage too
                const name = argv[1];
                if (name === undefined || program.commands.some(c => c.name() === name)) return 0;
                io.err(`uintr: unknown command '${name}' (the commands are ${program.commands.map(c => c.name()).filter(n => n !== 'help').join(', ')})\n`);
                return 2;
            }
            if (e.code === 'commander.executeSubCommandAsync') return 2;
            return 2; // commander already printed its one-line message
        }
        if (e instanceof StackOverflow) return NEEDS_DEEP_STACK;
        if (e instanceof InputError) {
            io.err(`uintr: ${e.message}\n`);
            return 2;
        }
        io.err(`uintr: internal error: ${(e as Error)?.message ?? e}\n`);
        if (process.env.UINTR_DEBUG) io.err(`${(e as Error)?.stack}\n`);
        return 2;
    }
}
