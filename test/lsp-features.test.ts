/**
 * The language server's editor features, in process, through Langium's `langium/test`
 * helpers: hover (steps, kernel actions, tasks, MSR values, policies, hooks, declarations),
 * completion, go to definition (into the prelude too), references, document symbols, folding,
 * formatting, and the quick fixes and source action of the code-action provider, each fix
 * applied and re-checked with the emulator.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmptyFileSystem, GrammarUtils, URI, type BuildOptions, type LangiumDocument } from 'langium';
import {
    clearDocuments, expectCompletion, expectFindReferences, expectFoldings, expectFormatting, expectGoToDefinition,
    expectHover, expectSemanticToken, expectSymbols, highlightHelper, parseHelper, replaceIndices, textDocumentPositionParams,
} from 'langium/test';
import { beforeAll, describe, expect, test } from 'vitest';
import { CodeAction, CodeActionTriggerKind, MarkupContent, SemanticTokenTypes, SymbolKind, type CompletionList, type Diagnostic, type DocumentSymbol } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { EMULATION_CATEGORY } from '../server/src/language/emulation.js';
import { FIX_CHECK_MAX_STATES } from '../server/src/language/fix-checker.js';
import { RECHECK_MAX_ITEMS } from '../server/src/language/code-action-provider.js';
import { inNumberPlace, namePlace } from '../server/src/language/completion-provider.js';
import { createPreludeDocument } from '../server/src/language/prelude-documents.js';
import { createUintrServices } from '../server/src/language/uintr-lsp-module.js';
import * as ast from '../server/src/syntax/generated/ast.js';
import { annotations, check, ROOT } from './helpers.js';

const PRELUDE = { path: '/prelude/prelude.uintr', text: readFileSync(join(ROOT, 'server/src/kernel/prelude.uintr'), 'utf8') };
const PRELUDE_URI = URI.file(PRELUDE.path).toString();
const BUILTIN = ['manual', 'eager', 'lazy_fpu', 'linux_rfc', 'independent', 'tglx'];

const { shared, Uintr } = createUintrServices(EmptyFileSystem, PRELUDE);
const parse = parseHelper<ast.File>(Uintr);
let prelude: LangiumDocument<ast.File>;

beforeAll(async () => {
    prelude = createPreludeDocument(shared, PRELUDE);
    shared.workspace.LangiumDocuments.addDocument(prelude);
    await shared.workspace.DocumentBuilder.build([prelude], { validation: true });
});

const example = (name: string) => readFileSync(join(ROOT, 'examples', `${name}.uintr`), 'utf8');
const errorsOf = (doc: LangiumDocument) => (doc.diagnostics ?? []).filter(d => d.severity === 1);
/** The text without its `//!` annotations (so a fix or the annotate action has work to do). */
const stripAnnotations = (text: string) => text.split('\n').map(l => l.replace(/\s*\/\/!.*$/, '')).join('\n');

/** The hover's Markdown at the `<|>` marker of a clean scenario (validated first). */
async function hoverAt(marked: string): Promise<string> {
    const { output, indices } = replaceIndices({ text: marked });
    const doc = await parse(output, { validation: true });
    try {
        expect(errorsOf(doc), 'the scenario must have no static error').toEqual([]);
        const hover = await Uintr.lsp.HoverProvider!.getHoverContent(doc, textDocumentPositionParams(doc, indices[0]));
        return hover && MarkupContent.is(hover.contents) ? hover.contents.value : '';
    } finally {
        await clearDocuments(shared, [doc]);
    }
}

/** The labels completion offers at the `<|>` marker. */
async function completionAt(marked: string): Promise<string[]> {
    let labels: string[] = [];
    await expectCompletion(Uintr)({
        text: marked, index: 0, disposeAfterCheck: true,
        assert: (list: CompletionList) => { labels = list.items.map(i => i.label); },
    });
    return labels;
}

