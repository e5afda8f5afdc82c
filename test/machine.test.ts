/**
 * Direct tests of the pure machine model (server/src/machine/) against SEMANTICS.md §1, §2
 * and the UPID rules of §8. Machines are built with buildMachine and driven by hand.
 */
import { describe, expect, test } from 'vitest';
import { buildMachine, type TaskSpec } from '../server/src/machine/build.js';
import { and64, highestBit, highHalf, isCanonical, lowHalf, or64, setBits } from '../server/src/machine/bits.js';
import { ChangeLog, PairLog } from '../server/src/machine/change-log.js';
import type { MachineEvent } from '../server/src/machine/events.js';
import { arrive, deliverAll, tagBits } from '../server/src/machine/interrupt.js';
import { MSRS, SEPARATE_BUFFER_BYTES, UINTR_COMPONENT_BYTES, UITT_SIZE_VALUE } from '../server/src/machine/layout.js';
import { senduipi } from '../server/src/machine/senduipi.js';
import { NO_CAUSE, notePosted, postedCause, type Cpu, type Machine, type MachineConfig, type Runnable } from '../server/src/machine/state.js';
import { uiFlag } from '../server/src/machine/ui-flag.js';
import { checkUpidWrite, freeUpid, putUpid } from '../server/src/machine/upid.js';
import { rdmsr, wrmsr } from '../server/src/machine/wrmsr.js';
import { xrstors } from '../server/src/machine/xrstors.js';
import { liveStateIsInit, xsaves } from '../server/src/machine/xsaves.js';

const UPID0 = 0xffff_8880_0010_0000n;
const UPID1 = 0xffff_8880_0010_0040n;
const UITT0 = 0xffff_8880_0020_0000n;
const UITT1 = 0xffff_8880_0020_1000n;
const NON_CANONICAL = 0x0000_8000_0000_0000n;
const HIGH_CANONICAL = 0xffff_8000_0000_0000n;
const LOW_CANONICAL_TOP = 0x0000_7fff_ffff_ffffn;

function config(over: Partial<MachineConfig> = {}): MachineConfig {
    return { cpus: 2, uinv: 0xecn, kernelVector: 0xebn, handlersAuto: true, xrstorsStrict: true, ...over };
}

const RX: TaskSpec = { name: 'rx', handler: 0x401000n, stackAdjust: 128n, targets: [] };
const TX: TaskSpec = { name: 'tx', targets: [{ task: 'rx', vector: 3n }] };

/** cpus 2 (idle0 = 0, idle1 = 1), rx = 2, tx = 3, kworker = 4. */
function standard(over: Partial<MachineConfig> = {}): { m: Machine; rx: Runnable; tx: Runnable; kworker: Runnable; c0: Cpu; c1: Cpu } {
    const m = buildMachine(config(over), [RX, TX], ['kworker']);
    return { m, rx: m.runnables[2], tx: m.runnables[3], kworker: m.runnables[4], c0: m.cpus[0], c1: m.cpus[1] };
}

/** Puts a runnable on a CPU as its current, in the given mode (what `switch` does to the kernel view). */
function place(m: Machine, c: Cpu, r: Runnable, mode: 'user' | 'kernel' = 'user'): void {
    const prev = m.runnables[c.current];
    prev.runningOn = -1;
    if (prev.state === 'running') prev.state = 'runnable';
    c.current = r.id;
    c.mode = mode;
    r.state = 'running';
    r.runningOn = c.index;
}

/** Loads every live field of a CPU directly. */
function setLive(c: Cpu, f: Partial<Pick<Cpu, 'uihandler' | 'uistackadjust' | 'uittsz' | 'uinv' | 'upidaddr' | 'uittaddr' | 'uirr' | 'uif'>>): void {
    Object.assign(c, f);
}

function liveOf(c: Cpu) {
    return {
        uihandler: c.uihandler, uistackadjust: c.uistackadjust, uittsz: c.uittsz, uinv: c.uinv,
        upidaddr: c.upidaddr, uittaddr: c.uittaddr, uirr: c.uirr, uif: c.uif,
    };
}

function eventsOf<T extends MachineEvent['type']>(m: Machine, type: T): Extract<MachineEvent, { type: T }>[] {
    return m.events.filter(e => e.type === type) as Extract<MachineEvent, { type: T }>[];
}

// ---------------------------------------------------------------------------------------
describe('64-bit helpers', () => {
    test('setBits lists every set bit, lowest first, across both 32-bit halves', () => {
        expect(setBits(0n)).toEqual([]);
        expect(setBits(1n)).toEqual([0]);
        expect(setBits((1n << 31n) | (1n << 32n) | (1n << 63n) | 0b1010n)).toEqual([1, 3, 31, 32, 63]);
        expect(setBits((1n << 64n) - 1n)).toEqual([...Array(64).keys()]);
        for (const v of [1n, 0x80n, 1n << 31n, 1n << 32n, (1n << 63n) | 1n]) expect(highestBit(v)).toBe(setBits(v).at(-1));
    });

    test('the forms written for speed give exact values at the edges: 2^32 - 1, 2^32, 2^64 - 1', () => {
        const max = (1n << 64n) - 1n;
        const edges = [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, 0x1_0000_0001n, 0xffff_ffff_0000_0000n, max];
        for (const v of edges) {
            expect(lowHalf(v)).toBe(Number(v % (1n << 32n)));
            expect(highHalf(v)).toBe(Number(v / (1n << 32n)));
            if (v !== 0n) expect(highestBit(v)).toBe(v.toString(2).length - 1);
            for (const w of edges) {
                expect(and64(v, w)).toBe(v & w);
                expect(or64(v, w)).toBe(v | w);
            }
        }
        expect(highestBit(0n)).toBe(0);
        // clearing one bit with its complement, as delivery does
        expect(and64(max, ~(1n << 63n))).toBe(max >> 1n);
    });
});

