/**
 * End to end over stdio: the bundled language server (out/server.cjs) driven as an editor
 * drives it — diagnostics after open and save, hover, a quick fix that removes the #GP
 * when applied, inlay hints, code lens, and garbage that must not kill it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CodeAction, CodeLens, Diagnostic, Hover, InlayHint, TextEdit } from 'vscode-languageserver-protocol';
import { CancellationTokenSource, type CancellationToken } from 'vscode-jsonrpc/node';
import { ROOT } from './helpers.js';
import { LspClient } from './lsp-client.js';

const ws = mkdtempSync(join(tmpdir(), 'uintr-lsp-'));
const file = join(ws, 'xrstors-twice.uintr');
const uri = pathToFileURL(file).toString();
const text = readFileSync(join(ROOT, 'examples', 'xrstors-twice.uintr'), 'utf8');
writeFileSync(file, text);
let client: LspClient;

/** Resolves once pred() holds (polled every 20 ms), or rejects after timeoutMs. */
async function until(pred: () => boolean, timeoutMs = 10000): Promise<void> {
    for (const start = Date.now(); !pred(); await new Promise(r => setTimeout(r, 20))) {
        if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    }
}

function applyEdits(src: string, edits: TextEdit[]): string {
    const lines = src.split('\n');
    const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
    const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
    let out = src;
    for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
    return out;
}

beforeAll(async () => {
    client = new LspClient(ROOT);
    await client.initialize(pathToFileURL(ws).toString());
});

afterAll(async () => {
    await client.stop();
});

