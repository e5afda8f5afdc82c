/**
 * Every annotated scenario agrees with its `//!` comments (LANGUAGE.md §11): the project's
 * examples/, the scenarios of a contract audit (test/corpus/contract-audit/), broken files whose
 * syntax errors belong on given lines (test/corpus/broken/) and the shared contract examples.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ROOT, annotations, check } from './helpers.js';

// examples/, the contract audit's scenarios (test/corpus/contract-audit/README.md), the broken
// files of a review of where syntax errors go (test/corpus/broken/README.md), the shared ones
const folders = [join(ROOT, 'examples'), join(ROOT, 'test', 'corpus', 'contract-audit'), join(ROOT, 'test', 'corpus', 'broken')];
const sharedExamples = join(ROOT, '..', 'shared', 'examples');
if (existsSync(sharedExamples)) folders.push(sharedExamples);

describe.each(folders)('annotated scenarios in %s', dir => {
    const files = readdirSync(dir).filter(f => f.endsWith('.uintr')).sort();
    test('the folder has scenarios', () => {
        expect(files.length).toBeGreaterThan(0);
    });
    test.each(files)('%s agrees with its annotations', async f => {
        const text = readFileSync(join(dir, f), 'utf8');
        const r = await check(text);
        expect(r.internalError).toBeUndefined();
        expect([...r.codes].sort()).toEqual(annotations(text));
    });
});

describe('the shipped examples', () => {
    const files = readdirSync(join(ROOT, 'examples')).filter(f => f.endsWith('.uintr'));
    test('include every shared example, unchanged', () => {
        if (!existsSync(sharedExamples)) return;
        for (const f of readdirSync(sharedExamples).filter(x => x.endsWith('.uintr'))) {
            expect(files).toContain(f);
            expect(readFileSync(join(ROOT, 'examples', f), 'utf8')).toBe(readFileSync(join(sharedExamples, f), 'utf8'));
        }
    });
    test('cover every diagnostic code but race-counterexample, and every built-in policy', () => {
        const texts = files.map(f => readFileSync(join(ROOT, 'examples', f), 'utf8'));
        const codes = new Set(texts.flatMap(t => annotations(t).map(a => a.split('@')[0])));
        for (const c of ['xrstors-gp', 'senduipi-gp', 'wrmsr-gp', 'ud', 'upid-use-after-free', 'notification-lost', 'stale-uinv',
            'xsaves-clobbers-image', 'misdelivered', 'never-delivered', 'expect-failed', 'syntax', 'semantic']) {
            expect(codes, `no example annotates ${c}`).toContain(c);
        }
        for (const p of ['manual', 'eager', 'lazy_fpu', 'linux_rfc', 'independent', 'tglx']) {
            expect(texts.some(t => new RegExp(`\\b(policy|extends)\\s+${p}\\b`).test(t)), `no example uses policy ${p}`).toBe(true);
        }
    });
});
