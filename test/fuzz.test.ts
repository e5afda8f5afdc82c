/**
 * Property-based robustness of the whole check (parse, link, validate, run): the shipped
 * examples, mutated at random (lines deleted, duplicated, swapped; tokens of the language or
 * random bytes inserted; words replaced; the text truncated). Whatever the input, `check()`
 * must not throw, must not report an internal error, must place every diagnostic inside the
 * text, must keep static errors and the run apart (LANGUAGE.md §8), and must be deterministic.
 * Seeds are fixed so that a failure is reproducible; UINTR_FUZZ_SEED and UINTR_FUZZ_RUNS run
 * other seeds and more cases by hand (e.g. 1,500 runs of seeds 1, 2, 3 and 7 on 2026-11-30).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ROOT, check } from './helpers.js';

const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter(f => f.endsWith('.uintr')).sort()
    .map(f => ({ name: f, text: readFileSync(join(ROOT, 'examples', f), 'utf8') }));

const RESERVED = `scenario machine cpus uinv kernel_vector policy ipi immediate deferred handlers auto
  xrstors_init strict lenient task handler stack_adjust uif ndst target vector kthread race with
  expect delivered not pending gp no lost switch exec exit wait xsaves xrstors init wrmsr senduipi
  stui clui testui uiret interrupt set free put extends on if else take into foreach waiting wake
  user kthread receiver sender valid and or prev next cur cpu idle kernel manual`.split(/\s+/).filter(Boolean);

/** The language's vocabulary, plus near-misses of it. */
const VOCABULARY = [
    ...RESERVED,
    'switch_out', 'switch_in', 'return_to_user', 'upid', 'xsave', 'uitt', 'mode', 'current',
    'on', 'sn', 'nv', 'pir', 'present', 'uirr', 'uihandler', 'uistackadjust', 'uittsz', 'upidaddr', 'uittaddr',
    'IA32_UINTR_RR', 'IA32_UINTR_HANDLER', 'IA32_UINTR_STACKADJUST', 'IA32_UINTR_MISC', 'IA32_UINTR_PD', 'IA32_UINTR_TT', 'IA32_BOGUS',
    'eager', 'lazy_fpu', 'linux_rfc', 'independent', 'tglx',
    'rx', 'tx', 'kworker', 'rx2', 'nobody', 'cpu0', 'cpu1', 'cpu2', 'cpu63', 'cpu64', 'cpu01', 'cpu0x', 'cpu99999999999999999999',
    '{', '}', '(', ')', ':', '.', '=', '|=', '&=', '==', '!=', '<', '<=', '>', '>=', '|', '&', '^', '<<', '>>', '~', ',',
    '0', '1', '3', '63', '64', '255', '256', '0xec', '0xEB', '0x_1', '1__0', '1_', '0xecfoo', '0x0000_00ec_0000_0000',
    '0xffffffffffffffff', '18446744073709551616', '0x1_0000_0000_0000_0000', '99999999999999999999999999999999',
    '"title"', '"esc \\" \\\\"', '"unterminated', '//', '/*', '*/', '//! syntax', '\n', '\t',
    'race { cpu0: stui } with { cpu0: clui }', 'expect gp', 'expect no lost', 'cpu0: switch idle',
    'policy p extends linux_rfc { on return_to_user { xrstors cur } }', 'on exec { }', 'foreach waiting w { wake w }',
    'take cur.upid.pir into cpu.uirr', 'set rx.upid.sn = 1', 'free rx.upid', 'put rx.upid',
];

/** A mutation; numbers are reduced modulo the text's current size when applied. */
type Mutation =
    | { kind: 'delete'; i: number }
    | { kind: 'duplicate'; i: number }
    | { kind: 'swap'; i: number; j: number }
    | { kind: 'insert-tokens'; i: number; at: number; tokens: string[] }
    | { kind: 'insert-bytes'; i: number; at: number; bytes: string }
    | { kind: 'replace-word'; i: number; w: number; token: string }
    | { kind: 'truncate'; at: number };

