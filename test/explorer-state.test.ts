/**
 * The pieces a race's exploration keeps its states with (server/src/machine/): the set of
 * integer vectors that holds the visited states, the interner that turns a machine into such a
 * vector, and the copy that shares every object an event did not write. The explorer's results
 * are tested against brute force in race-explorer.test.ts; these tests pin the invariants those
 * results rest on, one at a time.
 */
import { describe, expect, test } from 'vitest';
import { buildMachine } from '../server/src/machine/build.js';
import { changedObjects, cloneMachine, StateInterner } from '../server/src/machine/clone.js';
import type { Machine, MachineConfig } from '../server/src/machine/state.js';
import { UndoLog } from '../server/src/machine/undo-log.js';
import { slotHash, SlotSum, VectorSet } from '../server/src/machine/vector-set.js';
import { xsaves } from '../server/src/machine/xsaves.js';
import { TransitionCache } from '../server/src/scenario/transitions.js';

const CONFIG: MachineConfig = { cpus: 2, uinv: 0xecn, kernelVector: 0xebn, handlersAuto: true, xrstorsStrict: true };

/** cpus 2 (idle0 = 0, idle1 = 1), rx = 2 (with a UPID and an image), tx = 3, kworker = 4. */
function machine(): Machine {
    return buildMachine(CONFIG, [
        { name: 'rx', handler: 0x401000n, stackAdjust: 128n, targets: [] },
        { name: 'tx', targets: [{ task: 'rx', vector: 3n }] },
    ], ['kworker']);
}

function keyOf(k: StateInterner, m: Machine): number[] {
    const out = new Int32Array(StateInterner.width(m));
    k.fill(m, out, 0);
    return [...out];
}

describe('VectorSet: the visited states', () => {
    test('adds a vector once, at the next index; has, intern and copyTo find it after the table grows', () => {
        const set = new VectorSet(3);
        const v = (a: number, b: number, c: number): Int32Array => Int32Array.of(a, b, c);
        for (let i = 0; i < 10_000; i++) expect(set.add(v(i, -i, i * 7))).toBe(i);
        expect(set.size).toBe(10_000);
        expect(set.add(v(5, -5, 35))).toBe(-1);
        expect(set.has(v(9_999, -9_999, 69_993))).toBe(true);
        expect(set.has(v(9_999, -9_999, 0))).toBe(false);
        expect(set.intern(v(1234, -1234, 8638))).toBe(1234);
        expect(set.intern(v(1, 2, 3))).toBe(10_000);
        expect(set.size).toBe(10_001);
        const out = new Int32Array(3);
        set.copyTo(4321, out, 2);
        expect([...out]).toEqual([4321, -4321, 0]);
    });
});

describe('StateInterner: a machine as a vector of integers', () => {
    test('equal states give equal keys; any traced field that differs gives a different key', () => {
        const k = new StateInterner();
        const a = machine(), b = machine();
        expect(keyOf(k, a)).toEqual(keyOf(k, b));
        const fields: [string, (m: Machine) => void][] = [
            ['UINV', m => { m.cpus[1].uinv = 0xecn; }],
            ['a UIRR bit above 2^30', m => { m.cpus[0].uirr = 1n << 63n; }],
            ['the mode', m => { m.cpus[0].mode = 'user'; }],
            ['ON', m => { m.upids[0].on = 1n; }],
            ['NDST, a full 32-bit value', m => { m.upids[0].ndst = 0xffff_ffffn; }],
            ['the UPID freed', m => { m.upids[0].freed = true; }],
            ['an image\'s UIF', m => { m.images[0].uif ^= 1n; }],
            ['an image saved with a live UINV', m => { m.images[0].savedBy = 12; }],
            ['a delivered vector', m => { m.runnables[2].delivered = 1n << 40n; }],
            ['a run state', m => { m.runnables[3].state = 'dead'; }],
        ];
        const seen = new Set([keyOf(k, a).join()]);
        for (const [what, change] of fields) {
            const m = machine();
            change(m);
            const key = keyOf(k, m).join();
            expect(seen.has(key), what).toBe(false);
            seen.add(key);
        }
    });

    test('provenance is left out: the same UIRR tags in different list objects, from different causes, key alike', () => {
        const k = new StateInterner();
        const a = machine(), b = machine();
        a.cpus[0].uirrTags = { vector: 3, owner: 2, cause: 10, next: null };
        b.cpus[0].uirrTags = { vector: 3, owner: 2, cause: 99, next: null };
        a.cpus[0].uinvArmedBy = 4;
        expect(keyOf(k, a)).toEqual(keyOf(k, b));
        b.cpus[0].uirrTags = { vector: 3, owner: 3, cause: 99, next: null };
        b.cpus[0].kid = -1;
        expect(keyOf(k, a)).not.toEqual(keyOf(k, b));
    });

    test('refill keys again exactly the objects written since the undo log started, and agrees with fill', () => {
        const k = new StateInterner();
        const m = machine();
        const before = new Int32Array(StateInterner.width(m));
        k.fill(m, before, 0);
        m.undo = new UndoLog();
        m.w(m.cpus[0], 'uinv', 0xecn);
        xsaves(m, m.cpus[0], m.runnables[2]);
        m.w(m.runnables[2], 'lastCpu', 0);
        const patched = before.slice();
        const delta = k.refill(m, patched, 0, m.undo);
        const full = new Int32Array(StateInterner.width(m));
        k.fill(m, full, 0);
        expect([...patched]).toEqual([...full]);
        expect([...patched]).not.toEqual([...before]);
        // the slot sum moves by what refill says: an incremental hash equals the one made afresh
        expect(delta).not.toBe(0);
        expect((SlotSum.of(before) + delta) | 0).toBe(SlotSum.of(full));
        m.rollback();
        k.fill(m, full, 0);
        expect([...full]).toEqual([...before]);
    });
});

