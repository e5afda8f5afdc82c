/**
 * Property-based robustness of the editor features on broken text: the shipped examples,
 * mutated at random (lines deleted, duplicated or cut; tokens of the language inserted), then
 * every feature asked at random positions — hover, completion, go to definition, references,
 * document symbols, folding, formatting, semantic tokens, inlay hints, code lenses and code
 * actions. None may throw: a provider that throws leaves the user with an error instead of an
 * answer. Seeds are fixed; UINTR_FUZZ_SEED and UINTR_FUZZ_RUNS run others by hand.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { EmptyFileSystem, type LangiumDocument } from 'langium';
import { clearDocuments, parseHelper } from 'langium/test';
import { beforeAll, describe, expect, test } from 'vitest';
import { CancellationToken, type Diagnostic, type DocumentSymbol, type Position } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createPreludeDocument } from '../server/src/language/prelude-documents.js';
import { createUintrServices } from '../server/src/language/uintr-lsp-module.js';
import type * as ast from '../server/src/syntax/generated/ast.js';
import { ROOT } from './helpers.js';

const PRELUDE = { path: '/prelude/prelude.uintr', text: readFileSync(join(ROOT, 'server/src/kernel/prelude.uintr'), 'utf8') };
const { shared, Uintr } = createUintrServices(EmptyFileSystem, PRELUDE);
const parse = parseHelper<ast.File>(Uintr);

beforeAll(async () => {
    const prelude = createPreludeDocument(shared, PRELUDE);
    shared.workspace.LangiumDocuments.addDocument(prelude);
    await shared.workspace.DocumentBuilder.build([prelude], { validation: true });
});

const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter(f => f.endsWith('.uintr')).sort()
    .map(f => readFileSync(join(ROOT, 'examples', f), 'utf8'));

const TOKENS = [
    'switch', 'xsaves', 'xrstors', 'init', 'senduipi', 'wrmsr', 'IA32_UINTR_MISC', 'set', 'free', 'put', 'race', 'with', 'expect',
    'delivered', 'pending', 'not', 'gp', 'no lost', 'policy', 'extends', 'on', 'switch_in', 'return_to_user', 'if', 'else', 'take',
    'into', 'foreach', 'waiting', 'wake', 'cpu', 'cur', 'prev', 'next', 'rx', 'tx', 'kworker', 'nobody', 'cpu0', 'cpu1', 'cpu9',
    '.', ':', '{', '}', '(', ')', '=', '|=', '==', '<<', '~', '0xec', '3', '64', '0xecfoo', '"s', '//!', '/*', 'upid', 'xsave', 'pir',
];

type Mutation = { kind: 'delete' | 'duplicate' | 'cut'; i: number; at: number } | { kind: 'insert'; i: number; at: number; token: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constantFrom('delete' as const, 'duplicate' as const, 'cut' as const), i: fc.nat(), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), i: fc.nat(), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
);

function mutate(text: string, ms: readonly Mutation[]): string {
    let lines = text.split('\n');
    for (const m of ms) {
        if (lines.length === 0) break;
        const i = m.i % lines.length;
        const line = lines[i];
        const at = line.length ? m.at % (line.length + 1) : 0;
        if (m.kind === 'delete') lines = [...lines.slice(0, i), ...lines.slice(i + 1)];
        else if (m.kind === 'duplicate') lines = [...lines.slice(0, i + 1), line, ...lines.slice(i + 1)];
        else if (m.kind === 'cut') lines[i] = line.slice(0, at);
        else if (m.kind === 'insert') lines[i] = `${line.slice(0, at)} ${m.token} ${line.slice(at)}`;
    }
    return lines.join('\n');
}

const caseArb = fc.record({
    example: fc.nat({ max: EXAMPLES.length - 1 }),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
    offsets: fc.array(fc.nat(), { minLength: 3, maxLength: 6 }),
});

const OPTIONS = { seed: Number(process.env.UINTR_FUZZ_SEED ?? 11), numRuns: Number(process.env.UINTR_FUZZ_RUNS ?? 40) } as const;

/** What the features answered over a run (the property is only worth something if they answer). */
const answered = { hovers: 0, completions: 0, actions: 0, symbols: 0 };

