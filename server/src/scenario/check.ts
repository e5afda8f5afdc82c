/**
 * Checks one scenario document: its static diagnostics (LANGUAGE.md §8) and, when it has no
 * static error, the run under its policy. Never throws: an internal failure becomes a
 * diagnostic, with its stack kept for the log.
 */
import type { LangiumDocument } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import { GrammarUtils } from 'langium';
import * as ast from '../syntax/generated/ast.js';
import { messageText, onePerLine } from '../syntax/document-validator.js';
import { sortDiagnostics, type ScenarioDiagnostic, type SourceLoc } from './diagnostics.js';
import { lowerProgram } from './program.js';
import type { ExploreOptions } from './race-explorer.js';
import { ProgramRun, type RunResult } from './run.js';

/** Finds policies by name: the scenario's own first, then the built-in ones. */
export interface PolicyResolver {
    findPolicy(name: string, file?: ast.File): ast.Policy | undefined;
}

export interface CheckOptions {
    /** Run under this policy instead of the file's own. */
    readonly policy?: string;
    /** The policy when the file names none (default linux_rfc). */
    readonly defaultPolicy?: string;
    /** Record the trace (the CLI's `check` does not need it). */
    readonly recordTrace?: boolean;
    /** Bounds and reduction of the race explorer. */
    readonly explore?: ExploreOptions;
}

export interface CheckResult {
    readonly diagnostics: ScenarioDiagnostic[];
    /** `cpuN:` items written in the file. */
    readonly steps: number;
    /** The run, when the file had no static error. */
    readonly run?: RunResult;
    /** Stack of an internal failure, for logs. */
    readonly internalError?: string;
}

/** Maps Langium's diagnostics to the codes `syntax` and `semantic`. */
export function staticDiagnostics(doc: LangiumDocument): ScenarioDiagnostic[] {
    const errors = (doc.diagnostics ?? []).filter(d => d.severity === 1 || d.severity === undefined);
    return onePerLine(errors, doc.uri.toString()).map(d => toScenarioDiagnostic(doc, d));
}

function toScenarioDiagnostic(doc: LangiumDocument, d: Diagnostic): ScenarioDiagnostic {
    const dataCode = (d.data as { code?: string } | undefined)?.code;
    let code: 'syntax' | 'semantic';
    if (d.code === 'syntax' || d.code === 'semantic') code = d.code;
    else if (dataCode === 'lexing-error' || dataCode === 'parsing-error') code = 'syntax';
    else code = 'semantic';
    const kind = (d.data as { kind?: string } | undefined)?.kind ?? (dataCode === 'linking-error' ? 'unknown-name' : undefined);
    const data = dataCode === 'linking-error' ? { kind, ...(d.data as object) } : kind ? { kind } : undefined;
    return {
        code, severity: 'error', message: messageText(d.message),
        loc: locAt(doc, d.range),
        related: (d.relatedInformation ?? []).map(r => ({ loc: locAt(doc, r.location.range), message: r.message })), data,
    };
}

/** A range of the document as a source location (1-based line and column, offsets). */
function locAt(doc: LangiumDocument, range: Diagnostic['range']): SourceLoc {
    const { textDocument } = doc;
    return { line: range.start.line + 1, column: range.start.character + 1, offset: textDocument.offsetAt(range.start), end: textDocument.offsetAt(range.end) };
}

export function checkDocument(doc: LangiumDocument<ast.File>, policies: PolicyResolver, options: CheckOptions = {}): CheckResult {
    return checkParsed(doc.parseResult.value, staticDiagnostics(doc), policies, options);
}

/** Checks a parsed file whose static diagnostics are known: runs it when there are none. */
export function checkParsed(file: ast.File, staticDiags: ScenarioDiagnostic[], policies: PolicyResolver, options: CheckOptions = {}): CheckResult {
    const pending = startCheck(file, staticDiags, policies, options);
    pending.advance();
    return pending.result();
}

