/**
 * XRSTORS of the user-interrupt component (SEMANTICS.md §2.2; SDM Vol. 1 §13.5.11, §13.12).
 */
import { and64, hex, isCanonical } from './bits.js';
import type { Fault } from './events.js';
import { Machine, NO_CAUSE, type Cpu, type Runnable } from './state.js';

/**
 * Restores cpu's user-interrupt registers from task's image, or from the init image when
 * task is null (`xrstors init`). Returns the fault, if any; a fault changes nothing.
 */
export function xrstors(m: Machine, c: Cpu, task: Runnable | null): Fault | null {
    const img = task ? task.image : null;
    if (task && !img) throw new Error(`XRSTORS of ${task.name}: a kthread has no XSAVE image`);
    m.counters.xrstors++;
    const present = img !== null && img.present === 1n;
    if (c.uinv !== 0n && (present || m.config.xrstorsStrict)) {
        return {
            code: 'xrstors-gp', instruction: xrstorsName(task), reason: `UINV is ${hex(c.uinv)}, not 0`,
            related: c.uinvArmedBy !== NO_CAUSE
                ? { cause: c.uinvArmedBy, message: `UINV of cpu${c.index} set to ${hex(c.uinv)} here` }
                : undefined,
        };
    }
    if (img && present) {
        const bad = imageFault(img);
        if (bad) return { code: 'xrstors-gp', instruction: xrstorsName(task), reason: bad };
    }
    const from = img && present ? img : INIT;
    // each field by name (see Machine.changed)
    if (c.uihandler !== from.uihandler) { m.changed(c, 'uihandler', c.uihandler, from.uihandler); c.uihandler = from.uihandler; }
    if (c.uistackadjust !== from.uistackadjust) { m.changed(c, 'uistackadjust', c.uistackadjust, from.uistackadjust); c.uistackadjust = from.uistackadjust; }
    if (c.uittsz !== from.uittsz) { m.changed(c, 'uittsz', c.uittsz, from.uittsz); c.uittsz = from.uittsz; }
    setUinv(m, c, from.uinv);
    if (c.uif !== from.uif) { m.changed(c, 'uif', c.uif, from.uif); c.uif = from.uif; }
    if (c.upidaddr !== from.upidaddr) { m.changed(c, 'upidaddr', c.upidaddr, from.upidaddr); c.upidaddr = from.upidaddr; }
    if (c.uirr !== from.uirr) { m.changed(c, 'uirr', c.uirr, from.uirr); c.uirr = from.uirr; }
    if (c.uittaddr !== from.uittaddr) { m.changed(c, 'uittaddr', c.uittaddr, from.uittaddr); c.uittaddr = from.uittaddr; }
    m.setUirrTags(c, from.uirrTags);
    if (img) m.setSavedBy(img, NO_CAUSE);
    // Bookkeeping: for `init`, Linux marks the fresh registers as the running task's.
    const owner = task ?? m.currentOf(c);
    m.setFpregsOwner(c, owner.id);
    if (owner.kind === 'task') m.setLastCpu(owner, c.index);
    return null;
}

function xrstorsName(task: Runnable | null): string {
    return task ? `XRSTORS ${task.name}` : 'XRSTORS init';
}

/** The init configuration: what XRSTORS loads from an image whose component is not present. */
const INIT = {
    uihandler: 0n, uistackadjust: 0n, uittsz: 0n, uinv: 0n, uif: 0n, upidaddr: 0n, uirr: 0n, uittaddr: 0n, uirrTags: null,
} as const;

/** Writes UINV, keeping the provenance that diagnostics point at. */
export function setUinv(m: Machine, c: Cpu, v: bigint): void {
    if (c.uinv === v) {
        // rewriting the same value is not a change, but it does set UINV (xrstors-gp's related step)
        if (v !== 0n && c.uinvArmedBy !== m.cause) m.setUinvArmedBy(c, m.cause);
        return;
    }
    m.changed(c, 'uinv', c.uinv, v);
    c.uinv = v;
    m.setUinvChangedBy(c, m.cause);
    if (v !== 0n) m.setUinvArmedBy(c, m.cause);
}

/** The image checks of XRSTORS, or null when the image can be loaded. */
function imageFault(img: NonNullable<Runnable['image']>): string | null {
    if (!isCanonical(img.uihandler)) return `the image's UIHANDLER ${hex(img.uihandler)} is not canonical`;
    if (!isCanonical(img.uistackadjust)) return `the image's UISTACKADJUST ${hex(img.uistackadjust)} is not canonical`;
    if (!isCanonical(img.upidaddr)) return `the image's UPIDADDR ${hex(img.upidaddr)} is not canonical`;
    if (!isCanonical(img.uittaddr)) return `the image's UITTADDR ${hex(img.uittaddr)} is not canonical`;
    if (img.miscReserved !== 0n) return `the image's MISC has reserved bits 62:40 set`;
    if (and64(img.upidaddr, 0x3fn) !== 0n) return `the image's UPIDADDR ${hex(img.upidaddr)} has reserved bits 5:0 set`;
    if (and64(img.uittaddr, 0xen) !== 0n) return `the image's UITTADDR ${hex(img.uittaddr)} has reserved bits 3:1 set`;
    return null;
}