describe('language server over stdio', () => {
    let diags: Diagnostic[];

    test('publishes the emulator diagnostics on open, with code, severity and related information', async () => {
        diags = await client.openAndWait(uri, text, ds => ds.some(d => d.code === 'xrstors-gp'));
        const gp = diags.find(d => d.code === 'xrstors-gp')!;
        expect(gp.range.start.line).toBe(11);
        expect(gp.severity).toBe(1);
        expect(gp.message).toMatch(/XRSTORS rx would #GP: UINV is 0xec/);
        expect(gp.relatedInformation?.[0].location.range.start.line).toBe(9);
        expect(gp.relatedInformation?.[0].location.uri).toBe(uri);
    });

    test('publishes them again after didSave', async () => {
        const wait = client.waitDiagnostics(uri, ds => ds.some(d => d.code === 'xrstors-gp'));
        client.save(uri);
        const again = await wait;
        expect(again.map(d => d.code)).toEqual(diags.map(d => d.code));
    });

    test('a watched-file event for the unchanged file keeps the emulator diagnostics', async () => {
        let published: Diagnostic[] | undefined;
        const seen = client.waitDiagnostics(uri, ds => { published = ds; return true; });
        client.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri, type: 2 }] });
        await Promise.race([seen, new Promise(r => setTimeout(r, 1500))]);
        if (published) expect(published.map(d => d.code)).toContain('xrstors-gp');
        const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: 9, character: 2 } });
        expect(hover).toBeTruthy();
    });

    test('an edit keeps the emulator diagnostics where they were, marked stale, until the next save runs it again', async () => {
        const other = pathToFileURL(join(ws, 'stale.uintr')).toString();
        const opened = await client.openAndWait(other, text, ds => ds.some(d => d.code === 'xrstors-gp'));
        const gp = opened.find(d => d.code === 'xrstors-gp')!;
        expect((gp.data as { stale?: boolean } | undefined)?.stale).toBeUndefined();
        // a comment typed at the end: no run, the #GP stays, stale
        const edited = text + '// typing\n';
        const changed = client.waitDiagnostics(other);
        client.change(other, edited, 2);
        const kept = (await changed).find(d => d.code === 'xrstors-gp');
        expect(kept?.range).toEqual(gp.range);
        expect((kept!.data as { stale?: boolean }).stale).toBe(true);
        // the save runs the emulator: fresh again
        const saved = client.waitDiagnostics(other, ds => ds.some(d => d.code === 'xrstors-gp' && !(d.data as { stale?: boolean } | undefined)?.stale));
        client.save(other);
        await saved;
        // a save while the file has a static error: the emulator does not run, nothing of it is kept
        const broken = client.waitDiagnostics(other, ds => ds.some(d => d.code === 'syntax'));
        client.change(other, edited + 'cpu0: (((\n', 3);
        expect((await broken).some(d => d.code === 'xrstors-gp')).toBe(true); // kept while typing
        const gone = client.waitDiagnostics(other, ds => !ds.some(d => d.code === 'xrstors-gp'));
        client.save(other);
        expect((await gone).some(d => d.code === 'syntax')).toBe(true);
    });

    test('after an unsaved edit, a run-time semantic error shown stale is no static error: hover, inlay hints and the code lens still run the file', async () => {
        const u = pathToFileURL(join(ws, 'runtime-semantic.uintr')).toString();
        const src = 'task rx { handler 0x401000 }\ncpu0: exit\ncpu0: switch rx\n';
        const opened = await client.openAndWait(u, src, ds => ds.some(d => d.code === 'semantic'));
        expect(opened.find(d => d.code === 'semantic')!.range.start.line).toBe(1);
        const changed = client.waitDiagnostics(u);
        client.change(u, src + '// typing\n', 2);
        expect((await changed).some(d => d.code === 'semantic' && (d.data as { stale?: boolean }).stale === true)).toBe(true);
        const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri: u }, position: { line: 2, character: 1 } });
        const shown = JSON.stringify(hover?.contents);
        expect(shown).toContain('rx, user mode');
        expect(shown).not.toMatch(/Not emulated/);
        const hints = await client.request<InlayHint[] | null>('textDocument/inlayHint', { textDocument: { uri: u }, range: { start: { line: 0, character: 0 }, end: { line: 4, character: 0 } } });
        expect(hints?.length).toBeGreaterThan(0);
        const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: u } });
        expect(JSON.stringify(lenses)).not.toMatch(/not emulated/);
        client.close(u);
    });

    test('hover on a step shows UINV and the changed fields', async () => {
        const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: 9, character: 2 } });
        const md = (hover.contents as { value: string }).value;
        expect(md).toMatch(/\| UINV \| `0xec` \(was `0x0`\) \|/);
        expect(md).toContain('UIHANDLER');
    });

    test('hover on a task name shows its UPID and image', async () => {
        const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: 9, character: 15 } });
        const md = (hover.contents as { value: string }).value;
        expect(md).toContain('UPID at `0xffff888000100000`');
        expect(md).toContain('| ON | SN | NV | NDST | PIR |');
    });

    test('inlay hints show what each step changed', async () => {
        const hints = await client.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } } });
        const labels = hints.map(h => String(h.label));
        expect(labels.some(l => l.includes('UINV 0x0→0xec'))).toBe(true);
        expect(labels.some(l => l.includes('UINV 0xec→0x0'))).toBe(true);
    });

    test('code lens counts steps and faults and offers Compare policies', async () => {
        const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
        const titles = lenses.map(l => l.command?.title ?? '');
        expect(titles.some(t => /4 steps · 1 fault/.test(t))).toBe(true);
        expect(titles).toContain('Compare policies');
    });

    test('a quick fix for xrstors-gp removes the #GP when applied', async () => {
        const gp = diags.find(d => d.code === 'xrstors-gp')!;
        const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
            textDocument: { uri }, range: gp.range, context: { diagnostics: [gp], only: ['quickfix'] },
        });
        const fix = actions.find(a => a.isPreferred);
        expect(fix, JSON.stringify(actions.map(a => a.title))).toBeTruthy();
        const fixed = applyEdits(text, fix!.edit!.changes![uri]);
        const wait = client.waitDiagnostics(uri, ds => !ds.some(d => d.code === 'xrstors-gp'));
        client.change(uri, fixed, 2);
        client.save(uri);
        const after = await wait;
        expect(after.filter(d => d.severity === 1)).toEqual([]);
    });

    test('a stale diagnostic gets a quick fix only where the text as it is now still has it', async () => {
        const other = pathToFileURL(join(ws, 'stale-fix.uintr')).toString();
        const opened = await client.openAndWait(other, text, ds => ds.some(d => d.code === 'xrstors-gp'));
        const line = opened.find(d => d.code === 'xrstors-gp')!.range.start.line;
        const fixesFor = async (d: Diagnostic) => (await client.request<CodeAction[]>('textDocument/codeAction', {
            textDocument: { uri: other }, range: d.range, context: { diagnostics: [d], only: ['quickfix'] },
        })) ?? [];
        // two lines typed above the fault, not saved: the stale #GP moves down with its step (it
        // stayed on its line number, where the first XRSTORS, which does not fault, then was)
        const lines = text.split('\n');
        const moved = [...lines.slice(0, 4), '// one', '// two', ...lines.slice(4)].join('\n');
        let shown = client.waitDiagnostics(other, ds => ds.some(d => (d.data as { stale?: boolean } | undefined)?.stale === true));
        client.change(other, moved, 2);
        const staleMoved = (await shown).find(d => d.code === 'xrstors-gp')!;
        expect(staleMoved.range.start.line).toBe(line + 2);
        expect(moved.split('\n')[line + 2]).toBe(lines[line]);
        expect((await fixesFor(staleMoved)).some(a => a.isPreferred)).toBe(true);
        // the step itself edited too (its fault gone): among the lines the edits changed, it stays
        // on its line number, and no fix is offered there (the text as it is has no fault there)
        const edited = moved.split('\n').map((l, i) => (i === line + 2 ? 'cpu0: stui' : l)).join('\n');
        shown = client.waitDiagnostics(other, ds => ds.some(d => (d.data as { stale?: boolean } | undefined)?.stale === true));
        client.change(other, edited, 3);
        const staleEdited = (await shown).find(d => d.code === 'xrstors-gp')!;
        expect(staleEdited.range.start.line).toBe(line);
        expect(await fixesFor(staleEdited)).toEqual([]);
        // a comment typed at the end: the stale #GP is still where the fault is, and its fix removes it
        const after = text + '// typing\n';
        shown = client.waitDiagnostics(other, ds => ds.some(d => (d.data as { stale?: boolean } | undefined)?.stale === true));
        client.change(other, after, 4);
        const staleKept = (await shown).find(d => d.code === 'xrstors-gp')!;
        const fix = (await fixesFor(staleKept)).find(a => a.isPreferred);
        expect(fix).toBeTruthy();
        const fixed = applyEdits(after, fix!.edit!.changes![other]);
        const wait = client.waitDiagnostics(other, ds => !ds.some(d => d.code === 'xrstors-gp'));
        client.change(other, fixed, 5);
        client.save(other);
        expect((await wait).filter(d => d.severity === 1)).toEqual([]);
        client.close(other);
    });

    test('the built-in policies\' file, reached by go-to-definition, is not a scenario: the commands say so', async () => {
        const lines = text.split('\n');
        const at = lines.findIndex(l => /policy \w+/.test(l));
        const character = lines[at].indexOf('policy ') + 'policy '.length + 1;
        const defs = await client.request<{ uri?: string; targetUri?: string }[]>('textDocument/definition', { textDocument: { uri }, position: { line: at, character } });
        const prelude = defs[0].targetUri ?? defs[0].uri!;
        expect(prelude).toMatch(/prelude\.uintr$/);
        for (const method of ['uintr/trace', 'uintr/compare']) {
            const r = await client.request<{ text?: string; error?: string }>(method, { uri: prelude });
            expect(r.text).toBeUndefined();
            expect(r.error).toMatch(/built-in policies, not a scenario/);
            // parameters without a uri are refused as invalid, not failed on as an internal error
            for (const params of [null, {}, { uri: 5 }]) {
                await expect(client.request(method, params)).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('{ uri: string }') });
            }
        }
        // opened, edited without saving, closed: the shipped text again
        const shipped = readFileSync(join(ROOT, 'out', 'prelude.uintr'), 'utf8');
        client.open(prelude, shipped);
        client.change(prelude, shipped.replace('policy manual', 'policy manualEdited'), 2);
        const names = async () => (await client.request<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri: prelude } })).map(s => s.name);
        expect(await names()).toContain('manualEdited');
        client.close(prelude);
        let after: string[] = [];
        for (let i = 0; i < 50 && !after.includes('manual'); i++) {
            after = await names();
            if (!after.includes('manual')) await new Promise(r => setTimeout(r, 50));
        }
        expect(after).toContain('manual');
        expect(after).not.toContain('manualEdited');
    });

    test('garbage never kills the server: it still answers', async () => {
        const bad = pathToFileURL(join(ws, 'garbage.uintr')).toString();
        const ds = await client.openAndWait(bad, 'cpu0: ((((( \u0000 @@@ machine { task }} 0xfoo\n'.repeat(50), ds => ds.length > 0);
        expect(ds.every(d => d.code === 'syntax' || d.code === 'semantic' || d.data !== undefined || d.code === undefined)).toBe(true);
        await client.request('textDocument/hover', { textDocument: { uri: bad }, position: { line: 3, character: 4 } });
        await client.request('textDocument/codeAction', { textDocument: { uri: bad }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, context: { diagnostics: ds.slice(0, 3) } });
        await client.request('textDocument/hover', { textDocument: { uri: 'file:///nowhere.uintr' }, position: { line: 0, character: 0 } }).catch(() => undefined);
        const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: 9, character: 2 } });
        expect(hover).toBeTruthy();
    });

    test('deep nesting never kills the server: diagnostics for each file, and it still answers', async () => {
        // 900 levels overflow the server's stack however warm its parser is (300 did not always:
        // a warm server parsed 200); 5000 is refused before parsing
        for (const depth of [900, 5000]) {
            const deep = pathToFileURL(join(ws, `deep-${depth}.uintr`)).toString();
            const ds = await client.openAndWait(deep, `machine { policy manual }\nexpect ${'('.repeat(depth)}1${')'.repeat(depth)} == 2\n`, ds => ds.length > 0);
            // one syntax error, at the bracket that opens the deepest level (line 2, after "expect ")
            expect(ds.map(d => [d.code, d.range.start.line, d.range.start.character])).toEqual([['syntax', 1, 7 + depth - 1]]);
            expect(ds[0].message).toContain(`nested too deeply to parse here: ${depth} levels`);
        }
        // a chain of prefix operators recurses as deeply: said as such, where it starts (LSP audit)
        const tilde = pathToFileURL(join(ws, 'deep-tilde.uintr')).toString();
        const ds = await client.openAndWait(tilde, `machine { policy manual }\nexpect ${'~'.repeat(5000)}1 == 1\n`, ds => ds.length > 0);
        expect(ds.map(d => [d.code, d.range.start.line, d.range.start.character, d.message]))
            .toEqual([['syntax', 1, 7, 'nested too deeply to parse here: a chain of 5000 prefix operators (~, not)']]);
        const hover = await client.request<Hover>('textDocument/hover', { textDocument: { uri }, position: { line: 9, character: 2 } });
        expect(hover).toBeTruthy();
        // and the parser is whole again: a file after them is parsed and run as usual
        const after = pathToFileURL(join(ws, 'after-deep.uintr')).toString();
        expect((await client.openAndWait(after, 'machine { policy manual }\nexpect (((1))) == 2\n', ds => ds.length > 0)).map(d => d.code)).toEqual(['expect-failed']);
    });
});

