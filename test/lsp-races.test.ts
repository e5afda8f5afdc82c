/**
 * Races in the language server, over stdio: exploration runs off the request path (hovers are
 * answered while it goes on), reports progress, is dropped when the document changes, and is
 * bounded by the editor's time limit, which it reports as information.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import type { Diagnostic, Hover } from 'vscode-languageserver-protocol';
import { ROOT } from './helpers.js';
import { LspClient } from './lsp-client.js';
import { ring as ringText, ringLines } from '../bench/ring.mjs';

const ws = mkdtempSync(join(tmpdir(), 'uintr-lsp-races-'));
let client: LspClient | undefined;

afterEach(async () => {
    await client?.stop();
    client = undefined;
});

/** ring(N, L) of bench/ring.mjs under a policy, with one `expect no lost` after the race. */
function ring(n: number, l: number, policy: string): string {
    return ringText(n, l, { policy, expects: 1 });
}

/**
 * Opens ring(3, 3) under linux_rfc as `name` and waits for the information diagnostic whose
 * message matches `why`; checks that it is the race's, on the race line, and returns it.
 */
async function stoppedRace(c: LspClient, name: string, why: RegExp, timeoutMs: number, text = ring(3, 3, 'linux_rfc')): Promise<Diagnostic> {
    const uri = pathToFileURL(join(ws, name)).toString();
    const isIt = (d: Diagnostic): boolean => d.severity === 3 && why.test(String(d.message));
    const info = (await c.openAndWait(uri, text, ds => ds.some(isIt), timeoutMs)).find(isIt)!;
    expect(info.code).toBe('race-counterexample');
    expect(info.range.start.line).toBe(text.split('\n').findIndex(l => l.startsWith('race')));
    return info;
}

const RACE_LINE = 3 * 3 + 3 + 1; // 0-based line of `race` in ring(3, ·, ·): machine, 9 declarations, 3 switches

async function start(settings: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<LspClient> {
    const c = new LspClient(ROOT, env);
    Object.assign(c.settings, settings);
    await c.initialize(pathToFileURL(ws).toString());
    return c;
}

/** Resolves when `pred` holds (polled), rejects after 10 s. */
function until(pred: () => boolean, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => { clearInterval(poll); reject(new Error(`timed out waiting: ${what}`)); }, 10_000);
        const poll = setInterval(() => {
            if (!pred()) return;
            clearInterval(poll);
            clearTimeout(deadline);
            resolve();
        }, 20);
    });
}

const hasRace = (ds: Diagnostic[]): boolean => ds.some(d => d.code === 'race-counterexample' && d.severity === 1);

// The bundled server explores in a worker thread; without it (UINTR_EXPLORE_IN_THREAD=1, or no
// out/explore-worker.cjs) it explores on its own thread. Both must behave the same.
const WHERE: [string, Record<string, string>][] = [
    ['in a worker thread', {}],
    ['on the server\'s thread', { UINTR_EXPLORE_IN_THREAD: '1' }],
];

