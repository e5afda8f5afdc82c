/**
 * Checks scenario files one after another through a shared workspace, and collects what
 * every output format needs. A file that cannot be parsed at all still gets a diagnostic.
 */
import { UINTR_COMPONENT_BYTES, SEPARATE_BUFFER_BYTES } from '../machine/layout.js';
import type { Counters } from '../machine/state.js';
import { policyChain } from '../kernel/policy.js';
import { startCheck, staticDiagnostics, type CheckResult } from '../scenario/check.js';
import type { ExploreOptions } from '../scenario/race-explorer.js';
import type { ScenarioDiagnostic } from '../scenario/diagnostics.js';
import type { LangiumDocument } from 'langium';
import type * as ast from '../syntax/generated/ast.js';
import { findTooDeep, MAX_NESTING, type TooDeep } from '../syntax/nesting.js';
import { TOO_DEEP } from '../syntax/uintr-module.js';
import type { UintrWorkspace } from '../syntax/workspace.js';
import { compareAnnotations, readAnnotations, type AnnotationDiff } from './annotations.js';
import { InputError, readScenario } from './inputs.js';

export interface Stats extends Counters {
    readonly policy: string;
    /** XSAVE buffer bytes per task (SEMANTICS.md §7): 48 shared, 624 separate under `independent`. */
    readonly bufferBytesPerTask: number;
    /** What the exploration of each race cost, in file order. */
    readonly races: readonly RaceStats[];
}

export interface RaceStats {
    readonly line: number;
    readonly interleavings: number;
    readonly states: number;
    /** States where the partial-order reduction left enabled events unexplored. */
    readonly reducedStates: number;
    /** Events that sleep sets left untried. */
    readonly sleptEvents: number;
    /** The bound that cut the search, or null. */
    readonly cutBy: 'states' | 'depth' | 'time' | null;
}

export interface FileReport {
    readonly file: string;
    readonly text: string;
    readonly steps: number;
    readonly diagnostics: ScenarioDiagnostic[];
    readonly stats?: Stats;
    readonly annotations?: AnnotationDiff;
    readonly internalError?: string;
    readonly result?: CheckResult;
}

export interface RunFilesOptions {
    readonly policy?: string;
    /** The policy of a file whose machine block names none (the editor's `uintr.defaultPolicy`; linux_rfc by default). */
    readonly defaultPolicy?: string;
    readonly annotations?: boolean;
    readonly recordTrace?: boolean;
    /**
     * What a file that overflows the stack gets: a `syntax` diagnostic ("nested too deeply",
     * the default), or, with `escalate`, a {@link StackOverflow} thrown on any failure (an
     * overflow in the parser's recovery may show as another error) so that the command runs
     * again on a deeper stack (bin.ts), where the file gets what it gets with `report`.
     */
    readonly overflow?: 'report' | 'escalate';
    /** Bounds of the race explorer (`--max-states`, `--max-depth`); no clock: results stay deterministic. */
    readonly explore?: Pick<ExploreOptions, 'maxStates' | 'maxDepth'>;
    /** Told how a file's race exploration goes, between slices of {@link PROGRESS_SLICE} states (for a display only). */
    readonly progress?: (file: string, at: ExplorationProgress) => void;
}

export interface ExplorationProgress {
    /** Which race is being explored (1-based), of how many, and its distinct states so far. */
    readonly race: number;
    readonly races: number;
    readonly states: number;
}

/** States explored between two progress reports (slicing does not change what a search finds). */
export const PROGRESS_SLICE = 5_000;

/** A file failed, maybe by overflowing the stack, and the caller asked for it to be thrown (RunFilesOptions.overflow). */
export class StackOverflow extends Error {}

function isStackOverflow(e: unknown): boolean {
    return e instanceof RangeError && /call stack/i.test(e.message);
}

function nestedTooDeeply(file: string, text: string, at: TooDeep | undefined): FileReport {
    const message = at?.chain !== undefined ? `nested too deeply: a chain of ${at.chain} prefix operators (~, not) starts here (at most ${MAX_NESTING})`
        : at ? `nested too deeply: this bracket opens level ${MAX_NESTING + 1} (at most ${MAX_NESTING} levels of parentheses and braces)`
            : 'the file is nested too deeply to parse';
    const loc = at ? { line: at.line, column: at.column, offset: at.offset, end: at.offset + 1 } : { line: 1, column: 1, offset: 0, end: 0 };
    const diagnostics: ScenarioDiagnostic[] = [{ code: 'syntax', severity: 'error', message, loc, related: [] }];
    return { file, text, steps: 0, diagnostics };
}

export async function checkFile(ws: UintrWorkspace, file: string, text: string, options: RunFilesOptions): Promise<FileReport> {
    return (await checkFileUnder(ws, file, text, [options.policy], options))[0];
}