/** Every feature at each position; throws what a provider threw. */
async function everything(doc: LangiumDocument<ast.File>, positions: readonly Position[]): Promise<void> {
    const textDocument = { uri: doc.uri.toString() };
    const lsp = Uintr.lsp;
    const token = CancellationToken.None;
    for (const position of positions) {
        if (await lsp.HoverProvider!.getHoverContent(doc, { textDocument, position })) answered.hovers++;
        if ((await lsp.CompletionProvider!.getCompletion(doc, { textDocument, position }))?.items.length) answered.completions++;
        await lsp.DefinitionProvider!.getDefinition(doc, { textDocument, position });
        await lsp.ReferencesProvider!.findReferences(doc, { textDocument, position, context: { includeDeclaration: true } });
        const range = { start: position, end: position };
        const diagnostics: Diagnostic[] = (doc.diagnostics ?? []).filter(d => d.range.start.line <= position.line && position.line <= d.range.end.line);
        if ((await lsp.CodeActionProvider!.getCodeActions(doc, { textDocument, range, context: { diagnostics } }, token))?.length) answered.actions++;
    }
    if ((await lsp.DocumentSymbolProvider!.getSymbols(doc, { textDocument })).length) answered.symbols++;
    await lsp.FoldingRangeProvider!.getFoldingRanges(doc, { textDocument });
    await lsp.Formatter!.formatDocument(doc, { textDocument, options: { tabSize: 2, insertSpaces: true } });
    await lsp.SemanticTokenProvider!.semanticHighlight(doc, { textDocument }, token);
    const end = doc.textDocument.positionAt(doc.textDocument.getText().length);
    await lsp.InlayHintProvider!.getInlayHints(doc, { textDocument, range: { start: { line: 0, character: 0 }, end } }, token);
    await lsp.CodeLensProvider!.provideCodeLens(doc, { textDocument }, token);
}

describe('robustness of the editor features on mutated examples', () => {
    test('no provider throws, anywhere in a broken file', async () => {
        await fc.assert(fc.asyncProperty(caseArb, async c => {
            const text = mutate(EXAMPLES[c.example], c.mutations);
            const doc = await parse(text, { validation: true });
            try {
                const positions = c.offsets.map(o => doc.textDocument.positionAt(text.length ? o % (text.length + 1) : 0));
                await expect(everything(doc, positions), text).resolves.toBeUndefined();
            } finally {
                await clearDocuments(shared, [doc]);
            }
        }), OPTIONS);
        for (const [feature, n] of Object.entries(answered)) expect(n, feature).toBeGreaterThan(5);
    });
});

describe('formatting a broken file', () => {
    /** The line's text without its spacing (what formatting may change), strings kept whole (one not closed runs to the end, where spaces go). */
    const ink = (line: string) => line.trimEnd().replace(/"(?:\\.|[^"\\])*"?|\s+/g, s => (s.startsWith('"') ? s : ''));

    test('moves nothing to another line, changes only spacing, and formatting again changes nothing', async () => {
        let changed = 0;
        await fc.assert(fc.asyncProperty(caseArb, async c => {
            const text = mutate(EXAMPLES[c.example], c.mutations);
            const doc = await parse(text, { validation: true });
            const again = { doc: undefined as LangiumDocument<ast.File> | undefined };
            try {
                const options = { tabSize: 2, insertSpaces: true };
                const edits = await Uintr.lsp.Formatter!.formatDocument(doc, { textDocument: { uri: doc.uri.toString() }, options });
                const formatted = TextDocument.applyEdits(doc.textDocument, edits);
                if (formatted !== text) changed++;
                const a = text.split('\n'), b = formatted.split('\n');
                expect(b.length, text).toBe(a.length);
                a.forEach((line, i) => expect(ink(b[i]), `line ${i + 1} of:\n${text}`).toBe(ink(line)));
                again.doc = await parse(formatted, { validation: true });
                const second = await Uintr.lsp.Formatter!.formatDocument(again.doc, { textDocument: { uri: again.doc.uri.toString() }, options });
                expect(TextDocument.applyEdits(again.doc.textDocument, second), `formatted twice:\n${formatted}`).toBe(formatted);
            } finally {
                await clearDocuments(shared, again.doc ? [doc, again.doc] : [doc]);
            }
        }), { ...OPTIONS, numRuns: Number(process.env.UINTR_FUZZ_RUNS ?? 60) });
        expect(changed).toBeGreaterThan(10);
    });
});

