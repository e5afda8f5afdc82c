/**
 * The language itself (LANGUAGE.md §2, §3, §5, §8, §10): lexical rules, the structure of a
 * file, operator precedence, and every static check with its code, line and (where the
 * contract says "the offending token") column. Two views: Langium's own test helpers on
 * services that have the prelude loaded, and `check()` (the codes the CLI reports).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AstUtils, createDefaultCoreModule, createDefaultSharedCoreModule, CstNodeBuilder, DefaultLexer, DefaultTokenBuilder, EmptyFileSystem, inject, isCompositeCstNode, URI, type CompositeCstNode, type CstNode } from 'langium';
import { expectError, expectIssue, expectNoIssues, parseHelper, validationHelper, type ValidationResult } from 'langium/test';
import { beforeAll, describe, expect, test } from 'vitest';
import * as ast from '../server/src/syntax/generated/ast.js';
import { registerPreludeUri } from '../server/src/syntax/prelude-uri.js';
import { createUintrCoreServices, TOO_LARGE, UintrModule, UNMATCHED } from '../server/src/syntax/uintr-module.js';
import { MAX_RECOVERED_ERRORS } from '../server/src/syntax/parse-errors.js';
import { UintrGeneratedModule, UintrGeneratedSharedModule, UintrLanguageMetaData } from '../server/src/syntax/generated/module.js';
import { countTokens, MAX_TOKENS, tooLarge } from '../server/src/syntax/limits.js';
import { UintrTokenBuilder } from '../server/src/syntax/lexer-patterns.js';
import { shortenRuns, thousands } from '../server/src/syntax/message-text.js';
import { bracketMap, findTooDeep, findUnmatched, MAX_UNMATCHED } from '../server/src/syntax/nesting.js';
import { PRELUDE_PATH, ROOT, check } from './helpers.js';

// ---- services with the prelude loaded (as UintrWorkspace.loadPrelude does) ----------------
const { shared, Uintr } = createUintrCoreServices(EmptyFileSystem);
const parse = parseHelper<ast.File>(Uintr);
const validate = validationHelper<ast.File>(Uintr);

beforeAll(async () => {
    const uri = URI.file(PRELUDE_PATH);
    registerPreludeUri(uri.toString());
    const prelude = shared.workspace.LangiumDocumentFactory.fromString<ast.File>(readFileSync(PRELUDE_PATH, 'utf8'), uri);
    shared.workspace.LangiumDocuments.addDocument(prelude);
    await shared.workspace.DocumentBuilder.build([prelude], { validation: true });
    expect(prelude.diagnostics ?? []).toEqual([]);
    expect(prelude.parseResult.value.decls.filter(ast.isPolicy).map(p => p.name))
        .toEqual(expect.arrayContaining(['manual', 'eager', 'lazy_fpu', 'linux_rfc', 'independent', 'tglx']));
});

/** Validates with Langium's helper, runs `body`, then disposes the document. */
async function validated(text: string, body: (r: ValidationResult<ast.File>) => void): Promise<void> {
    const r = await validate(text);
    try {
        body(r);
    } finally {
        await r.dispose();
    }
}

async function parsed(text: string): Promise<ast.File> {
    const doc = await parse(text);
    expect(doc.parseResult.lexerErrors).toEqual([]);
    expect(doc.parseResult.parserErrors).toEqual([]);
    return doc.parseResult.value;
}

// ---- check() helpers ------------------------------------------------------------------------

/** Removes the single `<|` marker and returns the 1-based line and column where it stood. */
function marked(src: string): { text: string; line: number; column: number } {
    const i = src.indexOf('<|');
    if (i < 0) throw new Error('no <| marker in test text');
    const text = src.slice(0, i) + src.slice(i + 2);
    const before = text.slice(0, i);
    return { text, line: before.split('\n').length, column: i - before.lastIndexOf('\n') };
}

const uniq = (codes: string[]) => [...new Set(codes)].sort();

async function codesOf(text: string): Promise<string[]> {
    return uniq((await check(text)).codes);
}

/**
 * The file has exactly one kind of static finding, `code`, on exactly the marked line, and
 * one of them starts at the marked column (the offending token, LANGUAGE.md §9).
 */
async function expectStatic(src: string, code: 'syntax' | 'semantic', opts: { column?: boolean } = { column: true }): Promise<void> {
    const { text, line, column } = marked(src);
    const r = await check(text);
    expect(uniq(r.codes), text).toEqual([`${code}@${line}`]);
    expect(r.run, 'a file with a static error is not emulated').toBeUndefined();
    if (opts.column !== false) {
        const cols = r.diagnostics.filter(d => d.code === code && d.loc.line === line).map(d => d.loc.column);
        expect(cols, `${text}\n${JSON.stringify(r.diagnostics.map(d => [d.loc.line, d.loc.column, d.message]))}`).toContain(column);
    }
}

/** The file checks clean: no static error and no run diagnostic (warnings included). */
async function expectClean(text: string): Promise<void> {
    const r = await check(text);
    expect(r.codes, `${text}\n${r.diagnostics.map(d => d.message).join('\n')}`).toEqual([]);
}

/** No static (`syntax`/`semantic`) error; the run may report what it likes. */
async function expectNoStatic(text: string): Promise<void> {
    const r = await check(text);
    const stat = r.diagnostics.filter(d => d.code === 'syntax' || d.code === 'semantic');
    expect(stat.map(d => `${d.code}@${d.loc.line}: ${d.message}`), text).toEqual([]);
    expect(r.run, 'a file without static errors is emulated').toBeDefined();
}

const MACHINE2 = `machine { cpus 2 policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kw
`; // 4 lines; the next line is line 5

const RESERVED = [...new Set(`scenario machine cpus uinv kernel_vector policy ipi immediate deferred handlers auto
  xrstors_init strict lenient task handler stack_adjust uif ndst target vector kthread race with
  expect delivered not pending gp no lost switch exec exit wait xsaves xrstors init wrmsr senduipi
  stui clui testui uiret interrupt set free put extends on if else take into foreach waiting wake
  user kthread receiver sender valid and or prev next cur cpu idle kernel`.split(/\s+/).filter(Boolean))];

// =============================================================================================
describe('the grammar', () => {
    test('passes Chevrotain\'s validations of a grammar, which the services skip when they start (production mode)', () => {
        expect(createUintrCoreServices(EmptyFileSystem).Uintr.LanguageMetaData.mode).toBe('production');
        // the same services in development mode: building the parser and the lexer validates the grammar, and throws on a mistake
        const shared = inject(createDefaultSharedCoreModule(EmptyFileSystem), UintrGeneratedSharedModule);
        const checked = inject(createDefaultCoreModule({ shared }), UintrGeneratedModule, UintrModule, { LanguageMetaData: () => UintrLanguageMetaData });
        expect(checked.LanguageMetaData.mode).toBe('development');
        expect(() => checked.parser.Lexer).not.toThrow();
        expect(() => checked.parser.LangiumParser).not.toThrow();
        // a mistake of the kind the validations catch: a token builder whose ID matches the empty string
        class EmptyId extends UintrTokenBuilder {
            protected override buildTerminalToken(terminal: Parameters<UintrTokenBuilder['buildTerminalToken']>[0]) {
                const token = super.buildTerminalToken(terminal);
                return terminal.name === 'ID' ? { ...token, PATTERN: /[a-z]*/ } : token;
            }
        }
        const broken = (mode: 'development' | 'production') => inject(createDefaultCoreModule({ shared }), UintrGeneratedModule, UintrModule,
            { LanguageMetaData: () => ({ ...UintrLanguageMetaData, mode }), parser: { TokenBuilder: () => new EmptyId() } });
        expect(() => broken('development').parser.Lexer).toThrow(/ID.*must not match an empty string/);
        expect(() => broken('production').parser.Lexer).not.toThrow();
    });
});

