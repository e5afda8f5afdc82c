/**
 * The language server's worker thread (bundled as out/explore-worker.cjs beside the server),
 * for work that explores races and may take seconds: a document's race exploration, and the
 * `compare` and `trace` tables of the editor's commands. A large exploration allocates a great
 * deal; in a worker, its garbage collection pauses stop the worker, never the server's requests.
 * The worker parses the text itself (same text, same lowering, so causes and lines agree with
 * the server's own run). For an exploration it applies the editor's time bound, posts progress,
 * and posts the diagnostics and race reports at the end; the server terminates it when the
 * document changes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { comparePolicies, formatCompareText } from '../cli/compare-command.js';
import { checkFile } from '../cli/run-files.js';
import { traceTable } from '../cli/trace-command.js';
import { startCheck, staticDiagnostics } from '../scenario/check.js';
import type { ScenarioDiagnostic } from '../scenario/diagnostics.js';
import type { RaceReport } from '../scenario/race-explorer.js';
import { UintrWorkspace } from '../syntax/workspace.js';

export interface ExploreRequest {
    readonly kind: 'explore';
    readonly text: string;
    readonly path: string;
    readonly prelude: { readonly path: string; readonly text: string };
    readonly defaultPolicy: string;
    readonly timeLimitMs: number;
    /** Why the time bound stops it, for the information diagnostic. */
    readonly timeBound: string;
    /** Set to 1 (an Int32Array over it) when the user cancels: the worker stops and reports what it explored, said with `cancelled`. */
    readonly stop: SharedArrayBuffer;
    readonly cancelled: string;
}

/** The text of `uintr compare` or `uintr trace` for a document's text. */
export interface TableRequest {
    readonly kind: 'table';
    readonly table: 'compare' | 'trace';
    readonly text: string;
    readonly path: string;
    /** The policy of a file that names none (`uintr.defaultPolicy`). */
    readonly defaultPolicy: string;
    readonly prelude: { readonly path: string; readonly text: string };
}

/** A race report as a worker posts it: everything but the replays. */
export type RaceSummary = Omit<RaceReport, 'replay' | 'replayLeadIn'>;

export type ExploreMessage =
    | { readonly kind: 'progress'; readonly race: number; readonly races: number; readonly states: number }
    | { readonly kind: 'done'; readonly diagnostics: ScenarioDiagnostic[]; readonly races: RaceSummary[] }
    | { readonly kind: 'table'; readonly text: string }
    | { readonly kind: 'failed'; readonly message: string };

const PROGRESS_MS = 250;

async function explore(req: ExploreRequest): Promise<ExploreMessage> {
    const ws = new UintrWorkspace();
    await ws.loadPrelude(req.prelude.text, req.prelude.path);
    const doc = await ws.load(req.text, req.path);
    const pending = startCheck(doc.parseResult.value, staticDiagnostics(doc), ws, { defaultPolicy: req.defaultPolicy, recordTrace: false });
    const start = Date.now();
    const stop = new Int32Array(req.stop);
    let reported = start;
    while (!pending.finished) {
        if (Date.now() - start >= req.timeLimitMs) {
            pending.stop(req.timeBound);
            break;
        }
        if (Atomics.load(stop, 0) === 1) {
            pending.stop(req.cancelled);
            break;
        }
        pending.advance(1000);
        if (Date.now() - reported >= PROGRESS_MS) {
            reported = Date.now();
            parentPort?.postMessage({ kind: 'progress', ...pending.progress() } satisfies ExploreMessage);
        }
    }
    const result = pending.result();
    const races = (result.run?.races ?? []).map(({ replay: _replay, replayLeadIn: _replayLeadIn, ...summary }) => summary);
    return { kind: 'done', diagnostics: result.diagnostics, races };
}

/** The table a command shows, as the CLI prints it. */
async function table(req: TableRequest): Promise<string> {
    const ws = new UintrWorkspace();
    await ws.loadPrelude(req.prelude.text, req.prelude.path);
    if (req.table === 'compare') return formatCompareText(req.path, await comparePolicies(ws, req.path, req.text, { defaultPolicy: req.defaultPolicy }));
    const report = await checkFile(ws, req.path, req.text, { recordTrace: true, defaultPolicy: req.defaultPolicy });
    return traceTable(report);
}

if (parentPort) {
    const req = workerData as ExploreRequest | TableRequest;
    (req.kind === 'table' ? table(req).then((text): ExploreMessage => ({ kind: 'table', text })) : explore(req))
        .then(m => parentPort!.postMessage(m))
        .catch((e: unknown) => parentPort!.postMessage({ kind: 'failed', message: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies ExploreMessage));
}