/**
 * One file checked under each of `policies` in turn (undefined: the file's own, or the
 * default), parsed and statically checked once (`uintr compare` parsed it once per policy:
 * seven times).
 */
export async function checkFileUnder(ws: UintrWorkspace, file: string, text: string, policies: readonly (string | undefined)[], options: Omit<RunFilesOptions, 'policy'>): Promise<FileReport[]> {
    const tooDeep = findTooDeep(text);
    if (tooDeep) return policies.map(() => nestedTooDeeply(file, text, tooDeep));
    try {
        const reports = await checkLoaded(ws, file, text, policies, options);
        // an overflow inside the parser's error recovery can surface as another error, or as an
        // internal error of the emulator: on a small stack, any failure is tried again on a deep one
        if (reports.some(r => r.internalError) && options.overflow === 'escalate') throw new StackOverflow(`${file} failed on a small stack`);
        return reports;
    } catch (e) {
        if (e instanceof InputError) throw e;
        if (options.overflow === 'escalate') throw e instanceof StackOverflow ? e : new StackOverflow(`${file} failed on a small stack`);
        if (!isStackOverflow(e)) throw e;
        return policies.map(() => nestedTooDeeply(file, text, undefined));
    }
}

async function checkLoaded(ws: UintrWorkspace, file: string, text: string, policies: readonly (string | undefined)[], options: Omit<RunFilesOptions, 'policy'>): Promise<FileReport[]> {
    let doc;
    try {
        doc = await ws.load(text, file);
    } catch (e) {
        if (isStackOverflow(e) || options.overflow === 'escalate') throw e;
        const message = `the file could not be parsed: ${(e as Error).message}`;
        const diagnostics: ScenarioDiagnostic[] = [{ code: 'syntax', severity: 'error', message, loc: { line: 1, column: 1, offset: 0, end: 0 }, related: [] }];
        return policies.map(() => ({ file, text, steps: 0, diagnostics, internalError: (e as Error).stack }));
    }
    if (options.overflow === 'escalate' && doc.parseResult.parserErrors.some(e => e.name === TOO_DEEP)) {
        ws.release(doc);
        throw new StackOverflow(`${file} is nested too deeply for this stack`);
    }
    try {
        const statics = staticDiagnostics(doc);
        const reports: FileReport[] = [];
        for (const policy of policies) reports.push(checkUnder(ws, doc, file, text, statics, policy, options));
        return reports;
    } finally {
        ws.release(doc);
    }
}

/** The run of a loaded file under one policy (see {@link checkFileUnder}). */
function checkUnder(ws: UintrWorkspace, doc: LangiumDocument<ast.File>, file: string, text: string, statics: ScenarioDiagnostic[], policyName: string | undefined,
    options: Omit<RunFilesOptions, 'policy'>): FileReport {
    if (policyName !== undefined && !ws.findPolicy(policyName, doc.parseResult.value)) {
        throw new InputError(`unknown policy '${policyName}': neither built-in (${ws.builtinPolicies().map(p => p.name).join(', ')}) nor defined in ${file}`);
    }
    const pending = startCheck(doc.parseResult.value, statics, ws,
        { policy: policyName, defaultPolicy: options.defaultPolicy, recordTrace: options.recordTrace ?? false, explore: options.explore });
    if (options.progress) {
        while (!pending.advance(PROGRESS_SLICE)) options.progress(file, pending.progress());
    } else {
        pending.advance();
    }
    const result = pending.result();
    let stats: Stats | undefined;
    if (result.run) {
        const policy = ws.findPolicy(result.run.policy, doc.parseResult.value);
        const separate = policy ? policyChain(policy).some(p => p.name === 'independent' && ws.builtinPolicies().includes(p)) : false;
        const program = result.run.trace.program;
        const races = result.run.races.map(r => ({
            line: program.loc(r.cause).line, interleavings: r.interleavings, states: r.states, reducedStates: r.reducedStates, sleptEvents: r.sleptEvents, cutBy: r.cutBy,
        }));
        const counters = result.run.countsAsWritten();
        stats = { policy: result.run.policy, ...counters, bufferBytesPerTask: separate ? SEPARATE_BUFFER_BYTES : UINTR_COMPONENT_BYTES, races };
    }
    const annotations = options.annotations ? compareAnnotations(readAnnotations(text), result.diagnostics) : undefined;
    return { file, text, steps: result.steps, diagnostics: result.diagnostics, stats, annotations, internalError: result.internalError, result };
}

export async function checkFiles(ws: UintrWorkspace, files: readonly string[], options: RunFilesOptions): Promise<FileReport[]> {
    const reports: FileReport[] = [];
    for (const f of files) reports.push(await checkFile(ws, f, readScenario(f), options));
    return reports;
}