describe('§2 lexical rules', () => {
    test('line and block comments are ignored anywhere, also across lines', async () => {
        const text = `// leading comment
/* block
   comment */ scenario /* inline */ "c" // trailing
machine { /* a */ cpus 2 // b
}
task rx { handler /* between */ 0x401000 }
/**/ cpu0: switch rx /* x */ // y
`;
        await expectNoStatic(text);
        await validated(text, r => expectNoIssues(r));
    });

    test('a comment-only file and a file of white space are clean', async () => {
        await expectClean('// nothing here\n/* nor here */\n');
        await expectClean(' \t\r\n\n   \n');
    });

    test('an unterminated block comment is a syntax error', async () => {
        const r = await check('task rx { handler 1 }\n/* never closed\ncpu0: switch rx\n');
        expect(r.codes.length).toBeGreaterThan(0);
        expect(r.codes.every(c => c.startsWith('syntax@'))).toBe(true);
    });

    test('names are case-sensitive: rx and Rx are different tasks, RX is unknown', async () => {
        await expectNoStatic('task rx { handler 1 }\ntask Rx { handler 2 }\ntask _a_1 { handler 3 }\ncpu0: switch Rx\n');
        await expectStatic('task rx { handler 1 }\ncpu0: switch <|RX\n', 'semantic');
    });

    test('cpuN names a CPU: a decimal index without a leading zero', async () => {
        const f = await parsed('machine { cpus 16 }\ncpu0: stui\ncpu10: clui\ncpu15: testui\n');
        expect(f.items.map(i => (i as ast.Step).cpu)).toEqual(['cpu0', 'cpu10', 'cpu15']);
    });

    test('cpu01 and cpu0x are ordinary names', async () => {
        await expectNoStatic('task cpu01 { handler 1 }\nkthread cpu0x\ntask cpu1a { target cpu01 vector 1 }\ncpu0: switch cpu01\ncpu0: switch cpu0x\n');
        const f = await parsed('task cpu01 { handler 1 }\nkthread cpu0x\n');
        expect(f.decls.map(d => d.name)).toEqual(['cpu01', 'cpu0x']);
    });

    test('cpu01 is not a CPU: `cpu01: stui` is a syntax error', async () => {
        await expectStatic('<|cpu01: stui\n', 'syntax');
    });

    test.each(RESERVED)('reserved word %s cannot name a task, a kthread or a policy (syntax)', async w => {
        await expectStatic(`task <|${w} { }\n`, 'syntax');
        await expectStatic(`kthread <|${w}\n`, 'syntax');
        await expectStatic(`policy <|${w} { }\n`, 'syntax');
    });

    test.each(RESERVED)('reserved word %s as a kthread name is reported on its own line only, not on the correct line after it', async w => {
        await expectStatic(`task rx { handler 1 }\nkthread <|${w}\ncpu0: switch rx\n`, 'syntax');
    });

    test('`manual` is reserved for tasks and kthreads, but names a policy and a handlers mode', async () => {
        await expectStatic('task <|manual { }\n', 'syntax');
        await expectStatic('kthread <|manual\n', 'syntax');
        await expectClean('machine { policy manual handlers manual }\n');
        await expectClean('machine { handlers manual\n policy mine }\npolicy mine extends manual { }\n');
        const f = await parsed('machine { policy manual handlers manual }\n');
        const props = f.machine!.props;
        expect(ast.isPolicyProp(props[0]) && props[0].policy.$refText).toBe('manual');
        expect(ast.isModeProp(props[1]) && props[1].mode).toBe('manual');
        await validated('machine { policy manual }\n', r => expectNoIssues(r));
        // `manual` is reserved (LANGUAGE.md §2): as a user policy's name it is a syntax error, like
        // any reserved word, and not also a shadowed built-in (one diagnostic)
        await expectStatic('policy <|manual { }\n', 'syntax');
    });

    test.each(['cpu0', 'cpu1', 'cpu63'])('the CPU name %s cannot name anything (syntax)', async c => {
        await expectStatic(`task <|${c} { handler 1 }\n`, 'syntax');
        await expectStatic(`kthread <|${c}\n`, 'syntax');
        await expectStatic(`policy <|${c} { }\n`, 'syntax');
    });

    test('words that are not reserved (upid, xsave, uitt, mode, current, hook names) can name tasks', async () => {
        await expectNoStatic('task upid { handler 1 }\ntask mode { handler 2 }\nkthread current\nkthread switch_out\ntask xsave { target upid vector 1 }\n');
    });

    test('a word right after `.` is a path segment, never a keyword', async () => {
        const f = await parsed(`${MACHINE2}expect rx.upid.on == 0\nexpect rx.xsave.uinv == uinv\nexpect cpu0.uif == 0\nexpect rx.upid.ndst != 1\nexpect cpu1.uinv == kernel_vector\n`);
        const cmp = (f.items[0] as ast.Expect).body as ast.CmpExp;
        const p = cmp.left as ast.PathExpr;
        expect(ast.isPathExpr(p)).toBe(true);
        expect(p.head.ref?.$refText).toBe('rx');
        expect(p.segments).toEqual(['upid', 'on']);
        expect(((f.items[1] as ast.Expect).body as ast.CmpExp).left).toMatchObject({ segments: ['xsave', 'uinv'] });
        expect(((f.items[2] as ast.Expect).body as ast.CmpExp).left).toMatchObject({ head: { cpu: 'cpu0' }, segments: ['uif'] });
        await expectNoStatic(`${MACHINE2}expect rx.upid.on == 0\nexpect rx.xsave.uinv == 0xec\nexpect cpu0.uif == 0\nexpect rx.upid.ndst == 0\n`);
    });

    test('a CPU name right after `.` is a segment too: an unknown one is semantic at it, as any other word', async () => {
        for (const src of [`${MACHINE2}expect rx.upid.<|cpu0 == 0\n`, `${MACHINE2}expect cpu0.<|cpu1 == 0\n`, `${MACHINE2}cpu0: set rx.xsave.<|cpu1 = 0\n`]) {
            await expectStatic(src, 'semantic');
        }
        const r = await check(`${MACHINE2}expect rx.upid.cpu0 == 0\n`);
        expect(r.diagnostics.map(d => d.message)).toEqual([expect.stringMatching(/^a UPID has no field 'cpu0'/)]);
    });

    test('MSR names are ordinary words in their place', async () => {
        const f = await parsed('machine { policy manual }\ncpu0: wrmsr IA32_UINTR_MISC 0\ncpu0: wrmsr IA32_UINTR_TT 0\n');
        expect(f.items.map(i => ((i as ast.Step).action as ast.WrmsrAction).msr)).toEqual(['IA32_UINTR_MISC', 'IA32_UINTR_TT']);
        await expectNoStatic('machine { policy manual }\ncpu0: wrmsr IA32_UINTR_RR 0\ncpu0: wrmsr IA32_UINTR_HANDLER 0\ncpu0: wrmsr IA32_UINTR_STACKADJUST 0\ncpu0: wrmsr IA32_UINTR_MISC 0\ncpu0: wrmsr IA32_UINTR_PD 0\ncpu0: wrmsr IA32_UINTR_TT 0\n');
        // an MSR name is not reserved: it may name a kthread
        await expectNoStatic('kthread IA32_UINTR_MISC\ncpu0: switch IA32_UINTR_MISC\ncpu0: wrmsr IA32_UINTR_MISC 0\n');
    });

    test('numbers: decimal, hexadecimal in either case, `_` between digits', async () => {
        const f = await parsed('task rx { handler 0x40_1000 stack_adjust 128 }\nexpect 0xEC == 0xec\nexpect 0xAbCd == 1_000\nexpect 0x0000_00ec_0000_0000 != 0\n');
        const task = f.decls[0] as ast.Task;
        expect(task.props.map(p => p.value)).toEqual(['0x40_1000', '128']);
        await expectNoStatic('task rx { handler 0x40_1000 stack_adjust 128 }\nexpect 0xEC == 0xec\nexpect 0xAbCd != 1_000\nexpect 0x0000_00ec_0000_0000 != 0\n');
        // 0xEC and 0xec are the same value: uinv equal to kernel_vector
        await expectStatic('machine { kernel_vector 0xEC\n  uinv <|0xec }\n', 'semantic');
        // and hex values compare as values when emulated
        await expectClean('expect 0xEC == 236\nexpect 0xffff_ffff_ffff_ffff == 18446744073709551615\n');
    });

    test.each([
        ['1__0', 'task rx { handler <|1__0 }\n'],
        ['1_', 'task rx { handler <|1_ }\n'],
        ['0x_1', 'task rx { handler <|0x_1 }\n'],
        ['_ right after 0x in an expression', 'expect cpu0.uinv == <|0x_ec\n'],
        ['0xecfoo', 'machine { uinv <|0xecfoo }\n'],
        ['0xecfoo in an expression', 'expect cpu0.uinv == <|0xecfoo\n'],
        ['12abc', 'task rx { handler <|12abc }\n'],
    ])('malformed number %s is a syntax error', async (_name, src) => {
        await expectStatic(src, 'syntax');
        // one diagnostic on the line (the parser's error after the lexer's joins its related
        // locations, LANGUAGE.md §8), saying what is wrong in the language's terms
        const r = await check(marked(src).text);
        expect(r.diagnostics).toHaveLength(1);
        expect(r.diagnostics[0].message).toMatch(/^malformed number '\w+': .*'_' may stand only between two digits, and it must not run into a name$/);
        // and nothing of what the parser made of its pieces (a note "expected a number but found 'xecfoo'", one column into it)
        expect(r.diagnostics[0].related).toEqual([]);
    });

    test('a CPU written with a leading zero starts no step: said so, not "where the file should end"', async () => {
        const src = 'task rx { handler 1 }\n<|cpu01: switch rx\n';
        await expectStatic(src, 'syntax');
        const r = await check(marked(src).text);
        expect(r.diagnostics.map(d => d.message)).toEqual(["'cpu01' is not a CPU name: CPUs are cpu0, cpu1, … with no leading zero, so no step starts here"]);
    });

    test.each([
        ['a /* comment left open', 'cpu0: stui <|/* open\n', 'a /* comment is never closed'],
        ['a string left open', 'scenario <|"abc\n', 'a string is not closed on its line'],
        ['a string closed but for an escape the language lacks', 'scenario <|"tab\\there"\n', "unknown escape '\\t' in a string: the only escapes are \\\" and \\\\"],
        ['a string whose last quote is escaped', 'scenario <|"x\\q\\"\n', 'a string is not closed on its line'],
        ['a stray character', 'cpu0: stui <|@\n', "unexpected character '@'"],
    ])('%s: a syntax error that says so', async (_name, src, message) => {
        await expectStatic(src, 'syntax');
        const r = await check(marked(src).text);
        expect(r.diagnostics.map(d => d.message)).toEqual([message]);
    });

    test('a declaration after the steps: the fixed order of parts is named', async () => {
        await expectStatic('cpu0: stui\n<|task rx { handler 1 }\n', 'syntax');
        const r = await check('cpu0: stui\ntask rx { handler 1 }\n');
        expect(r.diagnostics[0].message).toContain('the parts of a file come in a fixed order');
    });

    test('two static errors of one code on one line are one diagnostic, the second in its related locations', async () => {
        const r = await check('task tx {\n uif 1\n uif 1\n}\n');
        const line3 = r.diagnostics.filter(d => d.loc.line === 3);
        expect(line3).toHaveLength(1);
        expect(line3[0].code).toBe('semantic');
        expect(line3[0].related).toHaveLength(1);
        expect(line3[0].related[0].loc.line).toBe(3);
        expect([line3[0].message, line3[0].related[0].message].sort()).toEqual([
            "'uif' needs a receiver: tx has no handler", "task property 'uif' is given twice",
        ]);
    });

    test.each([
        ['a machine number missing', 'machine { cpus <|}\n'],
        ['a machine number missing after another', 'machine { cpus 2\n  uinv <|}\n'],
        ['a task number missing', 'task rx { handler <|}\n'],
        ['a malformed machine number', 'machine { kernel_vector <|0x_eb }\n'],
    ])('%s is a syntax error only (the checks do not crash on the recovered tree)', async (_name, src) => {
        await expectStatic(src, 'syntax');
    });

    test.each([
        ['2^64 in decimal', 'task rx { handler <|18446744073709551616 }\n'],
        ['2^64 in hexadecimal', 'task rx { handler 1 stack_adjust <|0x1_0000_0000_0000_0000 }\n'],
        ['in an expression', 'expect cpu0.uirr != <|0x10000000000000000\n'],
        ['in a set', 'task rx { handler 1 }\ncpu0: set rx.upid.pir = <|99999999999999999999999\n'],
        ['as a machine value', 'machine { cpus <|18446744073709551617 }\n'],
    ])('a literal ≥ 2^64 is a semantic error (%s)', async (_name, src) => {
        await expectStatic(src, 'semantic');
    });

    test('2^64 - 1 is a valid literal', async () => {
        await expectNoStatic('task rx { handler 0xffff_ffff_ffff_ffff }\nexpect cpu0.uirr != 18446744073709551615\n');
    });

    test('strings: "…" with \\" and \\\\ escapes', async () => {
        const text = 'scenario "a \\"quoted\\" word and a back\\\\slash"\n';
        const f = await parsed(text);
        expect(f.title).toBeDefined();
        expect(f.title).toContain('quoted');
        await expectClean(text);
        await expectClean('scenario ""\n');
        await expectStatic('scenario <|"never closed\ncpu0: stui\n', 'syntax', { column: false });
    });
});

// =============================================================================================
describe('§3 structure of a file', () => {
    test('the empty file parses cleanly', async () => {
        const doc = await parse('');
        expect(doc.parseResult.lexerErrors).toEqual([]);
        expect(doc.parseResult.parserErrors).toEqual([]);
        await validated('', r => expectNoIssues(r));
        const r = await check('');
        expect(r.codes).toEqual([]);
        expect(r.steps).toBe(0);
    });

    test.each([
        ['only a title', 'scenario "t"\n'],
        ['only a machine', 'machine { }\n'],
        ['only declarations', 'task rx { handler 1 }\nkthread k\npolicy p extends eager { }\n'],
        ['only steps', 'cpu0: stui\ncpu0: clui\n'],
        ['only an expectation', 'expect no lost\n'],
        ['only a race', 'machine { cpus 2 }\nrace { cpu0: stui } with { cpu1: stui }\n'],
        ['every part', 'scenario "t"\nmachine { cpus 2 }\ntask rx { handler 1 }\ncpu0: switch rx\nexpect no lost\n'],
        ['an empty task body', 'task t { }\n'],
    ])('every part is optional: %s', async (_name, text) => {
        await validated(text, r => expectNoIssues(r));
        await expectNoStatic(text);
    });

    test('every machine property form parses', async () => {
        const text = 'machine {\n cpus 4\n uinv 0xec\n kernel_vector 0xeb\n policy tglx\n ipi deferred\n handlers manual\n xrstors_init lenient\n}\n';
        await validated(text, r => expectNoIssues(r));
        const f = await parsed(text);
        expect(f.machine!.props.map(p => p.kind)).toEqual(['cpus', 'uinv', 'kernel_vector', 'policy', 'ipi', 'handlers', 'xrstors_init']);
        await expectClean(text);
        await expectClean('machine { ipi immediate handlers auto xrstors_init strict }\n');
    });

    test.each([
        ['a machine after a declaration', 'task rx { handler 1 }\n<|machine { cpus 2 }\n'],
        ['a declaration after a step', 'cpu0: stui\n<|task rx { handler 1 }\n'],
        ['a kthread after an expectation', 'expect no lost\n<|kthread k\n'],
        ['a policy after a step', 'cpu0: stui\n<|policy p { }\n'],
        ['a title after the machine', 'machine { }\n<|scenario "t"\n'],
        ['two machine blocks', 'machine { }\n<|machine { }\n'],
        ['two titles', 'scenario "a"\n<|scenario "b"\n'],
    ])('order is fixed: %s is a syntax error', async (_name, src) => {
        await expectStatic(src, 'syntax');
    });

    test.each([
        ['a bad ipi mode', 'machine { ipi <|later }\n'],
        ['a bad handlers mode', 'machine { handlers <|eager }\n'],
        ['a bad xrstors_init mode', 'machine { xrstors_init <|auto }\n'],
        ['a policy given a number', 'machine { policy <|3 }\n'],
        ['an unknown machine property', 'machine { <|cores 2 }\n'],
        ['an unknown task property', 'task rx { <|handlr 1 }\n'],
        ['a target without a vector', 'task rx { handler 1 }\ntask tx { target rx <|}\n'],
        ['a misspelt action', 'cpu0: <|sendipi 0\n'],
        ['a step without a CPU', '<|switch rx\n'],
        ['a race without a with branch', 'machine { cpus 2 }\nrace { cpu0: stui }<|\ncpu1: stui\n'],
        ['an expectation inside a race', 'machine { cpus 2 }\nrace { cpu0: stui <|expect no lost } with { cpu1: stui }\n'],
        ['a nested race', 'machine { cpus 2 }\nrace { <|race { cpu0: stui } with { cpu1: stui } } with { cpu1: stui }\n'],
        ['`not` outside delivered/pending', 'expect not <|gp\n'],
        ['a policy statement as a step', 'task rx { handler 1 }\ncpu0: <|take rx.upid.pir into rx.xsave.uirr\n'],
        ['a kernel action in a hook', 'policy p { on exec { <|switch idle } }\n'],
        ['a cpuN: prefix in a hook', 'policy p { on exec { <|cpu0: stui } }\n'],
    ])('%s is a syntax error', async (_name, src) => {
        await expectStatic(src, 'syntax');
    });

    test.each([
        ['put without a path', 'task rx { handler 1 }\n<|cpu0: put\n'],
        ['free without a path', 'task rx { handler 1 }\n<|cpu0: free\n'],
        ['set without a path', 'task rx { handler 1 }\n<|cpu0: set\n'],
        ['wrmsr without an MSR', '<|cpu0: wrmsr\n'],
        ['a comparison without its right side', '<|expect cpu0.mode ==\n'],
        ['take without a target', 'policy p { on exec {\n  <|take cur.upid.pir into } }\n'],
        ['take without anything', 'policy p { on exec {\n  <|take } }\n'],
    ])('an unfinished statement (%s) is a syntax error only: no crash, no follow-on semantic error', async (_name, src) => {
        await expectStatic(src, 'syntax', { column: false });
    });

    test('a race holds steps only and needs at least one `with`', async () => {
        const f = await parsed('machine { cpus 3 }\nrace { cpu0: stui cpu0: clui } with { cpu1: stui } with { }\n');
        const race = f.items[0] as ast.Race;
        expect(ast.isRace(race)).toBe(true);
        expect(race.branches.map(b => b.steps.length)).toEqual([2, 1, 0]);
    });

    test('steps counts the cpuN: items, race branches included', async () => {
        const r = await check('machine { cpus 2 }\ncpu0: stui\nrace { cpu0: stui cpu0: clui } with { cpu1: stui }\nexpect no lost\n');
        expect(r.steps).toBe(4);
    });
});

