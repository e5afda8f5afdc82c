/**
 * `uintr compare FILE`: the verdicts and costs of one scenario under every built-in policy,
 * and under the file's own policy when it is not a built-in one.
 */
import type { UintrWorkspace } from '../syntax/workspace.js';
import { checkFileUnder, type FileReport, type RunFilesOptions } from './run-files.js';
import { thousands } from '../syntax/message-text.js';

export interface CompareRow {
    readonly policy: string;
    /** The file's own policy (the machine block's, or the default one when it names none). */
    readonly own: boolean;
    /** One of the six built-in policies (a file's own one is not). */
    readonly builtin: boolean;
    readonly report: FileReport;
}

export async function comparePolicies(ws: UintrWorkspace, file: string, text: string, options: Pick<RunFilesOptions, 'overflow' | 'explore' | 'progress' | 'defaultPolicy'> = {}): Promise<CompareRow[]> {
    // the file's own policy first (to mark its row), then each built-in one, from one parse
    const builtins = ws.builtinPolicies();
    const [own, ...reports] = await checkFileUnder(ws, file, text, [undefined, ...builtins.map(p => p.name)], options);
    const ownPolicy = own.stats?.policy;
    const rows: CompareRow[] = builtins.map((p, i) => ({ policy: p.name, own: p.name === ownPolicy, builtin: true, report: reports[i] }));
    // a policy of the file's own (one that extends a built-in one, most often): its row first,
    // beside the built-in ones it is meant to be compared with
    return ownPolicy !== undefined && !rows.some(r => r.own) ? [{ policy: ownPolicy, own: true, builtin: false, report: own }, ...rows] : rows;
}

/** A table's cell lists this many diagnostics at most; `--format json` has them all. */
export const COMPARE_LISTED = 12;

function listed(items: readonly string[]): string {
    if (items.length <= COMPARE_LISTED) return items.join(' ');
    return `${items.slice(0, COMPARE_LISTED).join(' ')} … and ${thousands(items.length - COMPARE_LISTED)} more (--format json lists them all)`;
}

/** What the verdict leaves out: races whose search a bound cut (their information diagnostic is not listed). */
function cutShort(report: FileReport): string {
    const cut = (report.stats?.races ?? []).filter(r => r.cutBy !== null).map(r => r.line);
    if (cut.length === 0) return '';
    return ` (the search of the race${cut.length === 1 ? '' : 's'} at line${cut.length === 1 ? '' : 's'} ${cut.join(', ')} was cut short by a bound: --max-states, --max-depth)`;
}

export function formatCompareText(file: string, rows: readonly CompareRow[]): string {
    const header = ['policy', 'errors', 'warnings', 'XSAVES', 'XRSTORS', 'WRMSR', 'self-IPIs', 'deliveries', 'diagnostics (code@line)'];
    const table = rows.map(r => {
        const ds = r.report.diagnostics.filter(d => d.severity !== 'information');
        const st = r.report.stats;
        return [
            r.policy + (r.own ? ' *' : ''),
            String(ds.filter(d => d.severity === 'error').length),
            String(ds.filter(d => d.severity === 'warning').length),
            String(st?.xsaves ?? '-'), String(st?.xrstors ?? '-'), String(st?.wrmsr ?? '-'), String(st?.selfIpis ?? '-'), String(st?.deliveries ?? '-'),
            (ds.length ? listed(ds.map(d => `${d.code}@${d.loc.line}`)) : 'clean') + cutShort(r.report),
        ];
    });
    const widths = header.map((h, i) => table.reduce((w, row) => Math.max(w, row[i].length), h.length));
    const fmt = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    const under = rows.some(r => !r.builtin) ? "the file's own policy and every built-in one" : 'every built-in policy';
    // nothing ran under any policy (nor under the file's own, which has no row then): said so
    const head = rows.length > 0 && rows.every(r => r.report.stats === undefined)
        ? `${file}: not run under any policy: the file has static errors (each row lists them)`
        : `${file}: verdicts under ${under} (* = the file's own)`;
    return `${head}\n` + [header, ...table].map(fmt).join('\n') + '\n';
}

export function formatCompareJson(file: string, rows: readonly CompareRow[]): string {
    return JSON.stringify({
        file,
        policies: rows.map(r => ({
            policy: r.policy, own: r.own, builtin: r.builtin, stats: r.report.stats ?? null,
            diagnostics: r.report.diagnostics.map(d => ({ code: d.code, severity: d.severity, line: d.loc.line, column: d.loc.column, message: d.message })),
        })),
    }, null, 2) + '\n';
}