describe.each(WHERE)('race exploration in the language server, %s', (_how, env: Record<string, string>) => {
    test('while a saved file\'s race is explored again, its earlier finding stays (stale), also when an edit drops the exploration', async () => {
        client = await start({}, env);
        const uri = pathToFileURL(join(ws, 'ring-stale.uintr')).toString();
        const text = ring(3, 2, 'lazy_fpu');
        const found = client.waitDiagnostics(uri, hasRace);
        client.open(uri, text);
        await found;
        // an edit, then its save: the first publish (before the exploration ends) keeps the
        // race's finding, stale
        const kept = client.waitDiagnostics(uri);
        client.change(uri, text + '// one\n', 2);
        await kept;
        const saved = client.waitDiagnostics(uri);
        client.save(uri);
        const during = await saved;
        const stale = during.find(d => d.code === 'race-counterexample' && d.severity === 1);
        expect(stale, JSON.stringify(during.map(d => d.code))).toBeTruthy();
        expect((stale!.data as { stale?: boolean }).stale).toBe(true);
        // an edit right away drops the exploration: the finding is still there, stale
        const edited = client.waitDiagnostics(uri);
        client.change(uri, text + '// two\n', 3);
        const after = await edited;
        expect(after.some(d => d.code === 'race-counterexample' && (d.data as { stale?: boolean }).stale === true)).toBe(true);
    }, 30_000);

    test('between saves a hover or lens explores the unsaved text for itself only; closing unsaved explores the file on disk and publishes it (LSP audit)', async () => {
        client = await start({}, env);
        const c = client;
        const file = join(ws, `ring-close-${env.UINTR_EXPLORE_IN_THREAD ? 'thread' : 'worker'}.uintr`);
        const text = ring(3, 2, 'lazy_fpu');
        writeFileSync(file, text);
        const uri = pathToFileURL(file).toString();
        await c.openAndWait(uri, text, hasRace, 60_000);
        const ends = () => c.progress.filter(p => p.value.kind === 'end').length;
        await until(() => ends() === 1, 'the first exploration ends');
        // an edit, not saved: the finding stays, stale
        const kept = c.waitDiagnostics(uri);
        c.change(uri, text + '// unsaved\n', 2);
        await kept;
        const sinceEdit = c.published.length;
        // the editor asks for lenses and a hover: the unsaved text is run and its race explored
        await c.request('textDocument/codeLens', { textDocument: { uri } });
        await c.request('textDocument/hover', { textDocument: { uri }, position: { line: RACE_LINE, character: 1 } });
        await until(() => ends() === 2, 'the unsaved text\'s exploration ends');
        await new Promise(r => setTimeout(r, 300));
        const after = c.published.slice(sinceEdit).filter(p => p.uri === uri);
        for (const p of after) {
            for (const d of p.diagnostics.filter(x => x.code === 'race-counterexample')) expect((d.data as { stale?: boolean }).stale).toBe(true);
        }
        // closed without saving: the file on disk is explored again and published, fresh
        const fresh = c.waitDiagnostics(uri, ds => ds.some(d => d.code === 'race-counterexample' && d.severity === 1 && !(d.data as { stale?: boolean } | undefined)?.stale), 60_000);
        c.close(uri);
        expect((await fresh).find(d => d.code === 'race-counterexample')!.range.start.line).toBe(RACE_LINE);
    }, 90_000);

    test('a large race is explored in the background: a hover is answered while it runs, progress is reported, and its counterexample is published at the end', async () => {
        client = await start({}, env);
        const uri = pathToFileURL(join(ws, 'ring-lazy.uintr')).toString();
        const text = ring(3, 2, 'lazy_fpu');
        const first = client.waitDiagnostics(uri);
        const final = client.waitDiagnostics(uri, hasRace, 60_000);
        client.open(uri, text);
        const before = await first;
        expect(hasRace(before)).toBe(false);
        // the server answers while the exploration goes on
        const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: RACE_LINE, character: 1 } });
        const md = (hover.contents as { value: string }).value;
        expect(md, md).toMatch(/Exploring in the background: race 1 of 1, \d+ distinct states so far/);
        expect(client.published.some(p => p.uri === uri && hasRace(p.diagnostics))).toBe(false);
        const after = await final;
        const d = after.find(x => x.code === 'race-counterexample')!;
        expect(d.range.start.line).toBe(RACE_LINE);
        // on the race's first line, to its end: a position within the protocol's uinteger
        expect(d.range.end).toEqual({ line: RACE_LINE, character: text.split('\n')[RACE_LINE].length });
        expect(d.relatedInformation!.length).toBeGreaterThan(3);
        const kinds = client.progress.map(p => p.value.kind);
        expect(kinds[0]).toBe('begin');
        expect(client.progress[0].value.title).toMatch(/exploring races in ring-lazy\.uintr/);
        expect(kinds).toContain('end');
        expect(client.stderr).not.toMatch(/exploration worker failed/);
        // and the hover on the race now gives the counts
        const done = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: RACE_LINE, character: 1 } });
        expect((done.contents as { value: string }).value).toMatch(/interleavings? explored .* distinct states/);
    }, 90_000);

    test('cancelled in the editor (the progress\'s Cancel): the race says how far it got, and the next save explores it again (a save reused the cut run as if complete; a worker\'s states were not counted)', async () => {
        client = await start({}, env);
        const c = client;
        const uri = pathToFileURL(join(ws, `ring-cancel-${env.UINTR_EXPLORE_IN_THREAD ? 'thread' : 'worker'}.uintr`)).toString();
        const isCancelled = (d: Diagnostic) => d.code === 'race-counterexample' && d.severity === 3 && /cancelled in the editor/.test(String(d.message));
        const cancelled = c.waitDiagnostics(uri, ds => ds.some(isCancelled), 30_000);
        c.open(uri, ring(3, 3, 'linux_rfc')); // over a million states: seconds to explore
        const begins = () => c.progress.filter(p => p.value.kind === 'begin');
        // cancelled once the progress says it is past 10,000 states
        const statesSoFar = () => Math.max(0, ...c.progress.map(p => Number(/([\d,]+) states/.exec(p.value.message ?? '')?.[1].replace(/,/g, '') ?? 0)));
        await until(() => statesSoFar() >= 10_000, 'the exploration to pass 10,000 states');
        const seen = statesSoFar();
        c.conn.sendNotification('window/workDoneProgress/cancel', { token: begins()[0].token });
        const info = (await cancelled).find(isCancelled)!;
        expect(info.range.start.line).toBe(RACE_LINE);
        const m = /^the search stopped at (\d+) states: the exploration was cancelled in the editor \(saving the file explores it again\); interleavings beyond them were not explored; 64 interleavings drawn at random were run to their end$/.exec(String(info.message));
        expect(m, String(info.message)).toBeTruthy();
        expect(Number(m![1])).toBeGreaterThanOrEqual(seen);
        // saved (no edit): explored again
        c.save(uri);
        await until(() => begins().length === 2, 'a second exploration');
    }, 90_000);

    test('an edit drops the exploration of the old version: it ends and publishes nothing', async () => {
        client = await start({}, env);
        const uri = pathToFileURL(join(ws, 'ring-edit.uintr')).toString();
        // about ten seconds of exploration to the bound on states if nothing stopped it
        const text = ring(3, 3, 'linux_rfc');
        await client.openAndWait(uri, text);
        await until(() => client!.progress.some(p => p.value.kind === 'begin'), 'progress begins');
        const edited = text.replace(/race \{[\s\S]*$/, 'expect no lost\n');
        const edit = Date.now();
        client.change(uri, edited, 2);
        // the old exploration notices the new version at its next slice and ends its progress:
        // far sooner than the whole exploration would take (a wide margin, not a benchmark)
        await until(() => client!.progress.some(p => p.value.kind === 'end'), 'progress ends after the edit');
        expect(Date.now() - edit).toBeLessThan(5000);
        // nothing of the old version is published afterwards
        await new Promise(r => setTimeout(r, 1000));
        expect(client.published.some(p => p.uri === uri && p.diagnostics.some(d => d.code === 'race-counterexample'))).toBe(false);
    }, 30_000);

    test('the editor\'s time bound stops a long exploration with an information diagnostic on the race', async () => {
        client = await start({ raceTimeLimit: 1 }, env);
        // ring 3 x 3 under linux_rfc, but with a hook whose condition names a task (it changes
        // nothing): no footprint is bounded, so neither the reduction nor the transition cache
        // applies, and the search takes seconds to reach the 200,000-state bound (with them, it
        // reaches it in well under the second)
        const lines = ringLines(3, 3, { policy: 'slow', expects: 1 });
        lines.splice(lines.findIndex(l => l.startsWith('cpu0: switch')), 0, 'policy slow extends linux_rfc { on switch_in { if r0.upid.sn == 5 { } } }');
        const info = await stoppedRace(client, 'ring-rfc.uintr', /time bound/, 30_000, lines.join('\n') + '\n');
        expect(info.message).toMatch(/the search stopped at \d+ states: the editor's time bound of 1 s/);
    }, 40_000);
});

