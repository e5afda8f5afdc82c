/**
 * Checks one scenario document: its static diagnostics (LANGUAGE.md §8) and, when it has no
 * static error, the run under its policy. Never throws: an internal failure becomes a
 * diagnostic, with its stack kept for the log.
 */
import type { LangiumDocument } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import type * as ast from '../syntax/generated/ast.js';
import { sortDiagnostics, type ScenarioDiagnostic } from './diagnostics.js';
import { lowerProgram } from './program.js';
import type { ExploreOptions } from './race-explorer.js';
import { runProgram, type RunResult } from './run.js';

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
    return (doc.diagnostics ?? []).filter(d => d.severity === 1 || d.severity === undefined).map(d => toScenarioDiagnostic(doc, d));
}

function toScenarioDiagnostic(doc: LangiumDocument, d: Diagnostic): ScenarioDiagnostic {
    const dataCode = (d.data as { code?: string } | undefined)?.code;
    let code: 'syntax' | 'semantic';
    if (d.code === 'syntax' || d.code === 'semantic') code = d.code;
    else if (dataCode === 'lexing-error' || dataCode === 'parsing-error') code = 'syntax';
    else code = 'semantic';
    const start = d.range.start;
    const offset = doc.textDocument.offsetAt(start);
    const end = doc.textDocument.offsetAt(d.range.end);
    const kind = (d.data as { kind?: string } | undefined)?.kind ?? (dataCode === 'linking-error' ? 'unknown-name' : undefined);
    const data = dataCode === 'linking-error' ? { kind, ...(d.data as object) } : kind ? { kind } : undefined;
    return {
        code, severity: 'error', message: typeof d.message === 'string' ? d.message : d.message.value,
        loc: { line: start.line + 1, column: start.character + 1, offset, end },
        related: [], data,
    };
}

export function checkDocument(doc: LangiumDocument<ast.File>, policies: PolicyResolver, options: CheckOptions = {}): CheckResult {
    return checkParsed(doc.parseResult.value, staticDiagnostics(doc), policies, options);
}

/** Checks a parsed file whose static diagnostics are known: runs it when there are none. */
export function checkParsed(file: ast.File, staticDiags: ScenarioDiagnostic[], policies: PolicyResolver, options: CheckOptions = {}): CheckResult {
    const diagnostics = [...staticDiags];
    let steps = 0;
    try {
        const program = lowerStepsCount(file);
        steps = program;
        if (diagnostics.length > 0) return { diagnostics: sortDiagnostics(diagnostics), steps };
        const lowered = lowerProgram(file);
        const fallback = options.defaultPolicy ?? 'linux_rfc';
        const policy = options.policy ? policies.findPolicy(options.policy, file) : lowered.policy ?? policies.findPolicy(fallback, file) ?? policies.findPolicy('linux_rfc');
        if (!policy) throw new Error(`policy ${options.policy ?? fallback} is not defined`);
        const run = runProgram(lowered, policy, { ...options.explore, recordTrace: options.recordTrace });
        return { diagnostics: run.diagnostics, steps: lowered.stepCount, run };
    } catch (e) {
        const stack = e instanceof Error ? e.stack ?? e.message : String(e);
        const message = e instanceof Error ? e.message : String(e);
        diagnostics.push({
            code: 'internal', severity: 'error', message: `internal error in the emulator: ${message} (please report it)`,
            loc: { line: 1, column: 1, offset: 0, end: 0 }, related: [],
        });
        return { diagnostics: sortDiagnostics(diagnostics), steps, internalError: stack };
    }
}

function lowerStepsCount(file: ast.File): number {
    let n = 0;
    for (const item of file.items ?? []) {
        if (item.$type === 'Step') n++;
        else if (item.$type === 'Race') for (const b of (item as ast.Race).branches) n += b.steps.length;
    }
    return n;
}