const token = fc.constantFrom(...VOCABULARY);
const latin1Bytes = fc.uint8Array({ minLength: 1, maxLength: 12 }).map(a => String.fromCharCode(...a));
const anyChars = fc.string({ unit: 'binary', minLength: 1, maxLength: 8 });
const graphemes = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), i: fc.nat() }),
    fc.record({ kind: fc.constant('duplicate' as const), i: fc.nat() }),
    fc.record({ kind: fc.constant('swap' as const), i: fc.nat(), j: fc.nat() }),
    fc.record({ kind: fc.constant('insert-tokens' as const), i: fc.nat(), at: fc.nat(), tokens: fc.array(token, { minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant('insert-bytes' as const), i: fc.nat(), at: fc.nat(), bytes: fc.oneof(latin1Bytes, anyChars, graphemes) }),
    fc.record({ kind: fc.constant('replace-word' as const), i: fc.nat(), w: fc.nat(), token }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function applyMutation(text: string, m: Mutation): string {
    if (m.kind === 'truncate') return text.slice(0, text.length === 0 ? 0 : m.at % (text.length + 1));
    const lines = text.split('\n');
    const i = m.i % lines.length;
    switch (m.kind) {
        case 'delete':
            lines.splice(i, 1);
            break;
        case 'duplicate':
            lines.splice(i, 0, lines[i]);
            break;
        case 'swap': {
            const j = m.j % lines.length;
            [lines[i], lines[j]] = [lines[j], lines[i]];
            break;
        }
        case 'insert-tokens':
        case 'insert-bytes': {
            const line = lines[i];
            const at = m.at % (line.length + 1);
            const ins = m.kind === 'insert-tokens' ? ` ${m.tokens.join(' ')} ` : m.bytes;
            lines[i] = line.slice(0, at) + ins + line.slice(at);
            break;
        }
        case 'replace-word': {
            const words = [...lines[i].matchAll(/[A-Za-z0-9_]+/g)];
            if (words.length === 0) {
                lines[i] = `${lines[i]} ${m.token}`;
                break;
            }
            const w = words[m.w % words.length];
            lines[i] = lines[i].slice(0, w.index) + m.token + lines[i].slice(w.index + w[0].length);
            break;
        }
    }
    return lines.join('\n');
}

const example = fc.constantFrom(...EXAMPLES);
const mutated = fc.tuple(example, fc.array(mutation, { minLength: 1, maxLength: 6 }))
    .map(([ex, ms]) => ({ name: ex.name, mutations: ms, text: ms.reduce(applyMutation, ex.text) }));

const CODES = new Set(['xrstors-gp', 'senduipi-gp', 'wrmsr-gp', 'ud', 'upid-use-after-free', 'notification-lost', 'stale-uinv',
    'xsaves-clobbers-image', 'misdelivered', 'never-delivered', 'expect-failed', 'race-counterexample', 'syntax', 'semantic']);

/** Lines as an editor (and the LSP) counts them: \r\n, \r and \n all end a line. */
function linesOf(text: string): string[] {
    return text.split(/\r\n|\r|\n/);
}

/** Everything that must hold of any text's check. Throws (with the text) on a violation. */
async function checkRobust(text: string): Promise<void> {
    let r: Awaited<ReturnType<typeof check>>;
    try {
        r = await check(text);
    } catch (e) {
        throw new Error(`check() threw on ${JSON.stringify(text)}: ${e instanceof Error ? e.stack : String(e)}`);
    }
    const lines = linesOf(text);
    const ctx = () => `${JSON.stringify(text)}\n${r.diagnostics.map(d => `${d.code}@${d.loc.line}:${d.loc.column} ${d.message}`).join('\n')}`;
    expect(r.internalError, ctx()).toBeUndefined();
    for (const d of r.diagnostics) {
        expect(d.code, ctx()).not.toBe('internal');
        expect(CODES.has(d.code), `unknown code ${d.code}\n${ctx()}`).toBe(true);
        expect(['error', 'warning', 'information'], ctx()).toContain(d.severity);
        expect(d.message.length, ctx()).toBeGreaterThan(0);
        expect(d.message, ctx()).not.toMatch(/An error occurred during validation|An error occurred while|TypeError|ReferenceError|undefined \(reading/);
        for (const loc of [d.loc, ...d.related.map(x => x.loc)]) {
            expect(Number.isInteger(loc.line) && Number.isInteger(loc.column), ctx()).toBe(true);
            expect(loc.line, ctx()).toBeGreaterThanOrEqual(1);
            expect(loc.line, ctx()).toBeLessThanOrEqual(lines.length + 1);
            expect(loc.column, ctx()).toBeGreaterThanOrEqual(1);
            const lineText = lines[loc.line - 1] ?? '';
            expect(loc.column, ctx()).toBeLessThanOrEqual(lineText.length + 1);
        }
    }
    // §8: a file with a static error is not emulated; a syntax error is always static
    const hasSyntax = r.diagnostics.some(d => d.code === 'syntax');
    if (hasSyntax) expect(r.run, ctx()).toBeUndefined();
    if (r.run === undefined) {
        expect(r.diagnostics.length, ctx()).toBeGreaterThan(0);
        expect(r.diagnostics.every(d => d.code === 'syntax' || d.code === 'semantic'), ctx()).toBe(true);
        expect(r.diagnostics.every(d => d.severity === 'error'), ctx()).toBe(true);
    }
    expect(r.steps, ctx()).toBeGreaterThanOrEqual(0);
}

/** The diagnostics of a check, as plain data. */
async function diagnosticsOf(text: string): Promise<unknown> {
    const r = await check(text);
    return { steps: r.steps, diagnostics: JSON.parse(JSON.stringify(r.diagnostics)) as unknown, codes: r.codes };
}

const OPTIONS = { seed: Number(process.env.UINTR_FUZZ_SEED ?? 42), numRuns: Number(process.env.UINTR_FUZZ_RUNS ?? 200) } as const;

describe('robustness of check() on mutated examples', () => {
    test('the examples exist and are themselves checked without internal errors', async () => {
        expect(EXAMPLES.length).toBeGreaterThan(5);
        for (const ex of EXAMPLES) await checkRobust(ex.text);
    });

    test('the mutator changes text (the properties below are not vacuous)', () => {
        const samples = fc.sample(mutated, { seed: 42, numRuns: 50 });
        const changed = samples.filter(s => !EXAMPLES.some(e => e.text === s.text));
        expect(changed.length).toBeGreaterThan(40);
    });

    test('line mutations and token insertions never break check()', async () => {
        await fc.assert(fc.asyncProperty(mutated, async m => {
            await checkRobust(m.text);
        }), OPTIONS);
    }, 300_000);

    test('tokens of the language sprinkled anywhere never break check()', async () => {
        const sprinkled = fc.tuple(example, fc.array(fc.tuple(fc.nat(), fc.array(token, { minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 8 }))
            .map(([ex, inserts]) => inserts.reduce((t, [at, toks]) => {
                const p = at % (t.length + 1);
                return `${t.slice(0, p)} ${toks.join(' ')} ${t.slice(p)}`;
            }, ex.text));
        await fc.assert(fc.asyncProperty(sprinkled, checkRobust), OPTIONS);
    }, 300_000);

    test('random bytes anywhere (NUL, control characters, lone surrogates, CR) never break check()', async () => {
        const bytes = fc.tuple(example, fc.array(fc.tuple(fc.nat(), fc.oneof(latin1Bytes, anyChars, graphemes, fc.constantFrom('\r', '\0', '\r\n', '\u2028', '\uFEFF'))), { minLength: 1, maxLength: 6 }))
            .map(([ex, inserts]) => inserts.reduce((t, [at, s]) => {
                const p = at % (t.length + 1);
                return t.slice(0, p) + s + t.slice(p);
            }, ex.text));
        await fc.assert(fc.asyncProperty(bytes, checkRobust), OPTIONS);
    }, 300_000);

    test('any prefix of an example never breaks check()', async () => {
        const prefix = fc.tuple(example, fc.nat()).map(([ex, n]) => ex.text.slice(0, n % (ex.text.length + 1)));
        await fc.assert(fc.asyncProperty(prefix, checkRobust), OPTIONS);
    }, 300_000);

    test('texts made only of the vocabulary never break check()', async () => {
        const soup = fc.array(token, { minLength: 0, maxLength: 40 }).map(ts => ts.join(' '));
        await fc.assert(fc.asyncProperty(soup, checkRobust), OPTIONS);
    }, 300_000);

    test('wholly random text never breaks check()', async () => {
        await fc.assert(fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 })), checkRobust), OPTIONS);
    }, 300_000);
});

describe('determinism', () => {
    test('checking the same mutated text twice gives identical diagnostics', async () => {
        await fc.assert(fc.asyncProperty(mutated, async m => {
            const a = await diagnosticsOf(m.text);
            const b = await diagnosticsOf(m.text);
            expect(b, JSON.stringify(m.text)).toEqual(a);
        }), OPTIONS);
    }, 300_000);

    test('checking a text is not affected by what was checked before it', async () => {
        const pair = fc.tuple(mutated, mutated);
        await fc.assert(fc.asyncProperty(pair, async ([m1, m2]) => {
            const alone = await diagnosticsOf(m2.text);
            await check(m1.text);
            const after = await diagnosticsOf(m2.text);
            expect(after, `${JSON.stringify(m1.text)}\nthen\n${JSON.stringify(m2.text)}`).toEqual(alone);
        }), { seed: 42, numRuns: 100 });
    }, 300_000);

    test('every example checks identically twice', async () => {
        for (const ex of EXAMPLES) expect(await diagnosticsOf(ex.text)).toEqual(await diagnosticsOf(ex.text));
    });
});