describe('race exploration in a worker that runs out of memory', () => {
    test('the race gets an information diagnostic saying so, and the server keeps serving', async () => {
        client = await start({}, { UINTR_EXPLORE_WORKER_HEAP_MB: '24' });
        const uri = pathToFileURL(join(ws, 'ring-oom.uintr')).toString();
        await stoppedRace(client, 'ring-oom.uintr', /ran out of memory/, 60_000);
        const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: RACE_LINE, character: 1 } });
        expect((hover.contents as { value: string }).value).toMatch(/distinct states/);
    }, 90_000);
});

describe.each(WHERE)('the commands\' tables (uintr/compare, uintr/trace), %s', (_how, env: Record<string, string>) => {
    test('compare gives every built-in policy\'s verdict and trace the race\'s counterexample, as the CLI prints them', async () => {
        client = await start({}, env);
        const uri = pathToFileURL(join(ws, 'ring-commands.uintr')).toString();
        const text = ring(2, 3, 'lazy_fpu'); // about 2,600 states per policy: compare takes well over 50 ms
        await client.openAndWait(uri, text);
        const compare = await client.request<{ text: string }>('uintr/compare', { uri });
        for (const p of ['manual', 'eager', 'lazy_fpu', 'linux_rfc', 'independent', 'tglx']) expect(compare.text).toMatch(new RegExp(`^${p}\\b`, 'm'));
        expect(compare.text).toMatch(/^lazy_fpu \*.*race-counterexample@/m);
        const trace = await client.request<{ text: string }>('uintr/trace', { uri });
        expect(trace.text).toMatch(/under policy lazy_fpu/);
        expect(trace.text).toMatch(/counterexample/i);
        expect(client.stderr).not.toMatch(/worker failed/);
        // seven runs with their races: slower than 50 ms, so the server logs it with its time
        expect(client.logs.some(l => /^uintr: slow uintr\/compare: \d+ ms$/.test(l)), client.logs.join('\n')).toBe(true);
    }, 60_000);
});