describe('a stack overflow in the parser', () => {
    // Where the parser overflows depends on the stack and on how warm its code is. An overflow
    // left Langium's stack of unfinished nodes filled (every later parse failed: "Parser stack is
    // not empty after parsing", no diagnostics), or, caught in Chevrotain's recovery, came out as
    // a TypeError that failed the build. A small stack and a ramp of depths meet both.
    test('every file gets its diagnostics, deep or not, and files after an overflow are parsed as usual', async () => {
        const c = new LspClient(ROOT, {}, ['--stack-size=700']);
        try {
            await c.initialize(pathToFileURL(ws).toString());
            const seen = new Set<string>();
            for (let depth = 20; depth <= 260; depth += 12) {
                for (const [kind, expr] of [['paren', `${'('.repeat(depth)}1${')'.repeat(depth)}`], ['tilde', `${'~'.repeat(depth)}1`]]) {
                    const u = pathToFileURL(join(ws, `ramp-${kind}-${depth}.uintr`)).toString();
                    const ds = await c.openAndWait(u, `machine { policy manual }\nexpect ${expr} == 2\n`, ds => ds.length > 0);
                    const what = ds.map(d => (d.code === 'syntax' && String(d.message).startsWith('nested too deeply to parse here') ? 'too deep' : d.code));
                    expect(what, `${kind} ${depth}: ${ds.map(d => d.message).join('; ')}`).toSatisfy((w: unknown[]) => w.length === 1 && ['too deep', 'expect-failed'].includes(w[0] as string));
                    seen.add(what[0] as string);
                    const small = pathToFileURL(join(ws, `ramp-after-${kind}-${depth}.uintr`)).toString();
                    expect((await c.openAndWait(small, 'machine { policy manual }\nexpect (1 | ~0) == 2\n', ds => ds.length > 0)).map(d => d.code), `after ${kind} ${depth}`).toEqual(['expect-failed']);
                    c.close(u);
                    c.close(small);
                }
            }
            // the ramp reached the overflow
            expect([...seen].sort()).toEqual(['expect-failed', 'too deep']);
            // not nested but long (20,000 operators in a row also take the stack): said as such, not as "1 levels"
            const flat = pathToFileURL(join(ws, 'ramp-flat.uintr')).toString();
            const flatDs = await c.openAndWait(flat, `machine { policy manual }\nexpect ${Array(20_000).fill('1').join(' | ')} == 2\n`, ds => ds.length > 0);
            expect(flatDs.map(d => [d.code, d.range.start.line, String(d.message)])).toEqual([['syntax', 0,
                'the parser ran out of stack on this file (an expression too long for it here; `uintr check` takes it on a deeper stack)']]);
        } finally {
            await c.stop();
        }
    });
});

