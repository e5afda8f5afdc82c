/**
 * Checks scenario files one after another through a shared workspace, and collects what
 * every output format needs. A file that cannot be parsed at all still gets a diagnostic.
 */
import { UINTR_COMPONENT_BYTES, SEPARATE_BUFFER_BYTES } from '../machine/layout.js';
import type { Counters } from '../machine/state.js';
import { policyChain } from '../kernel/policy.js';
import { checkDocument, type CheckResult } from '../scenario/check.js';
import type { ScenarioDiagnostic } from '../scenario/diagnostics.js';
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
    readonly annotations?: boolean;
    readonly recordTrace?: boolean;
}

export async function checkFile(ws: UintrWorkspace, file: string, text: string, options: RunFilesOptions): Promise<FileReport> {
    let doc;
    try {
        doc = await ws.load(text, file);
    } catch (e) {
        const message = e instanceof RangeError ? 'the file is nested too deeply to parse' : `the file could not be parsed: ${(e as Error).message}`;
        const diagnostics: ScenarioDiagnostic[] = [{ code: 'syntax', severity: 'error', message, loc: { line: 1, column: 1, offset: 0, end: 0 }, related: [] }];
        return { file, text, steps: 0, diagnostics, internalError: e instanceof RangeError ? undefined : (e as Error).stack };
    }
    try {
        if (options.policy && !ws.findPolicy(options.policy, doc.parseResult.value)) {
            throw new InputError(`unknown policy '${options.policy}' (built-in: ${ws.builtinPolicies().map(p => p.name).join(', ')})`);
        }
        const result = checkDocument(doc, ws, { policy: options.policy, recordTrace: options.recordTrace ?? false });
        let stats: Stats | undefined;
        if (result.run) {
            const policy = ws.findPolicy(result.run.policy, doc.parseResult.value);
            const separate = policy ? policyChain(policy).some(p => p.name === 'independent' && ws.builtinPolicies().includes(p)) : false;
            const program = result.run.trace.program;
            const races = result.run.races.map(r => ({
                line: program.loc(r.cause).line, interleavings: r.interleavings, states: r.states, reducedStates: r.reducedStates, cutBy: r.cutBy,
            }));
            stats = { policy: result.run.policy, ...result.run.counters, bufferBytesPerTask: separate ? SEPARATE_BUFFER_BYTES : UINTR_COMPONENT_BYTES, races };
        }
        const annotations = options.annotations ? compareAnnotations(readAnnotations(text), result.diagnostics) : undefined;
        return { file, text, steps: result.steps, diagnostics: result.diagnostics, stats, annotations, internalError: result.internalError, result };
    } finally {
        ws.release(doc);
    }
}

/** Reads and checks each file in order. */
export async function checkFiles(ws: UintrWorkspace, files: readonly string[], options: RunFilesOptions): Promise<FileReport[]> {
    const reports: FileReport[] = [];
    for (const f of files) reports.push(await checkFile(ws, f, readScenario(f), options));
    return reports;
}
