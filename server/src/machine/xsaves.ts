/**
 * XSAVES of the user-interrupt component (SEMANTICS.md §2.1; SDM Vol. 1 §13.5.11, §13.11).
 */
import { Machine, NO_CAUSE, type Cpu, type Runnable } from './state.js';
import { setUinv } from './xrstors.js';

/** True when every live field, UIF included, is zero: the init configuration. */
export function liveStateIsInit(c: Cpu): boolean {
    return c.uihandler === 0n && c.uistackadjust === 0n && c.uittsz === 0n && c.uinv === 0n
        && c.upidaddr === 0n && c.uittaddr === 0n && c.uirr === 0n && c.uif === 0n;
}

/**
 * Saves cpu's live state into task's image. In the init configuration only `present`
 * is cleared (the 48 bytes stay stale); otherwise every field is written. Then UINV := 0
 * and task.last_cpu := cpu. Never faults.
 */
export function xsaves(m: Machine, c: Cpu, task: Runnable): void {
    const img = task.image;
    if (!img) throw new Error(`XSAVES of ${task.name}: a kthread has no XSAVE image`);
    m.counters.xsaves++;
    const init = liveStateIsInit(c);
    const newUinv = init ? 0n : c.uinv;
    if (img.savedBy !== NO_CAUSE && img.uinv !== 0n && img.present === 1n && newUinv === 0n) {
        m.emit({ type: 'xsaves-clobbers-image', cause: m.cause, task: task.name, lostUinv: img.uinv, savedBy: img.savedBy, init });
    }
    if (init) {
        if (img.present !== 0n) { m.changed(img, 'present', img.present, 0n); img.present = 0n; }
        m.setSavedBy(img, NO_CAUSE);
    } else {
        // each field by name (see Machine.changed)
        if (img.present !== 1n) { m.changed(img, 'present', img.present, 1n); img.present = 1n; }
        if (img.uihandler !== c.uihandler) { m.changed(img, 'uihandler', img.uihandler, c.uihandler); img.uihandler = c.uihandler; }
        if (img.uistackadjust !== c.uistackadjust) { m.changed(img, 'uistackadjust', img.uistackadjust, c.uistackadjust); img.uistackadjust = c.uistackadjust; }
        if (img.uittsz !== c.uittsz) { m.changed(img, 'uittsz', img.uittsz, c.uittsz); img.uittsz = c.uittsz; }
        if (img.uinv !== c.uinv) { m.changed(img, 'uinv', img.uinv, c.uinv); img.uinv = c.uinv; }
        if (img.uif !== c.uif) { m.changed(img, 'uif', img.uif, c.uif); img.uif = c.uif; }
        if (img.upidaddr !== c.upidaddr) { m.changed(img, 'upidaddr', img.upidaddr, c.upidaddr); img.upidaddr = c.upidaddr; }
        if (img.uirr !== c.uirr) { m.changed(img, 'uirr', img.uirr, c.uirr); img.uirr = c.uirr; }
        if (img.uittaddr !== c.uittaddr) { m.changed(img, 'uittaddr', img.uittaddr, c.uittaddr); img.uittaddr = c.uittaddr; }
        if (img.miscReserved !== 0n) { m.changed(img, 'miscReserved', img.miscReserved, 0n); img.miscReserved = 0n; }
        m.setUirrTags(img, c.uirrTags);
        m.setSavedBy(img, c.uinv !== 0n ? m.cause : NO_CAUSE);
    }
    setUinv(m, c, 0n);
    m.setLastCpu(task, c.index);
}