describe('the lifecycle (LSP 3.17, "Server lifecycle")', () => {
    test('a request before initialize is refused with ServerNotInitialized, and one after shutdown with InvalidRequest; between them the server serves', async () => {
        const c = new LspClient(ROOT);
        const hoverOf = (u: string) => c.request<Hover | null>('textDocument/hover', { textDocument: { uri: u }, position: { line: 0, character: 0 } });
        try {
            // sent before initialize: it used to wait for the workspace and then fail with "No document found"
            await expect(hoverOf(uri)).rejects.toMatchObject({ code: -32002, message: expect.stringContaining('not initialized') });
            // a notification before initialize is dropped: this open never happened
            const early = pathToFileURL(join(ws, 'opened-too-early.uintr')).toString();
            c.open(early, 'machine { policy manual }\nexpect 1 == 2\n');
            await c.initialize(pathToFileURL(ws).toString());
            await c.openAndWait(uri, text, ds => ds.some(d => d.code === 'xrstors-gp'));
            expect(await hoverOf(uri)).not.toBeUndefined();
            expect(c.published.filter(p => p.uri === early)).toEqual([]);
            expect(await c.request('shutdown', null)).toBeNull();
            await expect(hoverOf(uri)).rejects.toMatchObject({ code: -32600, message: expect.stringContaining('shut down') });
        } finally {
            await c.stop();
        }
    });
});

describe('malformed messages', () => {
    test('requests without what LSP says they must have are refused with InvalidParams (-32602) saying what is missing, not an internal error; the server serves on', async () => {
        const c = new LspClient(ROOT);
        try {
            await c.initialize(pathToFileURL(ws).toString());
            await c.openAndWait(uri, text, ds => ds.some(d => d.code === 'xrstors-gp'));
            const td = { uri };
            // each of these was answered -32603 "Cannot read properties of undefined (…)", or, the hover, null
            await expect(c.request('textDocument/references', { textDocument: td, position: { line: 0, character: 0 } }))
                .rejects.toMatchObject({ code: -32602, message: "invalid parameters of 'textDocument/references': context must be an object { includeDeclaration: boolean }" });
            await expect(c.request('textDocument/formatting', { textDocument: td }))
                .rejects.toMatchObject({ code: -32602, message: expect.stringContaining('options must be an object') });
            await expect(c.request('textDocument/documentSymbol', {})).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('textDocument.uri must be a string') });
            await expect(c.request('textDocument/hover', { textDocument: td })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('position must be') });
            const symbols = await c.request<unknown[]>('textDocument/documentSymbol', { textDocument: td });
            expect(symbols.length).toBeGreaterThan(0);
        } finally {
            await c.stop();
        }
    });

    test('the internal method of refusals, sent by a client, is a method the server lacks; a header without Content-Length makes the server say why and exit (it was deaf for good)', async () => {
        const c = new LspClient(ROOT);
        try {
            await c.initialize(pathToFileURL(ws).toString());
            await expect(c.request('$/uintr/refused', { code: -32700, message: 'forged' })).rejects.toMatchObject({ code: -32601 });
            await c.openAndWait(uri, text, ds => ds.some(d => d.code === 'xrstors-gp'));
            const exited = new Promise<number | null>(resolve => c.proc.on('exit', code => resolve(code)));
            c.proc.stdin.write('Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{"jsonrpc":"2.0","method":"foo/bar","params":{}}');
            expect(await exited).toBe(1);
            expect(c.stderr).toMatch(/uintr: the client sent a header without Content-Length; no later message can be read, so the server exits/);
        } finally {
            await c.stop();
        }
    });
});