describe('SlotSum: a hash updated slot by slot', () => {
    test('a sum over slots: changing slots one at a time gives the hash of the new vector', () => {
        let seed = 7;
        const rnd = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
        for (let round = 0; round < 200; round++) {
            const v = Int32Array.from({ length: 1 + rnd(40) }, () => rnd(5) - 1);
            let sum = SlotSum.of(v);
            for (let c = 0; c < 5; c++) {
                const k = rnd(v.length), x = rnd(1000) - 3;
                sum = (sum + slotHash(k, x) - slotHash(k, v[k])) | 0;
                v[k] = x;
            }
            expect(sum).toBe(SlotSum.of(v));
        }
    });
    test('a set given SlotSum hashes finds vectors by content', () => {
        const set = new VectorSet(3);
        const h = (v: Int32Array) => SlotSum.hash(SlotSum.of(v));
        const a = Int32Array.of(1, 2, 3), b = Int32Array.of(3, 2, 1);
        expect(h(a)).not.toBe(h(b));
        expect(set.add(a, h(a))).toBe(0);
        expect(set.add(b, h(b))).toBe(1);
        expect(set.add(Int32Array.of(1, 2, 3), h(a))).toBe(-1);
        expect(set.has(Int32Array.of(3, 2, 1), h(b))).toBe(true);
        expect(set.has(Int32Array.of(2, 2, 2), h(Int32Array.of(2, 2, 2)))).toBe(false);
    });
});

