/**
 * Compiler-style text output: `file:line:col: error[code]: message`, then the related
 * locations as notes, then a summary line.
 */
import type { ScenarioDiagnostic } from '../scenario/diagnostics.js';
import { paint, type CliIO } from './output.js';
import type { FileReport } from './run-files.js';

export function formatDiagnostic(io: CliIO, file: string, d: ScenarioDiagnostic): string {
    const sev = d.severity === 'error' ? paint(io, 'red', 'error') : d.severity === 'warning' ? paint(io, 'yellow', 'warning') : paint(io, 'cyan', 'information');
    let s = `${paint(io, 'bold', `${file}:${d.loc.line}:${d.loc.column}:`)} ${sev}[${d.code}]: ${d.message}\n`;
    for (const r of d.related) s += `  ${file}:${r.loc.line}:${r.loc.column}: ${paint(io, 'dim', 'note')}: ${r.message}\n`;
    return s;
}

export function formatText(io: CliIO, reports: readonly FileReport[], withStats: boolean): string {
    let s = '';
    let errors = 0, warnings = 0, infos = 0;
    for (const r of reports) {
        for (const d of r.diagnostics) {
            s += formatDiagnostic(io, r.file, d);
            if (d.severity === 'error') errors++;
            else if (d.severity === 'warning') warnings++;
            else infos++;
        }
        if (withStats && r.stats) {
            const st = r.stats;
            const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
            s += `${r.file}: stats under ${st.policy}: ${n(r.steps, 'step', 'steps')}, ${st.xsaves} XSAVES, ${st.xrstors} XRSTORS, ${st.wrmsr} WRMSR, ` +
                `${n(st.selfIpis, 'self-IPI', 'self-IPIs')}, ${n(st.spurious, 'spurious kernel interrupt', 'spurious kernel interrupts')}, ${n(st.deliveries, 'delivery', 'deliveries')}, ` +
                `${st.bufferBytesPerTask} XSAVE buffer bytes per task\n`;
            for (const race of st.races) {
                s += `${r.file}:${race.line}: race explored: ${race.interleavings} interleaving${race.interleavings === 1 ? '' : 's'}, ${race.states} distinct states` +
                    (race.reducedStates ? `, partial-order reduction at ${race.reducedStates}` : '') + (race.sleptEvents ? `, ${race.sleptEvents} events left asleep` : '') + (race.cutBy ? `, cut by the bound on ${race.cutBy}` : '') + '\n';
            }
        }
    }
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
    const summary = `${plural(reports.length, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}` + (infos ? `, ${infos} information` : '');
    s += (errors ? paint(io, 'red', summary) : warnings ? paint(io, 'yellow', summary) : paint(io, 'green', summary)) + '\n';
    return s;
}

/** `--annotations`: every difference between the `//!` comments and what was reported. */
export function formatAnnotationDiffs(io: CliIO, reports: readonly FileReport[]): { text: string; ok: boolean } {
    let s = '';
    let bad = 0;
    for (const r of reports) {
        const a = r.annotations;
        if (!a) continue;
        // a //! comment that is not an annotation is named but, as in accept.py, not counted
        for (const line of a.unread) s += `${r.file}:${line}: ${paint(io, 'yellow', 'unread')} //! comment: not an annotation, not counted (codes separated by commas, nothing after them: //! code, code)\n`;
        if (a.missing.length === 0 && a.extra.length === 0) continue;
        bad++;
        for (const m of a.missing) s += `${r.file}:${m.line}: ${paint(io, 'red', 'missing')} ${m.code}: annotated but not reported\n`;
        // each extra's message, from an index by (code, line) (a search per extra was extras x diagnostics)
        const byKey = new Map<string, (typeof r.diagnostics)[number]>();
        for (const q of r.diagnostics) if (!byKey.has(`${q.code}@${q.loc.line}`)) byKey.set(`${q.code}@${q.loc.line}`, q);
        for (const x of a.extra) {
            const d = byKey.get(`${x.code}@${x.line}`);
            s += `${r.file}:${x.line}: ${paint(io, 'red', 'unexpected')} ${x.code}: reported but not annotated${d ? ` (${d.message})` : ''}\n`;
        }
    }
    const agree = reports.length - bad;
    s += `${agree}/${reports.length} files agree with their annotations\n`;
    return { text: s, ok: bad === 0 };
}