describe('semantic tokens', () => {
    test('a request cancelled half way, or two at once, leave nothing in the next answer (each answer is its document\'s tokens, whole)', async () => {
        const c = new LspClient(ROOT);
        try {
            await c.initialize(pathToFileURL(ws).toString());
            const big = pathToFileURL(join(ws, 'tokens-big.uintr')).toString(), small = pathToFileURL(join(ws, 'tokens-small.uintr')).toString();
            const steps = Array.from({ length: 10_000 }, (_, i) => `cpu0: set rx.upid.pir = ${i}`).join('\n');
            await c.openAndWait(big, `machine { policy manual }\ntask rx { handler 1 }\n${steps}\n`, () => true);
            await c.openAndWait(small, 'machine { policy manual }\ntask rx { handler 1 }\ncpu0: switch rx\n', () => true);
            const full = (uri: string, token?: CancellationToken) => (token
                ? c.conn.sendRequest<{ data: number[] }>('textDocument/semanticTokens/full', { textDocument: { uri } }, token)
                : c.request<{ data: number[] }>('textDocument/semanticTokens/full', { textDocument: { uri } }));
            const [bigTokens, smallTokens] = [(await full(big)).data, (await full(small)).data];
            expect(bigTokens.length).toBeGreaterThan(10_000 * 5);
            for (let attempt = 0; attempt < 6; attempt++) {
                const source = new CancellationTokenSource();
                const cancelled = full(big, source.token).catch(() => undefined);
                setTimeout(() => source.cancel(), 5 + attempt * 10);
                await cancelled;
                expect((await full(big)).data, `after a request cancelled at ${5 + attempt * 10} ms`).toEqual(bigTokens);
            }
            const [a, b] = await Promise.all([full(big), full(small)]);
            expect(a.data).toEqual(bigTokens);
            expect(b.data).toEqual(smallTokens);
        } finally {
            await c.stop();
        }
    });
});

describe('files on disk', () => {
    test('a workspace file deleted, then reported changed (a client that merged the events): the server goes on building (every later build failed on it)', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'uintr-lsp-gone-'));
        writeFileSync(join(dir, 'old.uintr'), 'machine { cpus 1 }\n');
        const c = new LspClient(ROOT);
        try {
            await c.initialize(pathToFileURL(dir).toString());
            const first = pathToFileURL(join(dir, 'first.uintr')).toString();
            expect((await c.openAndWait(first, 'machine { policy manual }\nexpect 1 == 2\n')).map(d => d.code)).toEqual(['expect-failed']);
            rmSync(join(dir, 'old.uintr'));
            c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(join(dir, 'old.uintr')).toString(), type: 2 }] });
            const next = pathToFileURL(join(dir, 'next.uintr')).toString();
            expect((await c.openAndWait(next, 'machine { policy manual }\nexpect (1 | ~0) == 2\n')).map(d => d.code)).toEqual(['expect-failed']);
            const edited = c.waitDiagnostics(first, ds => ds.some(d => d.code === 'syntax'));
            c.change(first, 'machine { policy manual }\nexpect 1 == \n', 2);
            // (the emulator's finding stays till the next save, marked stale: decisions #20)
            expect((await edited).map(d => d.code)).toContain('syntax');
        } finally {
            await c.stop();
        }
    });
});

