/**
 * `--format sarif`: SARIF 2.1.0, as code-scanning tools read it.
 */
import { isAbsolute, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as sarif from 'sarif';
import { DEFAULT_SEVERITY, type DiagnosticCode, type Severity } from '../scenario/diagnostics.js';
import type { FileReport } from './run-files.js';

const RULES: Record<DiagnosticCode, string> = {
    'xrstors-gp': 'XRSTORS runs while UINV is not 0 and raises #GP',
    'senduipi-gp': 'SENDUIPI raises #GP (no UITT, index above UITTSZ, invalid entry, reserved UPID bits)',
    'wrmsr-gp': 'WRMSR of a reserved bit or a non-canonical address raises #GP',
    'ud': 'SENDUIPI while IA32_UINTR_TT is not enabled raises #UD',
    'upid-use-after-free': 'Hardware or the kernel touches a freed UPID',
    'notification-lost': 'A notification IPI arrives where its receiver runs, but UINV does not match',
    'stale-uinv': 'A kernel action leaves a kthread or idle running with UINV armed',
    'xsaves-clobbers-image': 'XSAVES writes UINV=0 over an image whose UINV was never restored',
    'misdelivered': "A vector posted to one task's UPID is delivered to another task",
    'never-delivered': 'A posted vector is still in the PIR of a running receiver at the end',
    'expect-failed': 'An expectation does not hold',
    'race-counterexample': 'A race has an interleaving with a fault, hazard or failed expectation',
    'syntax': 'The scenario does not parse',
    'semantic': 'The scenario is not meaningful (unknown names, widths, bindings, impossible steps)',
    'internal': 'The emulator failed internally',
};

const LEVEL: Record<Severity, sarif.Result.level> = { error: 'error', warning: 'warning', information: 'note' };

/**
 * A file's URI: an absolute path as a `file:` URI, a relative one as a relative reference (to
 * the directory the command ran in), each segment percent-encoded. Only the platform's own
 * separators separate segments: on Linux a backslash is a character of the name (it split the
 * name, so the URI named another file). A path given with `//` or `./` in it is normalised
 * (`//tmp/a.uintr` read as a URI is host `tmp`).
 */
function uriOf(file: string): string {
    if (isAbsolute(file)) return pathToFileURL(file).href;
    return normalize(file).split(sep).map(encodeURIComponent).join('/');
}

export function formatSarif(reports: readonly FileReport[], version: string, stats = false): string {
    const codes = Object.keys(RULES) as DiagnosticCode[];
    const rules: sarif.ReportingDescriptor[] = codes.map(id => ({
        id, shortDescription: { text: RULES[id] }, defaultConfiguration: { level: LEVEL[DEFAULT_SEVERITY[id]] },
    }));
    const results: sarif.Result[] = [];
    for (const r of reports) {
        const uri = uriOf(r.file);
        for (const d of r.diagnostics) {
            results.push({
                ruleId: d.code,
                ruleIndex: codes.indexOf(d.code),
                level: LEVEL[d.severity],
                message: { text: d.message },
                locations: [{ physicalLocation: { artifactLocation: { uri }, region: { startLine: d.loc.line, startColumn: d.loc.column } } }],
                ...(d.related.length ? {
                    relatedLocations: d.related.map((x, i) => ({
                        id: i, message: { text: x.message },
                        physicalLocation: { artifactLocation: { uri }, region: { startLine: x.loc.line, startColumn: x.loc.column } },
                    })),
                } : {}),
            });
        }
    }
    const log: sarif.Log = {
        $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
        version: '2.1.0',
        runs: [{
            tool: { driver: { name: 'uintr', semanticVersion: version, version, rules } },
            // columns count UTF-16 code units, as the other formats' (decisions.md #35)
            columnKind: 'utf16CodeUnits',
            artifacts: [...new Set(reports.map(r => uriOf(r.file)))].map(uri => ({ location: { uri } })), // unique (the schema's uniqueItems), a file given twice too
            results,
            // --stats: the counts of SEMANTICS.md §7 per file, in the run's property bag
            ...(stats ? { properties: { stats: reports.filter(r => r.stats).map(r => ({ file: uriOf(r.file), ...r.stats })) } } : {}),
        }],
    };
    return JSON.stringify(log, null, 2) + '\n';
}