// =============================================================================================
describe('§5 expressions and §10 conditions', () => {
    function showExpr(e: ast.Expr): string {
        if (ast.isBinExpr(e)) return `(${e.op} ${showExpr(e.left)} ${showExpr(e.right)})`;
        if (ast.isNotExpr(e)) return `(~ ${showExpr(e.operand)})`;
        if (ast.isNumberLit(e)) return e.value;
        if (ast.isConstExpr(e)) return e.name;
        if (ast.isWordExpr(e)) return e.word;
        if (ast.isPathExpr(e)) return [e.head.cpu ?? e.head.bound ?? e.head.ref?.$refText, ...e.segments].join('.');
        throw new Error(`unexpected expression ${(e as ast.Expr).$type}`);
    }
    function showCond(c: ast.Cond): string {
        if (ast.isOrCond(c)) return `(or ${showCond(c.left)} ${showCond(c.right)})`;
        if (ast.isAndCond(c)) return `(and ${showCond(c.left)} ${showCond(c.right)})`;
        if (ast.isNotCond(c)) return `(not ${showCond(c.operand)})`;
        if (ast.isPredCond(c)) return `${c.pred}(${c.arg.bound ?? c.arg.ref?.$refText})`;
        if (ast.isCmpCond(c)) return c.op && c.right ? `(${c.op} ${showExpr(c.left)} ${showExpr(c.right)})` : `(operand ${showExpr(c.left)})`;
        if (ast.isParenCmp(c)) return `(paren-${c.op} ${showCond(c.left)} ${showExpr(c.right)})`;
        throw new Error(`unexpected condition ${(c as ast.Cond).$type}`);
    }
    async function expectation(text: string): Promise<string> {
        const f = await parsed(`machine { cpus 2 }\ntask rx { handler 1 }\ntask tx { target rx vector 1 }\n${text}\n`);
        const body = (f.items[0] as ast.Expect).body;
        expect(ast.isCmpExp(body)).toBe(true);
        const c = body as ast.CmpExp;
        return `(${c.op} ${showExpr(c.left)} ${showExpr(c.right)})`;
    }
    async function condition(cond: string): Promise<string> {
        const f = await parsed(`task rx { handler 1 }\npolicy p { on return_to_user { if ${cond} { stui } } }\n`);
        const hook = (f.decls[1] as ast.Policy).hooks[0];
        const stmt = hook.body[0] as ast.IfStmt;
        expect(ast.isIfStmt(stmt)).toBe(true);
        return showCond(stmt.cond);
    }

    test('a comparison binds loosest: `cpu0.uirr & 8 != 0` is `(cpu0.uirr & 8) != 0`', async () => {
        const f = await parsed('expect cpu0.uirr & 8 != 0\n');
        const c = (f.items[0] as ast.Expect).body as ast.CmpExp;
        expect(c.$type).toBe('CmpExp');
        expect(c.op).toBe('!=');
        expect(ast.isBinExpr(c.left)).toBe(true);
        const left = c.left as ast.BinExpr;
        expect(left.op).toBe('&');
        expect(ast.isPathExpr(left.left) && left.left.head.cpu).toBe('cpu0');
        expect((left.left as ast.PathExpr).segments).toEqual(['uirr']);
        expect(ast.isNumberLit(left.right) && left.right.value).toBe('8');
        expect(ast.isNumberLit(c.right) && c.right.value).toBe('0');
    });

    test.each([
        ['cpu0.uirr & 8 != 0', '(!= (& cpu0.uirr 8) 0)'],
        ['1 | 2 ^ 3 & 4 << 5 == 0', '(== (| 1 (^ 2 (& 3 (<< 4 5)))) 0)'],
        ['1 << 5 & 4 ^ 3 | 2 == 0', '(== (| (^ (& (<< 1 5) 4) 3) 2) 0)'],
        ['~1 & 2 == 0', '(== (& (~ 1) 2) 0)'],
        ['~~1 == 0', '(== (~ (~ 1)) 0)'],
        ['(1 | 2) & 3 == 0', '(== (& (| 1 2) 3) 0)'],
        ['1 << 2 << 3 == 0', '(== (<< (<< 1 2) 3) 0)'],
        ['8 >> 1 >> 1 == 2', '(== (>> (>> 8 1) 1) 2)'],
        ['1 ^ 1 ^ 1 == 0', '(== (^ (^ 1 1) 1) 0)'],
        ['cpu0.uinv | uinv << 32 >= kernel_vector', '(>= (| cpu0.uinv (<< uinv 32)) kernel_vector)'],
        ['rx.upid < tx.uitt', '(< rx.upid tx.uitt)'],
        ['cpu1.mode == user', '(== cpu1.mode user)'],
        ['cpu0.current != idle', '(!= cpu0.current idle)'],
    ])('C precedence: expect %s', async (src, shape) => {
        expect(await expectation(`expect ${src}`)).toBe(shape);
    });

    test('precedence is also what the emulator computes', async () => {
        // (8 & 8) != 0 holds; 8 & (8 != 0) would not even be an expression
        await expectClean('expect 8 & 8 != 0\nexpect 1 | 2 ^ 3 & 4 << 5 == 3\nexpect 1 << 5 & 0x30 ^ 3 | 4 == 0x27\nexpect ~0 >> 60 == 15\n');
        const r = await check('expect 1 | 2 & 4 == 7\n'); // 1 | (2 & 4) == 1, not 7
        expect(r.codes).toEqual(['expect-failed@1']);
    });

    test.each([
        ['expect 1 == 2 <|== 3\n'],
        ['task rx { handler 1 }\ncpu0: set rx.upid.on = 1 <|== 1\n'],
        ['expect 1 &<|& 1 == 1\n'],
        ['expect (1 <|== 1) == 1\n'],
    ])('comparisons are not EXPR operators: %s', async src => {
        await expectStatic(src, 'syntax');
    });

    test('a path the parser had to recover without its head is its syntax error only (no crash in the checks)', async () => {
        // found by the fuzz test: `free scenario rx.upid` left a FreeAction whose path has no head
        await expectStatic('task rx { handler 1 }\ncpu0: free <|scenario rx.upid\n', 'syntax');
        const r = await check('task rx { handler 1 }\ncpu0: free scenario rx.upid\n');
        expect(r.diagnostics.map(d => d.message).join('\n')).not.toMatch(/error occurred|TypeError|reading/);
    });

    test('an expectation with a missing operand is a syntax error on its own line (decisions #33)', async () => {
        await expectStatic('expect cpu0.uinv == <|}\n', 'syntax');
        // the next line's cpu0 is read as the operand (white space is insignificant); the parser
        // stops at its ':', and the error goes to the end of the short line
        await expectStatic('expect cpu0.uinv ==<|\ncpu0: stui\n', 'syntax');
        await expectStatic('expect cpu0.uinv ==<| // the operand is missing\n\n  cpu0: stui\n', 'syntax');
        // with another step next, the missing number is said at the end of the line
        await expectStatic('task rx { handler 1 }\ntask tx { target rx vector 1 }\nexpect delivered rx<|\ncpu0: stui\n', 'syntax');
    });

    test.each([
        ['not user(cur) and valid(cur)', '(and (not user(cur)) valid(cur))'],
        ['user(cur) or valid(cur) and receiver(cur)', '(or user(cur) (and valid(cur) receiver(cur)))'],
        ['user(cur) and valid(cur) or receiver(cur)', '(or (and user(cur) valid(cur)) receiver(cur))'],
        ['not user(cur) or not valid(cur)', '(or (not user(cur)) (not valid(cur)))'],
        ['not not sender(cur)', '(not (not sender(cur)))'],
        ['not (user(cur) or valid(cur))', '(not (or user(cur) valid(cur)))'],
        ['(user(cur) or valid(cur)) and receiver(cur)', '(and (or user(cur) valid(cur)) receiver(cur))'],
        ['a or b and c or d'.replace(/\b([abcd])\b/g, 'user($1)'), '(or (or user(a) (and user(b) user(c))) user(d))'],
        ['cpu.uinv == 0 and not cur.upid.pir != 0', '(and (== cpu.uinv 0) (not (!= cur.upid.pir 0)))'],
        ['not cpu.uinv & 1 == 0', '(not (== (& cpu.uinv 1) 0))'],
        ['(cpu.uinv == 0)', '(== cpu.uinv 0)'],
        ['waiting(rx) or kthread(rx)', '(or waiting(rx) kthread(rx))'],
    ])('condition %s', async (src, shape) => {
        const text = src.replace(/user\(([abcd])\)/g, 'user(rx)');
        const expected = shape.replace(/user\(([abcd])\)/g, 'user(rx)');
        expect(await condition(text)).toBe(expected);
    });

    test('in a Cond a `(` always opens a Cond: `(cpu.uinv & 1) == 0` is a syntax error, said at the `(`, the rest of the hook parsed', async () => {
        for (const cond of ['(cpu.uinv & 1) == 0', '((cpu.uinv)) != 0', '(cpu.uinv == 0) == 1', 'not (cpu.uinv) == 0']) {
            const text = `policy p { on exec {\n  if ${cond} { stui }\n  if user(cur) { clui }\n} }\n`;
            const r = await check(text);
            // one diagnostic, at the first '(' of the comparison, and none after it (the parse went on)
            expect(r.diagnostics.map(d => [d.code, d.loc.line, d.loc.column, d.message]), cond).toEqual([['syntax', 2, 6 + cond.indexOf('('),
                "in a condition '(' opens a condition, not an expression: write the comparison without these parentheses (it binds loosest)"]]);
        }
    });

    test('an operand alone is not a condition: said at the token after it (after `user`: also `(`), once', async () => {
        // each statement, where its diagnostic starts in it, and what it says
        const cases: [string, number, string][] = [
            ['if cpu.uinv { stui }', 12, "unexpected '{': expected ==, !=, <, <=, >, >="],
            ['if cpu.uinv /* c */ and user(cur) { stui }', 20, "unexpected 'and': expected ==, !=, <, <=, >, >="],
            ['if (cpu.uinv) { stui }', 14, "unexpected '{': expected ==, !=, <, <=, >, >="],
            ['if user cur { }', 3, "after 'user' expected (, <<, >>, &, ^, |, ==, !=, <, <=, >, >="],
            ['if cpu.uinv', 11, 'unexpected end of file: expected ==, !=, <, <=, >, >='],
        ];
        for (const [stmt, at, message] of cases) {
            const column = 3 + at;
            const r = await check(`policy p { on exec {\n  ${stmt}${stmt.endsWith('}') ? '\n} }\n' : ''}`);
            const first = r.diagnostics[0];
            expect([first.code, first.loc.line, first.loc.column, first.message], stmt).toEqual(['syntax', 2, column, message]);
            // the parser's own error at that token ("expected '{'") is not said besides
            expect(r.diagnostics.flatMap(d => [d.message, ...d.related.map(x => x.message)]).filter(m => /^expected '\{'/.test(m)), stmt).toEqual([]);
        }
    });

    test('a condition nested 300 levels deep parses at once (it took the parser a minute at 200 and ran it out of memory at 400: every level looked ahead to its closing bracket)', async () => {
        const depth = 300;
        const text = `machine { policy p }\npolicy p { on switch_out { if ${'('.repeat(depth)}user(prev)${')'.repeat(depth)} and ${'('.repeat(depth)}cpu.uinv != 0${')'.repeat(depth)} { xsaves prev } } }\n`;
        expect(await condition(`${'('.repeat(depth)}cpu.uinv == 0${')'.repeat(depth)}`)).toBe('(== cpu.uinv 0)');
        await expectClean(text);
    });

    test('conditions check statically clean inside a hook', async () => {
        const text = `task rx { handler 1 }
policy p extends linux_rfc {
  on return_to_user { if not valid(cur) and receiver(cur) or cpu.uinv == 0 { xrstors cur } else { stui } }
}
`;
        await validated(text, r => expectNoIssues(r));
    });
});