describe('what is shown after the emulator ran (decisions #20, #21)', () => {
    const gpLines = (ds: Diagnostic[]) => ds.filter(d => d.code === 'xrstors-gp').map(d => [d.range.start.line, (d.data as { stale?: boolean } | undefined)?.stale === true]);
    const gpLine = text.split('\n').findIndex(l => /^cpu0: xrstors/.test(l) && l.includes('//!'));

    test('a closed file changed on disk is run again: its findings move with the text (they were the old run\'s, at the old places, as fresh)', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'uintr-lsp-disk-'));
        const file = join(dir, 'on-disk.uintr');
        writeFileSync(file, text);
        const c = new LspClient(ROOT);
        try {
            await c.initialize(pathToFileURL(dir).toString());
            const u = pathToFileURL(file).toString();
            expect(gpLines(await c.openAndWait(u, text, ds => ds.some(d => d.code === 'xrstors-gp')))).toEqual([[gpLine, false]]);
            const closed = c.waitDiagnostics(u, ds => ds.some(d => d.code === 'xrstors-gp'));
            c.close(u);
            await closed;
            // another program writes three lines above: the fault is three lines lower
            writeFileSync(file, '// a line typed above\n'.repeat(3) + text);
            const moved = c.waitDiagnostics(u, ds => ds.some(d => d.code === 'xrstors-gp' && d.range.start.line === gpLine + 3));
            c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: u, type: 2 }] });
            expect(gpLines(await moved)).toEqual([[gpLine + 3, false]]);
            // broken on disk (a static error: nothing of the emulator), then mended: run again
            writeFileSync(file, text + 'cpu0: @@@\n');
            const broken = c.waitDiagnostics(u, ds => ds.some(d => d.code === 'syntax'));
            c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: u, type: 2 }] });
            expect(gpLines(await broken)).toEqual([]);
            writeFileSync(file, '// mended\n' + text);
            const mended = c.waitDiagnostics(u, ds => ds.some(d => d.code === 'xrstors-gp'));
            c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: u, type: 2 }] });
            expect(gpLines(await mended)).toEqual([[gpLine + 1, false]]);
        } finally {
            await c.stop();
        }
    });

    test('a settings change does not run an unsaved edit: its findings stay stale till the save (it published the edit\'s run as fresh)', async () => {
        const c = new LspClient(ROOT);
        try {
            await c.initialize(pathToFileURL(ws).toString());
            const u = pathToFileURL(join(ws, 'unsaved-settings.uintr')).toString();
            await c.openAndWait(u, text, ds => ds.some(d => d.code === 'xrstors-gp'));
            const edited = c.waitDiagnostics(u);
            c.change(u, '// not saved\n'.repeat(3) + text, 2);
            // stale, moved down with its step (decisions #20)
            expect(gpLines(await edited)).toEqual([[gpLine + 3, true]]);
            c.settings = { ...c.settings, defaultPolicy: 'eager' };
            c.conn.sendNotification('workspace/didChangeConfiguration', { settings: { uintr: c.settings } });
            await new Promise(r => setTimeout(r, 1500));
            expect(gpLines(c.published.filter(p => p.uri === u).at(-1)!.diagnostics)).toEqual([[gpLine + 3, true]]);
            // the save runs it, under the new default
            const saved = c.waitDiagnostics(u, ds => ds.some(d => d.code === 'xrstors-gp' && !(d.data as { stale?: boolean } | undefined)?.stale));
            c.save(u);
            expect(gpLines(await saved)).toEqual([[gpLine + 3, false]]);
        } finally {
            await c.stop();
        }
    });
});

describe('closing a document', () => {
    test('closed without saving: the diagnostics become those of the file on disk; a file not on disk has them cleared', async () => {
        const c = new LspClient(ROOT);
        try {
            await c.initialize(pathToFileURL(ws).toString());
            // on disk: XRSTORS twice (an xrstors-gp); in the editor, unsaved: clean
            const onDisk = join(ws, 'closed-unsaved.uintr');
            writeFileSync(onDisk, text);
            const u = pathToFileURL(onDisk).toString();
            const clean = text.split('\n').filter(l => !/xrstors/.test(l) || l.trim().startsWith('//')).join('\n');
            expect(await c.openAndWait(u, clean)).not.toContainEqual(expect.objectContaining({ code: 'xrstors-gp' }));
            const back = c.waitDiagnostics(u, ds => ds.some(d => d.code === 'xrstors-gp'));
            c.close(u);
            expect((await back).find(d => d.code === 'xrstors-gp')!.range.start.line).toBe(text.split('\n').findIndex(l => /^cpu0: xrstors/.test(l) && l.includes('//!')));
            // not on disk: cleared
            const nowhere = pathToFileURL(join(ws, 'never-saved.uintr')).toString();
            await c.openAndWait(nowhere, 'machine { cpus 1 }\ncpu0: xrstors nobody\n', ds => ds.some(d => d.code === 'semantic'));
            const cleared = c.waitDiagnostics(nowhere, ds => ds.length === 0);
            c.close(nowhere);
            expect(await cleared).toEqual([]);
        } finally {
            await c.stop();
        }
    });
});

describe('a closed file deleted and brought back', () => {
    test('deleted before the close\'s read of it or after, the file back on disk is run as a closed file changed on disk (the first order showed nothing)', async () => {
        const c = new LspClient(ROOT);
        const watched = (u: string, type: number) => c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: u, type }] });
        const cleanText = text.split('\n').filter(l => !/xrstors/.test(l) || l.trim().startsWith('//')).join('\n');
        try {
            await c.initialize(pathToFileURL(ws).toString());
            for (const order of ['delete at once', 'delete after the close\'s read']) {
                const onDisk = join(ws, `back-${order.length}.uintr`);
                const u = pathToFileURL(onDisk).toString();
                writeFileSync(onDisk, cleanText);
                expect(await c.openAndWait(u, cleanText)).not.toContainEqual(expect.objectContaining({ code: 'xrstors-gp' }));
                c.close(u);
                if (order !== 'delete at once') await new Promise(r => setTimeout(r, 1500));
                rmSync(onDisk);
                watched(u, 3);
                await new Promise(r => setTimeout(r, 1500));
                const back = c.waitDiagnostics(u, ds => ds.some(d => d.code === 'xrstors-gp'));
                writeFileSync(onDisk, text);
                watched(u, 1);
                expect((await back).map(d => d.code), order).toContain('xrstors-gp');
            }
        } finally {
            await c.stop();
        }
    });
});

