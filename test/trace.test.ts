/**
 * The trace is the run's change log (scenario/trace.ts): replaying it, or moving a cursor
 * through it, must rebuild exactly the states the run went through. Checked on every example
 * (shared and our own) and on the bench's generated mix: after the last item the replayed
 * machine equals the live one field by field, a cursor agrees with the replay at every entry,
 * and walking the cursor back gives the initial machine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { buildMachine } from '../server/src/machine/build.js';
import type { Machine } from '../server/src/machine/state.js';
import { machineChanges, type Trace } from '../server/src/scenario/trace.js';
import { check, ROOT } from './helpers.js';

const EXAMPLES = join(ROOT, 'examples');
const files = readdirSync(EXAMPLES).filter(f => f.endsWith('.uintr')).sort();

/** The traced fields that differ between two machines, as `path old→new`. */
function differences(a: Machine, b: Machine): string[] {
    return machineChanges(a, b).map(c => `${c.path} ${String(c.old)}→${String(c.value)}`);
}

/** A copy of the traced state of a machine (replay and cursors reuse theirs). */
function snapshot(trace: Trace, m: Machine): Machine {
    const copy = buildMachine(trace.program.config, trace.program.tasks, trace.program.kthreads);
    copy.recording = false;
    const fields = (from: object, to: object): void => {
        for (const [k, v] of Object.entries(from)) if (typeof v !== 'object' || v === null) (to as Record<string, unknown>)[k] = v;
    };
    m.cpus.forEach((c, i) => fields(c, copy.cpus[i]));
    m.upids.forEach((u, i) => fields(u, copy.upids[i]));
    m.images.forEach((x, i) => fields(x, copy.images[i]));
    m.runnables.forEach((r, i) => fields(r, copy.runnables[i]));
    return copy;
}

async function checkTrace(text: string, label: string): Promise<number> {
    const r = await check(text);
    if (!r.run) return 0; // a file with static errors is not run
    const trace = r.run.trace;
    const live = (trace as unknown as { machine: Machine }).machine;
    const states: Machine[] = [];
    let end: Machine | undefined;
    for (const { entry, state } of trace.replay()) {
        if (entry) states.push(snapshot(trace, state));
        else end = snapshot(trace, state);
    }
    expect(states.length, label).toBe(trace.length);
    const last = end ?? states[states.length - 1] ?? snapshot(trace, buildMachine(trace.program.config, trace.program.tasks, trace.program.kthreads));
    expect(differences(last, live), `${label}: the replayed end state differs from the run's`).toEqual([]);
    const cursor = trace.cursor();
    // forward, then backward, then in a scattered order
    const order = [...states.keys(), ...[...states.keys()].reverse(), ...[...states.keys()].filter(i => i % 3 === 0).reverse()];
    for (const i of order) expect(differences(cursor.seek(i), states[i]), `${label}: cursor at entry ${i}`).toEqual([]);
    const initial = buildMachine(trace.program.config, trace.program.tasks, trace.program.kthreads);
    expect(differences(cursor.seek(-1), initial), `${label}: cursor back at the start`).toEqual([]);
    return trace.length;
}

describe('the trace rebuilds the run', () => {
    test('every example: replay and cursor give the run\'s states, and the end state is the live machine', async () => {
        let entries = 0;
        for (const f of files) entries += await checkTrace(readFileSync(join(EXAMPLES, f), 'utf8'), f);
        expect(files.length).toBeGreaterThanOrEqual(17);
        expect(entries).toBeGreaterThan(200);
    });

    test('a run that changes every kind of traced value: BigInts up to 2^64 - 1, numbers, run states, booleans', async () => {
        const text = `
machine { cpus 2 ipi deferred }
task rx { handler 0xffff_ffff_ffff_f000 stack_adjust 0xffff_ffff_ffff_ffff }
task tx { target rx vector 63  target rx vector 0 }
cpu0: switch rx
cpu1: switch tx
cpu1: senduipi 0
cpu1: senduipi 1
cpu0: wrmsr IA32_UINTR_RR 0x8000_0000_0000_0001
cpu0: clui
cpu0: stui
cpu0: wait
cpu1: senduipi 0
cpu1: exit
cpu1: set rx.upid.pir |= 0xffff_ffff_ffff_ffff
cpu0: free rx.upid
`;
        expect(await checkTrace(text, 'mixed values')).toBe(12);
    });
});