// ---------------------------------------------------------------------------------------
describe('hover', () => {
    const LAZY = example('kthread-roundtrip-lazy');
    /** The example with a `<|>` marker inserted at column `col` of 0-based line `line`. */
    const mark = (text: string, line: number, col: number) => {
        const lines = text.split('\n');
        lines[line] = lines[line].slice(0, col) + '<|>' + lines[line].slice(col);
        return lines.join('\n');
    };

    test('on a step: the CPU registers after it, changed ones with "(was …)", unchanged ones without', async () => {
        // line 15 `cpu0: switch rx` under lazy_fpu: XRSTORS rx loads its image
        await expectHover(Uintr)({
            text: mark(LAZY, 14, 1), index: 0, parseOptions: { validation: true }, disposeAfterCheck: true,
            hover: /\| UINV \| `0xec` \(was `0x0`\) \|/,
        });
        const md = await hoverAt(mark(LAZY, 14, 1));
        expect(md).toContain('**cpu0** after `cpu0: switch rx` — rx, user mode (policy lazy_fpu)');
        expect(md).toContain('| UIHANDLER | `0x401000` (was `0x0`) |');
        expect(md).toContain('| UISTACKADJUST | `0x80` (was `0x0`) |');
        expect(md).toContain('| UPIDADDR | `0xffff888000100000` (was `0x0`) |');
        expect(md).toContain('| UIF | `0x1` (was `0x0`) |');
        expect(md).toMatch(/\| UIRR \| `0x0` \|\n/); // unchanged: no "(was …)"
        expect(md).toMatch(/\| UITTADDR \| `0x0` \|\n/);
    });

    test('on a kernel action: the instructions its policy ran (lazy_fpu: switch to a kthread XSAVES)', async () => {
        const md = await hoverAt(mark(LAZY, 16, 8)); // cpu0: switch kworker
        expect(md).toContain('**cpu0** after `cpu0: switch kworker` — kworker, kernel mode (policy lazy_fpu)');
        expect(md).toContain('| UINV | `0x0` (was `0xec`) |');
        expect(md).toContain('**lazy_fpu** ran, in order:');
        expect(md).toMatch(/1\. `xsaves prev` — lazy_fpu\.switch_out\n/);
        expect(md).not.toMatch(/2\. /);
    });

    test('on a kernel action that ran nothing: the lazy path back to the task skips XRSTORS', async () => {
        const md = await hoverAt(mark(LAZY, 17, 8)); // the second cpu0: switch rx
        expect(md).toContain('**lazy_fpu** ran no instruction here.');
        expect(md).toMatch(/\| UINV \| `0x0` \|\n/);
        expect(md).not.toContain('(was');
    });

    test('on a kernel action under linux_rfc: the re-arming WRMSR and the UPID writes, in order', async () => {
        const rfc = LAZY.replace('policy lazy_fpu', 'policy linux_rfc');
        const md = await hoverAt(mark(rfc, 17, 8));
        expect(md).toContain('**linux_rfc** ran, in order:');
        expect(md).toContain('1. `wrmsr IA32_UINTR_MISC cpu.uittsz | uinv << 32` — linux_rfc.return_to_user\n'
            + '2. `set cur.upid.ndst = cpu` — linux_rfc.return_to_user\n'
            + '3. `set cur.upid.sn = 0` — linux_rfc.return_to_user');
        expect(md).toContain('| UINV | `0xec` (was `0x0`) |');
        expect(md).toContain('`rx.upid.sn` 0x1→0x0');
    });

    test('"Also changed" lists only fields whose value changed', async () => {
        // under linux_rfc the senduipi posts to PIR, the IPI moves it to UIRR and the handler
        // runs: PIR, ON, UIRR and UIF end where they started
        const rfc = LAZY.replace('policy lazy_fpu', 'policy linux_rfc');
        const md = await hoverAt(mark(rfc, 18, 8)); // cpu1: senduipi 0
        expect(md).toContain('**cpu1** after `cpu1: senduipi 0`');
        const also = /Also changed: (.*)/.exec(md)?.[1] ?? '';
        const listed = [...also.matchAll(/`([^`]+)` (0x[0-9a-f]+)→(0x[0-9a-f]+)/g)];
        for (const [, path, from, to] of listed) expect(from, `${path} is listed as changed: ${from}→${to}`).not.toBe(to);
    });

    test('"(was …)" marks only registers whose value changed', async () => {
        // a receiver that sends to itself: UIF goes 1→0→1 and UIRR 0→8→0 on its own CPU
        const self = await hoverAt('task rx { handler 0x401000 target rx vector 3 }\ncpu0: switch rx\ncpu0: sen<|>duipi 0\nexpect delivered rx 3\n');
        expect(self).toContain('**cpu0** after `cpu0: senduipi 0`');
        for (const [, label, value, was] of self.matchAll(/\| (\w+) \| `(0x[0-9a-f]+)` \(was `(0x[0-9a-f]+)`\) \|/g)) {
            expect(was, `${label} shown as changed: ${was}→${value}`).not.toBe(value);
        }
    });

    test('on a task name in a step: its UPID table and XSAVE image at that point', async () => {
        const md = await hoverAt(mark(LAZY, 19, 18)); // expect delivered rx 3: the `rx`
        expect(md).toContain('**rx** (after line 20): running on cpu0');
        expect(md).toContain('UPID at `0xffff888000100000` (refs 2)');
        expect(md).toContain('| ON | SN | NV | NDST | PIR |');
        expect(md).toContain('| 1 | 0 | `0xec` | 0 | `0x8` |'); // the lost notification: ON set, vector 3 in PIR
        expect(md).toContain('XSAVE image: present');
        expect(md).toContain('| UINV | `0xec` |');
        expect(md).toContain('| UISTACKADJUST | `0x80` |');
        const step = await hoverAt(mark(LAZY, 14, 13)); // cpu0: switch rx: the `rx`
        expect(step).toContain('**rx** (after line 15): running on cpu0');
    });

    test('on a number written to an MSR: its fields (IA32_UINTR_MISC 0xec00000000 is UINV 0xec, UITTSZ 0)', async () => {
        const text = 'machine { policy manual }\ntask rx { handler 0x401000 }\ncpu0: switch rx\ncpu0: wrmsr IA32_UINTR_MISC 0xec0<|>0000000\n';
        await expectHover(Uintr)({ text, index: 0, parseOptions: { validation: true }, disposeAfterCheck: true, hover: /\*\*IA32_UINTR_MISC\*\* ← `0xec00000000`/ });
        const md = await hoverAt(text);
        expect(md).toContain('| UITTSZ | 31:0 | `0` |');
        expect(md).toContain('| UINV | 39:32 | `0xec` |');
        expect(md).toMatch(/\| reserved \| 63:40 \| `0x0` \|\n/);
        expect(md).not.toContain('#GP');
    });

    test('on a number written to an MSR: reserved bits are flagged as #GP', async () => {
        const md = await hoverAt('machine { policy manual }\ncpu0: wrmsr IA32_UINTR_MISC 0x80000000000000<|>ff\nexpect gp\n');
        expect(md).toContain('| UITTSZ | 31:0 | `255` |');
        expect(md).toMatch(/\| reserved \| 63:40 \| `0x800000` — #GP: reserved bits set \|/);
        const pd = await hoverAt('machine { policy manual }\ncpu0: wrmsr IA32_UINTR_PD 0xffff888000100<|>021\nexpect gp\n');
        expect(pd).toContain('| UPIDADDR | 63:6 | `0xffff888000100000` |');
        expect(pd).toMatch(/\| reserved \| 5:0 \| `0x21` — #GP: reserved bits set \|/);
    });

    test('anywhere in an MSR value written as an expression: the whole value, decoded', async () => {
        const misc = 'machine { policy manual }\ntask rx { handler 0x401000 }\ncpu0: switch rx\ncpu0: wrmsr IA32_UINTR_MISC 0xff | uinv << 3<|>2\n';
        const md = await hoverAt(misc);
        expect(md).toContain('**IA32_UINTR_MISC** ← `0xff | uinv << 32` = `0xec000000ff`');
        expect(md).toContain('| UITTSZ | 31:0 | `255` |');
        expect(md).toContain('| UINV | 39:32 | `0xec` |');
        expect(await hoverAt(misc.replace('0xff | uinv', '0x<|>ff | uinv').replace('3<|>2', '32'))).toContain('= `0xec000000ff`');
        const gp = await hoverAt('machine { policy manual }\ncpu0: wrmsr IA32_UINTR_MISC 0xff | 1 << 6<|>3\nexpect gp\n');
        expect(gp).toMatch(/\| reserved \| 63:40 \| `0x800000` — #GP: reserved bits set \|/);
        // a value that reads the machine: read on the state before the step (it used to show the step's registers)
        const reads = 'machine { policy manual }\ntask rx { handler 0x401000 }\ncpu0: switch rx\ncpu0: wrmsr IA32_UINTR_MISC 5\ncpu0: wrmsr IA32_UINTR_MISC cpu0.uittsz | 0x<|>ec00000000\n';
        const read = await hoverAt(reads);
        expect(read).toContain('**IA32_UINTR_MISC** ← `cpu0.uittsz | 0xec00000000` = `0xec00000005`');
        expect(read).toContain('| UITTSZ | 31:0 | `5` |');
        expect(read).toContain('*The value as read on the state before this step.*');
        // the step's own part still shows the registers after it
        const regs = await hoverAt(reads.replace('0x<|>ec', '0xec').replace('cpu0: wrmsr IA32_UINTR_MISC cpu0', 'cp<|>u0: wrmsr IA32_UINTR_MISC cpu0'));
        expect(regs).toContain('| UINV | `0xec` (was `0x0`) |');
    });

    test('on a step where the run found something: what it found, before the registers', async () => {
        const twice = example('xrstors-twice');
        const line = twice.split('\n').findIndex(l => l.includes('//! xrstors-gp'));
        const md = await hoverAt(mark(twice, line, 2));
        expect(md).toMatch(/^\*\*cpu0\*\* after `cpu0: xrstors rx`.*\n\n\*\*xrstors-gp\*\* \(error\): XRSTORS rx would #GP: UINV is 0xec, not 0\n/);
        expect(md).toContain('| UINV | `0xec` |');
        // a step where nothing was found has no such line
        expect(await hoverAt(mark(twice, line - 2, 2))).not.toMatch(/\*\*[a-z-]+\*\* \((error|warning|information)\)/);
    });

    test('on an expectation: whether it holds, and the values it compares as they were', async () => {
        const text = 'machine { cpus 2 }\ntask rx { handler 0x401000 }\ncpu0: switch rx\n';
        const holds = await hoverAt(text + 'exp<|>ect cpu0.uinv == 0xec\n');
        expect(holds).toContain('**holds** on the settled state');
        expect(holds).toContain('`cpu0.uinv` = `0xec`');
        const fails = await hoverAt(text + 'expect 0x1 == cpu0.u<|>inv\n');
        expect(fails).toContain('**fails**');
        expect(fails).toContain('`cpu0.uinv` = `0xec`');
        expect(fails).not.toContain('`0x1` =');
        expect(await hoverAt(text + 'expect cpu0.cur<|>rent == rx\n')).toContain('`cpu0.current` = `rx`');
    });

    test('on `policy linux_rfc`: its hooks and where each comes from', async () => {
        const md = await hoverAt('machine { policy linux<|>_rfc }\ntask rx { handler 0x401000 }\ncpu0: switch rx\n');
        expect(md).toContain('**policy linux_rfc** extends lazy_fpu');
        for (const row of ['| switch_out | own |', '| return_to_user | own |', '| exec | lazy_fpu |', '| exit | own |', '| wait | own |', '| wake | own |']) {
            expect(md).toContain(row);
        }
        expect(md).not.toContain('switch_in');
        const manual = await hoverAt('machine { policy man<|>ual }\ncpu0: stui\n');
        expect(manual).toContain('**policy manual**: defines no hooks');
    });

    test('on a user policy: its own and inherited hooks', async () => {
        const md = await hoverAt('policy care<|>ful extends linux_rfc {\n  on switch_in { if kthread(next) { wrmsr IA32_UINTR_MISC 0 } }\n}\n');
        expect(md).toContain('**policy careful** extends linux_rfc');
        expect(md).toContain('| switch_in | own |');
        expect(md).toContain('| switch_out | linux_rfc |');
        expect(md).toContain('| exec | lazy_fpu |');
    });

    test('inside a hook: the names it binds', async () => {
        const policy = (body: string) => `policy careful extends linux_rfc {\n${body}\n}\n`;
        expect(await hoverAt(policy('  on switch_out { if user(pr<|>ev) { xsaves prev } }'))).toContain('**careful.switch_out** — binds prev, next, cpu');
        expect(await hoverAt(policy('  on return_to_user { xrstors c<|>ur }'))).toContain('**careful.return_to_user** — binds cur, cpu');
        expect(await hoverAt(policy('  on wake { foreach waiting w { wa<|>ke w } }'))).toContain('**careful.wake** — binds cpu');
        const md = await hoverAt(policy('  on exit { set cur.upid.sn = 1  p<|>ut cur.upid }'));
        expect(md).toContain('**careful.exit** — binds cur, cpu');
        expect(md).toContain('set cur.upid.sn = 1');
        expect(md).toContain('put cur.upid');
    });

    test('a hook\'s body as written, on its lines', async () => {
        const md = await hoverAt('policy careful extends linux_rfc {\n    on exit {\n        if valid(cur) {\n            stui\n            clui\n        }\n    }\n    on exec { st<|>ui }\n}\n'.replace('on exec { st<|>ui }', 'on exec { stui }').replace('            stui', '            st<|>ui'));
        expect(md).toContain('```uintr\non exit {\n    if valid(cur) {\n        stui\n        clui\n    }\n}\n```');
    });

    test('inside a hook of the prelude document', async () => {
        const line = PRELUDE.text.split('\n').findIndex(l => l.includes('if cpu.uinv == 0 { wrmsr'));
        const offset = prelude.textDocument.offsetAt({ line, character: PRELUDE.text.split('\n')[line].indexOf('wrmsr') + 2 });
        const hover = await Uintr.lsp.HoverProvider!.getHoverContent(prelude, textDocumentPositionParams(prelude, offset));
        const md = hover && MarkupContent.is(hover.contents) ? hover.contents.value : '';
        expect(md).toContain('**linux_rfc.return_to_user** — binds cur, cpu');
    });

    test('on a task declaration: the initial state (UPID at its fixed address, image from the declaration)', async () => {
        const decls = 'machine { cpus 2 }\ntask rx { handler 0x401000 stack_adjust 128 }\ntask r2 { handler 0x402000 ndst 1 uif 0 }\n'
            + 'task tx { target rx vector 3 target r2 vector 5 }\ntask plain { }\nkthread kworker\n';
        const r2 = await hoverAt(decls.replace('task r2', 'task r<|>2'));
        expect(r2).toContain('**r2** (initial state): runnable');
        expect(r2).toContain('UPID at `0xffff888000100040` (refs 2)'); // the second receiver: + 0x40
        expect(r2).toContain('| 0 | 0 | `0xec` | 1 | `0x0` |');
        expect(r2).toContain('| UIHANDLER | `0x402000` |');
        expect(r2).toContain('| UIF | `0x0` |');
        expect(r2).toContain('| UPIDADDR | `0xffff888000100040` |');
        const rx = await hoverAt(decls.replace('task rx {', 'task rx <|>{'));
        expect(rx).toContain('**rx** (initial state)');
        expect(rx).toContain('| UISTACKADJUST | `0x80` |');
        expect(rx).toContain('| UIF | `0x1` |');
        const tx = await hoverAt(decls.replace('task tx', 'task t<|>x'));
        expect(tx).toContain('**tx** (initial state)');
        expect(tx).not.toContain('UPID at');
        expect(tx).toContain('| UITTADDR | `0xffff888000200001` |');
        expect(tx).toContain('| UITTSZ | `0xff` |');
        expect(tx).toContain('| UIF | `0x0` |');
        const plain = await hoverAt(decls.replace('task plain', 'task pla<|>in'));
        expect(plain).toContain('XSAVE image: **init** (not present)');
        const kw = await hoverAt(decls.replace('kthread kworker', 'kthread kwo<|>rker'));
        expect(kw).toContain('**kthread kworker**');
    });

    test('on `race`: how many interleavings and distinct states were explored (LANGUAGE.md §7)', async () => {
        const md = await hoverAt('machine { cpus 2 }\ntask rx { handler 0x401000 }\ntask tx { target rx vector 3 }\nkthread kw\n'
            + 'cpu0: switch rx\ncpu1: switch tx\nra<|>ce { cpu0: switch kw  cpu0: switch rx } with { cpu1: senduipi 0 }\nexpect delivered rx 3\n');
        expect(md).toMatch(/\b\d+ interleavings?\b/);
        expect(md).toMatch(/\b\d+ distinct states?\b/);
        expect(md).not.toMatch(/not explored/);
    });

    test('on a later race: its counterexample counts from it, and the hover says where it starts', async () => {
        const text = 'machine { cpus 2 }\ntask rx { handler 0x401000 }\ntask tx { target rx vector 3 }\nkthread kw\n'
            + 'race { cpu0: switch tx } with { cpu0: switch rx }\nexpect no lost\nra<|>ce { cpu0: xrstors rx } with { cpu1: switch kw }\n';
        const md = await hoverAt(text);
        expect(md).toContain('1. line 7: `cpu0: xrstors rx`');
        expect(md).toContain('Counted from this race, which starts where an interleaving of the race at line 5 ended (3 events, with the items after it;');
        const first = await hoverAt(text.replace('ra<|>ce', 'race').replace('race { cpu0: switch tx', 'ra<|>ce { cpu0: switch tx'));
        expect(first).toContain('Clean in every interleaving.');
        expect(first).not.toContain('Counted from');
    });

    test('a file with static errors is not emulated, and says so', async () => {
        const { output, indices } = replaceIndices({ text: 'task rx { handler 0x401000 }\nc<|>pu0: switch rx\ncpu0: switch nobody\n' });
        const doc = await parse(output, { validation: true });
        const hover = await Uintr.lsp.HoverProvider!.getHoverContent(doc, textDocumentPositionParams(doc, indices[0]));
        expect(hover && MarkupContent.is(hover.contents) ? hover.contents.value : '').toMatch(/Not emulated/);
        await clearDocuments(shared, [doc]);
    });
});

// ---------------------------------------------------------------------------------------
describe('semantic tokens', () => {
    test('numbers wherever they stand (the TextMate grammar Langium generates has none), names, CPUs and MSRs', async () => {
        const text = 'machine { cpus <|2|> uinv <|0xec|> }\ntask <|rx|> { handler <|0x401000|> }\n<|cpu0|>: wrmsr <|IA32_UINTR_MISC|> <|0x0|>\n'
            + 'expect delivered <|rx|> <|3|>\nexpect cpu0.uinv == <|1_000|>\n';
        const tokens = await highlightHelper(Uintr)(text);
        const T = SemanticTokenTypes;
        const want = [T.number, T.number, T.class, T.number, T.namespace, T.enumMember, T.number, T.variable, T.number, T.number];
        want.forEach((tokenType, rangeIndex) => expectSemanticToken(tokens, { rangeIndex, tokenType }));
    });
});

describe('completion', () => {
    const DECLS = 'machine { cpus 2 }\ntask rx { handler 0x401000 }\ntask tx { target rx vector 3 }\nkthread kw\n';

    test('keywords at the start of an item', async () => {
        const afterStep = await completionAt(DECLS + 'cpu0: switch rx\n<|>');
        expect(afterStep).toEqual(expect.arrayContaining(['expect', 'race']));
        expect(afterStep).not.toContain('task'); // declarations come before items
        expect(afterStep).not.toContain('machine');
        const afterDecls = await completionAt(DECLS + '<|>');
        expect(afterDecls).toEqual(expect.arrayContaining(['task', 'kthread', 'policy', 'expect', 'race']));
        const empty = await completionAt('<|>');
        expect(empty).toEqual(expect.arrayContaining(['scenario', 'machine', 'task', 'kthread', 'policy', 'expect', 'race']));
    });

    test('only what the checks then accept: no expectation or race in a race\'s branch, a receiver as a target, another policy to extend', async () => {
        const branch = await completionAt(DECLS + 'race {\n  <|>\n} with {\n  cpu1: stui\n}\n');
        expect(branch).toEqual(expect.arrayContaining(['cpu0:', 'cpu1:']));
        expect(branch).not.toContain('expect');
        expect(branch).not.toContain('race');
        expect(await completionAt(DECLS + 'cpu0: stui\n<|>')).toEqual(expect.arrayContaining(['expect', 'race']));
        const target = await completionAt('machine { cpus 2 }\ntask rx { handler 1 }\ntask tx { target <|> }\n');
        expect(target).toContain('rx');
        expect(target).not.toContain('tx');
        const parent = await completionAt('policy p extends <|>');
        expect(parent).toEqual(expect.arrayContaining(['linux_rfc', 'manual']));
        expect(parent).not.toContain('p');
    });

    test('nothing right after a number (an item was written onto it: `0x10cpu0:`); after a space, or after a name ending in a digit, as usual', async () => {
        for (const t of ['cpu0: senduipi 0x10', 'cpu0: senduipi 1', 'expect cpu0.uinv == 0xec', 'cpu0: wrmsr uinv 12_3', 'expect rx.upid.pir == 0b1', 'cpu0: senduipi 0x']) {
            expect(await completionAt(`${DECLS}${t}<|>`), t).toEqual([]);
        }
        expect(await completionAt(DECLS + 'cpu0: senduipi 0x10 <|>')).toEqual(expect.arrayContaining(['cpu0:', 'expect']));
        expect(await completionAt(DECLS + 'expect cpu0.uinv == 0xec\n<|>')).toEqual(expect.arrayContaining(['cpu0:', 'expect']));
        expect(await completionAt(DECLS + 'cpu1<|>')).toEqual(expect.arrayContaining(['cpu1:']));
        expect(await completionAt(DECLS + 'expect cpu0.<|>')).toEqual(expect.arrayContaining(['uinv', 'mode']));
    });

    test('nothing inside a comment, a block comment never closed included; right after one, as usual', async () => {
        expect(await completionAt(DECLS + '// cpu0: <|>')).toEqual([]);
        expect(await completionAt(DECLS + '/* cpu0: sw<|>')).toEqual([]);
        expect(await completionAt(DECLS + '/* cpu0: sw<|> */\n')).toEqual([]);
        expect(await completionAt(DECLS + 'cpu0: stui // <|>\n')).toEqual([]);
        expect(await completionAt(DECLS + '/* a */ <|>')).toEqual(expect.arrayContaining(['expect', 'race', 'cpu0:']));
        expect(await completionAt(DECLS + '// a\n<|>')).toEqual(expect.arrayContaining(['expect', 'race']));
        // a string's // is no comment
        expect(await completionAt('scenario "a // b"\n<|>')).toEqual(expect.arrayContaining(['machine', 'task']));
    });

    test('the machine\'s CPUs where a step starts (`cpu0:`), also in a race branch, and where a path starts (`cpu0`)', async () => {
        const start = await completionAt(DECLS + 'cpu0: switch rx\n<|>');
        expect(start).toEqual(expect.arrayContaining(['cpu0:', 'cpu1:']));
        expect(start).not.toContain('cpu2:'); // cpus 2
        expect(await completionAt(DECLS + 'race {\n  <|>')).toEqual(expect.arrayContaining(['cpu0:', 'cpu1:']));
        expect(await completionAt(DECLS + 'race {\n  cpu0: stui\n} with {\n  <|>')).toEqual(expect.arrayContaining(['cpu0:', 'cpu1:']));
        const path = await completionAt(DECLS + 'expect <|>');
        expect(path).toEqual(expect.arrayContaining(['cpu0', 'cpu1', 'rx', 'delivered', 'no']));
        // hook-bound names only in a hook that binds them (LANGUAGE.md §10)
        for (const bound of ['cpu', 'prev', 'next', 'cur']) expect(path).not.toContain(bound);
        const inHook = await completionAt('policy p extends linux_rfc {\n  on switch_out { if <|>');
        expect(inHook).toEqual(expect.arrayContaining(['prev', 'next', 'cpu']));
        expect(inHook).not.toContain('cur');
        expect(await completionAt('policy p extends linux_rfc {\n  on exec { if <|>')).toEqual(expect.arrayContaining(['cur', 'cpu']));
    });

    test('after `expect not` only `delivered` (LANGUAGE §6: `not` stands only there); after `expect` both', async () => {
        expect(await completionAt(DECLS + 'expect not <|>')).toEqual(['delivered']);
        expect(await completionAt(DECLS + 'expect <|>')).toEqual(expect.arrayContaining(['delivered', 'pending', 'not']));
    });

    test('no kthread where a task must stand; a `.` opens a path\'s fields', async () => {
        expect((await completionAt(DECLS + 'cpu0: xsaves <|>')).sort()).toEqual(['rx', 'tx']);
        expect((await completionAt(DECLS + 'cpu0: xrstors <|>')).sort()).toEqual(['init', 'rx', 'tx']);
        expect(Uintr.lsp.CompletionProvider!.completionOptions?.triggerCharacters).toContain('.');
    });

    test('where a number must stand, no idle/user/kernel and no kthread (decisions #19); beside == they stay', async () => {
        for (const place of ['cpu0: senduipi <|>', 'cpu0: interrupt <|>', 'cpu0: wrmsr IA32_UINTR_MISC <|>', 'cpu0: set rx.upid.pir = <|>',
            'cpu0: senduipi 1 | <|>', 'expect cpu0.uinv == 1 << <|>', 'expect cpu0.uinv < <|>']) {
            const labels = await completionAt(DECLS + place);
            expect(labels, place).toEqual(expect.arrayContaining(['uinv', 'kernel_vector', 'cpu0', 'rx', 'tx']));
            for (const bad of ['idle', 'user', 'kernel', 'kw']) expect(labels, place).not.toContain(bad);
        }
        expect(await completionAt(DECLS + 'expect <|>')).toEqual(expect.arrayContaining(['idle', 'user', 'kernel', 'kw', 'rx']));
        expect(await completionAt('policy p extends linux_rfc {\n  on switch_out { set prev.upid.sn = <|>')).not.toContain('kernel');
        expect(inNumberPlace('cpu0: senduipi ')).toBe(true);
        expect(inNumberPlace('expect cpu0.mode == ')).toBe(false);
        expect(inNumberPlace('cpu0: set rx.upid.sn |= ')).toBe(true);
        // opening parentheses in a number's place keep it one (LSP audit); a condition's do not
        for (const place of ['cpu1: senduipi (<|>', 'cpu0: set rx.upid.sn = ( (<|>', 'expect cpu0.uinv & (<|>']) {
            const labels = await completionAt(DECLS + place);
            for (const bad of ['idle', 'user', 'kernel', 'kw']) expect(labels, place).not.toContain(bad);
        }
        expect(inNumberPlace('expect (')).toBe(false);
        expect(inNumberPlace('cpu0: senduipi')).toBe(false); // the keyword being typed
    });

    test('only what can stand there: beside X.mode ==, X.current ==, at the head of a set, free or put path (editor audit)', async () => {
        expect((await completionAt(DECLS + 'expect cpu0.mode == <|>')).sort()).toEqual(['kernel', 'user']);
        expect((await completionAt(DECLS + 'expect cpu1.mode != k<|>')).sort()).toEqual(['kernel']);
        expect((await completionAt(DECLS + 'expect cpu0.current == <|>')).sort()).toEqual(['idle', 'kw', 'rx', 'tx']);
        expect((await completionAt(DECLS + 'expect cpu0.current != <|>')).sort()).toEqual(['idle', 'kw', 'rx', 'tx']);
        // set: a UPID or an image (a task's); free/put: a UPID (a receiver's)
        expect((await completionAt(DECLS + 'cpu0: set <|>')).sort()).toEqual(['rx', 'tx']);
        expect((await completionAt(DECLS + 'cpu0: free <|>')).sort()).toEqual(['rx']);
        expect((await completionAt(DECLS + 'cpu0: put r<|>')).sort()).toEqual(['rx']);
        // in a hook, the bound names, never `cpu` (its registers change through instructions only)
        const hook = await completionAt(DECLS + 'policy p extends linux_rfc {\n  on switch_out { set <|>');
        expect(hook).toEqual(expect.arrayContaining(['prev', 'next', 'rx', 'tx']));
        expect(hook).not.toContain('cpu');
        expect(hook).not.toContain('kw');
        expect(namePlace('cpu0: set rx.upid.sn = ')).toBeUndefined();
        // where an object stands in a hook, the bound tasks, never `cpu` (the grammar takes it to report it)
        for (const at of ['xsaves <|>', 'wake <|>', 'if user(<|>']) {
            const labels = await completionAt(DECLS + `policy p extends linux_rfc {\n  on switch_out { ${at}`);
            expect(labels, at).toEqual(expect.arrayContaining(['prev', 'next', 'rx']));
            expect(labels, at).not.toContain('cpu');
            expect(labels, at).not.toContain('cur');
        }
        expect((await completionAt(DECLS + 'expect delivered <|>')).sort()).toEqual(['rx', 'tx']);
    });

    test('actions after `cpuN:`', async () => {
        const labels = await completionAt(DECLS + 'cpu0: <|>');
        expect(labels).toEqual(expect.arrayContaining(['switch', 'exec', 'exit', 'wait', 'xsaves', 'xrstors', 'wrmsr', 'senduipi', 'stui', 'clui', 'testui', 'uiret', 'interrupt', 'set', 'free', 'put']));
    });

    test('task and kthread names (and idle) after `switch `', async () => {
        await expectCompletion(Uintr)({
            text: DECLS + 'cpu1: switch <|>', index: 0, disposeAfterCheck: true,
            assert: (list: CompletionList) => expect(list.items.map(i => i.label).sort()).toEqual(['idle', 'kw', 'rx', 'tx']),
        });
        expect(await completionAt(DECLS + 'cpu1: switch t<|>')).toEqual(['tx']);
    });

    test('MSR names after `wrmsr `', async () => {
        await expectCompletion(Uintr)({
            text: DECLS + 'cpu0: wrmsr <|>', index: 0, disposeAfterCheck: true,
            expectedItems: ['IA32_UINTR_RR', 'IA32_UINTR_HANDLER', 'IA32_UINTR_STACKADJUST', 'IA32_UINTR_MISC', 'IA32_UINTR_PD', 'IA32_UINTR_TT'],
        });
        expect(await completionAt(DECLS + 'cpu0: wrmsr IA32_UINTR_M<|>')).toEqual(['IA32_UINTR_MISC']);
    });

    test('a task named cpu01 is a task: its fields, not a CPU\'s', async () => {
        expect((await completionAt('task cpu01 { handler 1 }\nexpect cpu01.<|>')).sort()).toEqual(['upid', 'xsave']);
    });

    test('state-path fields after `cpu0.`, `rx.`, `rx.upid.`, `rx.xsave.`', async () => {
        const cpuFields = ['uinv', 'uirr', 'uif', 'uihandler', 'uistackadjust', 'uittsz', 'upidaddr', 'uittaddr', 'mode', 'current'];
        expect((await completionAt(DECLS + 'cpu0: switch rx\nexpect cpu0.<|>')).sort()).toEqual([...cpuFields].sort());
        // a task's parts as it has them (the checker rejects the others); a kthread has none
        expect((await completionAt(DECLS + 'cpu0: switch rx\nexpect rx.<|>')).sort()).toEqual(['upid', 'xsave']);
        expect((await completionAt(DECLS + 'cpu0: switch rx\nexpect tx.<|>')).sort()).toEqual(['uitt', 'xsave']);
        expect(await completionAt(DECLS + 'cpu0: switch rx\nexpect kw.<|>')).toEqual([]);
        expect(await completionAt(DECLS + 'cpu0: switch rx\nexpect cpu2.<|>')).toEqual([]); // cpus 2
        expect((await completionAt('policy p { on switch_out { if prev.<|>')).sort()).toEqual(['uitt', 'upid', 'xsave']);
        expect((await completionAt(DECLS + 'cpu0: switch rx\nexpect rx.upid.<|>')).sort()).toEqual(['ndst', 'nv', 'on', 'pir', 'sn']);
        expect((await completionAt(DECLS + 'cpu0: switch rx\nexpect rx.xsave.<|>')).sort())
            .toEqual(['present', 'uif', 'uihandler', 'uinv', 'uirr', 'uistackadjust', 'uittaddr', 'uittsz', 'upidaddr']);
        // in a `set` too, with text after the cursor
        expect((await completionAt(DECLS + 'cpu0: set rx.upid.<|>\ncpu0: switch rx\n')).sort()).toEqual(['ndst', 'nv', 'on', 'pir', 'sn']);
        expect(await completionAt(DECLS + 'expect cpu1.ui<|>')).toEqual(expect.arrayContaining(['uinv', 'uirr', 'uif']));
    });

    test('hook names after `on ` in a policy', async () => {
        const labels = await completionAt('policy careful extends linux_rfc {\n  on <|>\n}\n');
        expect([...labels].sort()).toEqual(['exec', 'exit', 'return_to_user', 'switch_in', 'switch_out', 'wait', 'wake']);
    });
});

// ---------------------------------------------------------------------------------------
describe('go to definition and references', () => {
    test('a task: from a step, a target and a path', async () => {
        const decl = 'machine { cpus 2 }\ntask <|rx|> { handler 0x401000 }\n';
        await expectGoToDefinition(Uintr)({ text: decl + 'cpu0: switch r<|>x\n', index: 0, rangeIndex: 0, disposeAfterCheck: true });
        await expectGoToDefinition(Uintr)({ text: decl + 'task tx { target <|>rx vector 3 }\n', index: 0, rangeIndex: 0, disposeAfterCheck: true });
        await expectGoToDefinition(Uintr)({ text: decl + 'expect rx<|>.upid.sn == 0\n', index: 0, rangeIndex: 0, disposeAfterCheck: true });
        await expectGoToDefinition(Uintr)({ text: decl + 'cpu0: xsaves r<|>x\n', index: 0, rangeIndex: 0, disposeAfterCheck: true });
        await expectGoToDefinition(Uintr)({ text: decl + 'expect delivered r<|>x 3\n', index: 0, rangeIndex: 0, disposeAfterCheck: true });
    });

    test('a kthread', async () => {
        await expectGoToDefinition(Uintr)({
            text: 'task rx { handler 0x401000 }\nkthread <|kworker|>\ncpu0: switch rx\ncpu0: switch kwo<|>rker\n', index: 0, rangeIndex: 0, disposeAfterCheck: true,
        });
    });

    test('`policy linux_rfc` lands in the prelude document', async () => {
        const { output, indices } = replaceIndices({ text: 'machine { policy linux<|>_rfc }\ncpu0: stui\n' });
        const doc = await parse(output, { validation: true });
        const links = await Uintr.lsp.DefinitionProvider!.getDefinition(doc, textDocumentPositionParams(doc, indices[0])) ?? [];
        expect(links).toHaveLength(1);
        expect(links[0].targetUri).toBe(PRELUDE_URI);
        const sel = links[0].targetSelectionRange;
        expect(prelude.textDocument.getText(sel)).toBe('linux_rfc');
        const line = PRELUDE.text.split('\n').findIndex(l => l.startsWith('policy linux_rfc '));
        expect(sel.start.line).toBe(line);
        // and `extends lazy_fpu` of a user policy
        const { output: o2, indices: i2 } = replaceIndices({ text: 'policy careful extends lazy<|>_fpu { }\n' });
        const doc2 = await parse(o2, { validation: true });
        const links2 = await Uintr.lsp.DefinitionProvider!.getDefinition(doc2, textDocumentPositionParams(doc2, i2[0])) ?? [];
        expect(links2.map(l => [l.targetUri, prelude.textDocument.getText(l.targetSelectionRange)])).toEqual([[PRELUDE_URI, 'lazy_fpu']]);
        await clearDocuments(shared, [doc, doc2]);
    });

    test('a policy of the file itself', async () => {
        await expectGoToDefinition(Uintr)({
            text: 'machine { policy care<|>ful }\npolicy <|careful|> extends linux_rfc { }\ncpu0: stui\n', index: 0, rangeIndex: 0, disposeAfterCheck: true,
        });
    });

    test('references of a task, from its declaration and from a use', async () => {
        await expectFindReferences(Uintr)({
            text: 'machine { cpus 2 }\ntask <|r<|>x|> { handler 0x401000 }\ntask tx { target <|rx|> vector 3 }\nkthread kw\n'
                + 'cpu0: switch <|r<|>x|>\ncpu1: switch tx\ncpu0: xsaves <|rx|>\nexpect <|rx|>.upid.sn == 0\nexpect delivered <|rx|> 3\ncpu1: switch kw\n',
            includeDeclaration: true, disposeAfterCheck: true,
        });
        await expectFindReferences(Uintr)({
            text: 'task r<|>x { handler 0x401000 }\nkthread kw\ncpu0: switch <|rx|>\ncpu0: switch kw\ncpu0: switch <|rx|>\n',
            includeDeclaration: false, disposeAfterCheck: true,
        });
    });
});

// ---------------------------------------------------------------------------------------
describe('rename', () => {
    /** The rename's edits of this document (as `line:col-col newName`), or the error it answers with. */
    async function renameAt(marked: string, newName: string): Promise<{ edits?: string[]; uris?: string[]; error?: string; prepared?: boolean }> {
        const { output, indices } = replaceIndices({ text: marked });
        const doc = await parse(output, { validation: true });
        const at = textDocumentPositionParams(doc, indices[0]);
        try {
            const provider = Uintr.lsp.RenameProvider!;
            let prepared: boolean;
            try {
                prepared = (await provider.prepareRename(doc, at)) !== undefined;
            } catch (e) {
                return { error: (e as Error).message, prepared: false };
            }
            const edit = await provider.rename(doc, { ...at, newName });
            const changes = edit?.changes ?? {};
            const mine = changes[doc.uri.toString()] ?? [];
            return { prepared, uris: Object.keys(changes), edits: mine.map(e => `${e.range.start.line}:${e.range.start.character}-${e.range.end.character} ${e.newText}`).sort() };
        } catch (e) {
            return { error: (e as Error).message };
        } finally {
            await clearDocuments(shared, [doc]);
        }
    }
    const decls = 'machine { cpus 2 policy mine }\ntask rx { handler 1 }\ntask tx { target rx vector 3 }\nkthread kw\npolicy mine extends linux_rfc { }\n';

    test('a task, from a use: every reference in the file', async () => {
        const r = await renameAt(`${decls}cpu0: switch r<|>x\nexpect delivered rx 3\n`, 'rcv');
        expect(r.prepared).toBe(true);
        expect(r.edits).toEqual(['1:5-7 rcv', '2:17-19 rcv', '5:13-15 rcv', '6:17-19 rcv']);
    });

    test('a user policy; a new name that is not a name, a reserved word, a CPU or taken is refused with why', async () => {
        expect((await renameAt(`${decls.replace('policy mine extends', 'policy mi<|>ne extends')}`, 'careful')).edits).toEqual(['0:24-28 careful', '4:7-11 careful']);
        const at = `${decls}cpu0: switch r<|>x\n`;
        expect((await renameAt(at, 'a b')).error).toMatch(/cannot rename rx to a b: 'a b' is not a name/);
        expect((await renameAt(at, '1abc')).error).toMatch(/is not a name/);
        expect((await renameAt(at, 'switch')).error).toMatch(/'switch' is a reserved word/);
        expect((await renameAt(at, 'manual')).error).toMatch(/'manual' is a reserved word/);
        expect((await renameAt(at, 'cpu0')).error).toMatch(/'cpu0' names a CPU/);
        expect((await renameAt(at, 'tx')).error).toMatch(/a task of that name is declared at line 3/);
        expect((await renameAt(at, 'kw')).error).toMatch(/a kthread of that name is declared at line 4/);
        expect((await renameAt(`${decls.replace('policy mine extends', 'policy mi<|>ne extends')}`, 'eager')).error).toMatch(/'eager' is a built-in policy/);
    });

    test('a newName that is not a string (a client\'s bug) is refused as invalid params: "null" and "true" are names, null and true are not', async () => {
        const at = `${decls}cpu0: switch r<|>x\n`;
        for (const bad of [null, true, undefined, ['q'], 42]) {
            expect((await renameAt(at, bad as unknown as string)).error).toBe('cannot rename rx: newName must be a string');
        }
        expect((await renameAt(at, 'null')).edits).toContain('1:5-7 null');
    });

    test('a name a foreach variable has is refused (it would capture the references in its loop); a foreach variable is not renamed', async () => {
        const text = 'task rx { handler 1 }\npolicy p extends linux_rfc {\n  on wake { foreach waiting t { wake t set rx.upid.sn = 0 } }\n}\ncpu0: switch r<|>x\n';
        expect((await renameAt(text, 't')).error).toMatch(/a foreach variable of that name is declared at line 3/);
        const onVar = await renameAt('policy p extends linux_rfc {\n  on wake { foreach waiting <|>t { wake t } }\n}\n', 'u');
        expect(onVar.prepared).toBe(false);
    });

    const exampleFiles = readdirSync(join(ROOT, 'examples')).filter(f => f.endsWith('.uintr')).sort();
    test.each(exampleFiles)('%s: each task, kthread and policy renamed from its declaration leaves no use behind and keeps the verdict', async name => {
        const text = example(name.replace(/\.uintr$/, ''));
        const verdict = (await check(text)).codes.sort();
        const doc = await parse(text, { validation: true });
        const textDocument = { uri: doc.uri.toString() };
        let renamed = 0;
        for (const d of doc.parseResult.value.decls) {
            if (!(ast.isTask(d) || ast.isKThread(d) || ast.isPolicy(d)) || !d.$cstNode) continue;
            const position = doc.textDocument.positionAt(GrammarUtils.findNodeForProperty(d.$cstNode, 'name')!.offset);
            const edit = await Uintr.lsp.RenameProvider!.rename(doc, { textDocument, position, newName: 'zz_renamed' });
            const after = TextDocument.applyEdits(doc.textDocument, edit?.changes?.[textDocument.uri] ?? []);
            expect((await check(after)).codes.sort(), `${d.name} renamed:\n${after}`).toEqual(verdict);
            // no use of the old name is left (outside comments and strings)
            const code = after.split('\n').map(l => l.replace(/\/\/.*$/, '').replace(/"[^"]*"/g, '')).join('\n');
            expect(new RegExp(`(?<![\\w.])${d.name}(?!\\w)`).test(code), `${d.name} left in:\n${after}`).toBe(false);
            renamed++;
        }
        await clearDocuments(shared, [doc]);
        expect(renamed).toBeGreaterThan(0);
    });

    test('a built-in policy is never renamed: the prelude is not edited', async () => {
        const r = await renameAt('machine { policy linux<|>_rfc }\ncpu0: stui\n', 'zz');
        expect(r.prepared).toBe(false);
        expect(r.error).toMatch(/a built-in policy cannot be renamed/);
        const ext = await renameAt('policy mine extends lazy<|>_fpu { }\n', 'zz');
        expect(ext.error).toMatch(/a built-in policy cannot be renamed/);
        // nor in a word-for-word copy of the prelude opened from elsewhere
        const { output, indices } = replaceIndices({ text: PRELUDE.text.replace('policy lazy_fpu {', 'policy lazy<|>_fpu {') });
        const copy = await parse(output, { documentUri: 'file:///elsewhere/prelude.uintr' });
        await expect(Promise.resolve().then(() => Uintr.lsp.RenameProvider!.rename(copy, { ...textDocumentPositionParams(copy, indices[0]), newName: 'zz' }))).rejects.toThrow(/a built-in policy cannot be renamed/);
        await clearDocuments(shared, [copy]);
    });
});

// ---------------------------------------------------------------------------------------
describe('document symbols', () => {
    const TEXT = 'scenario "symbols"\nmachine { cpus 2 }\ntask rx { handler 0x401000 }\ntask tx { target rx vector 3 }\ntask plain { }\nkthread kworker\n'
        + 'policy careful extends linux_rfc {\n  on switch_out { if user(prev) { xsaves prev } }\n  on return_to_user { xrstors cur }\n}\n'
        + 'cpu0: switch rx\ncpu1: switch tx\nrace { cpu0: switch kworker } with { cpu1: senduipi 0 }\nexpect no lost\n';

    test('workspace symbols: the declarations of every document, the built-in policies too', async () => {
        const doc = await parse(TEXT, { documentUri: 'file:///symbols/ws.uintr' });
        const find = async (query: string) => (await shared.lsp.WorkspaceSymbolProvider!.getSymbols({ query }))
            .map(s => `${s.name}:${s.location.uri === doc.uri.toString() ? 'here' : s.location.uri === PRELUDE_URI ? 'prelude' : 'other'}`);
        expect(await find('rx')).toContain('rx:here');
        expect(await find('careful')).toEqual(['careful:here']);
        expect(await find('kwork')).toContain('kworker:here');
        expect(await find('linux_rfc')).toContain('linux_rfc:prelude');
        await clearDocuments(shared, [doc]);
    });

    test('tasks, kthreads, policies and races, in order', async () => {
        await expectSymbols(Uintr)({ text: TEXT, expectedSymbols: ['rx', 'tx', 'plain', 'kworker', 'careful', 'race (line 13)'], disposeAfterCheck: true });
    });

    test('kinds, details, and a policy\'s hooks as children', async () => {
        let symbols: DocumentSymbol[] = [];
        await expectSymbols(Uintr)({ text: TEXT, disposeAfterCheck: true, assert: s => { symbols = s; } });
        const by = new Map(symbols.map(s => [s.name, s]));
        expect(by.get('rx')).toMatchObject({ kind: SymbolKind.Class, detail: 'receiver task' });
        expect(by.get('tx')).toMatchObject({ kind: SymbolKind.Class, detail: 'sender task' });
        expect(by.get('plain')).toMatchObject({ kind: SymbolKind.Class, detail: 'task' });
        expect(by.get('kworker')).toMatchObject({ kind: SymbolKind.Object, detail: 'kthread' });
        expect(by.get('careful')).toMatchObject({ kind: SymbolKind.Module, detail: 'policy extends linux_rfc' });
        expect(by.get('careful')!.children!.map(c => c.name)).toEqual(['switch_out', 'return_to_user']);
        expect(by.get('race (line 13)')).toMatchObject({ kind: SymbolKind.Event, detail: '2 branches' });
        expect(by.get('race (line 13)')!.range.start.line).toBe(12);
    });

    test('each selectionRange is the declared name, inside the symbol\'s range (LSP DocumentSymbol)', async () => {
        const doc = await parse(TEXT, { validation: true });
        const symbols = await Uintr.lsp.DocumentSymbolProvider!.getSymbols(doc, { textDocument: { uri: doc.uri.toString() } });
        for (const s of symbols.filter(x => !x.name.startsWith('race'))) {
            expect(doc.textDocument.getText(s.selectionRange), `selectionRange of ${s.name}`).toBe(s.name);
        }
        await clearDocuments(shared, [doc]);
    });
});

// ---------------------------------------------------------------------------------------
describe('folding', () => {
    test('blocks of three lines or more and multi-line comments fold; the closing line stays visible', async () => {
        await expectFoldings(Uintr)({
            text: [
                '<|machine {',
                '  cpus 2',
                '  policy lazy_fpu|>',
                '}',
                '<|task rx {',
                '  handler 0x401000|>',
                '}',
                'task tx { target rx vector 3 }',
                'kthread kw',
                '<|policy careful extends linux_rfc {',
                '  <|on switch_out {',
                '    if user(prev) { xsaves prev }|>',
                '  }|>',
                '}',
                '<|/* a comment',
                '   over three lines|>',
                '*/',
                'cpu0: switch rx',
                'cpu1: switch tx',
                '<|race <|{',
                '  cpu0: switch kw|>',
                '} with <|{',
                '  cpu1: senduipi 0|>|>',
                '}',
                'expect no lost',
            ].join('\n'),
            disposeAfterCheck: true,
        });
    });
});

// ---------------------------------------------------------------------------------------
describe('formatting', () => {
    const OPTIONS = { insertSpaces: true, tabSize: 2 };

    test('normalises spacing and indentation, keeping every item and comment on its line', async () => {
        await expectFormatting(Uintr)({
            options: OPTIONS, disposeAfterCheck: true,
            before: [
                '// a header comment',
                'scenario   "format me"',
                'machine {',
                'cpus 2',
                '      policy lazy_fpu    // aligned',
                '}',
                'task rx {handler 0x401000',
                '   stack_adjust 128 }',
                'kthread kw',
                'policy careful extends linux_rfc {',
                'on switch_out {',
                '        if user ( prev ) { xsaves prev }',
                '}',
                '}',
                '/* block',
                '     comment kept as written */',
                '   cpu0:switch rx',
                'cpu0 :   wrmsr IA32_UINTR_MISC cpu0.uittsz|uinv<<32   //! nothing',
                'race {',
                'cpu0: switch kw',
                '} with {',
                '        cpu1: senduipi 0',
                '}',
                'expect  cpu0 . uirr&8!=0',
                'expect not   delivered rx 3',
                '',
            ].join('\n'),
            after: [
                '// a header comment',
                'scenario "format me"',
                'machine {',
                '  cpus 2',
                '  policy lazy_fpu    // aligned',
                '}',
                'task rx { handler 0x401000',
                '  stack_adjust 128 }',
                'kthread kw',
                'policy careful extends linux_rfc {',
                '  on switch_out {',
                '    if user(prev) { xsaves prev }',
                '  }',
                '}',
                '/* block',
                '     comment kept as written */',
                'cpu0: switch rx',
                'cpu0: wrmsr IA32_UINTR_MISC cpu0.uittsz | uinv << 32   //! nothing',
                'race {',
                '  cpu0: switch kw',
                '} with {',
                '  cpu1: senduipi 0',
                '}',
                'expect cpu0.uirr & 8 != 0',
                'expect not delivered rx 3',
                '',
            ].join('\n'),
        });
    });

    test('a parenthesised value keeps its space after an MSR name or an action keyword; a predicate call has none', async () => {
        await expectFormatting(Uintr)({
            options: OPTIONS, disposeAfterCheck: true,
            before: 'policy p extends linux_rfc {\non switch_in { if kthread (next) { wrmsr IA32_UINTR_MISC (cpu.uittsz|uinv<<32) interrupt (uinv) } }\n}\ncpu0: senduipi (0)\n',
            after: 'policy p extends linux_rfc {\n  on switch_in { if kthread(next) { wrmsr IA32_UINTR_MISC (cpu.uittsz | uinv << 32) interrupt (uinv) } }\n}\ncpu0: senduipi (0)\n',
        });
    });

    test('uses the editor\'s indentation (tab size, tabs)', async () => {
        const before = 'machine {\ncpus 2\n}\n';
        await expectFormatting(Uintr)({ before, after: 'machine {\n    cpus 2\n}\n', options: { insertSpaces: true, tabSize: 4 }, disposeAfterCheck: true });
        await expectFormatting(Uintr)({ before, after: 'machine {\n\tcpus 2\n}\n', options: { insertSpaces: false, tabSize: 4 }, disposeAfterCheck: true });
    });

    test('a selection: only the lines it touches, with the editor\'s indentation', async () => {
        const doc = await parse('machine {\ncpus 2\n}\ntask   rx { handler 1 }\ntask   tx { target rx vector 3 }\ncpu0:   switch rx\n');
        const range = { start: { line: 1, character: 0 }, end: { line: 4, character: 0 } };
        const edits = await Uintr.lsp.Formatter!.formatDocumentRange(doc, { textDocument: { uri: doc.uri.toString() }, range, options: { insertSpaces: true, tabSize: 4 } });
        expect(TextDocument.applyEdits(doc.textDocument, edits)).toBe('machine {\n    cpus 2\n}\ntask rx { handler 1 }\ntask   tx { target rx vector 3 }\ncpu0:   switch rx\n');
        await clearDocuments(shared, [doc]);
    });

    test('the prelude, and a copy of it named prelude.uintr: never reformatted, no diagnostics, no code lens', async () => {
        const edits = await Uintr.lsp.Formatter!.formatDocument(prelude, { textDocument: { uri: PRELUDE_URI }, options: { insertSpaces: true, tabSize: 4 } });
        expect(edits).toEqual([]);
        const copy = await parse(PRELUDE.text, { documentUri: 'file:///elsewhere/server/src/kernel/prelude.uintr', validation: true });
        expect(copy.diagnostics).toEqual([]);
        expect(await Uintr.lsp.Formatter!.formatDocument(copy, { textDocument: { uri: copy.uri.toString() }, options: { insertSpaces: true, tabSize: 4 } })).toEqual([]);
        // the same text under another name is a user file: its policies shadow the built-ins
        const other = await parse(PRELUDE.text, { documentUri: 'file:///elsewhere/mine.uintr', validation: true });
        expect((other.diagnostics ?? []).some(d => /shadows the built-in/.test(String(d.message)))).toBe(true);
        // not a scenario: no code lens (steps, faults, Compare policies) on the prelude or its copy
        for (const d of [prelude, copy]) expect(await Uintr.lsp.CodeLensProvider!.provideCodeLens(d, { textDocument: { uri: d.uri.toString() } })).toEqual([]);
        expect((await Uintr.lsp.CodeLensProvider!.provideCodeLens(other, { textDocument: { uri: other.uri.toString() } }))?.length).toBeGreaterThan(0);
        await clearDocuments(shared, [copy, other]);
    });

    const files = readdirSync(join(ROOT, 'examples')).filter(f => f.endsWith('.uintr')).sort();
    test.each(files)('%s: same line count, comments and items on their lines, same diagnostics, idempotent', async name => {
        const text = readFileSync(join(ROOT, 'examples', name), 'utf8');
        const doc = await parse(text, { validation: true });
        const edits = await Uintr.lsp.Formatter!.formatDocument(doc, { textDocument: { uri: doc.uri.toString() }, options: OPTIONS });
        const formatted = TextDocument.applyEdits(doc.textDocument, edits);
        const a = text.split('\n'), b = formatted.split('\n');
        expect(b.length).toBe(a.length);
        a.forEach((line, i) => {
            const at = line.replace(/"(?:\\.|[^"\\])*"/g, s => ' '.repeat(s.length)).indexOf('//');
            if (at >= 0) expect(b[i].trimEnd(), `line ${i + 1}`).toContain(line.slice(at).trimEnd());
            if (line.trim() === '') expect(b[i].trim(), `line ${i + 1}`).toBe('');
        });
        // every item starts on the same line
        const after = await parse(formatted, { validation: true });
        const starts = (d: LangiumDocument<ast.File>) => d.parseResult.value.items.map(it => it.$cstNode?.range.start.line);
        expect(starts(after)).toEqual(starts(doc));
        expect(after.parseResult.value.decls.map(d => d.$cstNode?.range.start.line)).toEqual(doc.parseResult.value.decls.map(d => d.$cstNode?.range.start.line));
        // the verdict does not change, and formatting twice changes nothing more
        expect((await check(formatted)).codes).toEqual((await check(text)).codes);
        const again = await Uintr.lsp.Formatter!.formatDocument(after, { textDocument: { uri: after.uri.toString() }, options: OPTIONS });
        expect(TextDocument.applyEdits(after.textDocument, again)).toBe(formatted);
        await clearDocuments(shared, [doc, after]);
    });
});

// ---------------------------------------------------------------------------------------
describe('the emulator\'s cache', () => {
    test('a run is cached for its document version and let go when the document is closed', async () => {
        const text = readFileSync(join(ROOT, 'examples', 'xrstors-twice.uintr'), 'utf8');
        const uri = URI.parse('file:///cache/closed.uintr');
        const textDocuments = shared.workspace.TextDocuments!;
        textDocuments.set(TextDocument.create(uri.toString(), 'uintr', 1, text));
        const doc = shared.workspace.LangiumDocumentFactory.fromString<ast.File>(text, uri);
        shared.workspace.LangiumDocuments.addDocument(doc);
        await shared.workspace.DocumentBuilder.build([doc], { validation: false });
        const emulation = Uintr.uintr.Emulation;
        const first = emulation.resultFor(doc);
        expect(first?.result.diagnostics.length).toBeGreaterThan(0);
        expect(emulation.resultFor(doc)).toBe(first);
        textDocuments.delete(uri.toString());
        const after = emulation.resultFor(doc);
        expect(after).toBeDefined();
        expect(after).not.toBe(first);
        await clearDocuments(shared, [doc]);
    });

    test('a save whose build an edit cancelled: the edit\'s text is not run, what was shown stays stale (it was run and shown as fresh)', async () => {
        const text = readFileSync(join(ROOT, 'examples', 'xrstors-twice.uintr'), 'utf8');
        const uri = URI.parse('file:///cache/saved-then-edited.uintr');
        const textDocuments = shared.workspace.TextDocuments!;
        const builder = shared.workspace.DocumentBuilder, emulation = Uintr.uintr.Emulation;
        const options: BuildOptions = { validation: { categories: ['built-in', 'fast', EMULATION_CATEGORY] } };
        const gp = (doc: LangiumDocument) => (doc.diagnostics ?? []).filter(d => d.code === 'xrstors-gp').map(d => [d.range.start.line, (d.data as { stale?: boolean } | undefined)?.stale === true]);
        textDocuments.set(TextDocument.create(uri.toString(), 'uintr', 1, text));
        const doc = shared.workspace.LangiumDocumentFactory.fromString<ast.File>(text, uri);
        shared.workspace.LangiumDocuments.addDocument(doc);
        emulation.markDue(uri.toString()); // opened
        await builder.build([doc], options);
        const line = text.split('\n').findIndex(l => /^cpu0: xrstors/.test(l) && l.includes('//!'));
        expect(gp(doc)).toEqual([[line, false]]);
        // saved at version 2; before its build validates, an edit makes version 3
        textDocuments.set(TextDocument.create(uri.toString(), 'uintr', 2, '// saved\n' + text));
        emulation.markDue(uri.toString(), 2);
        textDocuments.set(TextDocument.create(uri.toString(), 'uintr', 3, '// saved\n// edited\n' + text));
        const before = builder.updateBuildOptions;
        builder.updateBuildOptions = options;
        await builder.update([uri], []).finally(() => { builder.updateBuildOptions = before; });
        const rebuilt = shared.workspace.LangiumDocuments.getDocument(uri)!;
        // stale, where its step now is: two lines down (decisions #20)
        expect(gp(rebuilt)).toEqual([[line + 2, true]]);
        textDocuments.delete(uri.toString());
        await clearDocuments(shared, [rebuilt]);
    });
});

// ---------------------------------------------------------------------------------------
describe('code lens', () => {
    const lens = async (text: string, name: string): Promise<string> => {
        const uri = URI.parse(`file:///lens/${name}.uintr`);
        const doc = shared.workspace.LangiumDocumentFactory.fromString<ast.File>(text, uri);
        shared.workspace.LangiumDocuments.addDocument(doc);
        Uintr.uintr.Emulation.markDue(uri.toString());
        await shared.workspace.DocumentBuilder.build([doc], { validation: { categories: ['built-in', 'fast', 'emulation'] } });
        const lenses = await Uintr.lsp.CodeLensProvider!.provideCodeLens(doc, { textDocument: { uri: uri.toString() } });
        await clearDocuments(shared, [doc]);
        return lenses![0].command!.title;
    };

    test('counts the races with a counterexample (their codes are in the race\'s diagnostic, not among the faults)', async () => {
        const title = await lens(example('race-upid-use-after-free'), 'uaf');
        expect(title).toMatch(/ · 1 of 1 race with a counterexample · /);
        expect(await lens(example('race-kthread-roundtrip-rfc'), 'rfc')).toMatch(/ · 0 of 1 race with a counterexample · /);
        expect(await lens(example('xrstors-twice'), 'plain')).not.toMatch(/race/);
    });

    test('the costs of a file with a race are those of the file as written (as --stats), not only up to the race', async () => {
        const body = 'machine { cpus 2 policy linux_rfc }\ntask rx { handler 0x401000 }\ntask tx { target rx vector 3 }\ncpu0: switch rx\n';
        const tail = 'cpu0: xsaves rx\ncpu0: xrstors rx\ncpu1: senduipi 0\n';
        const raced = await lens(`${body}race { cpu1: switch tx } with { cpu0: stui }\n${tail}`, 'raced');
        const plain = await lens(`${body}cpu1: switch tx\ncpu0: stui\n${tail}`, 'plain');
        expect(raced).toContain('1 XSAVES / 3 XRSTORS');
        expect(plain).toContain('1 XSAVES / 3 XRSTORS');
    });
});

// ---------------------------------------------------------------------------------------
describe('code actions', () => {
    let counter = 0;

    /** A document built as the server builds an opened or saved one: static checks and the emulator. */
    async function emulated(text: string): Promise<LangiumDocument<ast.File>> {
        const uri = URI.parse(`file:///code-actions/${counter++}.uintr`);
        const doc = shared.workspace.LangiumDocumentFactory.fromString<ast.File>(text, uri);
        shared.workspace.LangiumDocuments.addDocument(doc);
        Uintr.uintr.Emulation.markDue(uri.toString());
        await shared.workspace.DocumentBuilder.build([doc], { validation: { categories: ['built-in', 'fast', 'emulation'] } });
        return doc;
    }

    async function actionsFor(doc: LangiumDocument, diagnostics: Diagnostic[], only?: string[]): Promise<CodeAction[]> {
        const range = diagnostics[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
        const result = await Uintr.lsp.CodeActionProvider!.getCodeActions(doc, { textDocument: { uri: doc.uri.toString() }, range, context: { diagnostics, only } });
        return (result ?? []).filter(CodeAction.is);
    }

    function applied(doc: LangiumDocument, action: CodeAction): string {
        const edits = action.edit?.changes?.[doc.uri.toString()];
        expect(edits, `edits of "${action.title}"`).toBeTruthy();
        return TextDocument.applyEdits(doc.textDocument, edits!);
    }

    function diagnostic(doc: LangiumDocument, code: string, line: number): Diagnostic {
        const d = (doc.diagnostics ?? []).find(x => x.code === code && x.range.start.line === line);
        expect(d, `${code} on line ${line + 1} among ${JSON.stringify(doc.diagnostics?.map(x => `${x.code}@${x.range.start.line + 1}`))}`).toBeTruthy();
        return d!;
    }

    const hasNo = (codes: string[], code: string, line: number) => expect(codes).not.toContain(`${code}@${line}`);

    test('the emulator\'s diagnostics are on the document after an emulated build', async () => {
        const doc = await emulated(example('kthread-roundtrip-lazy'));
        expect((doc.diagnostics ?? []).map(d => `${d.code}@${d.range.start.line + 1}`).sort()).toEqual(annotations(example('kthread-roundtrip-lazy')));
        await clearDocuments(shared, [doc]);
    });

    test('xrstors-gp (xrstors-twice): a preferred fix whose edit removes the #GP', async () => {
        const text = example('xrstors-twice');
        const doc = await emulated(text);
        const gp = diagnostic(doc, 'xrstors-gp', 11);
        const actions = await actionsFor(doc, [gp], ['quickfix']);
        const preferred = actions.filter(a => a.isPreferred);
        expect(preferred.length, JSON.stringify(actions.map(a => a.title))).toBeGreaterThan(0);
        for (const a of actions) {
            expect(a.kind).toBe('quickfix');
            expect(a.diagnostics).toEqual([gp]);
            const after = await check(applied(doc, a));
            expect(after.codes.some(c => c.startsWith('xrstors-gp@')), `${a.title}: ${after.codes}`).toBe(false);
            if (a.isPreferred) expect(after.diagnostics.filter(d => d.severity === 'error'), a.title).toEqual([]);
        }
        await clearDocuments(shared, [doc]);
    });

    test('a fix re-checked on a file with a large race: the race is explored only to a bound, and the fix is offered but not preferred', async () => {
        // xrstors over the armed UINV, then a ring of three CPUs (about 200,000 states in full)
        const ring = ['machine { cpus 3 policy linux_rfc }', 'task r0 { handler 0x401000 ndst 0 }', 'task r1 { handler 0x401000 ndst 1 }',
            'task r2 { handler 0x401000 ndst 2 }', 'task s0 { target r1 vector 0 }', 'task s1 { target r2 vector 1 }', 'task s2 { target r0 vector 2 }',
            'kthread k0', 'kthread k1', 'kthread k2', 'cpu0: switch r0', 'cpu0: xrstors r0', 'cpu1: switch r1', 'cpu2: switch r2',
            'race {', ...[0, 1, 2].flatMap(i => [i ? '} with {' : '', ...Array.from({ length: 3 }, () => [`cpu${i}: switch s${i}`, `cpu${i}: senduipi 0`, `cpu${i}: switch k${i}`, `cpu${i}: switch r${i}`]).flat()]).filter(Boolean), '}'];
        const doc = await emulated(ring.join('\n') + '\n');
        const gp = diagnostic(doc, 'xrstors-gp', 11);
        const actions = await actionsFor(doc, [gp], ['quickfix']);
        const xsaves = actions.find(a => /xsaves r0/.test(a.title));
        expect(xsaves, JSON.stringify(actions.map(a => a.title))).toBeTruthy();
        expect(xsaves!.isPreferred).toBe(false);
        const after = await Uintr.uintr.FixChecker.check(applied(doc, xsaves!));
        expect(after.run!.races[0].truncated).toBe(true);
        expect(after.run!.races[0].states).toBeLessThanOrEqual(FIX_CHECK_MAX_STATES);
        await clearDocuments(shared, [doc]);
    });

    test('a file of more than RECHECK_MAX_ITEMS items: its fixes are offered without the re-check (a whole run per candidate at every cursor move), said so in the title, never preferred', async () => {
        const text = 'machine { policy manual }\ntask rx { handler 0x401000 }\ntask ry { handler 0x402000 }\ncpu0: switch rx\ncpu0: xrstors rx\ncpu0: xrstors ry\n'
            + 'cpu0: stui\n'.repeat(RECHECK_MAX_ITEMS);
        const doc = await emulated(text);
        const gp = diagnostic(doc, 'xrstors-gp', 5);
        const actions = await actionsFor(doc, [gp], ['quickfix']);
        const xsaves = actions.find(a => /xsaves rx/.test(a.title));
        expect(xsaves?.title).toBe(`Insert 'xsaves rx' before it (saves, then clears UINV) (not re-checked: the file has ${(RECHECK_MAX_ITEMS + 3).toLocaleString('en-US')} items)`);
        expect(actions.every(a => a.isPreferred === false)).toBe(true);
        // the same fix as the re-checked one, which a smaller file offers
        expect(applied(doc, xsaves!).split('\n')[5]).toBe('cpu0: xsaves rx');
        await clearDocuments(shared, [doc]);
    });

    test('xrstors-gp while a task runs: insert an XSAVES of it before the XRSTORS', async () => {
        const text = 'machine { policy manual }\ntask rx { handler 0x401000 }\ntask ry { handler 0x402000 }\ncpu0: switch rx\ncpu0: xrstors rx\ncpu0: xrstors ry\n';
        const doc = await emulated(text);
        const gp = diagnostic(doc, 'xrstors-gp', 5);
        const actions = await actionsFor(doc, [gp], ['quickfix']);
        const xsaves = actions.find(a => /xsaves rx/.test(a.title));
        expect(xsaves, JSON.stringify(actions.map(a => a.title))).toBeTruthy();
        expect(xsaves!.isPreferred).toBe(true);
        const fixed = applied(doc, xsaves!);
        expect(fixed.split('\n')[5]).toBe('cpu0: xsaves rx');
        expect((await check(fixed)).codes).toEqual([]);
        await clearDocuments(shared, [doc]);
    });

    test('notification-lost (kthread-roundtrip-lazy): policy changes, each to a built-in policy under which the scenario is clean', async () => {
        const text = stripAnnotations(example('kthread-roundtrip-lazy'));
        const doc = await emulated(text);
        const lost = diagnostic(doc, 'notification-lost', 18);
        const actions = await actionsFor(doc, [lost], ['quickfix']);
        const offered = actions.map(a => /^Use policy (\w+)/.exec(a.title)?.[1]).filter((p): p is string => !!p);
        expect(offered.length, JSON.stringify(actions.map(a => a.title))).toBeGreaterThan(0);
        const clean: string[] = [];
        for (const p of BUILTIN.filter(x => x !== 'lazy_fpu')) if ((await check(text, { policy: p })).codes.length === 0) clean.push(p);
        expect(clean).toEqual(expect.arrayContaining(['linux_rfc', 'independent', 'tglx']));
        for (const a of actions.filter(x => /^Use policy/.test(x.title))) {
            const p = /^Use policy (\w+)/.exec(a.title)![1];
            expect(BUILTIN).toContain(p);
            const fixed = applied(doc, a);
            expect(fixed).toContain(`policy ${p}`);
            expect(fixed).not.toContain('policy lazy_fpu');
            expect(fixed.split('\n').length).toBe(text.split('\n').length);
            expect((await check(fixed)).codes, `"${a.title}" leaves the scenario with diagnostics`).toEqual([]);
        }
        expect([...offered].sort()).toEqual([...clean].sort());
        await clearDocuments(shared, [doc]);
    });

    test('a #GP inside a kernel action of a file without a machine block: a policy change that adds one', async () => {
        // exec of an armed receiver under the default linux_rfc: its exec hook (XRSTORS init) faults
        const text = 'task rx { handler 0x401000 }\ncpu0: switch rx\ncpu0: exec\n';
        const doc = await emulated(text);
        const gp = diagnostic(doc, 'xrstors-gp', 2);
        const actions = await actionsFor(doc, [gp], ['quickfix']);
        const clean: string[] = [];
        for (const p of BUILTIN.filter(x => x !== 'linux_rfc')) if ((await check(text, { policy: p })).codes.length === 0) clean.push(p);
        expect(clean).toEqual(['manual']);
        expect(actions.map(a => a.title)).toEqual(['Use policy manual (the scenario is clean under it)']);
        const fixed = applied(doc, actions[0]);
        expect(fixed).toMatch(/machine \{ policy manual \}\ntask rx/);
        expect((await check(fixed)).codes).toEqual([]);
        expect(actions[0].isPreferred).toBe(true);
        await clearDocuments(shared, [doc]);
    });

    test('expect-failed on `expect delivered`: add `not`', async () => {
        const text = stripAnnotations(example('kthread-roundtrip-lazy'));
        const doc = await emulated(text);
        const failed = diagnostic(doc, 'expect-failed', 19);
        const actions = await actionsFor(doc, [failed], ['quickfix']);
        const add = actions.find(a => /Add 'not'/.test(a.title));
        expect(add, JSON.stringify(actions.map(a => a.title))).toBeTruthy();
        const fixed = applied(doc, add!);
        expect(fixed.split('\n')[19]).toBe('expect not delivered rx 3');
        hasNo((await check(fixed)).codes, 'expect-failed', 20);
        await clearDocuments(shared, [doc]);
    });

    test('expect-failed on `expect not delivered`: drop `not`', async () => {
        const text = stripAnnotations(example('kthread-roundtrip-lazy')).replace('policy lazy_fpu', 'policy linux_rfc').replace('expect delivered rx 3', 'expect not delivered rx 3');
        const doc = await emulated(text);
        const failed = diagnostic(doc, 'expect-failed', 19);
        const actions = await actionsFor(doc, [failed], ['quickfix']);
        const drop = actions.find(a => /Drop 'not'/.test(a.title));
        expect(drop, JSON.stringify(actions.map(a => a.title))).toBeTruthy();
        expect(drop!.isPreferred).toBe(true);
        const fixed = applied(doc, drop!);
        expect(fixed.split('\n')[19]).toBe('expect delivered rx 3');
        expect((await check(fixed)).codes).toEqual([]);
        await clearDocuments(shared, [doc]);
    });

    test('expect-failed on `expect pending`: no `not` is offered (it stands only before `delivered`, LANGUAGE §6)', async () => {
        const doc = await emulated('machine { policy manual }\ntask rx { handler 0x401000 }\nexpect pending rx 3\n');
        const failed = diagnostic(doc, 'expect-failed', 2);
        const actions = await actionsFor(doc, [failed], ['quickfix']);
        expect(actions.map(a => a.title).filter(t => /'not'/.test(t))).toEqual([]);
        await clearDocuments(shared, [doc]);
    });

    test('expect-failed on a comparison: rewrite the value written down (either side) to the one the machine has; an order or != becomes ==', async () => {
        const text = 'machine { cpus 2 policy manual }\ntask rx { handler 0x401000 }\ntask tx { target rx vector 3 }\n'
            + 'cpu0: switch rx\ncpu0: xrstors rx\n'
            + 'expect cpu0.uinv == 0x1\n'       // line 6: observed 0xec
            + 'expect cpu0.current == tx\n'     // line 7: observed rx
            + 'expect cpu1.mode != kernel\n'    // line 8: observed kernel
            + 'expect rx.upid.nv & 0xf0 == 0\n' // line 9: observed 0xe0
            + 'expect 0x0 == cpu0.uinv\n'       // line 10: the register on the right
            + 'expect 0x1 == 0x2\n'             // line 11: nothing read: no such fix
            + 'expect cpu0.uinv >= 0x100\n';    // line 12: an order: made an equality (`>= 0xec` would hold always)
        const doc = await emulated(text);
        const cases: [number, string][] = [
            [5, 'expect cpu0.uinv == 0xec'],
            [6, 'expect cpu0.current == rx'],
            [7, 'expect cpu1.mode == kernel'],
            [8, 'expect rx.upid.nv & 0xf0 == 0xe0'],
            [9, 'expect 0xec == cpu0.uinv'],
            [10, ''],
            [11, 'expect cpu0.uinv == 0xec'],
        ];
        for (const [line, want] of cases) {
            const failed = diagnostic(doc, 'expect-failed', line);
            const actions = await actionsFor(doc, [failed], ['quickfix']);
            if (line === 10) {
                expect(actions.filter(a => /observed value/.test(a.title))).toEqual([]);
                continue;
            }
            const fix = actions.find(a => /observed value/.test(a.title));
            expect(fix, `line ${line + 1}: ${JSON.stringify(actions.map(a => a.title))}`).toBeTruthy();
            const fixed = applied(doc, fix!);
            expect(fixed.split('\n')[line]).toBe(want);
            hasNo((await check(fixed)).codes, 'expect-failed', line + 1);
        }
        await clearDocuments(shared, [doc]);
    });

    test('static errors: at most one per (code, line), as the CLI reports them, the others as related information', async () => {
        const text = 'scenario "open\nmachine { cpus 2 }\ntask rx { handler 1 }\nkthread kw\ncpu0: switch cpu5\ncpu1: switch rx\n';
        const doc = await parse(text, { validation: true });
        const mine = (doc.diagnostics ?? []).filter(d => d.severity === 1).map(d => `${d.code}@${d.range.start.line + 1}`).sort();
        expect(new Set(mine).size).toBe(mine.length);
        expect(mine).toEqual([...(await check(text)).codes].sort());
        await clearDocuments(shared, [doc]);
    });

    test('an unknown name is a `semantic` diagnostic with data.kind `unknown-name` (LANGUAGE.md §8)', async () => {
        const doc = await emulated('task rx { handler 0x401000 }\ncpu0: switch rx\ncpu0: switch kworker\n');
        const d = (doc.diagnostics ?? []).find(x => x.range.start.line === 2);
        expect(d, JSON.stringify(doc.diagnostics)).toBeTruthy();
        expect(d!.code).toBe('semantic');
        expect((d!.data as { kind?: string }).kind).toBe('unknown-name');
        await clearDocuments(shared, [doc]);
    });

    test('an unknown name (as the editor reports it): declare it', async () => {
        const text = 'task rx { handler 0x401000 }\ncpu0: switch rx\ncpu0: switch kworker\n';
        const doc = await emulated(text);
        const d = (doc.diagnostics ?? []).find(x => x.range.start.line === 2)!;
        const actions = await actionsFor(doc, [d], ['quickfix']);
        const titles = actions.map(a => a.title);
        expect(titles).toEqual(expect.arrayContaining(["Declare 'kthread kworker'"]));
        await clearDocuments(shared, [doc]);
    });

    test('an unknown name (diagnostic as LANGUAGE.md §8 says): declare it as a kthread, task or receiver', async () => {
        const cases: { text: string; line: number; ref: string; container: string; property: string; want: RegExp[] }[] = [
            { text: 'task rx { handler 0x401000 }\ncpu0: switch rx\ncpu0: switch kworker\n', line: 2, ref: 'kworker', container: 'SwitchAction', property: 'target', want: [/^Declare 'kthread kworker'$/, /^Declare 'task kworker \{ \}'$/] },
            { text: 'task tx { target nobody vector 3 }\ncpu0: switch tx\n', line: 0, ref: 'nobody', container: 'TaskProp', property: 'target', want: [/^Declare receiver 'task nobody \{ handler 0x401000 \}'$/] },
            { text: 'task rx { handler 0x401000 }\ncpu0: switch rx\nexpect not delivered ry 3\n', line: 2, ref: 'ry', container: 'DeliveredExp', property: 'task', want: [/^Declare receiver 'task ry/] },
        ];
        for (const c of cases) {
            const doc = await emulated(c.text);
            const linking = (doc.diagnostics ?? []).find(x => x.range.start.line === c.line);
            expect(linking, JSON.stringify(doc.diagnostics)).toBeTruthy();
            const d: Diagnostic = { ...linking!, code: 'semantic', data: { kind: 'unknown-name', code: 'linking-error', containerType: c.container, property: c.property, refText: c.ref } };
            const actions = await actionsFor(doc, [d], ['quickfix']);
            const titles = actions.map(a => a.title);
            for (const w of c.want) expect(titles.some(t => w.test(t)), `${w} among ${JSON.stringify(titles)}`).toBe(true);
            for (const a of actions) {
                const fixed = applied(doc, a);
                const after = await check(fixed);
                expect(after.codes.filter(x => x.startsWith('semantic@') || x.startsWith('syntax@')), `${a.title}:\n${fixed}`).toEqual([]);
                if (!a.title.startsWith('Declare')) continue;
                // declarations come before items: the new one sits above the first item
                const declLine = fixed.split('\n').findIndex(l => new RegExp(`^(task|kthread) ${c.ref}\\b`).test(l));
                const firstItem = fixed.split('\n').findIndex(l => /^(cpu\d+:|expect|race)/.test(l));
                expect(declLine).toBeGreaterThanOrEqual(0);
                expect(declLine).toBeLessThan(firstItem);
            }
            await clearDocuments(shared, [doc]);
        }
    });

    test('a name declared as another kind (a kthread as a target): a name of the right kind close to it, never a second declaration of it', async () => {
        const doc = await emulated('kthread rx1\ntask rx { handler 0x401000 }\ntask tx { target rx1 vector 3 }\ncpu0: switch tx\n');
        const d = (doc.diagnostics ?? []).find(x => x.range.start.line === 2 && x.severity === 1)!;
        expect(d.message).toBe("'rx1' is a kthread, not a task: a UITT target is a receiver, a task with a handler");
        const titles = (await actionsFor(doc, [d], ['quickfix'])).map(a => a.title);
        expect(titles).toContain("Change to 'rx'");
        expect(titles.filter(t => t.startsWith('Declare'))).toEqual([]); // 'task rx1' again: a duplicate
        await clearDocuments(shared, [doc]);
    });

    test('an unknown name close to a declared or built-in one: change to it (preferred, the only preferred fix)', async () => {
        const policy = await emulated('machine { policy linux_rcf }\ncpu0: stui\n');
        const pd = (policy.diagnostics ?? []).find(x => x.range.start.line === 0 && x.severity === 1)!;
        const pActions = await actionsFor(policy, [pd], ['quickfix']);
        expect(pActions[0].title).toBe("Change to 'linux_rfc'");
        expect(pActions.filter(a => a.isPreferred).map(a => a.title)).toEqual(["Change to 'linux_rfc'"]);
        expect(applied(policy, pActions[0])).toBe('machine { policy linux_rfc }\ncpu0: stui\n');
        const task = await emulated('task rx { handler 0x401000 }\nkthread kworker\ncpu0: switch kwroker\n');
        const td = (task.diagnostics ?? []).find(x => x.range.start.line === 2 && x.severity === 1)!;
        const tActions = await actionsFor(task, [td], ['quickfix']);
        expect(tActions.map(a => a.title)).toContain("Change to 'kworker'");
        expect(tActions.filter(a => a.isPreferred)).toHaveLength(1);
        await clearDocuments(shared, [policy, task]);
    });

    test('an unknown name where a UPID or an image is needed: no fix that trades it for another semantic error there (editor audit)', async () => {
        const texts = [
            'task rx { handler 0x401000 }\nkthread kworker\ncpu0: set kworkr.upid.sn = 1\n',
            'task rx { handler 0x401000 }\nkthread kworker\nexpect kworkr.xsave.uinv == 0\n',
            'task rx { handler 0x401000 }\ntask tx { target rx vector 3 }\ncpu0: free rxx.upid\n',
        ];
        for (const text of texts) {
            const doc = await emulated(text);
            const unknown = (doc.diagnostics ?? []).find(x => x.range.start.line === 2 && x.severity === 1)!;
            const actions = await actionsFor(doc, [unknown], ['quickfix']);
            expect(actions.map(a => a.title), text).not.toContain("Change to 'kworker'");
            expect(actions.length, text).toBeGreaterThan(0);
            for (const a of actions) {
                const after = await emulated(applied(doc, a));
                const errors = (after.diagnostics ?? []).filter(x => x.severity === 1);
                // the unknown name's line (one further down when a declaration was added above it)
                expect(errors.filter(x => x.code === 'semantic').map(x => x.message), `${a.title} on ${text}`).toEqual([]);
                if (a.isPreferred) expect(errors, `${a.title} on ${text}`).toEqual([]);
                await clearDocuments(shared, [after]);
            }
            await clearDocuments(shared, [doc]);
        }
    });

    test('inlay hints name a register of another CPU by its whole path: an IPI sent from cpu1 sets cpu0.uirr (editor audit)', async () => {
        // cpu0's UIF is 0 (clui): the vector stays in its UIRR
        const doc = await emulated('machine { cpus 2 policy linux_rfc }\ntask rx { handler 0x401000 }\ntask tx { target rx vector 5 }\n'
            + 'cpu0: switch rx\ncpu1: switch tx\ncpu0: clui\ncpu1: senduipi 0\n');
        const hints = await Uintr.lsp.InlayHintProvider!.getInlayHints(doc, { textDocument: { uri: doc.uri.toString() }, range: { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } } });
        const labels = new Map((hints ?? []).map(h => [h.position.line, String(h.label)]));
        expect(labels.get(3)).toMatch(/UINV 0x0→0xec/); // cpu0's own
        expect(labels.get(6)).toMatch(/cpu0\.uirr 0x0→0x20/);
        expect(labels.get(6)).not.toMatch(/(^|\s)UIRR/);
        await clearDocuments(shared, [doc]);
    });

    test('a static error on a line with another of its code is fixed on its own; "observed value" only when one side is written down', async () => {
        const doc = await emulated('machine { cpus 2 policy lazyfpu uinv 256 }\ncpu0: stui\n');
        const unknown = (doc.diagnostics ?? []).find(x => x.severity === 1 && /lazyfpu/.test(String(x.message)))!;
        const actions = await actionsFor(doc, [unknown], ['quickfix']);
        expect(actions.map(a => a.title)).toContain("Change to 'lazy_fpu'");
        const both = await emulated('task rx { handler 0x401000 }\ncpu0: switch rx\nexpect cpu0.uirr == cpu0.uinv\n');
        const failed = diagnostic(both, 'expect-failed', 2);
        expect((await actionsFor(both, [failed], ['quickfix'])).filter(a => /observed value/.test(a.title))).toEqual([]);
        await clearDocuments(shared, [doc, both]);
    });

    test('a declaration added to a file without items or without a final newline lands on a line of its own, in the file\'s line breaks', async () => {
        const noNewline = await emulated('task tx { target foo vector 3 }');
        const d = (noNewline.diagnostics ?? []).find(x => x.severity === 1)!;
        const declare = (await actionsFor(noNewline, [d], ['quickfix'])).find(a => a.title.startsWith('Declare receiver'))!;
        expect(applied(noNewline, declare)).toBe('task tx { target foo vector 3 }\ntask foo { handler 0x401000 }\n');
        const crlf = await emulated('task rx { handler 0x401000 }\r\ncpu0: switch rx\r\ncpu0: switch kworker\r\n');
        const cd = (crlf.diagnostics ?? []).find(x => x.range.start.line === 2 && x.severity === 1)!;
        const kthread = (await actionsFor(crlf, [cd], ['quickfix'])).find(a => a.title === "Declare 'kthread kworker'")!;
        expect(applied(crlf, kthread)).toBe('task rx { handler 0x401000 }\r\nkthread kworker\r\ncpu0: switch rx\r\ncpu0: switch kworker\r\n');
        await clearDocuments(shared, [noNewline, crlf]);
    });

    test('xsaves-clobbers-image (double-xsaves): delete the second XSAVES', async () => {
        const text = example('double-xsaves');
        const doc = await emulated(text);
        const clobber = diagnostic(doc, 'xsaves-clobbers-image', 10);
        const actions = await actionsFor(doc, [clobber], ['quickfix']);
        const del = actions.find(a => /Delete the second XSAVES/.test(a.title));
        expect(del, JSON.stringify(actions.map(a => a.title))).toBeTruthy();
        const fixed = applied(doc, del!);
        const lines = fixed.split('\n');
        expect(lines.length).toBe(text.split('\n').length - 1);
        expect(lines.filter(l => /^cpu0: xsaves rx/.test(l))).toHaveLength(1);
        const after = await check(fixed);
        expect(after.codes.some(c => c.startsWith('xsaves-clobbers-image@'))).toBe(false);
        // the file's last expectation documents the damage, so the fix makes it fail: not preferred
        expect(after.codes).toEqual(['expect-failed@12']);
        expect(del!.isPreferred).toBe(false);
        // and its title says so (it did not: an editor audit read it as a fix that adds an error)
        expect(del!.title).toBe('Delete the second XSAVES (it clobbers the saved UINV) — then expect-failed at line 12');
        await clearDocuments(shared, [doc]);
    });

    test.each(['kthread-roundtrip-lazy', 'xrstors-twice', 'double-xsaves', 'wrmsr-by-hand-manual', 'senduipi-faults', 'misdelivered-stale-upidaddr'])(
        '"Annotate diagnostics" (source.uintr.annotate) on %s writes //! comments that agree with check()', async name => {
            const text = stripAnnotations(example(name));
            const doc = await emulated(text);
            const actions = await actionsFor(doc, [], ['source.uintr.annotate']);
            const expected = (await check(text)).codes;
            if (expected.length === 0) {
                expect(actions).toEqual([]);
            } else {
                expect(actions.map(a => a.kind)).toEqual(['source.uintr.annotate']);
                const out = applied(doc, actions[0]);
                expect(out.split('\n').length).toBe(text.split('\n').length);
                expect(annotations(out)).toEqual([...(await check(out)).codes].sort());
                expect(annotations(out)).toEqual([...expected].sort());
            }
            await clearDocuments(shared, [doc]);
        });

    test('"Annotate diagnostics" replaces stale annotations and is listed under `source`, not under `quickfix`', async () => {
        const text = example('kthread-roundtrip-lazy').replace('//! expect-failed', '//! xrstors-gp').replace('cpu0: switch rx\ncpu1', 'cpu0: switch rx   //! ud\ncpu1');
        const doc = await emulated(text);
        const [action] = await actionsFor(doc, [], ['source']);
        expect(action?.kind).toBe('source.uintr.annotate');
        const out = applied(doc, action);
        expect(annotations(out)).toEqual([...(await check(text)).codes].sort());
        expect(out).not.toContain('//! xrstors-gp');
        expect(out).not.toContain('//! ud');
        expect((await actionsFor(doc, [], ['quickfix'])).filter(a => a.kind === 'source.uintr.annotate')).toEqual([]);
        await clearDocuments(shared, [doc]);
    });

    test('"Annotate diagnostics" is made when asked for (under `source`, or an invoked request), not for the light bulb\'s automatic request', async () => {
        const doc = await emulated(stripAnnotations(example('kthread-roundtrip-lazy')));
        const ask = async (triggerKind?: CodeActionTriggerKind) => ((await Uintr.lsp.CodeActionProvider!.getCodeActions(doc, {
            textDocument: { uri: doc.uri.toString() }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [], triggerKind },
        })) ?? []).filter(CodeAction.is).map(a => a.kind);
        expect(await ask(CodeActionTriggerKind.Automatic)).toEqual([]);
        expect(await ask(CodeActionTriggerKind.Invoked)).toEqual(['source.uintr.annotate']);
        expect(await ask()).toEqual(['source.uintr.annotate']);
        await clearDocuments(shared, [doc]);
    });

    test('"Annotate diagnostics" on a file with a static error uses the static code (semantic for an unknown name)', async () => {
        const text = 'task rx { handler 0x401000 }\ncpu0: switch rx\ncpu0: switch kworker\n';
        const doc = await emulated(text);
        const [action] = await actionsFor(doc, [], ['source.uintr.annotate']);
        expect(action, 'an annotate action').toBeTruthy();
        const out = applied(doc, action);
        expect(annotations(out)).toEqual((await check(text)).codes);
        expect(annotations(out)).toEqual(['semantic@3']);
        await clearDocuments(shared, [doc]);
    });
});