describe('settings', () => {
    const roundTrip = 'machine { cpus 2 }\ntask rx { handler 0x401000 }\ntask tx { target rx vector 3 }\nkthread kworker\n'
        + 'cpu0: switch rx\ncpu1: switch tx\ncpu0: switch kworker\ncpu0: switch rx\ncpu1: senduipi 0\n';

    test('uintr.defaultPolicy applies to a file whose machine block names no policy', async () => {
        const c = new LspClient(ROOT);
        c.settings.defaultPolicy = 'lazy_fpu';
        try {
            await c.initialize(pathToFileURL(ws).toString());
            const u = pathToFileURL(join(ws, 'no-policy.uintr')).toString();
            // lazy_fpu skips the XRSTORS on the way back: the notification is lost (clean under linux_rfc)
            const ds = await c.openAndWait(u, roundTrip, ds => ds.some(d => d.code === 'notification-lost'));
            expect(ds.find(d => d.code === 'notification-lost')!.range.start.line).toBe(8);
            // the commands' tables run under it too, and the compare table marks it as the file's own
            const trace = await c.request<{ text: string }>('uintr/trace', { uri: u });
            expect(trace.text).toMatch(/under policy lazy_fpu:/);
            const compare = await c.request<{ text: string }>('uintr/compare', { uri: u });
            expect(compare.text).toMatch(/^lazy_fpu \*/m);
            expect(compare.text).not.toMatch(/^linux_rfc \*/m);
            // and so do the quick fixes' checks: 'Use policy linux_rfc' is offered (clean under it)
            const lost = ds.find(d => d.code === 'notification-lost')!;
            const actions = await c.request<{ title: string }[]>('textDocument/codeAction', { textDocument: { uri: u }, range: lost.range, context: { diagnostics: [lost] } });
            expect(actions.map(a => a.title)).toContain('Use policy linux_rfc (the scenario is clean under it)');
        } finally {
            await c.stop();
        }
    });

    test('an unknown uintr.defaultPolicy is said once, as a warning, and a file that does not define it runs under linux_rfc', async () => {
        const c = new LspClient(ROOT);
        c.settings.defaultPolicy = 'lazy_fp';
        try {
            await c.initialize(pathToFileURL(ws).toString());
            const u = pathToFileURL(join(ws, 'no-policy-typo.uintr')).toString();
            // linux_rfc re-arms UINV on the way back: clean
            const ds = await c.openAndWait(u, roundTrip, ds => ds.every(d => d.code !== 'notification-lost'));
            expect(ds.filter(d => d.severity === 1 || d.severity === 2)).toEqual([]);
            await until(() => c.messages.length > 0);
            expect(c.messages).toHaveLength(1);
            expect(c.messages[0].type).toBe(2); // Warning
            expect(c.messages[0].message).toMatch(/uintr\.defaultPolicy 'lazy_fp' is not a built-in policy .*linux_rfc/);
        } finally {
            await c.stop();
        }
    });

    test('a file opened before the settings arrive is emulated again under the default policy they name', async () => {
        const c = new LspClient(ROOT);
        c.settings.defaultPolicy = 'lazy_fpu';
        c.configDelayMs = 1500;
        try {
            await c.initialize(pathToFileURL(ws).toString());
            const u = pathToFileURL(join(ws, 'no-policy-early.uintr')).toString();
            const first = c.waitDiagnostics(u);
            const later = c.waitDiagnostics(u, ds => ds.some(d => d.code === 'notification-lost'));
            c.open(u, roundTrip);
            // first under the built-in default, linux_rfc: clean
            expect((await first).filter(d => d.severity === 1 || d.severity === 2)).toEqual([]);
            const ds = await later;
            expect(ds.find(d => d.code === 'notification-lost')!.range.start.line).toBe(8);
        } finally {
            await c.stop();
        }
    });
});

