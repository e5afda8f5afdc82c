/**
 * Lowering (scenario/program.ts): items with the same source text share their compiled code,
 * and each keeps its own cause, place and diagnostics.
 */
import { describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CstUtils } from 'langium';
import { lowerProgram, type ExpectItem, type StepItem } from '../server/src/scenario/program.js';
import { scanItemStarts, startOffset, treeItemStarts } from '../server/src/syntax/cst-offsets.js';
import { compilePolicyForRun } from '../server/src/kernel/policy.js';
import { check, workspace } from './helpers.js';

const TEXT = `scenario "repeated lines"

machine {
  cpus 2
  policy linux_rfc
}

task rx { handler 0x401000 }

cpu0: switch rx
cpu0: xrstors rx
expect cpu0.uinv == 0
cpu0: xrstors rx
expect cpu0.uinv == 0
cpu0: xrstors rx // the same step, with a comment
cpu1: xrstors rx
expect cpu0.uinv == 0
`;

/** 1-based lines of the items, in order. */
const lines = TEXT.split('\n').map((l, i) => [l, i + 1] as const).filter(([l]) => /^(cpu\d|expect)/.test(l)).map(([, n]) => n);

describe('lowering', () => {
    test('the same text compiles once; a comment or another CPU makes another entry', async () => {
        const ws = await workspace();
        const doc = await ws.load(TEXT, '/test/lowering.uintr');
        try {
            const program = lowerProgram(doc.parseResult.value);
            const items = program.items;
            expect(items.map(i => i.kind)).toEqual(['step', 'step', 'expect', 'step', 'expect', 'step', 'step', 'expect']);
            const [, x1, e1, x2, e2, x3, x4, e3] = items;
            expect((x2 as StepItem).run).toBe((x1 as StepItem).run);
            expect((e2 as ExpectItem).check).toBe((e1 as ExpectItem).check);
            expect((e3 as ExpectItem).check).toBe((e1 as ExpectItem).check);
            expect((x3 as StepItem).run).not.toBe((x1 as StepItem).run);
            expect((x4 as StepItem).cpu).toBe(1);
            expect((x4 as StepItem).run).not.toBe((x1 as StepItem).run);
            // every item its own cause, at its own line
            expect(new Set(items.map(i => i.cause)).size).toBe(items.length);
            expect(items.map(i => program.loc(i.cause).line)).toEqual(lines);
        } finally {
            ws.release(doc);
        }
    });

    test('each repeated line faults and fails at its own line', async () => {
        const r = await check(TEXT);
        const [, x1, e1, x2, e2, x3, , e3] = lines;
        // cpu1 runs idle: its init restore is allowed; each cpu0 restore meets a live UINV
        expect(r.codes.filter(c => c.startsWith('xrstors-gp')).sort()).toEqual([x1, x2, x3].map(l => `xrstors-gp@${l}`).sort());
        expect(r.codes.filter(c => c.startsWith('expect-failed')).sort()).toEqual([e1, e2, e3].map(l => `expect-failed@${l}`).sort());
    });

    test('startOffset is CstNode.offset, for every node of every example and of a file with comments inside items', async () => {
        const ws = await workspace();
        const texts = readdirSync('examples').filter(f => f.endsWith('.uintr')).map(f => readFileSync(join('examples', f), 'utf8'));
        texts.push(TEXT.replace('cpu0: switch rx', 'cpu0: // why\n  switch /* not a comment */ rx'), '', '// only a comment\n');
        let nodes = 0;
        for (const [i, text] of texts.entries()) {
            const doc = await ws.load(text, `/test/offsets-${i}.uintr`);
            try {
                const root = doc.parseResult.value.$cstNode;
                if (!root) continue;
                for (const n of CstUtils.streamCst(root)) {
                    expect(startOffset(n)).toBe(n.offset);
                    nodes++;
                }
            } finally {
                ws.release(doc);
            }
        }
        expect(nodes).toBeGreaterThan(5_000);
    });

    test('a built-in policy is compiled once per UINV and kernel vector; a policy of the file afresh for each run', async () => {
        const ws = await workspace();
        const doc = await ws.load(TEXT, '/test/builtin-policy.uintr');
        try {
            const file = doc.parseResult.value;
            const env = lowerProgram(file).env;
            const rfc = ws.findPolicy('linux_rfc', file)!;
            expect(compilePolicyForRun(env, rfc)).toBe(compilePolicyForRun(lowerProgram(file).env, rfc));
            expect(compilePolicyForRun({ ...env, uinv: 0x21n }, rfc)).not.toBe(compilePolicyForRun(env, rfc));
            expect(compilePolicyForRun({ ...env, kernelVector: 0x22n }, rfc)).not.toBe(compilePolicyForRun(env, rfc));
        } finally {
            ws.release(doc);
        }
        const own = await ws.load('machine { cpus 2 policy mine }\npolicy mine extends linux_rfc { on exit { put cur.upid } }\ntask rx { handler 1 }\ncpu0: switch rx\n', '/test/own-policy.uintr');
        try {
            const file = own.parseResult.value;
            const mine = ws.findPolicy('mine', file)!;
            const env = lowerProgram(file).env;
            expect(compilePolicyForRun(env, mine)).not.toBe(compilePolicyForRun(env, mine));
        } finally {
            ws.release(own);
        }
    });

    test('the scan of the text finds the items where the tree starts them, in every clean file here and in items written oddly', async () => {
        const ws = await workspace();
        const dirs = ['examples', join('test', 'corpus', 'contract-audit'), join('test', 'corpus', 'broken')];
        const texts = dirs.flatMap(d => readdirSync(d).filter(f => f.endsWith('.uintr')).map(f => readFileSync(join(d, f), 'utf8')));
        texts.push(
            TEXT.replace('cpu1: xrstors rx', 'cpu1 /* a comment */ : // and one more\n  xrstors rx'),
            'machine { cpus 2 }\ntask rx { handler 1 }\ncpu0 : stui cpu1:clui expect cpu0.uif == cpu1\ncpu1: stui\nrace { cpu0: stui } with { cpu1: stui } race {\n cpu0: stui\n} with { cpu1: stui }\nexpect no lost\r\ncpu0: stui\rcpu1: clui\n',
        );
        let scanned = 0, fellBack = 0;
        for (const [i, text] of texts.entries()) {
            const doc = await ws.load(text, `/test/starts-${i}.uintr`);
            try {
                const file = doc.parseResult.value;
                const items = file.items;
                if (items.length === 0 || doc.parseResult.parserErrors.length || doc.parseResult.lexerErrors.length) continue;
                const tree = treeItemStarts(items)!;
                const scan = scanItemStarts(file.$cstNode!.root.fullText, tree[0], items.length);
                // either the same starts, or none (the tree's are then taken): never others
                if (scan === undefined) fellBack++;
                else {
                    expect(scan, `file ${i}`).toEqual(tree);
                    scanned++;
                }
            } finally {
                ws.release(doc);
            }
        }
        expect(scanned).toBeGreaterThan(100);
        // a comment between a CPU name and its ':' hides the item from the scan: the tree is read
        expect(fellBack).toBe(1);
    });
});