describe('changedObjects: a state that shares what an event did not write', () => {
    test('written objects are copied (a runnable follows its copied UPID and image); the rest is shared; the source rolls back alone', () => {
        const m = machine();
        m.recording = false;
        const uif = m.images[0].uif ^ 1n;
        m.undo = new UndoLog();
        m.w(m.cpus[1], 'uinv', 0xecn);
        m.w(m.upids[0], 'on', 1n);
        m.w(m.images[0], 'uif', uif);
        const c = changedObjects(m, m.undo);
        m.rollback();
        m.undo = null;

        expect(c.cpus[1]).not.toBe(m.cpus[1]);
        expect(c.cpus[1].uinv).toBe(0xecn);
        expect(m.cpus[1].uinv).toBe(0n);
        expect(c.cpus[0]).toBe(m.cpus[0]);
        expect(c.upids[0].on).toBe(1n);
        expect(m.upids[0].on).toBe(0n);
        const rx = c.runnables[2];
        expect(rx).not.toBe(m.runnables[2]);
        expect(rx.upid).toBe(c.upids[0]);
        expect(rx.image).toBe(c.images[0]);
        expect(c.images[0]).not.toBe(m.images[0]);
        expect(c.images[0].uif).toBe(uif);
        expect(m.images[0].uif).toBe(uif ^ 1n);
        expect(c.runnables[3]).toBe(m.runnables[3]);
        expect(c.runnables[4]).toBe(m.runnables[4]);

        // the copy equals a deep copy taken while the event was applied
        const k = new StateInterner();
        m.undo = new UndoLog();
        m.w(m.cpus[1], 'uinv', 0xecn);
        m.w(m.upids[0], 'on', 1n);
        m.w(m.images[0], 'uif', uif);
        const deep = cloneMachine(m);
        m.rollback();
        m.undo = null;
        const loaded = cloneMachine(m);
        loaded.load(c);
        expect(keyOf(k, loaded)).toEqual(keyOf(k, deep));
        expect(keyOf(k, loaded)).not.toEqual(keyOf(k, m));
    });

    test('with the interner, an object equal to one kept before is shared, provenance and all; one that differs only in provenance is not', () => {
        const m = machine();
        m.recording = false;
        const k = new StateInterner();
        const width = StateInterner.width(m);
        const event = (armedBy: number): ReturnType<typeof changedObjects> => {
            m.undo = new UndoLog();
            m.w(m.cpus[1], 'uinv', 0xecn);
            m.meta(m.cpus[1], 'uinvArmedBy', armedBy);
            m.w(m.upids[0], 'on', 1n);
            k.fill(m, new Int32Array(width), 0); // the explorer keys a state before it keeps it
            const c = changedObjects(m, m.undo, k);
            m.rollback();
            m.undo = null;
            return c;
        };
        const a = event(7), b = event(7), other = event(8);
        expect(a.cpus[1]).not.toBe(m.cpus[1]);
        expect(b.cpus[1]).toBe(a.cpus[1]);
        expect(b.upids[0]).toBe(a.upids[0]);
        expect(b.runnables[2]).toBe(a.runnables[2]); // the owner of the UPID, pointing at the shared copy
        expect(a.runnables[2].upid).toBe(a.upids[0]);
        expect(other.cpus[1]).not.toBe(a.cpus[1]);
        expect(other.cpus[1].uinvArmedBy).toBe(8);
        expect(a.cpus[1].uinvArmedBy).toBe(7);
        expect(other.upids[0]).toBe(a.upids[0]);
        // lists with nothing written are the source's own; the source is back as it was
        expect(a.images).toBe(m.images);
        expect(a.cpus).not.toBe(m.cpus);
        expect(m.cpus[1].uinv).toBe(0n);
        expect(m.upids[0].on).toBe(0n);

        // an object kept before, loaded, written and keyed again is not its own copy
        const loaded = cloneMachine(m);
        loaded.load(a);
        loaded.undo = new UndoLog();
        loaded.meta(loaded.cpus[1], 'uinvArmedBy', 9);
        loaded.meta(loaded.cpus[1], 'uinvArmedBy', 7);
        k.fill(loaded, new Int32Array(width), 0);
        const again = changedObjects(loaded, loaded.undo, k);
        loaded.rollback();
        expect(again.cpus[1]).not.toBe(a.cpus[1]);
        expect(again.cpus[1].uinvArmedBy).toBe(7);
    });

    test('no copy shares its source\'s serial (the transition cache knows an object by it): cloneMachine, changedObjects with and without the interner', () => {
        const m = machine();
        m.recording = false;
        let next = 100;
        const number = (list: { serial: number }[]) => { for (const o of list) o.serial = next++; };
        for (const list of [m.cpus, m.upids, m.images, m.runnables]) number(list);
        const copy = cloneMachine(m);
        for (const list of [copy.cpus, copy.upids, copy.images, copy.runnables]) for (const o of list) expect(o.serial).toBe(-1);
        const k = new StateInterner();
        for (const kept of [undefined, k]) {
            m.undo = new UndoLog();
            m.w(m.cpus[1], 'uinv', 0xecn);
            m.w(m.upids[0], 'on', 1n); // its owner, rx, is copied to point at the copy
            m.w(m.images[0], 'uirr', 4n);
            if (kept) kept.fill(m, new Int32Array(StateInterner.width(m)), 0);
            const c = changedObjects(m, m.undo, kept);
            m.rollback();
            m.undo = null;
            expect(c.cpus[1].serial).toBe(-1);
            expect(c.upids[0].serial).toBe(-1);
            expect(c.images[0].serial).toBe(-1);
            expect(c.runnables[2].serial).toBe(-1);
            // what was not written is shared, serial and all
            expect(c.cpus[0]).toBe(m.cpus[0]);
        }
    });

    test('after refill, the kept state is made from the objects refill keyed (each once), and equals the one made from the whole undo log', () => {
        const m = machine();
        m.recording = false;
        const k = new StateInterner();
        const width = StateInterner.width(m);
        const before = new Int32Array(width);
        k.fill(m, before, 0);
        m.undo = new UndoLog();
        m.w(m.cpus[1], 'uinv', 0xecn);
        m.w(m.cpus[1], 'uif', 1n); // the same object again
        m.w(m.upids[0], 'on', 1n);
        m.w(m.upids[0], 'pir', 8n);
        m.w(m.cpus[1], 'uirr', 4n);
        const out = before.slice();
        k.refill(m, out, 0, m.undo);
        const fresh = new Int32Array(width);
        k.fill(m, fresh, 0);
        expect([...out]).toEqual([...fresh]);
        // refill again (after the fill above): the same key, and the list is made again
        const again = before.slice();
        k.refill(m, again, 0, m.undo);
        expect([...again]).toEqual([...fresh]);
        expect(k.writtenSince(m.undo)?.count).toBe(2);
        const fromList = changedObjects(m, m.undo, k);
        const fromLog = changedObjects(m, m.undo);
        m.rollback();
        m.undo = null;
        expect(fromList).toEqual(fromLog);
        expect(fromList.cpus[1].uirr).toBe(4n);
        expect(fromList.runnables[2].upid).toBe(fromList.upids[0]);
        expect(fromList.images).toBe(m.images);
    });

    test('every field of a machine object is keyed or compared before it is shared (a new field must be added to one of them in clone.ts)', () => {
        const m = machine();
        const fields = (o: object): string[] => Object.keys(o).sort();
        // keyed by encodeCpu/encodeUpid/encodeImage/encodeRunnable; compared by sameCpu/sameUpid/...;
        // identity (id, index, owner, addr, name, kind, cpu), the key's own cache (kid, kgen) and the
        // object's own number (serial: the transition cache's, set to -1 by every copy in clone.ts)
        expect(fields(m.cpus[0])).toEqual(['current', 'fpregsOwner', 'id', 'index', 'kgen', 'kid', 'mode', 'serial', 'uif', 'uihandler', 'uinv', 'uinvArmedBy', 'uinvChangedBy', 'uirr', 'uirrTags', 'uistackadjust', 'uittaddr', 'uittsz', 'upidaddr']);
        expect(fields(m.upids[0])).toEqual(['addr', 'freed', 'freedBy', 'id', 'kgen', 'kid', 'ndst', 'nv', 'on', 'owner', 'pir', 'postedBy', 'refs', 'reserved', 'serial', 'sn']);
        expect(fields(m.images[0])).toEqual(['id', 'kgen', 'kid', 'miscReserved', 'owner', 'present', 'savedBy', 'serial', 'uif', 'uihandler', 'uinv', 'uirr', 'uirrTags', 'uistackadjust', 'uittaddr', 'uittsz', 'upidaddr']);
        expect(fields(m.runnables[2])).toEqual(['cpu', 'delivered', 'id', 'image', 'kgen', 'kid', 'kind', 'lastCpu', 'name', 'runningOn', 'serial', 'state', 'uitt', 'upid']);
    });
});