describe('requests right after opening', () => {
    /** The answer, or a rejection naming the request when none comes within 10 s. */
    const answered = <T>(name: string, p: Promise<T>): Promise<T> =>
        Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${name}: no answer within 10 s`)), 10000))]);

    test('requests sent right after didOpen, while the workspace folder is still being read, wait for the document and are all answered; also after its file is deleted on disk', async () => {
        const c = new LspClient(ROOT);
        try {
            await c.initialize(pathToFileURL(ws).toString());
            // no wait between the open and the requests: the update that adds the document is
            // still queued, and the settings that come meanwhile cancel the first build
            for (let round = 0; round < 3; round++) {
                const u = pathToFileURL(join(ws, `opened-just-now-${round}.uintr`)).toString();
                c.open(u, text);
                const [hover, symbols, lenses, hints, trace, compare] = await Promise.all([
                    answered('hover', c.request<Hover | null>('textDocument/hover', { textDocument: { uri: u }, position: { line: 9, character: 2 } })),
                    answered('documentSymbol', c.request<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri: u } })),
                    answered('codeLens', c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: u } })),
                    answered('inlayHint', c.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri: u }, range: { start: { line: 0, character: 0 }, end: { line: 40, character: 0 } } })),
                    answered('uintr/trace', c.request<{ text?: string; error?: string }>('uintr/trace', { uri: u })),
                    answered('uintr/compare', c.request<{ text?: string; error?: string }>('uintr/compare', { uri: u })),
                ]);
                expect(trace.error).toBeUndefined();
                expect(trace.text).toMatch(/xrstors/);
                expect(compare.error).toBeUndefined();
                expect(compare.text).toMatch(/linux_rfc/);
                expect(JSON.stringify(hover?.contents)).toMatch(/UINV/);
                expect(symbols.map(s => s.name)).toContain('rx');
                expect(lenses.length).toBeGreaterThan(0);
                expect(hints.length).toBeGreaterThan(0);
            }
            // its file deleted on disk while it is open (a watched-file event): the editor's text
            // stays the document, requests on it are answered, its diagnostics stay
            const onDisk = join(ws, 'deleted-while-open.uintr');
            writeFileSync(onDisk, text);
            const d = pathToFileURL(onDisk).toString();
            await c.openAndWait(d, text, ds => ds.some(x => x.code === 'xrstors-gp'));
            const publishedFor = () => c.published.filter(p => p.uri === d);
            const before = publishedFor().length;
            rmSync(onDisk);
            c.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: d, type: 3 }] });
            const after = await answered('hover after the deletion', c.request<Hover | null>('textDocument/hover', { textDocument: { uri: d }, position: { line: 9, character: 2 } }));
            expect(JSON.stringify(after?.contents)).toMatch(/UINV/);
            expect((await answered('documentSymbol after the deletion', c.request<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri: d } }))).map(s => s.name)).toContain('rx');
            // built again from the editor's text: published again, the emulator's diagnostics kept
            await until(() => publishedFor().length > before);
            expect(publishedFor().at(-1)!.diagnostics.map(x => x.code)).toContain('xrstors-gp');
            // a scenario under another name (X.UINTR), shown as uintr then closed, is dropped: the
            // workspace's builds go on (they all failed on it), a file opened next is answered
            const foreign = join(ws, 'SHOUTED.UINTR');
            writeFileSync(foreign, text);
            const f = pathToFileURL(foreign).toString();
            c.open(f, text);
            await answered('documentSymbol of SHOUTED.UINTR', c.request('textDocument/documentSymbol', { textDocument: { uri: f } }));
            c.close(f);
            const next = pathToFileURL(join(ws, 'after-the-foreign-one.uintr')).toString();
            const published = c.waitDiagnostics(next, ds => ds.some(x => x.code === 'xrstors-gp'));
            c.open(next, text);
            expect((await answered('documentSymbol after it', c.request<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri: next } }))).map(s => s.name)).toContain('rx');
            await answered('diagnostics after it', published);
            // opened, closed and opened again at once with other text (a test reusing one file):
            // the file read on the close must not pass for the editor's text
            const scenario = (name: string) => `machine { policy manual }\ntask ${name} { handler 0x401000 }\ncpu0: xrstors ${name}\n`;
            for (let round = 0; round < 8; round++) {
                const reused = join(ws, `reused-${round}.uintr`);
                writeFileSync(reused, scenario('onDisk'));
                const r = pathToFileURL(reused).toString();
                c.open(r, scenario('textX'));
                void c.request('textDocument/documentSymbol', { textDocument: { uri: r } }).catch(() => undefined);
                c.close(r);
                void c.request('textDocument/documentSymbol', { textDocument: { uri: r } }).catch(() => undefined);
                c.open(r, scenario('textY'), 2);
                const names = (await answered('documentSymbol after reopening', c.request<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri: r } }))).map(x => x.name);
                expect(names, `round ${round}`).toEqual(['textY']);
            }
            // a document of another language (a client that sends every open file) is left alone
            const notes = pathToFileURL(join(ws, 'notes.txt')).toString();
            c.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: notes, languageId: 'plaintext', version: 1, text: 'not a scenario\n' } });
            const later = pathToFileURL(join(ws, 'after-the-notes.uintr')).toString();
            c.open(later, text);
            expect((await answered('documentSymbol beside an open plaintext file', c.request<{ name: string }[]>('textDocument/documentSymbol', { textDocument: { uri: later } }))).map(s => s.name)).toContain('rx');
            // and a request about it is answered (an error: no service takes it)
            await expect(answered('hover on the plaintext file', c.request('textDocument/hover', { textDocument: { uri: notes }, position: { line: 0, character: 0 } })))
                .rejects.toThrow(/No document found/);
            // a document the editor never opened and the workspace does not hold still fails at once
            await expect(answered('hover', c.request('textDocument/hover', { textDocument: { uri: pathToFileURL(join(ws, 'never-opened.uintr')).toString() }, position: { line: 0, character: 0 } })))
                .rejects.toThrow(/No document found/);
        } finally {
            await c.stop();
        }
    });
});
