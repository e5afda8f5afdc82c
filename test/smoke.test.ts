import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { annotations, check } from './helpers.js';

const dir = '/work/shared/examples';
describe('shared examples', () => {
    for (const f of readdirSync(dir).filter(f => f.endsWith('.uintr'))) {
        test(f, async () => {
            const text = readFileSync(join(dir, f), 'utf8');
            const r = await check(text);
            if (r.internalError) console.log(r.internalError);
            console.log(f, r.diagnostics.map(d => `${d.code}@${d.loc.line} ${d.severity}: ${d.message}`));
            expect([...r.codes].sort()).toEqual(annotations(text));
        });
    }
});
