/**
 * The rest of a run's race exploration, off the language server's request path: in a worker
 * thread when the bundled one is there (its garbage collection then never pauses a request),
 * else in short slices on the server's own thread with pauses between them. Either way it stops
 * when the run is no longer current, and at the editor's time bound.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LangiumDocument } from 'langium';
import type { WorkDoneProgressServerReporter } from 'vscode-languageserver';
import type { CheckResult, PendingCheck } from '../scenario/check.js';
import type { RaceReport } from '../scenario/race-explorer.js';
import type { Emulated } from './emulation.js';
import type { ExploreMessage, ExploreRequest, TableRequest } from './explore-worker.js';
import { preludeText, type PreludeSource } from './prelude-documents.js';
import { thousands } from '../syntax/message-text.js';

/** The length of one slice on the server's thread, in ms. */
const SLICE_MS = 6;
/** States explored between two looks at the clock. */
const SLICE_STATES = 200;
/**
 * The pause between two slices, in ms. A request takes several turns of the event loop
 * (jsonrpc's queue, Langium's waits and locks); a pause on a timer, rather than a single
 * setImmediate, lets all of them pass before the next slice.
 */
const PAUSE_MS = 2;
/** How often a worker's run is checked for still being current, in ms. */
const WATCH_MS = 50;
/** How long a cancelled worker has to report what it explored before it is ended without, in ms. */
const STOP_GRACE_MS = 5_000;

/**
 * The bundled worker beside the prelude (out/explore-worker.cjs), or undefined when it is not
 * there (in-process tests) or UINTR_EXPLORE_IN_THREAD=1 (tests of the in-thread path).
 */
export function workerScript(prelude: PreludeSource): string | undefined {
    const script = join(dirname(prelude.path), 'explore-worker.cjs');
    return existsSync(script) && process.env.UINTR_EXPLORE_IN_THREAD !== '1' ? script : undefined;
}

/**
 * The `compare` or `trace` table of a text, made in a worker so that its exploration never
 * pauses the server; undefined when there is no worker or it failed (the caller makes it itself).
 */
export function tableInWorker(prelude: PreludeSource, table: TableRequest['table'], text: string, path: string, defaultPolicy: string): Promise<string | undefined> {
    const script = workerScript(prelude);
    if (!script) return Promise.resolve(undefined);
    const request: TableRequest = { kind: 'table', table, text, path, defaultPolicy, prelude: { path: prelude.path, text: preludeText(prelude) } };
    return new Promise(resolve => {
        const worker = new Worker(script, { workerData: request });
        let settled = false;
        const finish = (r: string | undefined): void => {
            if (settled) return;
            settled = true;
            void worker.terminate();
            resolve(r);
        };
        worker.on('message', (m: ExploreMessage) => {
            if (m.kind !== 'table') console.error(`uintr: the ${table} worker failed for ${path}${m.kind === 'failed' ? `:\n${m.message}` : ''}`);
            finish(m.kind === 'table' ? m.text : undefined);
        });
        worker.on('error', e => {
            console.error(`uintr: the ${table} worker failed for ${path}: ${e.stack ?? e}`);
            finish(undefined);
        });
        worker.on('exit', () => finish(undefined));
    });
}

/** Which race is being explored (1-based) of how many, and its distinct states so far. */
export type ExploreProgress = ReturnType<PendingCheck['progress']>;

export function progressText(p: ExploreProgress): string {
    return `race ${p.race} of ${p.races}: ${thousands(p.states)} states`;
}

export interface ExploreJob {
    readonly doc: LangiumDocument;
    /** The run whose races are explored; its `exploring` tells hovers how far it is. */
    readonly emulated: Emulated;
    /** The run's own exploration, advanced here when there is no worker. */
    readonly pending: PendingCheck;
    readonly progress: WorkDoneProgressServerReporter | undefined;
    readonly workerScript: string | undefined;
    readonly prelude: PreludeSource;
    readonly defaultPolicy: string;
    /** The editor's time bound, in s. */
    readonly timeLimitS: number;
    /** False once the run is superseded (an edit, a close): the exploration is dropped. */
    isCurrent(): boolean;
    /** True once the user cancels (the progress's Cancel): the exploration stops and reports what it explored, said with `cancelled`. */
    isCancelled(): boolean;
    readonly cancelled: string;
}

