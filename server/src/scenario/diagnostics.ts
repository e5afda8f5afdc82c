/**
 * Diagnostics of a run (LANGUAGE.md §8, SEMANTICS.md §6): placed at a source line through
 * the cause that raised them, merged per (code, line), sorted by line, column, code.
 */
import { shortenRuns } from '../syntax/message-text.js';

export type Severity = 'error' | 'warning' | 'information';

export type DiagnosticCode =
    | 'xrstors-gp' | 'senduipi-gp' | 'wrmsr-gp' | 'ud' | 'upid-use-after-free'
    | 'notification-lost' | 'stale-uinv' | 'xsaves-clobbers-image' | 'misdelivered'
    | 'never-delivered' | 'expect-failed' | 'race-counterexample' | 'syntax' | 'semantic'
    | 'internal';

export const DEFAULT_SEVERITY: Record<DiagnosticCode, Severity> = {
    'xrstors-gp': 'error', 'senduipi-gp': 'error', 'wrmsr-gp': 'error', 'ud': 'error',
    'upid-use-after-free': 'error', 'notification-lost': 'warning', 'stale-uinv': 'warning',
    'xsaves-clobbers-image': 'warning', 'misdelivered': 'error', 'never-delivered': 'warning',
    'expect-failed': 'error', 'race-counterexample': 'error', 'syntax': 'error', 'semantic': 'error',
    'internal': 'error',
};

/** A place in the source: 1-based line and column, 0-based offsets. */
export interface SourceLoc {
    readonly line: number;
    readonly column: number;
    readonly offset: number;
    readonly end: number;
}

export interface RelatedInfo {
    readonly loc: SourceLoc;
    readonly message: string;
}

export interface ScenarioDiagnostic {
    readonly code: DiagnosticCode;
    severity: Severity;
    readonly loc: SourceLoc;
    message: string;
    readonly related: RelatedInfo[];
    /** A finer kind for quick fixes (LANGUAGE.md §8), never shown as the code. */
    readonly data?: Record<string, unknown>;
}

/** Collects diagnostics, merging several causes of one (code, line) into one diagnostic. */
export class DiagnosticSet {
    private readonly byKey = new Map<string, ScenarioDiagnostic>();

    add(found: ScenarioDiagnostic): ScenarioDiagnostic {
        const message = shortenRuns(found.message);
        const d = message === found.message ? found : { ...found, message };
        const key = `${d.code}:${d.loc.line}`;
        const old = this.byKey.get(key);
        if (!old) {
            this.byKey.set(key, d);
            return d;
        }
        // another cause on the line (another step, or another message of the same one) is one
        // of its related locations (LANGUAGE.md §8), once
        const another = d.loc.offset !== old.loc.offset || d.message !== old.message;
        if (another && !old.related.some(r => r.message === d.message && r.loc.line === d.loc.line && r.loc.offset === d.loc.offset)) {
            old.related.push({ loc: d.loc, message: d.message });
        }
        for (const r of d.related) {
            if (!old.related.some(o => o.loc.offset === r.loc.offset && o.message === r.message)) old.related.push(r);
        }
        if (rank(d.severity) > rank(old.severity)) old.severity = d.severity;
        return old;
    }

    get(code: DiagnosticCode, line: number): ScenarioDiagnostic | undefined {
        return this.byKey.get(`${code}:${line}`);
    }

    sorted(): ScenarioDiagnostic[] {
        return sortDiagnostics([...this.byKey.values()]);
    }
}

function rank(s: Severity): number {
    return s === 'error' ? 2 : s === 'warning' ? 1 : 0;
}

export function sortDiagnostics(ds: ScenarioDiagnostic[]): ScenarioDiagnostic[] {
    return ds.sort((a, b) => a.loc.line - b.loc.line || a.loc.column - b.loc.column || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}
