/**
 * `--format json` (LANGUAGE.md §9): exactly one JSON document.
 */
import type { ScenarioDiagnostic } from '../scenario/diagnostics.js';
import type { FileReport } from './run-files.js';

export function diagnosticJson(d: ScenarioDiagnostic) {
    return {
        code: d.code, severity: d.severity, line: d.loc.line, column: d.loc.column, message: d.message,
        related: d.related.map(r => ({ line: r.loc.line, column: r.loc.column, message: r.message })),
    };
}

export function formatJson(reports: readonly FileReport[], withStats: boolean): string {
    const files = reports.map(r => ({
        file: r.file,
        steps: r.steps,
        diagnostics: r.diagnostics.map(diagnosticJson),
        ...(withStats && r.stats ? { stats: r.stats } : {}),
        ...(r.annotations ? { annotations: r.annotations } : {}),
    }));
    return JSON.stringify({ files }, null, 2) + '\n';
}