// =============================================================================================
describe('§8 static checks', () => {
    describe('unknown and duplicate names', () => {
        test.each([
            ['a switch target', `${MACHINE2}cpu0: switch <|rxx\n`],
            ['a UITT target', 'task rx { handler 1 }\ntask tx { target <|nobody vector 1 }\n'],
            ['a delivered expectation', 'task rx { handler 1 }\nexpect delivered <|rxx 3\n'],
            ['a pending expectation', 'task rx { handler 1 }\nexpect pending <|rxx 3\n'],
            ['the head of a path', 'task rx { handler 1 }\nexpect <|ry.upid.on == 0\n'],
            ['an xsaves operand', 'task rx { handler 1 }\ncpu0: xsaves <|ry\n'],
            ['an xrstors operand', 'task rx { handler 1 }\ncpu0: xrstors <|ry\n'],
            ['a set path', 'task rx { handler 1 }\ncpu0: set <|ry.upid.sn = 1\n'],
            ['a free path', 'task rx { handler 1 }\ncpu0: free <|ry.upid\n'],
            ['a name in a hook', 'policy p { on exec { xsaves <|somebody } }\n'],
            ['a wake target', 'policy p { on wake { foreach waiting w { wake <|v } } }\n'],
            ['a foreach variable after its loop', 'policy p { on wake { foreach waiting w { wake w } xsaves <|w } }\n'],
            ['a foreach variable in another loop', 'policy p { on wake { foreach waiting w { } foreach waiting v { wake <|w } } }\n'],
            ['a foreach variable in another hook', 'policy p { on wake { foreach waiting w { } } on exec { xsaves <|w } }\n'],
            ['a predicate argument', 'policy p { on exec { if user(<|zz) { stui } } }\n'],
            ['a policy in the machine', 'machine { policy <|nopolicy }\n'],
            ['a parent policy', 'policy mine extends <|lazy_fpuu { }\n'],
        ])('an unknown name in %s is semantic on its token, kind unknown-name', async (_name, src) => {
            await expectStatic(src, 'semantic');
            const { text, line } = marked(src);
            const r = await check(text);
            const d = r.diagnostics.find(x => x.loc.line === line)!;
            expect(d.data).toMatchObject({ kind: 'unknown-name' });
            expect(d.message).toMatch(/^unknown name '/);
        });

        test.each([
            // it was "unknown name 'kw' (no task of that name is declared)", though kw is declared
            ['a kthread as a UITT target (only tasks)', 'kthread kw\ntask tx { target <|kw vector 1 }\n', "'kw' is a kthread, not a task: a UITT target is a receiver, a task with a handler"],
            ['a kthread in delivered', 'kthread kw\nexpect delivered <|kw 3\n', "'kw' is a kthread, not a task"],
            ['a task as the machine\'s policy', 'machine { policy <|rx }\ntask rx { handler 1 }\n', "'rx' is a task, not a policy"],
            ['a kthread as a parent policy', 'kthread kw\npolicy p extends <|kw { }\n', "'kw' is a kthread, not a policy"],
        ])('a name declared as another kind in %s: semantic on its token, saying what it is (kind wrong-kind)', async (_name, src, message) => {
            await expectStatic(src, 'semantic');
            const { text, line } = marked(src);
            const d = (await check(text)).diagnostics.find(x => x.loc.line === line)!;
            expect(d.message).toBe(message);
            expect(d.data).toMatchObject({ kind: 'wrong-kind' });
        });

        test('Langium reports the unknown name as a linking error on the reference', async () => {
            await validated('task rx { handler 1 }\ncpu0: switch rxx\n', r => {
                const step = r.document.parseResult.value.items[0] as ast.Step;
                expectError(r, /rxx/, { node: step.action as ast.SwitchAction, property: 'target' });
            });
        });

        test('a foreach variable names the waiting task inside its body', async () => {
            await validated('policy p { on wake { foreach waiting w { if receiver(w) and w.upid.on == 1 { set w.upid.sn = 1 wake w } } } }\n', r => expectNoIssues(r));
        });

        test.each([
            ['two tasks', 'task rx { handler 1 }\ntask <|rx { handler 2 }\n'],
            ['a task and a kthread', 'task rx { handler 1 }\nkthread <|rx\n'],
            ['two kthreads', 'kthread k\nkthread <|k\n'],
            ['two policies', 'policy p { }\npolicy <|p { }\n'],
        ])('a duplicate name (%s) is semantic on the second declaration', async (_name, src) => {
            await expectStatic(src, 'semantic');
        });

        test('a name declared twice links to its first declaration; a foreach variable in its loop, the declaration outside it (scope-provider.ts)', async () => {
            const file = await parsed('task rx { handler 1 }\ntask rx { handler 2 }\n'
                + 'policy p { on wake { foreach waiting rx { wake rx } } on exec { xsaves rx } }\ncpu0: switch rx\n');
            const [first] = file.decls;
            const step = file.items[0] as ast.Step;
            expect((step.action as ast.SwitchAction).target?.ref).toBe(first);
            const policy = file.decls.find(ast.isPolicy)!;
            const loop = AstUtils.streamAllContents(policy).find(ast.isForeachStmt)!;
            const woken = AstUtils.streamAllContents(loop).find(ast.isWakeStmt)!;
            expect(woken.target?.ref?.ref).toBe(loop);
            const saved = AstUtils.streamAllContents(policy).find(ast.isXsavesAction)!;
            expect(saved.target?.ref?.ref).toBe(first);
        });
    });

    describe('CPU indices', () => {
        test('a step on a CPU the machine lacks (default cpus 1)', async () => {
            await expectStatic('<|cpu1: stui\n', 'semantic');
        });
        test('a step on cpu2 with cpus 2', async () => {
            await expectStatic(`${MACHINE2}cpu0: switch rx\n<|cpu2: switch tx\n`, 'semantic');
        });
        test('a step in a race branch', async () => {
            await expectStatic('machine { cpus 2 }\nrace { cpu0: stui } with {\n  <|cpu2: stui }\n', 'semantic');
        });
        test('a path naming a missing CPU', async () => {
            await expectStatic('machine { cpus 2 }\nexpect <|cpu2.uinv == 0\n', 'semantic');
            await expectStatic('machine { cpus 2 }\nexpect 0 == <|cpu7.uirr\n', 'semantic');
            await expectStatic('machine { cpus 2 }\nexpect <|cpu5.mode == user\n', 'semantic');
        });
        test('cpu63 exists with cpus 64, cpu64 never does', async () => {
            await expectNoStatic('machine { cpus 64 }\ncpu63: stui\nexpect cpu63.uif == 1\n');
            await expectStatic('machine { cpus 64 }\n<|cpu64: stui\n', 'semantic');
        });
    });

    describe('width rules (§3)', () => {
        test('ndst ≥ cpus', async () => {
            await expectNoStatic('machine { cpus 2 }\ntask rx { handler 1 ndst 1 }\n');
            await expectStatic('machine { cpus 2 }\ntask rx { handler 1\n  ndst <|2 }\n', 'semantic');
            await expectStatic('task rx { handler 1 ndst <|1 }\n', 'semantic'); // default cpus 1
        });
        test('a target vector > 63', async () => {
            await expectNoStatic('task rx { handler 1 }\ntask tx { target rx vector 63 }\n');
            await expectStatic('task rx { handler 1 }\ntask tx { target rx vector 0\n target rx vector <|64 }\n', 'semantic');
        });
        test('`not` stands only before `delivered` (LANGUAGE §6): before `pending` it is a syntax error at the `not`', async () => {
            await expectStatic('task rx { handler 1 }\nexpect <|not pending rx 3\n', 'syntax');
            await expectNoStatic('task rx { handler 1 }\nexpect not delivered rx 3\nexpect pending rx 3\n');
        });
        test('an expectation vector > 63', async () => {
            await expectNoStatic('task rx { handler 1 }\nexpect not delivered rx 63\n');
            await expectStatic('task rx { handler 1 }\nexpect delivered rx <|64\n', 'semantic');
            await expectStatic('task rx { handler 1 }\nexpect pending rx <|0x100\n', 'semantic');
        });
        test('an interrupt constant > 255', async () => {
            await expectNoStatic('machine { policy manual }\ncpu0: interrupt 255\ncpu0: interrupt uinv\n');
            await expectStatic('machine { policy manual }\ncpu0: interrupt <|256\n', 'semantic');
            await expectStatic('policy p { on exec {\n  interrupt <|0x1ec } }\n', 'semantic');
        });
        test('uinv or kernel_vector > 255', async () => {
            await expectStatic('machine { uinv <|256 }\n', 'semantic');
            await expectStatic('machine {\n kernel_vector <|0x100 }\n', 'semantic');
        });
        test('uinv 0 is allowed', async () => {
            await expectClean('machine { uinv 0 }\n');
        });
        test('a uif wider than one bit', async () => {
            await expectStatic('task rx { handler 1\n uif <|2 }\n', 'semantic');
        });
        test('uinv equal to the default kernel_vector is reported on uinv', async () => {
            await expectStatic('machine {\n  cpus 2\n  uinv <|0xeb\n}\n', 'semantic');
        });
        test('kernel_vector equal to the default uinv is reported on kernel_vector', async () => {
            await expectStatic('machine {\n  kernel_vector <|236\n}\n', 'semantic');
        });
        test('uinv equal to kernel_vector is reported on whichever is written later', async () => {
            await expectStatic('machine {\n  uinv 0x40\n  kernel_vector <|0x40\n}\n', 'semantic');
            await expectStatic('machine {\n  kernel_vector 0x40\n  uinv <|64\n}\n', 'semantic');
            await expectStatic('machine { kernel_vector 0x40 cpus 2 uinv <|0x40 }\n', 'semantic');
            // swapped values that differ are fine
            await expectClean('machine { uinv 0xeb kernel_vector 0xec }\n');
        });
    });

    describe('tasks and targets', () => {
        test('a target that is not a receiver', async () => {
            await expectStatic('task s { }\ntask tx { target <|s vector 1 }\n', 'semantic');
            await expectStatic('task a { handler 1 }\ntask b { target a vector 1 }\ntask c { target a vector 2\n  target <|b vector 2 }\n', 'semantic');
        });
        test('a target of a receiver declared later is fine', async () => {
            await expectNoStatic('task tx { target rx vector 1 }\ntask rx { handler 1 }\n');
        });
        test.each(['uif 1', 'stack_adjust 128', 'ndst 0'])('`%s` on a task that is not a receiver', async prop => {
            await expectStatic(`task rx { handler 1 }\ntask tx { target rx vector 1\n  <|${prop} }\n`, 'semantic');
            await expectStatic(`task t {\n  <|${prop}\n}\n`, 'semantic');
        });
        test('uif, stack_adjust and ndst on a receiver are fine, also when handler comes last', async () => {
            await expectNoStatic('task rx { uif 0 stack_adjust 8 ndst 0 handler 0x401000 }\n');
        });
        test.each([
            ['handler', 'task rx { handler 1\n  <|handler 2 }\n'],
            ['stack_adjust', 'task rx { handler 1 stack_adjust 8\n  <|stack_adjust 8 }\n'],
            ['uif', 'task rx { handler 1 uif 0\n  <|uif 1 }\n'],
            ['ndst', 'machine { cpus 2 }\ntask rx { handler 1 ndst 0\n  <|ndst 1 }\n'],
        ])('a task property given twice (%s)', async (_name, src) => {
            await expectStatic(src, 'semantic');
        });
        test('several targets are several UITT entries, not a duplicate', async () => {
            await expectNoStatic('task rx { handler 1 }\ntask tx { target rx vector 1 target rx vector 1 target rx vector 2 }\n');
        });
    });

    describe('machine properties', () => {
        test.each([
            ['cpus', 'machine { cpus 2\n  <|cpus 2 }\n'],
            ['uinv', 'machine { uinv 0xec\n  <|uinv 0xed }\n'],
            ['kernel_vector', 'machine { kernel_vector 1\n  <|kernel_vector 2 }\n'],
            ['policy', 'machine { policy eager\n  <|policy manual }\n'],
            ['ipi', 'machine { ipi immediate\n  <|ipi deferred }\n'],
            ['handlers', 'machine { handlers auto\n  <|handlers manual }\n'],
            ['xrstors_init', 'machine { xrstors_init strict\n  <|xrstors_init lenient }\n'],
        ])('a machine property given twice (%s)', async (_name, src) => {
            await expectStatic(src, 'semantic');
        });
        test.each([['0'], ['65'], ['1000']])('cpus %s is outside 1..64', async n => {
            await expectStatic(`machine { cpus <|${n} }\n`, 'semantic');
        });
        test('cpus 1 and cpus 64 are fine', async () => {
            await expectClean('machine { cpus 1 }\n');
            await expectClean('machine { cpus 64 }\n');
        });
    });

    describe('policies', () => {
        test('an unknown policy', async () => {
            await expectStatic('machine {\n  policy <|linux }\n', 'semantic');
        });
        test('a policy declared in the file may be used, before or after the machine', async () => {
            await expectNoStatic('machine { policy mine }\npolicy mine extends linux_rfc { }\n');
        });
        test.each(['eager', 'lazy_fpu', 'linux_rfc', 'independent', 'tglx'])('a user policy named %s shadows a built-in one', async name => {
            await expectStatic(`task rx { handler 1 }\npolicy <|${name} { }\n`, 'semantic');
            await validated(`policy ${name} extends eager { }\n`, r => expectIssue(r, { severity: 1 }));
        });
        test('an extends cycle through two policies', async () => {
            const r = await check('policy a extends b { }\npolicy b extends a { }\n');
            expect(r.codes.length).toBeGreaterThan(0);
            expect(uniq(r.codes).every(c => c === 'semantic@1' || c === 'semantic@2')).toBe(true);
            expect(r.run).toBeUndefined();
        });
        test('a policy that extends itself', async () => {
            await expectStatic('task rx { handler 1 }\npolicy a extends <|a { }\n', 'semantic', { column: false });
        });
        test('a three-policy cycle is reported, a chain is not', async () => {
            const r = await check('policy a extends b { }\npolicy b extends c { }\npolicy c extends a { }\n');
            expect(r.codes.length).toBeGreaterThan(0);
            expect(r.codes.every(c => /^semantic@[123]$/.test(c))).toBe(true);
            await expectNoStatic('policy a extends b { }\npolicy b extends c { }\npolicy c extends tglx { }\n');
        });
        test('each policy of a cycle says it, a long one named by its ends; a policy that leads into a cycle does not; a long chain is clean', async () => {
            const cycle = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `policy p${from + i} extends p${from + (i + 1) % n} { }\n`).join('');
            const r = await check(cycle(3) + 'policy q extends p0 { }\n');
            expect(r.diagnostics.map(d => [d.loc.line, d.message])).toEqual([
                [1, 'policy p0 extends itself through p0 -> p1 -> p2 -> p0'],
                [2, 'policy p1 extends itself through p1 -> p2 -> p0 -> p1'],
                [3, 'policy p2 extends itself through p2 -> p0 -> p1 -> p2'],
            ]);
            const long = await check(cycle(40));
            expect(long.diagnostics).toHaveLength(40);
            expect(long.diagnostics[5].message).toBe('policy p5 extends itself through p5 -> p6 -> p7 -> p8 -> p9 -> p10 -> p11 -> p12 -> p13 -> p14 -> … -> p4 -> p5 (40 policies)');
            const chain = 'policy c0 extends linux_rfc { }\n' + Array.from({ length: 2000 }, (_, i) => `policy c${i + 1} extends c${i} { }\n`).join('') + 'machine { policy c2000 }\n';
            await expectNoStatic(chain.replace(/^(.*\n)([\s\S]*)(machine.*\n)$/, '$3$1$2'));
        });
        test('a hook defined twice is semantic on the second', async () => {
            await expectStatic('policy p {\n  on exec { xrstors init }\n  on <|exec { }\n}\n', 'semantic');
        });
        test('an unknown hook name is syntax on the name', async () => {
            await expectStatic('policy p {\n  on <|switchout { }\n}\n', 'syntax');
            await expectStatic('policy p { on <|return { } }\n', 'syntax');
        });
        test('a hook named after a property every JavaScript object has is unknown too, and its body checked without a crash', async () => {
            for (const w of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
                await expectStatic(`policy p {\n  on <|${w} { xsaves cur }\n}\n`, 'syntax');
                const r = await check(`policy p {\n  on ${w} { xsaves cur  set cpu.uinv = 1 }\n}\n`);
                expect(r.diagnostics.map(d => d.message).join('\n')).not.toMatch(/error occurred|is not a function/);
            }
        });
        test('a reserved word as a hook name is an unknown hook, said by name at the word; no word at all is the parser\'s', async () => {
            for (const w of ['switch', 'idle', 'policy', 'on']) {
                await expectStatic(`policy p { on <|${w} { } }\n`, 'syntax');
                const r = await check(`policy p { on ${w} { } }\n`);
                expect(r.diagnostics.map(d => d.message)).toEqual([expect.stringMatching(new RegExp(`^unknown hook '${w}' \\(expected one of switch_out`))]);
            }
            for (const src of ['policy p { on <|{ } }\n', 'policy p { on <|42 { } }\n']) {
                await expectStatic(src, 'syntax');
                const messages = (await check(marked(src).text)).diagnostics.map(d => d.message).join('\n');
                expect(messages).not.toMatch(/undefined/);
                expect(messages).toMatch(/expected a name$/);
            }
        });
        test('the parser\'s alternatives said shortly: what may follow a word the parser looked past', async () => {
            const r = await check('policy p { on exec { if user cur { } } }\n');
            expect(r.diagnostics.map(d => d.message)).toEqual(["after 'user' expected (, <<, >>, &, ^, |, ==, !=, <, <=, >, >="]);
            // Chevrotain's 'at least one iteration' (a race without `with`) is said the same way
            expect((await check('race { cpu0: stui }\ncpu0: stui\n')).diagnostics.map(d => d.message)).toEqual(["unexpected 'cpu0': expected 'with'; the line ends after '}'"]);
            // terminals said as words, the end of the file as such, a control character by its code
            expect((await check('scenario\n')).diagnostics[0].message).toBe('expected a string but found end of file');
            expect((await check('task rx {\n')).diagnostics[0].message).toBe("expected '}' but found end of file");
            expect((await check('cpu0: stui \u0001\n')).diagnostics[0].message).toBe('unexpected character U+0001');
            // an invisible one too (a zero-width space pasted from a web page); a visible one as itself
            expect((await check('cpu0: stui\n\u200bcpu0: stui\n')).diagnostics.map(d => `${d.loc.line}:${d.loc.column} ${d.message}`)).toEqual(['2:1 unexpected character U+200B (invisible)']);
            expect((await check('cpu0: stui \u{E000}\n')).diagnostics[0].message).toBe('unexpected character U+E000 (invisible)');
            expect((await check('cpu0: stui \u00e9\n')).diagnostics[0].message).toBe("unexpected character 'é'");
            const s = await check('machine { cpus 2 }\ncpu0: senduipi\n');
            expect(s.diagnostics[0].message).toMatch(/^unexpected end of file: expected ~, \(, a number, uinv, kernel_vector/);
        });
        test('every hook name of §10 is accepted', async () => {
            await validated('policy p { on switch_out { } on switch_in { } on return_to_user { } on exec { } on exit { } on wait { } on wake { } }\n', r => expectNoIssues(r));
        });
    });

    describe('hook-bound names (§10)', () => {
        test.each([
            ['cur in a step', 'task rx { handler 1 }\ncpu0: xsaves <|cur\n'],
            ['prev in a step', 'task rx { handler 1 }\ncpu0: set <|prev.upid.sn = 1\n'],
            ['next in an expectation', 'task rx { handler 1 }\nexpect <|next.upid.on == 0\n'],
            ['cpu in an expectation', 'expect <|cpu.uinv == 0\n'],
            ['cpu as a value in a step', 'task rx { handler 1 }\ncpu0: set rx.upid.ndst = <|cpu\n'],
            ['cur in switch_out', 'policy p {\n  on switch_out { xsaves <|cur }\n}\n'],
            ['cur in switch_in', 'policy p { on switch_in { if user(<|cur) { stui } } }\n'],
            ['prev in return_to_user', 'policy p {\n  on return_to_user { xrstors <|prev }\n}\n'],
            ['next in exec', 'policy p { on exec { set <|next.upid.sn = 0 } }\n'],
            ['prev in exit', 'policy p { on exit { put <|prev.upid } }\n'],
            ['next in wait', 'policy p { on wait { if <|next.upid.on == 1 { stui } } }\n'],
            ['cur in wake', 'policy p { on wake { xrstors <|cur } }\n'],
            ['prev in wake', 'policy p { on wake { xsaves <|prev } }\n'],
            // wherever a task stands outside a hook: semantic, as in the places above, not syntax
            ['prev switched to', 'task rx { handler 1 }\ncpu0: switch <|prev\n'],
            ['cpu switched to', 'cpu0: switch <|cpu\n'],
            ['cur in delivered', 'task rx { handler 1 }\nexpect delivered <|cur 3\n'],
            ['next in not delivered', 'task rx { handler 1 }\nexpect not delivered <|next 3\n'],
            ['cpu in pending', 'task rx { handler 1 }\nexpect pending <|cpu 3\n'],
            ['cpu saved in a step', 'cpu0: xsaves <|cpu\n'],
            ['cpu restored in a step', 'cpu0: xrstors <|cpu\n'],
            // bound in every hook, but to a CPU: no object
            ['cpu saved in a hook', 'policy p {\n  on exec { xsaves <|cpu }\n}\n'],
            ['cpu woken in a hook', 'policy p { on wake { wake <|cpu } }\n'],
            ['cpu as a predicate\'s object', 'policy p { on exec { if user(<|cpu) { stui } } }\n'],
        ])('%s is a semantic error', async (_name, src) => {
            await expectStatic(src, 'semantic');
        });

        test('where a bound name never fits, the parser\'s messages do not offer it', async () => {
            const r = await check('task rx { handler 1 }\ncpu0: switch 5\nexpect delivered 5 5\ncpu0: xsaves 5\n');
            expect(r.diagnostics.map(d => d.message)).toEqual([
                "unexpected '5': expected idle, a name",
                "unexpected '5': expected a name",
                "unexpected '5': expected prev, next, cur, idle, a name",
            ]);
        });

        test('each hook accepts its own bound names, and cpu everywhere', async () => {
            const text = `task rx { handler 1 }
policy p extends linux_rfc {
  on switch_out { if user(prev) { xsaves prev } if kthread(next) { wrmsr IA32_UINTR_MISC cpu.uittsz } }
  on switch_in { if receiver(next) and valid(prev) { set next.upid.ndst = cpu } }
  on return_to_user { xrstors cur if cpu.uinv == 0 { interrupt uinv } }
  on exec { xrstors init set cur.upid.sn = 0 }
  on exit { put cur.upid }
  on wait { set cur.upid.nv = kernel_vector }
  on wake { foreach waiting w { if w.upid.on == 1 and cpu.uif == 1 { wake w } } }
}
`;
            await validated(text, r => expectNoIssues(r));
            await expectNoStatic(text);
        });
    });

    describe('actions that name the wrong kind of object', () => {
        test('xsaves of a kthread', async () => {
            await expectStatic(`${MACHINE2}cpu0: xsaves <|kw\n`, 'semantic');
        });
        test('xrstors of a kthread', async () => {
            await expectStatic(`${MACHINE2}cpu0: xrstors <|kw\n`, 'semantic');
        });
        test.each(['xsaves', 'xrstors'])('%s idle: idle is the CPU\'s idle kthread (LANGUAGE.md §4), so the same semantic error at idle (decisions #23; it was syntax)', async op => {
            await expectStatic(`${MACHINE2}cpu0: ${op} <|idle\n`, 'semantic');
            const r = await check(`${MACHINE2}cpu0: ${op} idle\n`);
            expect(r.diagnostics.map(d => d.message)).toEqual(['idle is a kernel thread (the CPU\'s idle thread): it has no XSAVE image']);
        });
        test.each([
            ['wake idle', 'policy p { on switch_in { wake <|idle } }\n'],
            ['a predicate of idle', 'policy p { on switch_in { if user(<|idle) { stui } } }\n'],
        ])('%s in a hook is a semantic error at idle (it names an object only in `switch idle` and `cpuN.current == idle`)', async (_name, src) => {
            await expectStatic(src, 'semantic');
        });
        test.each([
            ['free', `${MACHINE2}cpu0: free <|idle.upid\n`],
            ['put', `${MACHINE2}cpu0: put <|idle.upid\n`],
            ['set', `${MACHINE2}cpu0: set <|idle.xsave.uif = 0\n`],
            ['an expectation', `${MACHINE2}expect <|idle.upid.on == 0\n`],
            ['a take in a hook', 'policy p { on exec { take <|idle.upid.pir into cur.xsave.uirr } }\n'],
            ['a condition in a hook', 'policy p { on exec { if <|idle.upid.on == 1 { stui } } }\n'],
        ])('idle at the head of a path in %s: the semantic error of a kthread\'s state, at idle (decisions #23)', async (_name, src) => {
            await expectStatic(src, 'semantic');
            const r = await check(src.replace('<|', ''));
            expect(r.diagnostics.map(d => d.message)).toEqual(['idle is a kernel thread (the CPU\'s idle thread): it has no UPID, UITT or XSAVE image']);
        });
        test('idle alone stays a word beside current', async () => {
            await expectNoStatic(`${MACHINE2}expect cpu0.current == idle\nexpect idle != cpu1.current\n`);
        });
        test('a path cut after its \'.\' takes the next line\'s cpuN: one syntax error on the cut line, saying so', async () => {
            const r = await check(`${MACHINE2}cpu0: put rx.\ncpu1: stui\nexpect rx.upid.\ncpu0: stui\n`);
            expect(r.diagnostics.map(d => [d.code, d.loc.line, d.message, d.related.length])).toEqual([
                ['syntax', 5, "this line ends too early: 'cpu1', which starts the next line's step, was taken as a segment of its path, and its ':' cannot follow", 0],
                ['syntax', 7, "this line ends too early: 'cpu0', which starts the next line's step, was taken as a segment of its path, and its ':' cannot follow", 0],
            ]);
        });
        test('xsaves/xrstors of tasks, senders and pure tasks are fine, and xrstors init', async () => {
            await expectNoStatic(`${MACHINE2}task plain { }\ncpu0: xsaves rx\ncpu0: xsaves tx\ncpu0: xsaves plain\ncpu0: xrstors init\n`);
        });
        test.each([
            ['free of a sender', `${MACHINE2}cpu0: free <|tx.upid\n`],
            ['put of a sender', `${MACHINE2}cpu0: put <|tx.upid\n`],
            ['free of a kthread', `${MACHINE2}cpu0: free <|kw.upid\n`],
            ['put of a task with neither', 'task plain { }\ncpu0: put <|plain.upid\n'],
            ['set of a sender\'s UPID', `${MACHINE2}cpu0: set <|tx.upid.sn = 1\n`],
            ['expect of a kthread\'s image', `${MACHINE2}expect <|kw.xsave.uinv == 0\n`],
            ['expect of a receiver\'s UITT', `${MACHINE2}expect <|rx.uitt == 0\n`],
        ])('%s (not a receiver) is semantic on its line, at the task (the offending token, as for `xsaves k`)', async (_name, src) => {
            await expectStatic(src, 'semantic');
        });
        test('free and put of a receiver are fine', async () => {
            await expectNoStatic(`${MACHINE2}cpu0: put rx.upid\ncpu0: free rx.upid\n`);
        });
        test.each([
            ['free of a task', `${MACHINE2}<|cpu0: free rx\n`],
            ['put of a field', `${MACHINE2}<|cpu0: put rx.upid.on\n`],
            ['free of an XSAVE field', `${MACHINE2}<|cpu0: free rx.xsave.uinv\n`],
        ])('%s (not X.upid) is semantic on its line', async (_name, src) => {
            await expectStatic(src, 'semantic', { column: false });
        });
    });

    describe('take (§10)', () => {
        test('take X.upid.pir into X.xsave.uirr or cpu.uirr is fine', async () => {
            await validated('policy p { on return_to_user { take cur.upid.pir into cur.xsave.uirr take cur.upid.pir into cpu.uirr } }\n', r => expectNoIssues(r));
        });
        test.each([
            ['a CPU register', 'policy p { on return_to_user {\n  take cpu.uirr into cur.xsave.uirr } }\n'],
            ['a UPID field other than pir', 'policy p { on return_to_user {\n  take cur.upid.on into cpu.uirr } }\n'],
            ['an XSAVE field', 'policy p { on return_to_user {\n  take cur.xsave.uirr into cpu.uirr } }\n'],
            ['a UPID address', 'policy p { on return_to_user {\n  take cur.upid into cpu.uirr } }\n'],
        ])('a take whose source is %s is semantic', async (_name, text) => {
            const line = text.split('\n').findIndex(l => l.includes('take')) + 1;
            expect(await codesOf(text)).toEqual([`semantic@${line}`]);
            // saying what it must be and what it is (it said only "take reads X.upid.pir")
            const source = /take (\S+) into/.exec(text)![1];
            expect((await check(text)).diagnostics[0].message).toBe(`take moves the vectors posted to a UPID: its source is X.upid.pir, not ${source}`);
        });
        test.each([
            ['a UPID field', 'policy p { on return_to_user {\n  take cur.upid.pir into cur.upid.on } }\n'],
            ['another XSAVE field', 'policy p { on return_to_user {\n  take cur.upid.pir into cur.xsave.uinv } }\n'],
            ['a cpuN register', 'machine { cpus 2 }\npolicy p { on return_to_user {\n  take cur.upid.pir into cpu0.uirr } }\n'],
            ['another CPU register', 'policy p { on return_to_user {\n  take cur.upid.pir into cpu.uif } }\n'],
        ])('a take whose target is %s is semantic', async (_name, text) => {
            const line = text.split('\n').findIndex(l => l.includes('take')) + 1;
            expect(await codesOf(text)).toEqual([`semantic@${line}`]);
            const target = /into (\S+)/.exec(text)![1];
            expect((await check(text)).diagnostics[0].message).toBe(`take moves posted vectors into a UIRR: its target is X.xsave.uirr or cpu.uirr, not ${target}`);
        });
    });

    describe('set (§4, §8)', () => {
        test.each([
            ['cpu0.uinv', `${MACHINE2}<|cpu0: set cpu0.uinv = 0\n`],
            ['cpu1.uirr', `${MACHINE2}<|cpu0: set cpu1.uirr |= 1\n`],
            ['cpu0.uif', `${MACHINE2}<|cpu0: set cpu0.uif &= 0\n`],
            ['cpu0.mode', `${MACHINE2}<|cpu0: set cpu0.mode = 0\n`],
        ])('a set of a cpuN register (%s) is semantic', async (_name, src) => {
            await expectStatic(src, 'semantic', { column: false });
        });
        test('a set of cpu.* inside a hook is semantic', async () => {
            const text = 'policy p {\n  on exec { set cpu.uinv = 0 }\n}\n';
            expect(await codesOf(text)).toEqual(['semantic@2']);
        });
        test.each([
            ['upid.on', 'rx.upid.on = 2'],
            ['upid.sn', 'rx.upid.sn = 0x10'],
            ['upid.nv', 'rx.upid.nv = 256'],
            ['xsave.uinv', 'rx.xsave.uinv = 0x1ec'],
            ['xsave.uif', 'rx.xsave.uif = 2'],
            ['xsave.present', 'rx.xsave.present = 3'],
            ['xsave.uittsz', 'tx.xsave.uittsz = 0x1_0000_0000'],
            ['upid.ndst ≥ cpus', 'rx.upid.ndst = 2'],
        ])('a set of a constant too wide for %s is semantic', async (_name, assign) => {
            await expectStatic(`${MACHINE2}<|cpu0: set ${assign}\n`, 'semantic', { column: false });
        });
        test('constants that fit are fine', async () => {
            await expectNoStatic(`${MACHINE2}cpu0: set rx.upid.on = 1\ncpu0: set rx.upid.nv = 255\ncpu0: set rx.upid.ndst = 1\ncpu0: set rx.upid.pir = 0xffff_ffff_ffff_ffff\ncpu0: set rx.xsave.uinv = uinv\ncpu0: set rx.xsave.present = 0\n`);
        });
        test('a set of ndst ≥ cpus inside a hook is semantic', async () => {
            expect(await codesOf('machine { cpus 2 }\npolicy p { on exec {\n  set cur.upid.ndst = 5 } }\n')).toEqual(['semantic@3']);
        });
    });

    describe('mode and current take only == and !=', () => {
        test.each([
            ['expect cpu0.mode <|< user\n'],
            ['expect cpu0.mode <|>= kernel\n'],
            ['task rx { handler 1 }\nexpect cpu0.current <|<= rx\n'],
            ['expect idle <|> cpu0.current\n'],
        ])('%s', async src => {
            await expectStatic(src, 'semantic', { column: false });
        });
        test('in a hook condition', async () => {
            expect(await codesOf('policy p { on exec {\n  if cpu.mode < user { stui } } }\n')).toEqual(['semantic@2']);
        });
        test('== and != are fine', async () => {
            await expectNoStatic('task rx { handler 1 }\nexpect cpu0.mode == kernel\nexpect cpu0.mode != user\nexpect cpu0.current == idle\nexpect cpu0.current != rx\n');
        });
    });

    describe('a name or a word alone is not a number (§5): only beside current or mode', () => {
        const decls = 'machine { cpus 2 policy manual }\ntask rx { handler 1 }\ntask tx { target rx vector 1 }\nkthread kw\n';
        test.each([
            [`${decls}cpu1: senduipi <|rx\n`],
            [`${decls}cpu0: interrupt <|idle\n`],
            [`${decls}cpu0: interrupt 0xec | <|user\n`],
            [`${decls}cpu0: set rx.upid.pir = <|tx\n`],
            [`${decls}cpu0: wrmsr IA32_UINTR_RR <|kw\n`],
            [`${decls}expect cpu0.uirr == <|rx | 1\n`],
            [`${decls}expect ~<|kernel == 0\n`],
        ])('%s', async src => {
            await expectStatic(src, 'semantic');
        });
        test('in a hook', async () => {
            expect(await codesOf('policy p { on exec {\n  if cur.upid.ndst == cur { stui } } }\n')).toEqual(['semantic@2']);
        });
        test.each([
            [`${decls}expect cpu0.uirr == <|rx\n`],
            [`${decls}expect <|rx == 0\n`],
            [`${decls}expect 0 == <|user\n`],
            [`${decls}expect cpu0.current == <|0\n`],
            [`${decls}expect cpu0.current == <|user\n`],
            [`${decls}expect <|kernel == cpu0.current\n`],
            [`${decls}expect cpu0.mode == <|rx\n`],
            [`${decls}expect cpu0.mode == <|cpu0.current\n`],
            [`${decls}policy p { on exec {\n  if cur.upid.ndst == <|cur { stui } } }\n`],
        ])('an operand that cannot be compared so is the error, at that operand: %s', async src => {
            await expectStatic(src, 'semantic');
        });
        test('the message says what the name is and what to write', async () => {
            const r = await check(`${decls}cpu1: senduipi rx\ncpu1: senduipi tx\ncpu1: senduipi kw\n`);
            expect(r.diagnostics.map(d => d.message)).toEqual([
                `'rx' is a task, not a number (its UPID's address is rx.upid): a name is compared with cpuN.current only`,
                `'tx' is a task, not a number (its UITT's address is tx.uitt): a name is compared with cpuN.current only`,
                `'kw' is a kthread, not a number: a name is compared with cpuN.current only`,
            ]);
        });
        test('a CPU name alone is its index, and names beside current are fine', async () => {
            await expectNoStatic(`${decls}cpu0: interrupt cpu1\ncpu0: set rx.upid.ndst = cpu1\nexpect cpu0.current == rx\nexpect idle != cpu1.current\nexpect cpu0.upidaddr == rx.upid\n`);
        });
    });

    describe('a file with a static error is not emulated', () => {
        const lossy = `machine { cpus 2 policy lazy_fpu }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kworker
cpu0: switch rx
cpu1: switch tx
cpu0: switch kworker
cpu0: switch rx
cpu1: senduipi 0
expect delivered rx 3
`;
        test('the same scenario without the error reports run diagnostics', async () => {
            const r = await check(lossy);
            expect(r.run).toBeDefined();
            expect(r.codes).toContain('expect-failed@10');
        });
        test('with a syntax error, only the syntax error', async () => {
            const r = await check(`${lossy}cpu0: sendipi 0\n`);
            expect(uniq(r.codes)).toEqual(['syntax@11']);
            expect(r.run).toBeUndefined();
        });
        test('with a semantic error, only the semantic error', async () => {
            const r = await check(`${lossy}cpu2: stui\n`);
            expect(uniq(r.codes)).toEqual(['semantic@11']);
            expect(r.run).toBeUndefined();
        });
        test('static diagnostics are errors', async () => {
            const r = await check(`${lossy}cpu2: stui\ncpu0: bogus\n`);
            expect(r.diagnostics.length).toBeGreaterThan(0);
            expect(r.diagnostics.every(d => d.severity === 'error')).toBe(true);
            expect(r.diagnostics.every(d => d.code === 'syntax' || d.code === 'semantic')).toBe(true);
        });
    });

    test('a finer kind never replaces the code', async () => {
        const r = await check('task rx { handler 1 }\ntask rx { handler 1 }\ncpu0: switch ry\ncpu3: stui\n');
        expect(r.diagnostics.every(d => d.code === 'semantic')).toBe(true);
        const unknown = r.diagnostics.find(d => d.loc.line === 3)!;
        expect(unknown.data).toMatchObject({ kind: 'unknown-name' });
    });

    test('Langium: the static checks are errors with code syntax or semantic', async () => {
        await validated('machine { cpus 2 cpus 3 }\ntask t { uif 1 }\ncpu5: stui\n', r => {
            const errors = r.diagnostics.filter(d => d.severity === 1);
            expect(errors.length).toBeGreaterThanOrEqual(3);
            expect(errors.every(d => d.code === 'semantic')).toBe(true);
            const f = r.document.parseResult.value;
            expectError(r, /twice/, { node: f.machine!.props[1], property: 'kind' });
            expectError(r, /receiver|handler/, { node: (f.decls[0] as ast.Task).props[0], property: 'kind' });
            expectError(r, /cpu5/, { node: f.items[0] as ast.Step, property: 'cpu' });
        });
        await validated('policy p { on exec { xsaves prev } }\n', r => {
            const errors = r.diagnostics.filter(d => d.severity === 1);
            expect(errors.map(d => d.code)).toEqual(['semantic']);
        });
    });
});

describe('nesting depth (syntax/nesting.ts)', () => {
    test('counts parentheses and braces together, and finds the first bracket past the bound', () => {
        expect(findTooDeep('((({}))){', 3)).toEqual({ offset: 3, line: 1, column: 4 });
        expect(findTooDeep('((()))', 3)).toBeUndefined();
        expect(findTooDeep('(\n(\r\n(\r(', 3)).toEqual({ offset: 7, line: 4, column: 1 });
    });
    test('skips comments and strings, closing brackets never go below zero', () => {
        expect(findTooDeep('// ((((\n/* ((((\n(((( */ "((((" ((', 2)).toBeUndefined();
        expect(findTooDeep('/* \n\n */ (((', 2)).toEqual({ offset: 11, line: 3, column: 7 });
        expect(findTooDeep('"a\\"(((" ))))) ((', 2)).toBeUndefined();
        expect(findTooDeep('"open\n(((', 2)).toEqual({ offset: 8, line: 2, column: 3 });
    });
});

describe('long runs of comments', () => {
    test('150,000 comments before one token parse, in order, with the items where they are (no false "nested too deeply")', async () => {
        const n = 150_000;
        const text = `${'/* lead */ '.repeat(n)}\ncpu0: xrstors init\n${'// x\n'.repeat(n)}cpu0: clui  ${'/* a */ '.repeat(n)}\n`;
        const doc = await parse(text);
        expect(doc.parseResult.parserErrors).toEqual([]);
        expect(doc.parseResult.lexerErrors).toEqual([]);
        const items = doc.parseResult.value.items;
        expect(items.map(i => i.$cstNode?.range.start.line)).toEqual([1, n + 2]);
        // every comment is in the tree once, in the order of the text
        const hidden: number[] = [];
        const walk = (node: CstNode): void => {
            if (isCompositeCstNode(node)) node.content.forEach(walk);
            else if (node.hidden) hidden.push(node.offset);
        };
        walk(doc.parseResult.value.$cstNode!);
        expect(hidden).toHaveLength(3 * n);
        expect(hidden.every((o, i) => i === 0 || o > hidden[i - 1])).toBe(true);
    });

    test('the tree builder adds any number of children at once (the parse above overflowed only on the main thread\'s smaller stack)', () => {
        const builder = new CstNodeBuilder();
        const n = 2_000_000;
        const leaves = (tag: string) => Array.from({ length: n }, (_, i) => ({ tag: `${tag}${i}` }) as unknown as CstNode);
        const parent = { content: [{ tag: 'last' }] } as unknown as CompositeCstNode;
        builder.appendChildren(parent, leaves('b'));
        builder.insertChildren(parent, 1, leaves('a'));
        const tags = parent.content.map(c => (c as unknown as { tag: string }).tag);
        expect(tags).toHaveLength(2 * n + 1);
        expect([tags[0], tags[1], tags[n], tags[n + 1], tags[2 * n]]).toEqual(['last', 'a0', `a${n - 1}`, 'b0', `b${n - 1}`]);
        expect(parent.content.every(c => c === parent.content[0] || c.container === parent)).toBe(true);
    });
});

// =============================================================================================
describe('block comments and strings (lexer-patterns.ts: the grammar\'s regexes, without their quadratic cases)', () => {
    const comments = (text: string): string[] => Uintr.parser.Lexer.tokenize(text).hidden.filter(t => t.tokenType.name === 'ML_COMMENT').map(t => t.image);
    /**
     * What a grammar regex (sticky) matches, lexing from the left: a token where it matches at
     * `opener`, else one character on; with `lineComments`, `//` to the line's end is skipped.
     */
    const byGrammarRegex = (text: string, regex: RegExp, opener: string, lineComments: boolean): string[] => {
        const out: string[] = [];
        for (let i = 0; i < text.length; i++) {
            if (lineComments && text.startsWith('//', i)) i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
            else if (text.startsWith(opener, i)) {
                regex.lastIndex = i;
                const m = regex.exec(text);
                if (m) {
                    out.push(m[0]);
                    i += m[0].length - 1;
                }
            }
        }
        return out;
    };
    const byRegex = (text: string): string[] => byGrammarRegex(text, /\/\*[\s\S]*?\*\//y, '/*', true);

    test.each([
        ['closed', 'expect 1 == 1 /* a */\n'],
        ['empty', '/**/ expect 1 == 1\n'],
        ['one star between', '/*/ x */ expect 1 == 1\n'],
        ['nested opener', '/* a /* b */ expect 1 == 1\n'],
        ['over lines, CRLF', '/* a\r\n b\r\n*/\r\nexpect 1 == 1\r\n'],
        ['two', '/* a */ /* b */\n'],
        ['unclosed after a closed one', '/* a */ expect 1 == 1 /* b\n'],
        ['unclosed, then more openers', '/* a /* b /* c\n'],
        ['in a line comment', '// /* not one\nexpect 1 == 1\n'],
    ])('%s: the same comments as the grammar\'s regex', (_name, text) => {
        expect(comments(text)).toEqual(byRegex(text));
    });

    const strings = (text: string): string[] => Uintr.parser.Lexer.tokenize(text).tokens.filter(t => t.tokenType.name === 'STRING').map(t => t.image);
    const stringsByRegex = (text: string): string[] => byGrammarRegex(text, /"(?:\\["\\]|[^"\\\r\n])*"/y, '"', false);
    test.each([
        ['plain', 'scenario "a b"'],
        ['escapes', 'scenario "a \\" \\\\ b"'],
        ['unclosed at the line end, then one on the next line', 'scenario "a\nscenario "b"'],
        ['an escape the language lacks', 'scenario "a \\q" "c"'],
        ['a line of `"\\` (each `"` opens one that never closes)', '"\\'.repeat(50) + '\n"ok"'],
        ['escaped quotes then a real close', 'x "\\"\\"" y "\\\\"'],
    ])('strings, %s: the same as the grammar\'s regex', (_name, text) => {
        expect(strings(text)).toEqual(stringsByRegex(text));
    });

    test('the lexer gives the tokens, hidden tokens and errors that the grammar\'s regexes give, on the examples and on the quadratic cases made small', () => {
        const plain = new DefaultLexer({
            parser: { LexerErrorMessageProvider: Uintr.parser.LexerErrorMessageProvider, TokenBuilder: new DefaultTokenBuilder() },
            Grammar: Uintr.Grammar, LanguageMetaData: Uintr.LanguageMetaData,
        } as unknown as ConstructorParameters<typeof DefaultLexer>[0]);
        const seen = (r: ReturnType<typeof plain.tokenize>) => ({
            tokens: r.tokens.map(t => [t.tokenType.name, t.image, t.startOffset]),
            hidden: r.hidden.map(t => [t.tokenType.name, t.image, t.startOffset]),
            errors: r.errors.map(e => [e.offset, e.length]),
        });
        const texts = [
            ...readdirSync(join(ROOT, 'examples')).filter(f => f.endsWith('.uintr')).map(f => readFileSync(join(ROOT, 'examples', f), 'utf8')),
            readFileSync(PRELUDE_PATH, 'utf8'),
            `expect ${'1'.repeat(300)}a == 1 0x${'f'.repeat(50)}g 1_${'2'.repeat(40)}__3 12ab 0x 0X1F 1_000`,
            `scenario ${'"\\'.repeat(200)}\n"ok" "a \\q" "b`,
            `/* a ${'/* '.repeat(100)}`,
            'cpu0: stui /* x */ // y\n"s" 0xec_00 /*/ z */ 7',
        ];
        for (const text of texts) expect(seen(Uintr.parser.Lexer.tokenize(text)), text.slice(0, 60)).toEqual(seen(plain.tokenize(text)));
    });

    test('an unclosed comment in one text does not leave another text\'s comment unread', () => {
        expect(comments('expect 1 == 1 /* never closed')).toEqual([]);
        expect(comments('/* closed */ expect 1 == 1 /* and */')).toEqual(['/* closed */', '/* and */']);
    });

    test('unclosed `/*`s are one syntax error on their line, at the first', async () => {
        expect(await codesOf('machine { policy manual }\n/* a /* b\n')).toEqual(['syntax@2']);
        await expectStatic('machine { policy manual }\n<|/* a /* b\n', 'syntax');
    });
});

// =============================================================================================
describe('the token limit (limits.ts)', () => {
    test('countTokens counts as the lexer does: a word, number or string is one token, any other character one, comments none', () => {
        expect(countTokens('')).toBe(0);
        expect(countTokens('expect cpu0.uinv == 0xec')).toBe(7); // expect cpu0 . uinv = = 0xec
        expect(countTokens('scenario "a \\" b" // note\n/* x\n y */ task rx_1 { handler 0x40_1000 }')).toBe(8);
        expect(countTokens('/* never closed x y z')).toBe(0);
        expect(countTokens('\u00a0\t\r\n  x\u3000y')).toBe(2);
        expect(countTokens('a b c d e f', 3)).toBe(3); // stops at `stop`
    });

    test('a text over MAX_TOKENS tokens parses to one syntax error at the start, at once; one of as many characters but fewer tokens parses', async () => {
        expect(tooLarge('x '.repeat(MAX_TOKENS))).toBeUndefined();
        expect(tooLarge('x '.repeat(MAX_TOKENS + 1))).toMatch(/^too large to check: over 1,000,000 tokens/);
        expect(tooLarge(`/* ${'x '.repeat(MAX_TOKENS)} */`)).toBeUndefined();
        const doc = await parse('machine { policy manual }\n' + 'expect 1 | 1 == 1\n'.repeat(MAX_TOKENS / 6 + 1));
        expect(doc.parseResult.parserErrors.map(e => [e.name, e.message, e.token.startLine])).toEqual([[TOO_LARGE, expect.stringMatching(/^this file is too large to check/), 1]]);
        expect(doc.parseResult.value.items).toEqual([]);
    });
});

// =============================================================================================
describe('unmatched brackets (nesting.ts: the parser\'s recovery costs their number times the tokens after)', () => {
    test('findUnmatched counts brackets never closed and closers of the other kind, and finds the first; strings and comments do not count', () => {
        expect(findUnmatched('expect (((1)) == 1 { }', 0)).toEqual({ count: 1, at: { offset: 7, line: 1, column: 8 } });
        expect(findUnmatched('a\n(( ) }\n{ )', 0)).toEqual({ count: 2, at: { offset: 7, line: 2, column: 6 } }); // `}` closes a `(`, `)` a `{`
        expect(findUnmatched('x } ( ]', 0)).toEqual({ count: 1, at: { offset: 4, line: 1, column: 5 } }); // a stray closer is one error, not counted
        expect(findUnmatched('"((((" // ((((\n/* { */ ()', 0)).toBeUndefined();
        expect(findUnmatched('('.repeat(MAX_UNMATCHED))).toBeUndefined();
        expect(findUnmatched('('.repeat(MAX_UNMATCHED + 1))?.count).toBe(MAX_UNMATCHED + 1);
    });

    test('more than MAX_UNMATCHED: one syntax error at the first, without parsing; as many as MAX_UNMATCHED: the parser\'s own errors', async () => {
        const tokens = ' 0'.repeat(1000);
        const many = await parse(`machine { policy manual }\nexpect ${'('.repeat(300)}0${tokens}\n`);
        expect(many.parseResult.parserErrors.map(e => [e.name, e.token.startLine, e.token.startColumn])).toEqual([[UNMATCHED, 2, 8]]);
        expect(many.parseResult.parserErrors[0].message).toMatch(/^brackets do not match: this is the first of 300 /);
        const few = await parse(`machine { policy manual }\nexpect ${'('.repeat(MAX_UNMATCHED)}0${tokens}\n`);
        expect(few.parseResult.parserErrors.length).toBeGreaterThan(0);
        expect(few.parseResult.parserErrors.every(e => e.name !== UNMATCHED)).toBe(true);
        await expectStatic(`machine { policy manual }\nexpect <|${'('.repeat(40)}1\n`, 'syntax');
    });

    test('beyond MAX_RECOVERED_ERRORS the parser stops recovering, and says where it stopped: the errors before stay at their lines', async () => {
        // a path cut after its '.' before a race: three parser errors each, and each recovery
        // inside the repetition scanned the rest of the file (quadratic: 8,000 of them took 22 s)
        const broken = (n: number) => 'machine { cpus 2 }\ntask rx { handler 1 }\n' + 'expect rx.upid.\nrace { cpu0: switch rx } with { cpu1: switch rx }\n'.repeat(n);
        const many = await check(broken(2000));
        const last = many.diagnostics.at(-1)!;
        const lines = 2 + 2 * 2000;
        expect(last.message).toBe(`the parser stopped here: after ${thousands(MAX_RECOVERED_ERRORS)} syntax errors it no longer recovers, so the rest of the file (lines ${last.loc.line}–${thousands(lines)}) is not read; mend the errors above first`);
        expect(last.loc.column).toBe(1);
        // every error before it on a cut path's line (3, 5, 7, …), one per line, and up to where it stopped
        const before = many.diagnostics.slice(0, -1);
        expect(before.length).toBeGreaterThan(300);
        expect(before.map(d => d.loc.line)).toEqual(before.map((_, i) => 3 + 2 * i));
        expect(last.loc.line).toBe(before.at(-1)!.loc.line + 1);
        // lines that end in a lone CR count the same
        const cr = (await check(broken(2000).replace(/\n/g, '\r'))).diagnostics.at(-1)!;
        expect([cr.loc.line, cr.loc.column, cr.message]).toEqual([last.loc.line, 1, last.message]);
        // fewer errors: every cut path reported, and no such message
        const few = await check(broken(300));
        expect(few.diagnostics.map(d => d.loc.line)).toEqual(Array.from({ length: 300 }, (_, i) => 3 + 2 * i));
        // more than the cap, each recovered without a repetition's recovery: the parser read to the end, and says nothing of stopping
        const read = await check('machine { cpus 2 }\ntask rx { handler 1 }\n' + 'cpu0: switch\n'.repeat(MAX_RECOVERED_ERRORS + 200));
        expect(read.diagnostics).toHaveLength(MAX_RECOVERED_ERRORS + 200);
        expect(read.diagnostics.filter(d => /stopped/.test(d.message))).toEqual([]);
    });
});

// =============================================================================================
describe('numbers in messages (message-text.ts)', () => {
    test('thousands writes a whole number as toLocaleString(\'en-US\') does', () => {
        for (const n of [0, 7, 999, 1000, 12345, 100000, 1000000, 4294967296, 123456789012]) expect(thousands(n), String(n)).toBe(n.toLocaleString('en-US'));
    });
});

describe('messages quote long tokens by their ends (message-text.ts)', () => {
    test('shortenRuns keeps runs up to 80 characters and shortens longer ones in the middle, whitespace as it was', () => {
        expect(shortenRuns('short message')).toBe('short message');
        const run80 = 'x'.repeat(80);
        expect(shortenRuns(`a ${run80} b ${run80}`)).toBe(`a ${run80} b ${run80}`);
        const long = `'${'a'.repeat(47)}${'b'.repeat(1_000_000)}${'c'.repeat(23)}'`;
        expect(shortenRuns(`unexpected ${long}\n  where`)).toBe(`unexpected '${'a'.repeat(47)}…${'c'.repeat(23)}'\n  where`);
    });

    test('a name of megabytes in an error is quoted by its ends (a 15 MB name made a 15 MB message)', async () => {
        const r = await check(`${'a'.repeat(2_000_000)}\n`);
        const [d] = r.diagnostics;
        expect(d.code).toBe('syntax');
        expect(d.message.length).toBeLessThan(400);
        expect(d.message).toMatch(/^unexpected 'a+…a+' where the file should end/);
    });
});

describe('where a syntax error is reported: on the line that is wrong, once (decisions #33)', () => {
    const M = 'machine { cpus 2 policy manual }\ntask rx { handler 0x401000 }\n';
    /** The file's diagnostics as code@line, and its messages. */
    const codes = async (text: string) => {
        const r = await check(text);
        return { codes: r.codes, messages: r.diagnostics.map(d => `${d.loc.line}:${d.loc.column} ${d.message}`) };
    };

    test.each([
        ['an expectation in a race branch', `${M}race {\n  cpu0: xrstors rx\n  expect cpu0.uinv == 0xec\n} with {\n  cpu1: xrstors rx\n}\n`, [5], /branches hold steps only: no expectations/],
        ['a race nested in a branch', `${M}race {\n  cpu0: xrstors rx\n  race { cpu0: stui } with { cpu1: stui }\n} with {\n  cpu1: xrstors rx\n}\n`, [5], /no nested races/],
        ['a reserved word as a foreach variable', `${M}policy p extends manual {\n  on wake { foreach waiting next { wake next } }\n}\ncpu0: xrstors rx\n`, [4], /reserved word/],
        ['an if without braces, a declaration after it', `${M}policy p extends manual {\n  on switch_out { if user(prev) xsaves prev }\n}\ntask ry { handler 1 }\ncpu0: stui\n`, [4], /expected '\{' but found 'xsaves'/],
        ['a task without braces', `${M}task ry handler 1\ncpu0: stui\n`, [3], /expected '\{' but found 'handler'/],
        ['a task whose } is missing', `${M}task ry { handler 1\ncpu0: stui\n`, [3], /expected '\}' but found 'cpu0'; the line ends after '1'/],
        ['a hook statement without its operand', `${M}policy p extends manual {\n  on exit {\n    wrmsr IA32_UINTR_RR\n    put cur.upid\n  }\n}\n`, [5], /the line ends after 'IA32_UINTR_RR'/],
        ['a word that is no property, on its own line', `machine { cpus 2 }\ntask rx {\n  handler 1\n  bogus 2\n}\n`, [4], /bogus/],
        ['a statement in a task block', `machine { cpus 2 }\ntask rx {\n  handler 1\n  xsaves rx\n}\n`, [4], /xsaves/],
        ['a switch without its target', `${M}cpu0: switch\ncpu1: stui\n`, [3], /the line ends after 'switch'/],
        ['a senduipi without its index, then an expectation', `${M}cpu0: senduipi\nexpect no lost\n`, [3], /the line ends after 'senduipi'/],
    ])('%s', async (_name, text, lines, message) => {
        const r = await codes(text);
        expect(r.codes, r.messages.join('\n')).toEqual(lines.map(l => `syntax@${l}`));
        expect(r.messages.join('\n')).toMatch(message);
    });

    test('a bracket never closed is said so where its block ends', async () => {
        expect((await codes('machine { cpus 2 }\nrace {\n  cpu1: stui // why\ncpu0: stui\n')).messages)
            .toEqual(["3:13 expected '}' but found end of file; the '{' of line 2 is never closed"]);
        expect((await codes('machine { cpus 2 }\nrace {\n  cpu0: stui\nrace { cpu0: stui } with { cpu1: stui }\n')).messages)
            .toEqual(["3:13 the '{' of line 2 is never closed: the race on line 4 would be nested in its branch"]);
        // a race indented as the branch's: nested, as LANGUAGE §7 says
        expect((await codes('machine { cpus 2 }\nrace {\n  cpu0: stui\n  race { cpu0: stui } with { cpu1: stui }\n')).messages)
            .toEqual(["4:3 a race's branches hold steps only: no nested races"]);
        // closed: a race nested in a branch is said as LANGUAGE §7 says it, on its line
        expect((await codes('machine { cpus 2 }\nrace {\n  race { cpu0: stui } with { cpu1: stui }\n} with { cpu1: stui }\n')).messages)
            .toEqual(["3:3 a race's branches hold steps only: no nested races"]);
    });

    test('a block left open before a policy is said so; a machine\'s policy on its own line is none', async () => {
        expect((await codes('machine { cpus 2\npolicy q { }\n')).messages).toEqual(["1:17 this block is not closed before the next line's policy q"]);
        expect((await codes('machine {\n  cpus 2\n  policy linux_rfc\n}\ncpu0: stui\n')).codes).toEqual([]);
        // a closing bracket that stands alone in the text is no lost count: one error remains for it
        const stray = await codes('machine { cpus\npolicy q {\n  on exec { stui }\n}\n}\n}\n');
        expect(stray.codes.length, stray.messages.join('\n')).toBe(2);
        expect(stray.messages[1]).toMatch(/unexpected '\}' where the file should end/);
        // closed: the policy's { is the offender, on its line
        expect((await codes('machine { cpus 2 }\ntask rx { handler 1 }\ncpu0: stui\npolicy q { }\n')).codes).toEqual(['syntax@4']);
    });

    test('two paths cut after their \'.\' one after the other: each cut line says so, though the parser saw only the first', async () => {
        const r = await codes('machine { cpus 2 }\ntask rx { handler 1 }\ncpu0: switch rx\nexpect cpu0.\nexpect cpu1.\nexpect no lost\n');
        expect(r.messages).toEqual([
            "4:13 this line ends too early: 'expect', which starts the next line, was read as part of it",
            "5:13 this line ends too early: 'expect', which starts the next line, was read as part of it",
        ]);
        // a field on the next line that starts nothing is the path's own (a bad register, said as such)
        const field = await codes('machine { cpus 2 }\ncpu0: stui\nexpect cpu0.\n  nope == 0\n');
        expect(field.messages).toEqual([expect.stringMatching(/^4:3 a CPU has no register 'nope'/)]);
    });

    test('a name taken from the next line is said so; a name on the next line that starts no part, or a reserved one on the same line, is not', async () => {
        const taken = await codes('machine { cpus 2 }\ntask rx { handler 1 }\ntask\ntask rz { handler 2 }\n');
        expect(taken.messages).toEqual(["3:5 this line ends too early: 'task', which starts the next line, was read as the task's name"]);
        expect((await codes('machine { cpus 2 }\ntask\n  rx { handler 1 }\n')).codes).toEqual([]);
        const same = await codes('machine { cpus 2 }\ntask task { handler 1 }\npolicy p { on task { } }\n');
        expect(same.messages).toEqual([
            "2:6 'task' is a reserved word and cannot name a task",
            "3:15 unknown hook 'task' (expected one of switch_out, switch_in, return_to_user, exec, exit, wait, wake)",
        ]);
    });

    test('each short line of a file with several gets its own error, on it, after its last token', async () => {
        const text = `${M}task tx { target rx vector 1 }\nexpect delivered rx\ncpu0: stui\ncpu0: switch\ncpu1: senduipi\nexpect cpu0.uinv ==\ncpu0: stui\n`;
        const r = await codes(text);
        expect(r.codes, r.messages.join('\n')).toEqual(['syntax@4', 'syntax@6', 'syntax@7', 'syntax@8']);
        expect(r.messages).toEqual([
            "4:20 expected a number but found 'cpu0'; the line ends after 'rx'",
            "6:13 unexpected 'cpu1': expected idle, a name; the line ends after 'switch'",
            expect.stringMatching(/^7:15 unexpected 'expect': expected ~, \(, a number, .*; the line ends after 'senduipi'$/),
            "8:20 this line ends too early: 'cpu0', which starts the next line's step, was taken as part of it (a CPU name alone is a number), and its ':' cannot follow",
        ]);
    });

    test.each([
        // independent errors that an earlier version of these rules took for cascades
        ['two hooks, each instruction without its operand', 'machine { cpus 2 }\npolicy p {\n  on exec { xsaves }\n  on exit { xrstors }\n}\n', [3, 4]],
        ['a misspelt statement in an if, a word that is none after it', 'machine { cpus 2 }\ntask rx { handler 1 }\npolicy p {\n  on exec {\n    if user(cur) { stu }\n    bogus\n  }\n}\n', [5, 6]],
        ['a task without its {, whose stray } closes it, then a bad task', 'machine { cpus 2 }\ntask ry handler 1 }\ntask rz { handler 2 bogus 3 }\n', [2, 3]],
        ['a misspelt foreach (the recovery skips a word), then a bad statement', 'machine { cpus 2 }\ntask rx { handler 1 }\npolicy p {\n  on wake {\n    foreach wating t { wake t }\n    stu\n  }\n}\n', [5, 6]],
        // moved, and nothing left behind
        ['a statement in a task whose } is there, an unrelated ( open later', 'machine { cpus 2 }\ntask ry {\n  handler 1\n  cpu0: stui }\ncpu0: senduipi (1\n', [4, 5]],
        ['an operand cut short, a block comment before the next step', 'machine { cpus 2 }\nexpect cpu0.uinv ==\n/* note */\ncpu1: stui\n', [2]],
        ['a set cut short: the next line\'s CPU is no register set there', 'machine { cpus 2 }\ncpu0: set\ncpu1: stui\n', [2]],
        ['machine cut short: the next line\'s CPU is no missing CPU', 'machine { cpus\ncpu1: stui\n', [1]],
        ['a path cut short took the next line\'s keyword', 'machine { cpus 2 }\ntask rx { handler 1 }\ncpu0: put rx.\nexpect no lost\n', [3]],
        // a declaration's or a hook's name taken from the next line, where a part starts (uintr-validator.ts, reportTaken)
        ['a task keyword alone took the next declaration\'s keyword as its name', 'machine { cpus 2 }\ntask rx { handler 1 }\ntask\ntask rz { handler 2 }\n', [3]],
        ['a policy keyword alone took the next line\'s expect as its name', 'machine { cpus 2 }\npolicy\nexpect no lost\n', [2]],
        ['a hook\'s on alone took the next declaration\'s keyword as the hook\'s name', 'machine { cpus 2 }\npolicy p { on\ntask rz { handler 2 }\n', [2]],
        // the lines after it were read as the rest of the part that took it: what the parser met there follows, up to the next part
        ['a task keyword alone took a policy written on several lines', 'machine { cpus 2 }\ntask\npolicy q {\n  on exec { stui }\n}\ncpu0: stui\n', [2]],
        ['a policy keyword alone took a race\'s keyword', 'machine { cpus 2 }\npolicy\nrace { cpu0: stui } with { cpu1: stui }\n', [2]],
        ['a task keyword alone took a policy, a bad step after it', 'machine { cpus 2 }\ntask\npolicy q {\n  on exec { stui }\n}\ncpu0: bogus\n', [2, 6]],
        // a block left open before a policy: `policy q` reads as the machine's property until its `{`
        ['a machine block left open before a policy on several lines', 'machine {\npolicy q {\n  on exec { stui }\n}\ncpu0: stui\n', [1]],
        ['a machine block cut after a property, a policy next', 'machine { cpus 2\npolicy q { }\n', [1]],
        // the block's short line has the error: the last } where the file should end is the parser's lost count
        ['a machine block cut after a property\'s word, a policy on several lines next', 'machine { cpus\npolicy q {\n  on exec { stui }\n}\n', [1]],
        ['a task block cut short, a policy on several lines next', 'machine { cpus 2 }\ntask ry { target\npolicy q {\n  on exec { stui }\n}\n', [2]],
        // a bracket never closed, wanted at the end of the file: where its block ends, when the indentation says so plainly
        ['a race whose branch is never closed, its body indented, a step after it', 'machine { cpus 2 }\nrace {\n  cpu1: stui\ncpu0: stui\n', [3]],
        ['a race\'s second branch never closed, its body indented, a step after', 'machine { cpus 2 }\nrace { cpu0: stui } with {\n  cpu1: stui\ncpu0: stui\n', [3]],
        ['a race after a race whose branch is never closed, its body indented', 'machine { cpus 2 }\nrace {\n  cpu0: stui\nrace { cpu0: stui } with { cpu1: stui }\n', [3]],
        // otherwise at the end of the file: a body to the end, written flat, indented with tabs, or a closer that reads as the block's
        ['a task block never closed, its body indented to the end', 'machine { cpus 2 }\ntask ry {\n  handler 1\n  stack_adjust 8\n', [4]],
        ['a task block never closed, its body written flat', 'machine { cpus 2 }\ntask ry {\nhandler 1\nstack_adjust 8\n', [4]],
        ['a race whose branch is never closed, written flat', 'machine { cpus 2 }\nrace {\ncpu1: stui\ncpu0: stui\n', [4]],
        ['a hook never closed, a tab before its body', 'machine { cpus 2 }\npolicy p {\n    on exec {\n\txrstors init\n', [4]],
        ['an if never closed in a policy whose last } reads as the policy\'s', 'machine { cpus 2 }\ntask rx { handler 1 }\npolicy p {\n  on exec {\n    if user(cur) {\n      stui\n    clui\n  }\n}\n', [9]],
        ['an expectation after a race whose branch is never closed, written flat', 'machine { cpus 2 }\nrace {\ncpu0: stui\nexpect no lost\n', [4]],
        ['an expectation after a race whose last branch, indented, is never closed', 'machine { cpus 2 }\nrace {\n  cpu0: stui\n} with {\n  cpu1: stui\nexpect no lost\n', [5]],
        // a closing bracket wanted at a line not indented deeper than the bracket's: the short line before lacks it
        ['a hook whose } is missing, the next hook at its depth', 'machine { cpus 2 }\npolicy p {\n  on switch_out {\n    xsaves prev\n  on return_to_user { xrstors cur }\n}\n', [4]],
        ['a race\'s first branch whose } is missing, with at the race\'s depth', 'machine { cpus 2 }\nrace {\n  cpu0: stui\nwith {\n  cpu1: stui\n}\n', [3]],
        ['a hook inside a hook, indented deeper: the inner one is wrong', 'machine { cpus 2 }\npolicy p {\n  on exec {\n    stui\n    on exit { }\n  }\n}\n', [5]],
        ['an expectation in a task block written flat: it is the offender', 'machine { cpus 2 }\ntask rx {\nhandler 1\nexpect no lost\n}\n', [4]],
        ['a branch never closed on the race\'s own line, an expectation next', 'machine { cpus 2 }\nrace { cpu0: stui } with { cpu1: stui\nexpect no lost\n', [2]],
        ['a hook keyword alone took the next hook\'s on as its name', 'machine { cpus 2 }\npolicy p {\n  on\n  on switch_in { xrstors next }\n}\n', [3]],
        ['a set\'s path cut after its dot in a hook took the next statement\'s keyword', 'machine { cpus 2 }\npolicy p {\n  on switch_out {\n    set prev.upid.\n    xsaves prev\n  }\n}\n', [4]],
        // after a word taken from the next line, what the parser read as the short line's, to the next part
        ['a compared path cut after its dot took a race written on several lines', 'machine { cpus 2 }\ntask rx { handler 1 }\nexpect rx.upid.\nrace {\n  cpu0: stui\n} with {\n  cpu1: stui\n}\n', [3]],
        // inside the item: the set wants its operator, the comparison its operator, after the taken word
        ['a set\'s path cut short after its dot took the next line\'s expect', 'machine { cpus 2 }\ntask rx { handler 1 }\ncpu0: set rx.upid.\nexpect no lost\n', [3]],
        ['a compared path cut short after its dot took the next line\'s expect', 'machine { cpus 2 }\nexpect cpu0.\nexpect no lost\n', [2]],
        ['a set\'s path cut short after its dot took the next line\'s race', 'machine { cpus 2 }\ntask rx { handler 1 }\ncpu0: set rx.upid.\nrace { cpu0: stui } with { cpu1: stui }\n', [3]],
        ['machine without its block, a race next', 'machine\nrace { cpu0: stui } with { cpu1: stui }\n', [1]],
        ['a race without its {, an expectation next', 'machine { cpus 2 }\nrace\nexpect no lost\n', [2]],
        ['a target cut short, a declaration next', 'machine { cpus 2 }\ntask rx { handler 1 }\ntask ry { target\nkthread kw2\n', [3]],
        // a made-up bracket's missing partner is its cascade only until a new part starts
        ['a task without its {, then a task whose } is missing', 'machine { cpus 2 }\ntask ry 5\ntask rz { handler 2\ncpu0: stui\n', [2, 3]],
        ['a task without braces, then a task whose } is missing', 'machine { cpus 2 }\ntask ry\ntask rz { handler 2\ncpu0: stui\n', [2, 3]],
        ['a task without its name: the next step\'s CPU is no task name there', 'machine { cpus 2 }\ntask rx { handler 1 }\ntask\ncpu1: stui\n', [3]],
        // on the line where a moved error was noticed, a check's own error elsewhere stays
        ['an expectation cut short, then an expectation in the branch of the race after it', 'machine { cpus 2 }\ntask rx { handler 1 }\ntask tx { target rx vector 1 }\nexpect delivered rx\nrace { cpu0: stui expect no lost } with { cpu1: stui }\n', [4, 5]],
    ])('%s', async (_name, text, lines) => {
        const r = await codes(text);
        expect(r.codes, r.messages.join('\n')).toEqual(lines.map(l => `syntax@${l}`));
    });

    test('on a syntax error\'s line, a name check\'s error in a part the parser had read whole before it stays; one in its part goes', async () => {
        // two steps read whole, then the malformed number: each error is its own
        const steps = await codes('machine { cpus 2 }\ntask rx { handler 1 }\ncpu5: stui  cpu0: switch zz  cpu1: 0xecfoo\n');
        expect(steps.codes, steps.messages.join('\n')).toEqual(['semantic@3', 'syntax@3']);
        expect(steps.messages).toEqual([
            expect.stringMatching(/^3:1 cpu5 does not exist/),
            expect.stringMatching(/^3:36 malformed number '0xecfoo'/),
        ]);
        const tasks = await codes('machine { cpus 2 }\ntask rx { handler 1 uif 2 } task cpu0 { }\n');
        expect(tasks.messages).toEqual([expect.stringMatching(/^2:25 uif is one bit/), expect.stringMatching(/^2:34 'cpu0' is a CPU name/)]);
        // the unknown policy is what the parser made of a policy written in the machine block: one error
        expect((await codes('machine { cpus 2 policy q { } }\n')).codes).toEqual(['syntax@1']);
        // and in the same item, before the error: the same
        expect((await codes('machine { cpus 2 }\ncpu0: switch zz 5\n')).codes).toEqual(['syntax@2']);
    });

    test('independent errors on separate lines are all reported; a stray } is reported when nothing came before it', async () => {
        const r = await codes(`${M}cpu0: sendipi 0\ncpu1: stui\ncpu1: xrstor rx\n`);
        expect(r.codes, r.messages.join('\n')).toEqual(['syntax@3', 'syntax@5']);
        const stray = await codes(`${M}cpu0: stui\n}\n`);
        expect(stray.codes).toEqual(['syntax@4']);
    });
});

describe('the bracket map (nesting.ts) that places syntax errors', () => {
    test('balanced, stray closers, the innermost open bracket and whether it closes; comments and strings skipped', () => {
        const text = 'a { b ( c ) // }\n d { "}" /* { */ } e\n} f { g\n';
        const m = bracketMap(text);
        expect(m.balanced).toBe(false);
        const at = (s: string) => text.indexOf(s);
        expect(m.unclosedAt(at('a'))).toBe(false); // nothing open
        expect(m.unclosedAt(at('b'))).toBe(false); // the first {, closed on the third line
        expect(m.unclosedAt(at('e'))).toBe(false);
        expect(m.unclosedAt(at('g'))).toBe(true); // the last {, never closed
        expect(m.strayAfter(0)).toBe(false);
        expect(bracketMap('x { y } }').strayAfter(0)).toBe(true);
        expect(bracketMap('x { y } }').balanced).toBe(false);
        expect(bracketMap('x { ( ) } // (\n"{"').balanced).toBe(true);
        // a string ends at its line's end, a \ before the line break included: the next line's brackets count
        expect(bracketMap('x "a\\\n{').balanced).toBe(false);
        expect(bracketMap('x "a\\" { }').balanced).toBe(true);
        // a closer of the other kind leaves its opener unclosed
        const wrong = bracketMap('x { y ) z');
        expect(wrong.unclosedAt('x { y ) z'.indexOf('y'))).toBe(true);
    });

    test('lines of a bare `race` get an error each (when a branch could hold a race, the recovery nested them: 1,200 took 53 s)', async () => {
        const r = await check('machine { cpus 2 }\n' + 'race\n'.repeat(1200));
        expect(r.codes).toEqual(Array.from({ length: 1200 }, (_, i) => `syntax@${i + 2}`));
    });

    test('an expectation or a race in each of many branches: one error each, on its line', async () => {
        const text = 'machine { cpus 2 }\n' + Array.from({ length: 200 }, (_, i) => i % 2 ? 'race { cpu0: stui\n  race { cpu0: stui } with { cpu1: stui }\n} with { cpu1: stui }' : 'race { cpu0: stui\n  expect no lost\n} with { cpu1: stui }').join('\n') + '\n';
        const r = await check(text);
        expect(r.codes).toEqual(Array.from({ length: 200 }, (_, i) => `syntax@${3 + 3 * i}`));
        expect(r.steps).toBe(200 * 2 + 100 * 2);
    });
});