describe('§1 state: the machine as built from declarations', () => {
    test('every CPU starts with every UINTR register 0, in kernel mode, running its own idle thread', () => {
        const m = buildMachine(config({ cpus: 3 }), [RX], []);
        expect(m.cpus).toHaveLength(3);
        for (const c of m.cpus) {
            expect(liveOf(c)).toEqual({ uihandler: 0n, uistackadjust: 0n, uittsz: 0n, uinv: 0n, upidaddr: 0n, uittaddr: 0n, uirr: 0n, uif: 0n });
            expect(c.mode).toBe('kernel');
            expect(c.fpregsOwner).toBe(-1);
            const cur = m.runnables[c.current];
            expect(cur.kind).toBe('idle');
            expect(cur.cpu).toBe(c.index);
            expect(cur.state).toBe('running');
            expect(cur.runningOn).toBe(c.index);
        }
    });

    test('a receiver owns a UPID at the fixed address: ON = SN = PIR = 0, NV = uinv, NDST = ndst (default 0)', () => {
        const m = buildMachine(config({ uinv: 0x20n }), [RX, { name: 'rx2', handler: 0x402000n, ndst: 1n, targets: [] }], []);
        const [u0, u1] = m.upids;
        expect(u0.addr).toBe(UPID0);
        expect(u1.addr).toBe(UPID1);
        expect(u0.addr % 64n).toBe(0n);
        expect(u1.addr % 64n).toBe(0n);
        expect([u0.on, u0.sn, u0.pir, u0.nv, u0.ndst, u0.reserved]).toEqual([0n, 0n, 0n, 0x20n, 0n, 0n]);
        expect(u1.ndst).toBe(1n);
        expect(u0.freed).toBe(false);
        expect(m.upidAt(UPID1)).toBe(u1);
    });

    test('a receiver image holds UIHANDLER, UISTACKADJUST, UINV = uinv, UPIDADDR, UIF (default 1), UIRR = 0, present = 1', () => {
        const { rx } = standard();
        const img = rx.image!;
        expect(img.present).toBe(1n);
        expect(img.uihandler).toBe(0x401000n);
        expect(img.uistackadjust).toBe(128n);
        expect(img.uinv).toBe(0xecn);
        expect(img.upidaddr).toBe(UPID0);
        expect(img.uif).toBe(1n);
        expect(img.uirr).toBe(0n);
        expect(img.uittaddr).toBe(0n);
        expect(img.uittsz).toBe(0n);
        expect(img.miscReserved).toBe(0n);
    });

    test('`uif 0` on a receiver is kept in its image', () => {
        const m = buildMachine(config(), [{ ...RX, uif: 0n }], []);
        expect(m.runnables[2].image!.uif).toBe(0n);
    });

    test('a sender owns a UITT at the fixed address with one valid entry per target; its image holds UITTADDR | 1 and UITTSZ = 255', () => {
        const m = buildMachine(config(), [RX, { name: 'rx2', handler: 0x402000n, targets: [] },
            { name: 'tx', targets: [{ task: 'rx', vector: 3n }, { task: 'rx2', vector: 63n }] },
            { name: 'tx2', targets: [{ task: 'rx', vector: 0n }] }], []);
        const tx = m.runnables[4], tx2 = m.runnables[5];
        expect(tx.uitt!.addr).toBe(UITT0);
        expect(tx2.uitt!.addr).toBe(UITT1);
        expect(tx.uitt!.entries).toEqual([
            { valid: true, uv: 3n, upidaddr: UPID0, reserved: 0n },
            { valid: true, uv: 63n, upidaddr: UPID1, reserved: 0n },
        ]);
        expect(UITT_SIZE_VALUE).toBe(255n);
        const img = tx.image!;
        expect(img.present).toBe(1n);
        expect(img.uittaddr).toBe(UITT0 | 1n);
        expect(img.uittsz).toBe(255n);
        expect(img.uif).toBe(0n);
        expect(img.uinv).toBe(0n);
        expect(img.upidaddr).toBe(0n);
        expect(m.uittsByAddr.get(UITT1)).toBe(tx2.uitt);
    });

    test('a task that receives and sends has both halves in its image, and UIF 1', () => {
        const m = buildMachine(config(), [{ name: 'both', handler: 0x401000n, targets: [{ task: 'both', vector: 1n }] }], []);
        const img = m.runnables[2].image!;
        expect(img.uihandler).toBe(0x401000n);
        expect(img.uinv).toBe(0xecn);
        expect(img.uittaddr).toBe(UITT0 | 1n);
        expect(img.uittsz).toBe(255n);
        expect(img.uif).toBe(1n);
    });

    test('a task with neither role has its component in the init configuration; a kthread has no image', () => {
        const m = buildMachine(config(), [{ name: 'plain', targets: [] }], ['kw']);
        const plain = m.runnables[2], kw = m.runnables[3];
        expect(plain.image!.present).toBe(0n);
        expect(plain.image!.uihandler | plain.image!.uinv | plain.image!.uittaddr | plain.image!.uif).toBe(0n);
        expect(plain.upid).toBeNull();
        expect(plain.uitt).toBeNull();
        expect(kw.kind).toBe('kthread');
        expect(kw.image).toBeNull();
        expect(kw.upid).toBeNull();
    });

    test('UPID references: 1 for the receiver plus 1 per UITT entry that targets it (§8)', () => {
        const m = buildMachine(config(), [RX, { name: 'tx', targets: [{ task: 'rx', vector: 3n }, { task: 'rx', vector: 4n }] },
            { name: 'tx2', targets: [{ task: 'rx', vector: 5n }] }, { name: 'lonely', handler: 0x1000n, targets: [] }], []);
        expect(m.upids[0].refs).toBe(4);
        expect(m.upids[1].refs).toBe(1);
    });

    test('canonical means bits 63:47 all equal; the separate buffer is 624 bytes, the component 48', () => {
        expect(isCanonical(0n)).toBe(true);
        expect(isCanonical(LOW_CANONICAL_TOP)).toBe(true);
        expect(isCanonical(HIGH_CANONICAL)).toBe(true);
        expect(isCanonical(NON_CANONICAL)).toBe(false);
        expect(isCanonical(0xfffe_8000_0000_0000n)).toBe(false);
        expect(isCanonical(0xffff_7fff_ffff_ffffn)).toBe(false);
        expect(UINTR_COMPONENT_BYTES).toBe(48);
        expect(SEPARATE_BUFFER_BYTES).toBe(624);
        expect(MSRS).toEqual({ IA32_UINTR_RR: 0x985, IA32_UINTR_HANDLER: 0x986, IA32_UINTR_STACKADJUST: 0x987, IA32_UINTR_MISC: 0x988, IA32_UINTR_PD: 0x989, IA32_UINTR_TT: 0x98a });
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.1 XSAVES', () => {
    test('writes every live field, present := 1, then clears only UINV (UIRR, UIF, SN unchanged)', () => {
        const { m, rx, c0 } = standard();
        m.upids[0].sn = 1n;
        setLive(c0, { uihandler: 0x1234n, uistackadjust: 64n, uittsz: 7n, uinv: 0xecn, upidaddr: UPID0, uittaddr: UITT0 | 1n, uirr: 0x28n, uif: 1n });
        rx.image!.present = 0n;
        xsaves(m, c0, rx);
        const img = rx.image!;
        expect(img.present).toBe(1n);
        expect([img.uihandler, img.uistackadjust, img.uittsz, img.uinv, img.upidaddr, img.uittaddr, img.uirr, img.uif])
            .toEqual([0x1234n, 64n, 7n, 0xecn, UPID0, UITT0 | 1n, 0x28n, 1n]);
        expect(liveOf(c0)).toEqual({ uihandler: 0x1234n, uistackadjust: 64n, uittsz: 7n, uinv: 0n, upidaddr: UPID0, uittaddr: UITT0 | 1n, uirr: 0x28n, uif: 1n });
        expect(m.upids[0].sn).toBe(1n);
    });

    test('sets last_cpu and leaves fpregs_owner alone', () => {
        const { m, rx, c1 } = standard();
        setLive(c1, { uinv: 0xecn });
        c1.fpregsOwner = 3;
        xsaves(m, c1, rx);
        expect(rx.lastCpu).toBe(1);
        expect(c1.fpregsOwner).toBe(3);
    });

    test('the init configuration (every live field 0) only clears present; the 48 bytes stay stale', () => {
        const { m, rx, c0 } = standard();
        expect(liveStateIsInit(c0)).toBe(true);
        xsaves(m, c0, rx);
        const img = rx.image!;
        expect(img.present).toBe(0n);
        expect(img.uihandler).toBe(0x401000n);
        expect(img.uistackadjust).toBe(128n);
        expect(img.uinv).toBe(0xecn);
        expect(img.upidaddr).toBe(UPID0);
        expect(img.uif).toBe(1n);
        expect(rx.lastCpu).toBe(0);
    });

    test('UIF counts as a live field: UIF = 1 alone is not the init configuration', () => {
        const { m, rx, c0 } = standard();
        setLive(c0, { uif: 1n });
        expect(liveStateIsInit(c0)).toBe(false);
        xsaves(m, c0, rx);
        expect(rx.image!.present).toBe(1n);
        expect(rx.image!.uif).toBe(1n);
        expect(rx.image!.uihandler).toBe(0n);
        expect(rx.image!.uinv).toBe(0n);
    });

    test('UIRR alone is not the init configuration either', () => {
        const { m, rx, c0 } = standard();
        setLive(c0, { uirr: 1n });
        xsaves(m, c0, rx);
        expect(rx.image!.present).toBe(1n);
        expect(rx.image!.uirr).toBe(1n);
    });

    test('counts one XSAVES', () => {
        const { m, rx, tx, c0 } = standard();
        xsaves(m, c0, rx);
        xsaves(m, c0, tx);
        expect(m.counters.xsaves).toBe(2);
    });

    test('throws for a kthread (it has no image)', () => {
        const { m, kworker, c0 } = standard();
        expect(() => xsaves(m, c0, kworker)).toThrow();
    });

    test('xsaves-clobbers-image: a second XSAVES writes UINV = 0 over a saved, never-loaded UINV', () => {
        const { m, rx, c0 } = standard();
        setLive(c0, { uihandler: 0x401000n, uinv: 0xecn, upidaddr: UPID0, uif: 1n });
        m.cause = 5;
        xsaves(m, c0, rx);
        expect(rx.image!.savedBy).toBe(5);
        expect(eventsOf(m, 'xsaves-clobbers-image')).toHaveLength(0);
        m.cause = 9;
        xsaves(m, c0, rx);
        const ev = eventsOf(m, 'xsaves-clobbers-image');
        expect(ev).toHaveLength(1);
        expect(ev[0]).toMatchObject({ cause: 9, task: 'rx', lostUinv: 0xecn, savedBy: 5 });
        expect(rx.image!.uinv).toBe(0n);
    });

    test('xsaves-clobbers-image: not for the image built from a declaration (it counts as loaded)', () => {
        const { m, rx, c0 } = standard();
        setLive(c0, { uihandler: 0x401000n, uif: 1n });
        xsaves(m, c0, rx);
        expect(eventsOf(m, 'xsaves-clobbers-image')).toHaveLength(0);
        expect(rx.image!.uinv).toBe(0n);
    });

    test('xsaves-clobbers-image: an XSAVES that finds the live state all zero counts (§8)', () => {
        const { m, rx, c0 } = standard();
        setLive(c0, { uinv: 0xecn, uif: 1n });
        m.cause = 1;
        xsaves(m, c0, rx);
        setLive(c0, { uif: 0n });
        expect(liveStateIsInit(c0)).toBe(true);
        m.cause = 2;
        xsaves(m, c0, rx);
        expect(eventsOf(m, 'xsaves-clobbers-image')).toMatchObject([{ cause: 2, savedBy: 1, lostUinv: 0xecn }]);
        expect(rx.image!.present).toBe(0n);
    });

    test('xsaves-clobbers-image: not after the image was loaded by XRSTORS', () => {
        const { m, rx, c0 } = standard();
        setLive(c0, { uinv: 0xecn, uif: 1n });
        xsaves(m, c0, rx);
        expect(xrstors(m, c0, rx)).toBeNull();
        xsaves(m, c0, rx);
        xsaves(m, c0, rx);
        expect(eventsOf(m, 'xsaves-clobbers-image')).toHaveLength(0);
    });

    test('xsaves-clobbers-image: also for a task that is already dead (an exiting task\'s final XSAVES; decisions.md #1)', () => {
        const { m, rx, c0 } = standard();
        setLive(c0, { uinv: 0xecn, uif: 1n });
        m.cause = 3;
        xsaves(m, c0, rx);
        rx.state = 'dead';
        m.cause = 7;
        xsaves(m, c0, rx);
        expect(eventsOf(m, 'xsaves-clobbers-image')).toMatchObject([{ cause: 7, task: 'rx', lostUinv: 0xecn, savedBy: 3 }]);
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.2 XRSTORS', () => {
    test('loads every field of a present image, UIF from the image; fpregs_owner := X, X.last_cpu := c', () => {
        const { m, rx, c1 } = standard();
        rx.image!.uirr = 0x10n;
        expect(xrstors(m, c1, rx)).toBeNull();
        expect(liveOf(c1)).toEqual({ uihandler: 0x401000n, uistackadjust: 128n, uittsz: 0n, uinv: 0xecn, upidaddr: UPID0, uittaddr: 0n, uirr: 0x10n, uif: 1n });
        expect(c1.fpregsOwner).toBe(rx.id);
        expect(rx.lastCpu).toBe(1);
        expect(m.counters.xrstors).toBe(1);
    });

    test('UIF 0 in the image is loaded as 0', () => {
        const m = buildMachine(config(), [{ ...RX, uif: 0n }], []);
        m.cpus[0].uif = 1n;
        expect(xrstors(m, m.cpus[0], m.runnables[2])).toBeNull();
        expect(m.cpus[0].uif).toBe(0n);
    });

    test('a live UINV != 0 is #GP and nothing is loaded; related: the cause that armed UINV', () => {
        const { m, rx, tx, c0 } = standard();
        m.cause = 4;
        expect(xrstors(m, c0, rx)).toBeNull();
        expect(c0.uinvArmedBy).toBe(4);
        expect(c0.uinvChangedBy).toBe(4);
        m.cause = 6;
        const before = liveOf(c0);
        const f = xrstors(m, c0, tx);
        expect(f).not.toBeNull();
        expect(f!.code).toBe('xrstors-gp');
        expect(f!.instruction).toBe('XRSTORS tx');
        expect(f!.reason).toContain('UINV is 0xec');
        expect(f!.related?.cause).toBe(4);
        expect(liveOf(c0)).toEqual(before);
        expect(c0.fpregsOwner).toBe(rx.id);
        expect(tx.lastCpu).toBe(-1);
    });

    test('XRSTORS never looks at the UPID\'s PIR: pending iff the image\'s UIRR != 0', () => {
        const { m, rx, c0 } = standard();
        m.upids[0].pir = 0x8n;
        m.upids[0].on = 1n;
        expect(xrstors(m, c0, rx)).toBeNull();
        expect(c0.uirr).toBe(0n);
        expect(m.upids[0].pir).toBe(0x8n);
        expect(m.upids[0].on).toBe(1n);
    });

    test('strict (default): XRSTORS init with a live UINV != 0 is #GP', () => {
        const { m, c0 } = standard();
        c0.uinv = 0xecn;
        c0.uihandler = 0x401000n;
        const f = xrstors(m, c0, null);
        expect(f?.code).toBe('xrstors-gp');
        expect(f?.instruction).toBe('XRSTORS init');
        expect(c0.uinv).toBe(0xecn);
        expect(c0.uihandler).toBe(0x401000n);
    });

    test('strict: XRSTORS of a task image that is not present with a live UINV != 0 is #GP too', () => {
        const { m, rx, c0 } = standard();
        rx.image!.present = 0n;
        c0.uinv = 0xecn;
        expect(xrstors(m, c0, rx)?.code).toBe('xrstors-gp');
        expect(c0.uinv).toBe(0xecn);
    });

    test('lenient: XRSTORS init loads the init state without the UINV check', () => {
        const { m, rx, c0 } = standard({ xrstorsStrict: false });
        place(m, c0, rx);
        setLive(c0, { uinv: 0xecn, uihandler: 0x401000n, upidaddr: UPID0, uif: 1n, uirr: 2n });
        expect(xrstors(m, c0, null)).toBeNull();
        expect(liveOf(c0)).toEqual({ uihandler: 0n, uistackadjust: 0n, uittsz: 0n, uinv: 0n, upidaddr: 0n, uittaddr: 0n, uirr: 0n, uif: 0n });
        expect(c0.fpregsOwner).toBe(rx.id);
    });

    test('lenient: a task image that is not present loads init without the check; a present one still faults', () => {
        const { m, rx, tx, c0 } = standard({ xrstorsStrict: false });
        tx.image!.present = 0n;
        c0.uinv = 0xecn;
        expect(xrstors(m, c0, tx)).toBeNull();
        expect(c0.uinv).toBe(0n);
        c0.uinv = 0xecn;
        expect(xrstors(m, c0, rx)?.code).toBe('xrstors-gp');
    });

    test('an image that is not present loads all zero, and still sets fpregs_owner and last_cpu', () => {
        const { m, rx, c1 } = standard();
        rx.image!.present = 0n;
        setLive(c1, { uihandler: 5n, uirr: 1n, uif: 1n, uittaddr: UITT0 | 1n });
        expect(xrstors(m, c1, rx)).toBeNull();
        expect(liveOf(c1)).toEqual({ uihandler: 0n, uistackadjust: 0n, uittsz: 0n, uinv: 0n, upidaddr: 0n, uittaddr: 0n, uirr: 0n, uif: 0n });
        expect(c1.fpregsOwner).toBe(rx.id);
        expect(rx.lastCpu).toBe(1);
    });

    test('XRSTORS init: fpregs_owner and last_cpu go to the task running on c (§8)', () => {
        const { m, tx, c1 } = standard();
        place(m, c1, tx);
        expect(xrstors(m, c1, null)).toBeNull();
        expect(c1.fpregsOwner).toBe(tx.id);
        expect(tx.lastCpu).toBe(1);
    });

    test('XRSTORS init while idle runs: the owner is the idle thread', () => {
        const { m, c0 } = standard();
        expect(xrstors(m, c0, null)).toBeNull();
        expect(c0.fpregsOwner).toBe(m.idleOf(0).id);
    });

    const imageChecks: [string, (img: NonNullable<Runnable['image']>) => void][] = [
        ['non-canonical HANDLER', img => { img.uihandler = NON_CANONICAL; }],
        ['non-canonical STACKADJUST', img => { img.uistackadjust = NON_CANONICAL; }],
        ['non-canonical PD', img => { img.upidaddr = NON_CANONICAL; }],
        ['non-canonical TT', img => { img.uittaddr = NON_CANONICAL | 1n; }],
        ['MISC bits 62:40 set (bit 40)', img => { img.miscReserved = 1n << 40n; }],
        ['MISC bits 62:40 set (bit 62)', img => { img.miscReserved = 1n << 62n; }],
        ['PD bit 0', img => { img.upidaddr = UPID0 | 1n; }],
        ['PD bit 5', img => { img.upidaddr = UPID0 | 0x20n; }],
        ['TT bit 1', img => { img.uittaddr = UITT0 | 3n; }],
        ['TT bit 2', img => { img.uittaddr = UITT0 | 5n; }],
        ['TT bit 3', img => { img.uittaddr = UITT0 | 9n; }],
    ];
    test.each(imageChecks)('image check: %s is #GP, nothing loaded, UINV stays 0', (_name, spoil) => {
        const { m, rx, c0 } = standard();
        spoil(rx.image!);
        c0.uif = 1n;
        const f = xrstors(m, c0, rx);
        expect(f?.code).toBe('xrstors-gp');
        expect(f?.reason).toMatch(/image/);
        expect(c0.uinv).toBe(0n);
        expect(c0.uihandler).toBe(0n);
        expect(c0.uif).toBe(1n);
        expect(c0.fpregsOwner).toBe(-1);
        expect(rx.lastCpu).toBe(-1);
    });

    test('image checks accept canonical high addresses, TT bit 0 and TT bits above 3', () => {
        const { m, rx, c0 } = standard();
        rx.image!.uihandler = HIGH_CANONICAL;
        rx.image!.uistackadjust = LOW_CANONICAL_TOP;
        rx.image!.uittaddr = UITT0 | 0x11n;
        expect(xrstors(m, c0, rx)).toBeNull();
        expect(c0.uihandler).toBe(HIGH_CANONICAL);
        expect(c0.uittaddr).toBe(UITT0 | 0x11n);
    });

    test('image checks do not apply to an image that is not present', () => {
        const { m, rx, c0 } = standard();
        rx.image!.uihandler = NON_CANONICAL;
        rx.image!.present = 0n;
        expect(xrstors(m, c0, rx)).toBeNull();
        expect(c0.uihandler).toBe(0n);
    });

    test('the live UINV check comes first: an image that is also bad reports UINV', () => {
        const { m, rx, c0 } = standard();
        rx.image!.uihandler = NON_CANONICAL;
        c0.uinv = 0x20n;
        expect(xrstors(m, c0, rx)?.reason).toContain('UINV is 0x20');
    });

    test('loading an image clears its "saved, never loaded" mark', () => {
        const { m, rx, c0 } = standard();
        rx.image!.savedBy = 3;
        expect(xrstors(m, c0, rx)).toBeNull();
        expect(rx.image!.savedBy).toBe(NO_CAUSE);
    });

    test('throws for a kthread', () => {
        const { m, kworker, c0 } = standard();
        expect(() => xrstors(m, c0, kworker)).toThrow();
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.3 WRMSR', () => {
    test('IA32_UINTR_RR takes any value into UIRR', () => {
        const { m, c0 } = standard();
        expect(wrmsr(m, c0, 'IA32_UINTR_RR', 0xffff_ffff_ffff_ffffn)).toBeNull();
        expect(c0.uirr).toBe(0xffff_ffff_ffff_ffffn);
        expect(rdmsr(c0, 'IA32_UINTR_RR')).toBe(0xffff_ffff_ffff_ffffn);
    });

    for (const msr of ['IA32_UINTR_HANDLER', 'IA32_UINTR_STACKADJUST'] as const) {
        const field = msr === 'IA32_UINTR_HANDLER' ? 'uihandler' : 'uistackadjust';
        test(`${msr}: canonical values load, a non-canonical one is #GP and changes nothing`, () => {
            const { m, c0 } = standard();
            for (const v of [0x401000n, LOW_CANONICAL_TOP, HIGH_CANONICAL, 0xffff_ffff_ffff_fff0n]) {
                expect(wrmsr(m, c0, msr, v)).toBeNull();
                expect(c0[field]).toBe(v);
            }
            for (const v of [NON_CANONICAL, 0x0001_0000_0000_0000n, 0x8000_0000_0000_0000n, 0xffff_7fff_ffff_0000n]) {
                const f = wrmsr(m, c0, msr, v);
                expect(f?.code).toBe('wrmsr-gp');
                expect(f?.instruction).toContain(msr);
                expect(c0[field]).toBe(0xffff_ffff_ffff_fff0n);
            }
        });
    }

    test('IA32_UINTR_MISC: UITTSZ in 31:0, UINV in 39:32', () => {
        const { m, c0 } = standard();
        expect(wrmsr(m, c0, 'IA32_UINTR_MISC', (0xecn << 32n) | 0xffff_ffffn)).toBeNull();
        expect(c0.uittsz).toBe(0xffff_ffffn);
        expect(c0.uinv).toBe(0xecn);
        expect(rdmsr(c0, 'IA32_UINTR_MISC')).toBe((0xecn << 32n) | 0xffff_ffffn);
    });

    test.each([40n, 47n, 56n, 63n])('IA32_UINTR_MISC bit %d (63:40 reserved) is #GP, nothing changes', bit => {
        const { m, c0 } = standard();
        const f = wrmsr(m, c0, 'IA32_UINTR_MISC', (1n << bit) | (0xecn << 32n) | 5n);
        expect(f?.code).toBe('wrmsr-gp');
        expect(c0.uinv).toBe(0n);
        expect(c0.uittsz).toBe(0n);
    });

    test('IA32_UINTR_MISC records which cause armed and changed UINV', () => {
        const { m, c0 } = standard();
        m.cause = 7;
        wrmsr(m, c0, 'IA32_UINTR_MISC', 0xecn << 32n);
        expect([c0.uinvArmedBy, c0.uinvChangedBy]).toEqual([7, 7]);
        m.cause = 8;
        wrmsr(m, c0, 'IA32_UINTR_MISC', 0n);
        expect([c0.uinvArmedBy, c0.uinvChangedBy]).toEqual([7, 8]);
    });

    test('IA32_UINTR_PD: a 64-byte aligned canonical address loads', () => {
        const { m, c0 } = standard();
        expect(wrmsr(m, c0, 'IA32_UINTR_PD', UPID1)).toBeNull();
        expect(c0.upidaddr).toBe(UPID1);
    });

    test.each([0n, 1n, 2n, 3n, 4n, 5n])('IA32_UINTR_PD bit %d (5:0 reserved) is #GP', bit => {
        const { m, c0 } = standard();
        expect(wrmsr(m, c0, 'IA32_UINTR_PD', UPID0 | (1n << bit))?.code).toBe('wrmsr-gp');
        expect(c0.upidaddr).toBe(0n);
    });

    test('IA32_UINTR_PD non-canonical is #GP', () => {
        const { m, c0 } = standard();
        expect(wrmsr(m, c0, 'IA32_UINTR_PD', NON_CANONICAL)?.code).toBe('wrmsr-gp');
        expect(c0.upidaddr).toBe(0n);
    });

    test('IA32_UINTR_TT: the raw value (enable bit 0 included) loads; bits above 3 are allowed', () => {
        const { m, c0 } = standard();
        expect(wrmsr(m, c0, 'IA32_UINTR_TT', UITT0 | 1n)).toBeNull();
        expect(c0.uittaddr).toBe(UITT0 | 1n);
        expect(wrmsr(m, c0, 'IA32_UINTR_TT', UITT0 | 0x10n)).toBeNull();
        expect(c0.uittaddr).toBe(UITT0 | 0x10n);
    });

    test.each([1n, 2n, 3n])('IA32_UINTR_TT bit %d (3:1 reserved) is #GP', bit => {
        const { m, c0 } = standard();
        expect(wrmsr(m, c0, 'IA32_UINTR_TT', UITT0 | 1n | (1n << bit))?.code).toBe('wrmsr-gp');
        expect(c0.uittaddr).toBe(0n);
    });

    test('IA32_UINTR_TT non-canonical is #GP', () => {
        const { m, c0 } = standard();
        expect(wrmsr(m, c0, 'IA32_UINTR_TT', NON_CANONICAL | 1n)?.code).toBe('wrmsr-gp');
    });

    test('counts WRMSRs', () => {
        const { m, c0 } = standard();
        wrmsr(m, c0, 'IA32_UINTR_RR', 0n);
        wrmsr(m, c0, 'IA32_UINTR_HANDLER', 0x1000n);
        expect(m.counters.wrmsr).toBe(2);
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.4 SENDUIPI', () => {
    /** tx's registers loaded on cpu1. */
    function sender(over: Partial<MachineConfig> = {}) {
        const s = standard(over);
        expect(xrstors(s.m, s.c1, s.tx)).toBeNull();
        return s;
    }

    test('#UD when IA32_UINTR_TT\'s enable bit is 0', () => {
        const { m, c1 } = sender();
        c1.uittaddr = UITT0;
        const r = senduipi(m, c1, 0n);
        expect(r.fault?.code).toBe('ud');
        expect(r.ipi).toBeNull();
        expect(m.upids[0].pir).toBe(0n);
    });

    test('#UD on a CPU with no UITT at all (idle)', () => {
        const { m, c0 } = standard();
        expect(senduipi(m, c0, 0n).fault?.code).toBe('ud');
    });

    test('#GP when the index is above UITTSZ (unsigned)', () => {
        const { m, c1 } = sender();
        const r = senduipi(m, c1, 256n);
        expect(r.fault?.code).toBe('senduipi-gp');
        expect(r.fault?.instruction).toBe('SENDUIPI 256');
        c1.uittsz = 0n;
        expect(senduipi(m, c1, 1n).fault?.code).toBe('senduipi-gp');
        expect(m.upids[0].pir).toBe(0n);
    });

    test('an index equal to UITTSZ passes the size check', () => {
        const { m, c1 } = sender();
        c1.uittsz = 0n;
        expect(senduipi(m, c1, 0n).fault).toBeNull();
        expect(m.upids[0].pir).toBe(8n);
    });

    test('#GP when UITTADDR points to no table', () => {
        const { m, c1 } = sender();
        c1.uittaddr = 0x1000n | 1n;
        expect(senduipi(m, c1, 0n).fault?.code).toBe('senduipi-gp');
        expect(m.upids[0].pir).toBe(0n);
    });

    test('#GP for an entry that was not declared (invalid) within UITTSZ', () => {
        const { m, c1 } = sender();
        expect(senduipi(m, c1, 1n).fault?.code).toBe('senduipi-gp');
        expect(senduipi(m, c1, 255n).fault?.code).toBe('senduipi-gp');
    });

    test('#GP for an entry whose valid bit is 0, or with reserved bits set', () => {
        const { m, tx, c1 } = sender();
        const e = tx.uitt!.entries[0] as { valid: boolean; reserved: bigint };
        e.valid = false;
        expect(senduipi(m, c1, 0n).fault?.code).toBe('senduipi-gp');
        e.valid = true;
        e.reserved = 2n;
        expect(senduipi(m, c1, 0n).fault?.code).toBe('senduipi-gp');
        expect(m.upids[0].pir).toBe(0n);
    });

    test('#GP when the target UPID has reserved bits set; nothing is posted', () => {
        const { m, c1 } = sender();
        m.upids[0].reserved = 1n << 2n;
        const r = senduipi(m, c1, 0n);
        expect(r.fault?.code).toBe('senduipi-gp');
        expect(m.upids[0].pir).toBe(0n);
        expect(m.upids[0].on).toBe(0n);
    });

    test('posts PIR[UV] and, with SN = 0 and ON = 0, sets ON and sends an IPI with vector NV to NDST', () => {
        const { m, c1 } = sender();
        m.upids[0].ndst = 1n;
        m.upids[0].nv = 0x40n;
        m.cause = 11;
        const r = senduipi(m, c1, 0n);
        expect(r.fault).toBeNull();
        expect(m.upids[0].pir).toBe(1n << 3n);
        expect(m.upids[0].on).toBe(1n);
        expect(r.ipi).toEqual({ vector: 0x40n, dest: 1, upid: UPID0, cause: 11 });
        expect(postedCause(m.upids[0].postedBy, 3)).toBe(11);
    });

    test('who posted a vector: the latest post wins, and a long history keeps one entry per vector', () => {
        const { m } = standard();
        const upid = m.upids[0];
        for (let cause = 0; cause < 1000; cause++) notePosted(m, upid, cause % 5, cause);
        expect([0, 1, 2, 3, 4].map(v => postedCause(upid.postedBy, v))).toEqual([995, 996, 997, 998, 999]);
        expect(postedCause(upid.postedBy, 5)).toBeUndefined();
        expect(upid.postedBy!.length).toBeLessThanOrEqual(128);
        let n = 0;
        for (let p = upid.postedBy; p !== null; p = p.next) n++;
        expect(n).toBe(upid.postedBy!.length);
        // the same post twice adds nothing
        const head = upid.postedBy;
        notePosted(m, upid, 4, 999);
        expect(upid.postedBy).toBe(head);
    });

    test('SN = 1: posted, no IPI, ON stays 0', () => {
        const { m, c1 } = sender();
        m.upids[0].sn = 1n;
        const r = senduipi(m, c1, 0n);
        expect(r.fault).toBeNull();
        expect(r.ipi).toBeNull();
        expect(m.upids[0].pir).toBe(8n);
        expect(m.upids[0].on).toBe(0n);
    });

    test('ON = 1: posted, no second IPI', () => {
        const { m, c1 } = sender();
        expect(senduipi(m, c1, 0n).ipi).not.toBeNull();
        m.upids[0].pir = 0n;
        const r = senduipi(m, c1, 0n);
        expect(r.ipi).toBeNull();
        expect(m.upids[0].pir).toBe(8n);
        expect(m.upids[0].on).toBe(1n);
    });

    test('a freed target UPID is written anyway and reported as a use after free', () => {
        const { m, c1 } = sender();
        m.cause = 2;
        freeUpid(m, m.upids[0]);
        m.cause = 3;
        const r = senduipi(m, c1, 0n);
        expect(r.fault).toBeNull();
        expect(m.upids[0].pir).toBe(8n);
        expect(eventsOf(m, 'upid-use-after-free')).toMatchObject([{ cause: 3, upidOwner: 'rx', addr: UPID0, freedBy: 2 }]);
    });

    test('an entry whose UPIDADDR holds no UPID is a use after free (no UPID there)', () => {
        const { m, tx, c1 } = sender();
        (tx.uitt!.entries[0] as { upidaddr: bigint }).upidaddr = 0x2000n;
        m.cause = 4;
        const r = senduipi(m, c1, 0n);
        expect(r.ipi).toBeNull();
        expect(eventsOf(m, 'upid-use-after-free')).toMatchObject([{ cause: 4, upidOwner: null, addr: 0x2000n }]);
        expect(m.upids[0].pir).toBe(0n);
    });

    test('no privilege check: SENDUIPI works from kernel mode, by whatever runs on the CPU', () => {
        const { m, c1 } = sender();
        expect(c1.mode).toBe('kernel');
        expect(senduipi(m, c1, 0n).fault).toBeNull();
        expect(m.upids[0].pir).toBe(8n);
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.5 interrupt arrival', () => {
    test('V = UINV: notification processing (ON := 0, UIRR |= PIR, PIR := 0), in kernel mode too', () => {
        const { m, rx, c0 } = standard();
        expect(xrstors(m, c0, rx)).toBeNull();
        expect(c0.mode).toBe('kernel');
        c0.uirr = 0x1n;
        m.upids[0].pir = 0x28n;
        m.upids[0].on = 1n;
        expect(arrive(m, 0, 0xecn)).toBe('notification');
        expect(m.upids[0].on).toBe(0n);
        expect(m.upids[0].pir).toBe(0n);
        expect(c0.uirr).toBe(0x29n);
        expect(m.counters.spurious).toBe(0);
        // kernel mode: no delivery
        deliverAll(m);
        expect(c0.uirr).toBe(0x29n);
        expect(rx.delivered).toBe(0n);
    });

    test('notification processing uses the UPID at the CPU\'s UPIDADDR, not the sender\'s', () => {
        const m = buildMachine(config(), [RX, { name: 'rx2', handler: 0x402000n, targets: [] }], []);
        const c0 = m.cpus[0];
        c0.uinv = 0xecn;
        c0.upidaddr = UPID1;
        m.upids[0].pir = 1n;
        m.upids[0].on = 1n;
        m.upids[1].pir = 4n;
        arrive(m, 0, 0xecn);
        expect(c0.uirr).toBe(4n);
        expect(m.upids[0].pir).toBe(1n);
        expect(m.upids[0].on).toBe(1n);
        expect(m.upids[1].pir).toBe(0n);
    });

    test('a freed UPID at UPIDADDR is a use after free', () => {
        const { m, c0 } = standard();
        setLive(c0, { uinv: 0xecn, upidaddr: UPID0 });
        m.cause = 1;
        freeUpid(m, m.upids[0]);
        m.cause = 2;
        arrive(m, 0, 0xecn);
        expect(eventsOf(m, 'upid-use-after-free')).toMatchObject([{ cause: 2, upidOwner: 'rx', freedBy: 1 }]);
    });

    test('no UPID at UPIDADDR is a use after free too', () => {
        const { m, c0 } = standard();
        setLive(c0, { uinv: 0xecn, upidaddr: 0x1000n });
        expect(arrive(m, 0, 0xecn)).toBe('notification');
        expect(eventsOf(m, 'upid-use-after-free')).toMatchObject([{ upidOwner: null, addr: 0x1000n }]);
        expect(c0.uirr).toBe(0n);
    });

    test('the kernel vector asks for the wake hook; ON and PIR stay; not spurious', () => {
        const { m, c0 } = standard();
        m.upids[0].pir = 8n;
        m.upids[0].on = 1n;
        expect(arrive(m, 0, 0xebn, { vector: 0xebn, dest: 0, upid: UPID0, cause: 1 })).toBe('kernel-vector');
        expect(m.upids[0].pir).toBe(8n);
        expect(m.upids[0].on).toBe(1n);
        expect(m.counters.spurious).toBe(0);
        expect(c0.uirr).toBe(0n);
    });

    test('any other vector is ignored (spurious); ON and PIR stay', () => {
        const { m, c0 } = standard();
        m.upids[0].pir = 8n;
        m.upids[0].on = 1n;
        expect(arrive(m, 0, 0xecn, { vector: 0xecn, dest: 0, upid: UPID0, cause: 1 })).toBe('ignored');
        expect(arrive(m, 0, 0x20n)).toBe('ignored');
        expect(m.counters.spurious).toBe(2);
        expect(m.upids[0].pir).toBe(8n);
        expect(m.upids[0].on).toBe(1n);
        expect(c0.uirr).toBe(0n);
    });

    test('UINV = 0 never identifies a notification, even for vector 0', () => {
        const { m, c0 } = standard();
        c0.upidaddr = UPID0;
        m.upids[0].pir = 8n;
        expect(arrive(m, 0, 0n)).toBe('ignored');
        expect(m.upids[0].pir).toBe(8n);
    });

    test('notification-lost: a SENDUIPI IPI not identified while its receiver is current in user mode there', () => {
        const { m, rx, c0 } = standard();
        place(m, c0, rx, 'user');
        c0.uinvChangedBy = 4;
        m.cause = 9;
        expect(arrive(m, 0, 0xecn, { vector: 0xecn, dest: 0, upid: UPID0, cause: 9 })).toBe('ignored');
        expect(eventsOf(m, 'notification-lost')).toMatchObject([{ cause: 9, cpu: 0, vector: 0xecn, uinv: 0n, receiver: 'rx', uinvChangedBy: 4 }]);
    });

    test('notification-lost: not when the IPI\'s vector equals UINV, both 0 (not identified, but V = UINV: §6 asks V ≠ UINV)', () => {
        const { m, rx, c0 } = standard();
        place(m, c0, rx, 'user');
        c0.uinv = 0n;
        m.upids[0].pir = 8n;
        expect(arrive(m, 0, 0n, { vector: 0n, dest: 0, upid: UPID0, cause: 9 })).toBe('ignored');
        expect(eventsOf(m, 'notification-lost')).toHaveLength(0);
        expect(m.upids[0].pir).toBe(8n);
        arrive(m, 0, 0xecn, { vector: 0xecn, dest: 0, upid: UPID0, cause: 9 });
        expect(eventsOf(m, 'notification-lost')).toHaveLength(1);
    });

    test('notification-lost: not when the receiver is in kernel mode, not current, or the IPI is not a SENDUIPI\'s', () => {
        const { m, rx, kworker, c0 } = standard();
        place(m, c0, rx, 'kernel');
        arrive(m, 0, 0xecn, { vector: 0xecn, dest: 0, upid: UPID0, cause: 1 });
        place(m, c0, kworker, 'kernel');
        arrive(m, 0, 0xecn, { vector: 0xecn, dest: 0, upid: UPID0, cause: 1 });
        place(m, c0, rx, 'user');
        arrive(m, 0, 0x20n);
        expect(eventsOf(m, 'notification-lost')).toHaveLength(0);
    });

    test('an IPI to a CPU that does not exist is dropped (§8)', () => {
        const { m } = standard();
        expect(arrive(m, 5, 0xecn)).toBe('dropped');
        expect(m.counters.spurious).toBe(0);
        expect(m.events).toHaveLength(0);
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.6 delivery', () => {
    function running(handlersAuto = true) {
        const s = standard({ handlersAuto });
        expect(xrstors(s.m, s.c0, s.rx)).toBeNull();
        place(s.m, s.c0, s.rx, 'user');
        return s;
    }

    test('highest vector first, each delivered to the current task; handlers auto returns UIF to 1', () => {
        const { m, rx, c0 } = running();
        c0.uirr = (1n << 3n) | (1n << 5n) | (1n << 63n);
        deliverAll(m);
        const order = m.events.filter(e => e.type === 'delivered').map(e => (e as { vector: number }).vector);
        expect(order).toEqual([63, 5, 3]);
        expect(rx.delivered).toBe((1n << 3n) | (1n << 5n) | (1n << 63n));
        expect(c0.uirr).toBe(0n);
        expect(c0.uif).toBe(1n);
        expect(m.counters.deliveries).toBe(3);
    });

    test('handlers manual: one delivery, UIF stays 0 until UIRET', () => {
        const { m, rx, c0 } = running(false);
        c0.uirr = (1n << 3n) | (1n << 5n);
        deliverAll(m);
        expect(rx.delivered).toBe(1n << 5n);
        expect(c0.uirr).toBe(1n << 3n);
        expect(c0.uif).toBe(0n);
        deliverAll(m);
        expect(rx.delivered).toBe(1n << 5n);
        uiFlag(m, c0, 'uiret');
        deliverAll(m);
        expect(rx.delivered).toBe((1n << 3n) | (1n << 5n));
        expect(c0.uif).toBe(0n);
        expect(c0.uirr).toBe(0n);
    });

    test('nothing is delivered while UIF = 0', () => {
        const { m, rx, c0 } = running();
        c0.uirr = 8n;
        c0.uif = 0n;
        deliverAll(m);
        expect(rx.delivered).toBe(0n);
        expect(c0.uirr).toBe(8n);
    });

    test('nothing is delivered in kernel mode', () => {
        const { m, rx, c0 } = running();
        c0.mode = 'kernel';
        c0.uirr = 8n;
        deliverAll(m);
        expect(rx.delivered).toBe(0n);
        expect(c0.uirr).toBe(8n);
        expect(m.counters.deliveries).toBe(0);
    });

    test('each CPU in user mode delivers to its own current task', () => {
        const m = buildMachine(config(), [RX, { name: 'rx2', handler: 0x402000n, targets: [] }], []);
        const [c0, c1] = m.cpus;
        const rx = m.runnables[2], rx2 = m.runnables[3];
        place(m, c0, rx);
        place(m, c1, rx2);
        setLive(c0, { uif: 1n, uirr: 2n });
        setLive(c1, { uif: 1n, uirr: 4n });
        deliverAll(m);
        expect(rx.delivered).toBe(2n);
        expect(rx2.delivered).toBe(4n);
    });

    test('misdelivered: a vector posted to one task\'s UPID and delivered to another', () => {
        const m = buildMachine(config(), [RX, { name: 'rx2', handler: 0x402000n, targets: [] }], []);
        const c0 = m.cpus[0];
        const rx = m.runnables[2], rx2 = m.runnables[3];
        expect(xrstors(m, c0, rx)).toBeNull();
        place(m, c0, rx2, 'user');
        m.upids[0].pir = 8n;
        notePosted(m, m.upids[0], 3, 7);
        m.cause = 8;
        arrive(m, 0, 0xecn);
        deliverAll(m);
        expect(rx2.delivered).toBe(8n);
        expect(rx.delivered).toBe(0n);
        expect(eventsOf(m, 'misdelivered')).toMatchObject([{ cause: 8, vector: 3, postedTo: 'rx', deliveredTo: 'rx2', postedBy: 7 }]);
    });

    test('no misdelivered report for the owner, nor for UIRR written by WRMSR (no provenance)', () => {
        const { m, rx, c0 } = running();
        m.upids[0].pir = 8n;
        arrive(m, 0, 0xecn);
        deliverAll(m);
        expect(rx.delivered).toBe(8n);
        wrmsr(m, c0, 'IA32_UINTR_RR', 16n);
        deliverAll(m);
        expect(rx.delivered).toBe(24n);
        expect(eventsOf(m, 'misdelivered')).toHaveLength(0);
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.7 STUI, CLUI, TESTUI, UIRET', () => {
    test('STUI sets UIF, CLUI clears it, UIRET sets it, TESTUI reads it without change — in kernel mode too', () => {
        const { m, c0 } = standard();
        expect(c0.mode).toBe('kernel');
        expect(uiFlag(m, c0, 'stui')).toBe(0n);
        expect(c0.uif).toBe(1n);
        expect(uiFlag(m, c0, 'testui')).toBe(1n);
        expect(c0.uif).toBe(1n);
        uiFlag(m, c0, 'clui');
        expect(c0.uif).toBe(0n);
        expect(uiFlag(m, c0, 'testui')).toBe(0n);
        expect(c0.uif).toBe(0n);
        uiFlag(m, c0, 'uiret');
        expect(c0.uif).toBe(1n);
    });

    test('none of them touches UIRR or the other registers', () => {
        const { m, rx, c0 } = standard();
        expect(xrstors(m, c0, rx)).toBeNull();
        c0.uirr = 8n;
        const before = liveOf(c0);
        for (const op of ['clui', 'stui', 'testui', 'uiret'] as const) uiFlag(m, c0, op);
        expect(liveOf(c0)).toEqual({ ...before, uif: 1n });
    });
});

// ---------------------------------------------------------------------------------------
describe('§8 UPID references, free and put', () => {
    test('free: freed at once whoever points at it; refs 0; freedBy is the cause', () => {
        const { m } = standard();
        const u = m.upids[0];
        expect(u.refs).toBe(2);
        m.cause = 3;
        freeUpid(m, u);
        expect(u.freed).toBe(true);
        expect(u.refs).toBe(0);
        expect(u.freedBy).toBe(3);
        expect(m.events).toHaveLength(0);
    });

    test('a second free is a double free (use after free), related to the first', () => {
        const { m } = standard();
        const u = m.upids[0];
        m.cause = 3;
        freeUpid(m, u);
        m.cause = 4;
        freeUpid(m, u);
        expect(eventsOf(m, 'upid-use-after-free')).toMatchObject([{ cause: 4, freedBy: 3, upidOwner: 'rx' }]);
        expect(eventsOf(m, 'upid-use-after-free')[0].access).toMatch(/double free/);
        expect(u.freedBy).toBe(3);
    });

    test('put drops one reference and frees at zero; a put after that is a double free', () => {
        const m = buildMachine(config(), [RX, { name: 'tx', targets: [{ task: 'rx', vector: 1n }, { task: 'rx', vector: 2n }] }], []);
        const u = m.upids[0];
        expect(u.refs).toBe(3);
        m.cause = 1;
        putUpid(m, u);
        expect([u.refs, u.freed]).toEqual([2, false]);
        putUpid(m, u);
        expect([u.refs, u.freed]).toEqual([1, false]);
        m.cause = 2;
        putUpid(m, u);
        expect([u.refs, u.freed, u.freedBy]).toEqual([0, true, 2]);
        expect(m.events).toHaveLength(0);
        m.cause = 5;
        putUpid(m, u);
        expect(eventsOf(m, 'upid-use-after-free')).toMatchObject([{ cause: 5, freedBy: 2 }]);
    });

    test('writes into a UPID are reported only once it is freed', () => {
        const { m } = standard();
        const u = m.upids[0];
        checkUpidWrite(m, u, 'set rx.upid.sn writes');
        expect(m.events).toHaveLength(0);
        m.cause = 1;
        freeUpid(m, u);
        m.cause = 2;
        checkUpidWrite(m, u, 'set rx.upid.sn writes');
        expect(eventsOf(m, 'upid-use-after-free')).toMatchObject([{ cause: 2, freedBy: 1, access: 'set rx.upid.sn writes' }]);
    });
});

describe('provenance tags', () => {
    test('tagBits adds one tag per set bit, lowest first (the newest tag is the highest bit), with the cause that posted it', () => {
        const m = buildMachine({ cpus: 1, uinv: 0xecn, kernelVector: 0xebn, handlersAuto: true, xrstorsStrict: true }, [{ name: 'rx', handler: 0x401000n, targets: [] }], []);
        const upid = m.upids[0];
        notePosted(m, upid, 63, 7);
        notePosted(m, upid, 0, 5);
        for (const bits of [0n, 1n, 0x8000_0000_0000_0001n, 0xffff_ffff_ffff_ffffn, 0x0000_0001_8000_0000n, 0x1234_5678_9abc_def0n]) {
            const vectors: number[] = [];
            const causes: number[] = [];
            for (let t = tagBits(null, bits, 3, upid.postedBy); t !== null; t = t.next) {
                vectors.push(t.vector);
                causes.push(t.cause);
                expect(t.owner).toBe(3);
            }
            expect(vectors.reverse()).toEqual(setBits(bits));
            const byVector = new Map(vectors.map((v, i) => [v, causes[causes.length - 1 - i]]));
            if (bits & 1n) expect(byVector.get(0)).toBe(5);
            if (bits >> 63n) expect(byVector.get(63)).toBe(7);
        }
    });
});

describe('the change log', () => {
    test('truncate drops the changes after a slot, across chunk boundaries, and adds go on from there', () => {
        for (const keep of [0, 4, 2044, 2048, 2052, 4096, 6000]) {
            const log = new ChangeLog();
            const o = {};
            for (let i = 0; i < 2000; i++) log.add(o, 'k', i, i + 1);
            log.truncate(keep);
            expect(log.length).toBe(Math.min(keep, 8000));
            for (let i = 0; i < 3; i++) log.add(o, 'k', -1, -i);
            expect(log.length).toBe(Math.min(keep, 8000) + 12);
            for (let slot = 0; slot < Math.min(keep, 8000); slot += 4) expect(log.at(slot + 2)).toBe(slot / 4);
            expect(log.at(Math.min(keep, 8000) + 11)).toBe(-2);
        }
    });

    test('the hook log keeps pairs in order across chunks; truncate drops the pairs after a slot', () => {
        for (const keep of [0, 2, 2046, 2048, 2050, 4096, 5000]) {
            const log = new PairLog();
            const node = {};
            for (let i = 0; i < 2100; i++) log.add(`h${i}`, node);
            expect(log.length).toBe(4200);
            log.truncate(keep);
            expect(log.length).toBe(Math.min(keep, 4200));
            log.add('after', null);
            const n = Math.min(keep, 4200);
            expect(log.length).toBe(n + 2);
            for (let slot = 0; slot < n; slot += 2) {
                expect(log.at(slot)).toBe(`h${slot / 2}`);
                expect(log.at(slot + 1)).toBe(node);
            }
            expect(log.at(n)).toBe('after');
            expect(log.at(n + 1)).toBe(null);
        }
    });
});
