/**
 * XRSTORS of the user-interrupt component (SEMANTICS.md §2.2; SDM Vol. 1 §13.5.11, §13.12).
 */
import { hex, isCanonical } from './bits.js';
import type { Fault } from './events.js';
import { Machine, NO_CAUSE, type Cpu, type Runnable } from './state.js';

/**
 * Restores cpu's user-interrupt registers from task's image, or from the init image when
 * task is null (`xrstors init`). Returns the fault, if any; a fault changes nothing.
 */
export function xrstors(m: Machine, c: Cpu, task: Runnable | null): Fault | null {
    const img = task ? task.image : null;
    if (task && !img) throw new Error(`XRSTORS of ${task.name}: a kthread has no XSAVE image`);
    const name = task ? `XRSTORS ${task.name}` : 'XRSTORS init';
    m.counters.xrstors++;
    const present = img !== null && img.present === 1n;
    if (c.uinv !== 0n && (present || m.config.xrstorsStrict)) {
        return {
            code: 'xrstors-gp', instruction: name, reason: `UINV is ${hex(c.uinv)}, not 0`,
            related: c.uinvArmedBy !== NO_CAUSE
                ? { cause: c.uinvArmedBy, message: `UINV of cpu${c.index} set to ${hex(c.uinv)} here` }
                : undefined,
        };
    }
    if (img && present) {
        const bad = imageFault(img);
        if (bad) return { code: 'xrstors-gp', instruction: name, reason: bad };
    }
    if (img && present) {
        m.w(c, 'uihandler', img.uihandler);
        m.w(c, 'uistackadjust', img.uistackadjust);
        m.w(c, 'uittsz', img.uittsz);
        setUinv(m, c, img.uinv);
        m.w(c, 'uif', img.uif);
        m.w(c, 'upidaddr', img.upidaddr);
        m.w(c, 'uirr', img.uirr);
        m.w(c, 'uittaddr', img.uittaddr);
        m.meta(c, 'uirrTags', img.uirrTags);
        m.meta(img, 'savedBy', NO_CAUSE);
    } else {
        m.w(c, 'uihandler', 0n);
        m.w(c, 'uistackadjust', 0n);
        m.w(c, 'uittsz', 0n);
        setUinv(m, c, 0n);
        m.w(c, 'uif', 0n);
        m.w(c, 'upidaddr', 0n);
        m.w(c, 'uirr', 0n);
        m.w(c, 'uittaddr', 0n);
        m.meta(c, 'uirrTags', null);
        if (img) m.meta(img, 'savedBy', NO_CAUSE);
    }
    // Bookkeeping: for `init`, Linux marks the fresh registers as the running task's.
    const owner = task ?? m.currentOf(c);
    m.w(c, 'fpregsOwner', owner.id);
    if (owner.kind === 'task') m.w(owner, 'lastCpu', c.index);
    return null;
}

/** Writes UINV, keeping the provenance that diagnostics point at. */
export function setUinv(m: Machine, c: Cpu, v: bigint): void {
    if (c.uinv === v) return;
    m.w(c, 'uinv', v);
    m.meta(c, 'uinvChangedBy', m.cause);
    if (v !== 0n) m.meta(c, 'uinvArmedBy', m.cause);
}

/** The image checks of XRSTORS, or null when the image can be loaded. */
function imageFault(img: NonNullable<Runnable['image']>): string | null {
    if (!isCanonical(img.uihandler)) return `the image's UIHANDLER ${hex(img.uihandler)} is not canonical`;
    if (!isCanonical(img.uistackadjust)) return `the image's UISTACKADJUST ${hex(img.uistackadjust)} is not canonical`;
    if (!isCanonical(img.upidaddr)) return `the image's UPIDADDR ${hex(img.upidaddr)} is not canonical`;
    if (!isCanonical(img.uittaddr)) return `the image's UITTADDR ${hex(img.uittaddr)} is not canonical`;
    if (img.miscReserved !== 0n) return `the image's MISC has reserved bits 62:40 set`;
    if ((img.upidaddr & 0x3fn) !== 0n) return `the image's UPIDADDR ${hex(img.upidaddr)} has reserved bits 5:0 set`;
    if ((img.uittaddr & 0xen) !== 0n) return `the image's UITTADDR ${hex(img.uittaddr)} has reserved bits 3:1 set`;
    return null;
}