describe('what the features answer on a broken file keeps to the protocol', () => {
    test('ranges inside the document, symbols inside their ranges, semantic tokens in order and on their lines, completion edits at the position', async () => {
        const seen = { symbols: 0, tokens: 0, hints: 0, edits: 0, folds: 0, actions: 0 };
        await fc.assert(fc.asyncProperty(caseArb, async c => {
            const text = mutate(EXAMPLES[c.example], c.mutations);
            const doc = await parse(text, { validation: true });
            try {
                const lines = text.split('\n').map(l => l.replace(/\r$/, ''));
                const textDocument = { uri: doc.uri.toString() };
                const token = CancellationToken.None;
                const inDoc = (p: Position, what: string) => {
                    expect(p.line, `${what}: line of ${JSON.stringify(p)} in\n${text}`).toBeLessThan(lines.length);
                    expect(p.character, `${what}: character of ${JSON.stringify(p)} in\n${text}`).toBeLessThanOrEqual(lines[p.line].length);
                };
                const ordered = (r: { start: Position; end: Position }, what: string) => {
                    inDoc(r.start, what);
                    inDoc(r.end, what);
                    expect(r.start.line < r.end.line || (r.start.line === r.end.line && r.start.character <= r.end.character), `${what}: ${JSON.stringify(r)}`).toBe(true);
                };
                const within = (inner: { start: Position; end: Position }, outer: { start: Position; end: Position }) =>
                    doc.textDocument.offsetAt(outer.start) <= doc.textDocument.offsetAt(inner.start) && doc.textDocument.offsetAt(inner.end) <= doc.textDocument.offsetAt(outer.end);
                const walk = (symbols: DocumentSymbol[]) => {
                    for (const s of symbols) {
                        ordered(s.range, `symbol ${s.name}`);
                        ordered(s.selectionRange, `symbol ${s.name}'s name`);
                        expect(within(s.selectionRange, s.range), `symbol ${s.name}`).toBe(true);
                        expect(s.name.length, 'a symbol has a name').toBeGreaterThan(0);
                        for (const child of s.children ?? []) expect(within(child.range, s.range), `${child.name} in ${s.name}`).toBe(true);
                        seen.symbols++;
                        walk(s.children ?? []);
                    }
                };
                walk(await Uintr.lsp.DocumentSymbolProvider!.getSymbols(doc, { textDocument }) as DocumentSymbol[]);
                for (const f of await Uintr.lsp.FoldingRangeProvider!.getFoldingRanges(doc, { textDocument })) {
                    expect(f.startLine).toBeLessThanOrEqual(f.endLine);
                    expect(f.endLine).toBeLessThan(lines.length);
                    seen.folds++;
                }
                // semantic tokens: relative encoding, five numbers each, every token on one line and in order
                const tokenProvider = Uintr.lsp.SemanticTokenProvider!;
                const data = (await tokenProvider.semanticHighlight(doc, { textDocument }, token)).data;
                expect(data.length % 5).toBe(0);
                const types = Object.keys(tokenProvider.tokenTypes).length, modifiers = Object.keys(tokenProvider.tokenModifiers).length;
                let line = 0, char = 0;
                for (let i = 0; i < data.length; i += 5) {
                    const [dl, dc, length] = [data[i], data[i + 1], data[i + 2]];
                    expect(dl >= 0 && (dl > 0 || i === 0 || dc >= 0), `token ${i / 5} goes back`).toBe(true);
                    line += dl;
                    char = dl > 0 ? dc : char + dc;
                    expect(length, `token ${i / 5} has a length`).toBeGreaterThan(0);
                    // its type and modifiers are in the legend the server declared
                    expect(data[i + 3], `token ${i / 5}'s type`).toBeLessThan(types);
                    expect(data[i + 4], `token ${i / 5}'s modifiers`).toBeLessThan(1 << modifiers);
                    expect(line, `token ${i / 5}`).toBeLessThan(lines.length);
                    expect(char + length, `token ${i / 5} at ${line}:${char} ends past its line "${lines[line]}"`).toBeLessThanOrEqual(lines[line].length);
                    seen.tokens++;
                }
                const end = doc.textDocument.positionAt(text.length);
                for (const h of await Uintr.lsp.InlayHintProvider!.getInlayHints(doc, { textDocument, range: { start: { line: 0, character: 0 }, end } }, token) ?? []) {
                    inDoc(h.position, 'inlay hint');
                    seen.hints++;
                }
                for (const l of await Uintr.lsp.CodeLensProvider!.provideCodeLens(doc, { textDocument }, token) ?? []) ordered(l.range, 'code lens');
                for (const o of c.offsets) {
                    const position = doc.textDocument.positionAt(text.length ? o % (text.length + 1) : 0);
                    for (const item of (await Uintr.lsp.CompletionProvider!.getCompletion(doc, { textDocument, position }))?.items ?? []) {
                        const edit = item.textEdit;
                        if (!edit || !('range' in edit)) continue;
                        ordered(edit.range, `completion ${item.label}`);
                        // LSP: a completion's edit is on one line and contains the position asked at
                        expect(edit.range.start.line, `completion ${item.label}`).toBe(edit.range.end.line);
                        expect(within({ start: position, end: position }, edit.range), `completion ${item.label} at ${JSON.stringify(position)}: ${JSON.stringify(edit.range)}`).toBe(true);
                        seen.edits++;
                    }
                    // code actions: their edits inside the document, in order, none overlapping
                    const diagnostics = (doc.diagnostics ?? []).filter(d => d.range.start.line <= position.line && position.line <= d.range.end.line);
                    for (const a of await Uintr.lsp.CodeActionProvider!.getCodeActions(doc, { textDocument, range: { start: position, end: position }, context: { diagnostics } }, token) ?? []) {
                        if (!('edit' in a) || !a.edit?.changes) continue;
                        for (const [uri, edits] of Object.entries(a.edit.changes)) {
                            expect(uri, `${a.title} edits this document`).toBe(textDocument.uri);
                            const spans = edits.map(e => {
                                ordered(e.range, `code action ${a.title}`);
                                return [doc.textDocument.offsetAt(e.range.start), doc.textDocument.offsetAt(e.range.end)];
                            }).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
                            for (let k = 1; k < spans.length; k++) expect(spans[k][0] >= spans[k - 1][1], `${a.title}: edits overlap`).toBe(true);
                            seen.actions++;
                        }
                    }
                    const hover = await Uintr.lsp.HoverProvider!.getHoverContent(doc, { textDocument, position });
                    if (hover?.range) ordered(hover.range, 'hover');
                    for (const d of await Uintr.lsp.DefinitionProvider!.getDefinition(doc, { textDocument, position }) ?? []) {
                        if (d.targetUri === textDocument.uri) ordered(d.targetSelectionRange, 'definition');
                    }
                }
                for (const d of doc.diagnostics ?? []) ordered(d.range, `diagnostic ${d.message}`);
            } finally {
                await clearDocuments(shared, [doc]);
            }
        }), { ...OPTIONS, numRuns: Number(process.env.UINTR_FUZZ_RUNS ?? 60) });
        for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(20);
    });
});
