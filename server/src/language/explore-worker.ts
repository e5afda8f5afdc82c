/**
 * The race explorer in a worker thread (bundled as out/explore-worker.cjs beside the server).
 * A large exploration allocates a great deal; in a worker, its garbage collection pauses stop
 * the worker, never the language server's requests. The worker parses the document's text
 * itself (same text, same lowering, so causes and lines agree with the server's own run),
 * explores with the editor's time bound, posts progress, and posts the diagnostics and race
 * reports at the end. The server terminates it when the document changes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startCheck, staticDiagnostics } from '../scenario/check.js';
import type { ScenarioDiagnostic } from '../scenario/diagnostics.js';
import type { RaceReport } from '../scenario/race-explorer.js';
import { UintrWorkspace } from '../syntax/workspace.js';

export interface ExploreRequest {
    readonly text: string;
    readonly path: string;
    readonly prelude: { readonly path: string; readonly text: string };
    readonly defaultPolicy: string;
    readonly timeLimitMs: number;
    /** Why the time bound stops it, for the information diagnostic. */
    readonly timeBound: string;
}

/** A race report as a worker posts it: everything but the replay. */
export type RaceSummary = Omit<RaceReport, 'replay'>;

export type ExploreMessage =
    | { readonly kind: 'progress'; readonly race: number; readonly races: number; readonly states: number }
    | { readonly kind: 'done'; readonly diagnostics: ScenarioDiagnostic[]; readonly races: RaceSummary[] }
    | { readonly kind: 'failed'; readonly message: string };

const PROGRESS_MS = 250;

async function explore(req: ExploreRequest): Promise<ExploreMessage> {
    const ws = new UintrWorkspace();
    await ws.loadPrelude(req.prelude.text, req.prelude.path);
    const doc = await ws.load(req.text, req.path);
    const pending = startCheck(doc.parseResult.value, staticDiagnostics(doc), ws, { defaultPolicy: req.defaultPolicy, recordTrace: false });
    const start = Date.now();
    let reported = start;
    while (!pending.finished) {
        if (Date.now() - start >= req.timeLimitMs) {
            pending.stop(req.timeBound);
            break;
        }
        pending.advance(1000);
        if (Date.now() - reported >= PROGRESS_MS) {
            reported = Date.now();
            parentPort?.postMessage({ kind: 'progress', ...pending.progress() } satisfies ExploreMessage);
        }
    }
    const result = pending.result();
    const races = (result.run?.races ?? []).map(({ replay: _replay, ...summary }) => summary);
    return { kind: 'done', diagnostics: result.diagnostics, races };
}

if (parentPort) {
    explore(workerData as ExploreRequest)
        .then(m => parentPort!.postMessage(m))
        .catch((e: unknown) => parentPort!.postMessage({ kind: 'failed', message: e instanceof Error ? e.stack ?? e.message : String(e) } satisfies ExploreMessage));
}