describe('TransitionCache: situations by the footprint\'s objects', () => {
    test('one situation per event, footprint and objects (by serial, exactly: 2^32 + 5 is not 5); an object without a serial gets a new one', () => {
        const cache = new TransitionCache();
        const cpu = (serial: number) => ({ serial });
        const a = { cpus: [cpu(5), cpu(7)], runnables: [cpu(9)] };
        const b = { cpus: [cpu(2 ** 32 + 5), cpu(7)], runnables: [cpu(9)] };
        const touch = 0b101; // cpu0 and runnable 0
        const s = cache.situation(a, 4, true, touch);
        expect(cache.situation(a, 4, true, touch)).toBe(s);
        expect(cache.situation(b, 4, true, touch)).not.toBe(s);
        expect(cache.situation(a, 4, false, touch)).not.toBe(s);
        expect(cache.situation(a, 6, true, touch)).not.toBe(s);
        expect(cache.situation(a, 4, true, 0b001)).not.toBe(s);
        // cpu1 is not in the footprint: it does not matter
        expect(cache.situation({ cpus: [cpu(5), cpu(8)], runnables: [cpu(9)] }, 4, true, touch)).toBe(s);
        expect(cache.situation(a, 4, true, -1)).toBe(-1);
        const fresh = { cpus: [cpu(-1)], runnables: [cpu(9)] };
        const f = cache.situation(fresh, 4, true, touch);
        expect(fresh.cpus[0].serial).toBeGreaterThanOrEqual(0);
        expect(cache.situation(fresh, 4, true, touch)).toBe(f);
        // the transition is learnt once and then found
        expect(cache.transition(s)).toBeUndefined();
        const t = { changes: [], inFlight: [], deferred: [], findings: [], semantics: [] };
        cache.learn(s, t);
        expect(cache.transition(cache.situation(a, 4, true, touch))).toBe(t);
        expect(cache.hits).toBe(1);
        // many situations: the table grows and finds each again
        const made = Array.from({ length: 5000 }, (_, i) => cache.situation({ cpus: [cpu(1000 + i)], runnables: [cpu(9)] }, 4, true, touch));
        expect(new Set(made).size).toBe(5000);
        made.forEach((n, i) => expect(cache.situation({ cpus: [cpu(1000 + i)], runnables: [cpu(9)] }, 4, true, touch)).toBe(n));
    });
});