/** The run's complete result, or null when it stopped being current first. */
export async function exploreRest(job: ExploreJob): Promise<CheckResult | null> {
    let last = 0;
    const onProgress = (p: ExploreProgress): void => {
        if (performance.now() - last < 250) return;
        last = performance.now();
        job.progress?.report(Math.floor(((p.race - 1) / Math.max(p.races, 1)) * 100), progressText(p));
    };
    const inWorker = job.workerScript ? await exploreInWorker(job, job.workerScript, onProgress) : 'failed';
    return inWorker === 'failed' ? exploreInSlices(job, onProgress) : inWorker;
}

function timeBound(job: ExploreJob): string {
    return `the editor's time bound of ${job.timeLimitS} s (setting uintr.raceTimeLimit; \`uintr check\` has none)`;
}

/** On this thread, in slices with a pause after each. */
async function exploreInSlices(job: ExploreJob, onProgress: (p: ExploreProgress) => void): Promise<CheckResult | null> {
    const { pending } = job;
    job.emulated.exploring = pending;
    const deadline = performance.now() + job.timeLimitS * 1000;
    while (!pending.finished) {
        await new Promise<void>(resolve => setTimeout(resolve, PAUSE_MS));
        if (!job.isCurrent()) return null;
        if (job.isCancelled()) {
            pending.stop(job.cancelled);
            break;
        }
        const now = performance.now();
        if (now >= deadline) {
            pending.stop(timeBound(job));
            break;
        }
        const end = Math.min(now + SLICE_MS, deadline);
        while (!pending.finished && performance.now() < end) pending.advance(SLICE_STATES);
        onProgress(pending.progress());
    }
    return pending.result();
}

/**
 * In a worker thread that parses the same text and explores it from the start; the result
 * keeps this thread's run (the trace) with the worker's diagnostics and race reports.
 * 'failed' when the worker could not do it (the caller then explores on its own thread).
 */
function exploreInWorker(job: ExploreJob, script: string, onProgress: (p: ExploreProgress) => void): Promise<CheckResult | null | 'failed'> {
    const { doc, emulated } = job;
    const uri = doc.uri.toString();
    const partial = emulated.result;
    const request: ExploreRequest = {
        kind: 'explore', text: doc.textDocument.getText(), path: doc.uri.path, prelude: { path: job.prelude.path, text: preludeText(job.prelude) },
        defaultPolicy: job.defaultPolicy, timeLimitMs: job.timeLimitS * 1000, timeBound: timeBound(job),
        stop: new SharedArrayBuffer(4), cancelled: job.cancelled,
    };
    return new Promise(resolve => {
        let status = job.pending.progress();
        emulated.exploring = { progress: () => status };
        // UINTR_EXPLORE_WORKER_HEAP_MB bounds the worker's heap (tests of running out of memory)
        const heap = Number(process.env.UINTR_EXPLORE_WORKER_HEAP_MB) || undefined;
        const worker = new Worker(script, { workerData: request, resourceLimits: heap ? { maxOldGenerationSizeMb: heap } : undefined });
        let settled = false;
        const finish = (r: CheckResult | null | 'failed'): void => {
            if (settled) return;
            settled = true;
            clearInterval(watch);
            void worker.terminate();
            resolve(r);
        };
        let stopping = false;
        const watch = setInterval(() => {
            if (!job.isCurrent()) {
                finish(null);
            } else if (job.isCancelled() && !stopping) {
                // the worker stops at its next look (every 1,000 states) and reports what it explored
                stopping = true;
                Atomics.store(new Int32Array(request.stop), 0, 1);
                setTimeout(() => finish(null), STOP_GRACE_MS);
            }
        }, WATCH_MS);
        worker.on('message', (m: ExploreMessage) => {
            if (m.kind === 'progress') {
                status = m;
                onProgress(m);
            } else if (m.kind === 'done') {
                // a worker's report has no replays: hovers show the counterexample's steps, not states
                const races: RaceReport[] = m.races.map(summary => ({ ...summary, replay: () => [], replayLeadIn: () => [] }));
                finish(partial.run ? { ...partial, diagnostics: m.diagnostics, run: { ...partial.run, diagnostics: m.diagnostics, races } } : 'failed');
            } else {
                console.error(`uintr: the exploration worker failed for ${uri}:\n${m.kind === 'failed' ? m.message : `unexpected ${m.kind}`}`);
                finish('failed');
            }
        });
        worker.on('error', (e: Error & { code?: string }) => {
            if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
                // not again on the server's own thread: report what the run found inline, and why it stopped
                job.pending.stop(`the exploration ran out of memory after ${status.states} states`);
                finish(job.pending.result());
                return;
            }
            console.error(`uintr: the exploration worker failed for ${uri}: ${e.stack ?? e}`);
            finish('failed');
        });
        worker.on('exit', () => finish('failed'));
    });
}