/**
 * A check whose race exploration may still be running: the items before the first race have
 * run; {@link PendingCheck.advance} explores further (all at once, or a slice at a time), and
 * {@link PendingCheck.result} is the check so far (complete once `finished`).
 */
export interface PendingCheck {
    /** True when nothing is left to explore. */
    readonly finished: boolean;
    /** Explores at most `budget` more states; true when finished. Never throws. */
    advance(budget?: number): boolean;
    /** Which race is being explored (1-based) of how many, and its distinct states so far. */
    progress(): { race: number; races: number; states: number };
    /** Stops exploring (an editor's time bound): what was found so far is reported, and `why`. */
    stop(why: string): void;
    result(): CheckResult;
}

/** Starts a check: static diagnostics, or the run up to the first race (see {@link PendingCheck}). */
export function startCheck(file: ast.File, staticDiags: ScenarioDiagnostic[], policies: PolicyResolver, options: CheckOptions = {}): PendingCheck {
    const diagnostics = sortDiagnostics([...staticDiags]);
    let steps = 0;
    const failed = (e: unknown): PendingCheck => {
        const stack = e instanceof Error ? e.stack ?? e.message : String(e);
        const message = e instanceof Error ? e.message : String(e);
        diagnostics.push({
            code: 'internal', severity: 'error', message: `internal error in the emulator: ${message} (please report it)`,
            loc: { line: 1, column: 1, offset: 0, end: 0 }, related: [],
        });
        return done({ diagnostics: sortDiagnostics(diagnostics), steps, internalError: stack });
    };
    try {
        steps = lowerStepsCount(file, diagnostics.some(d => d.code === 'syntax'));
        if (diagnostics.length > 0) return done({ diagnostics: sortDiagnostics(diagnostics), steps });
        const lowered = lowerProgram(file);
        const fallback = options.defaultPolicy ?? 'linux_rfc';
        const policy = options.policy !== undefined ? policies.findPolicy(options.policy, file) : lowered.policy ?? policies.findPolicy(fallback, file) ?? policies.findPolicy('linux_rfc');
        if (!policy) throw new Error(`policy ${options.policy ?? fallback} is not defined`);
        const run = new ProgramRun(lowered, policy, { ...options.explore, recordTrace: options.recordTrace });
        const exploration = run.exploration;
        if (!exploration) return done(resultOf(run.result(), lowered.stepCount));
        let outcome: PendingCheck | null = null;
        return {
            get finished() {
                return outcome?.finished ?? exploration.finished;
            },
            advance(budget = Infinity) {
                if (outcome) return true;
                try {
                    return exploration.advance(budget);
                } catch (e) {
                    outcome = failed(e);
                    return true;
                }
            },
            progress: () => exploration.progress(),
            stop: why => exploration.stop(why),
            result: () => outcome?.result() ?? resultOf(run.result(), lowered.stepCount),
        };
    } catch (e) {
        return failed(e);
    }
}

function resultOf(run: RunResult, steps: number): CheckResult {
    return { diagnostics: run.diagnostics, steps, run };
}

function done(result: CheckResult): PendingCheck {
    return { finished: true, advance: () => true, progress: () => ({ race: 0, races: 0, states: 0 }), stop: () => undefined, result: () => result };
}

/**
 * The `cpuN:` items written in the file (LANGUAGE.md §9), races included. After a syntax error
 * the parser's recovery may have made a step of text without its colon (`cpu0 stui`): then
 * only steps whose colon was written count.
 */
function lowerStepsCount(file: ast.File, recovered: boolean): number {
    const written = (step: ast.Step): boolean => !recovered || GrammarUtils.findNodeForKeyword(step.$cstNode, ':') !== undefined;
    let n = 0;
    for (const item of file.items ?? []) {
        if (ast.isStep(item)) n += written(item) ? 1 : 0;
        else if (ast.isRace(item)) for (const b of item.branches) for (const step of b.steps) n += written(step) ? 1 : 0;
    }
    return n;
}
