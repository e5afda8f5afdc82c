/**
 * Copies of a machine state and a key that identifies it, for exploring the interleavings of
 * a race: equal keys mean equal futures (provenance that only places diagnostics is left out).
 */
import { Machine, NO_CAUSE, type Runnable, type UirrTags, type Upid, type XsaveImage } from './state.js';

/** A deep copy: CPUs, UPIDs, images and runnables; UITTs (never written) are shared. */
export function cloneMachine(src: Machine): Machine {
    const m = new Machine(src.config);
    m.cpus.length = 0;
    m.runnables.length = 0;
    m.recording = false;
    const upids = new Map<Upid, Upid>();
    for (const u of src.upids) {
        const c: Upid = { ...u, postedBy: new Map(u.postedBy) };
        upids.set(u, c);
        m.upids.push(c);
        m.upidsByAddr.set(c.addr, c);
    }
    const images = new Map<XsaveImage, XsaveImage>();
    for (const x of src.images) {
        const c = { ...x };
        images.set(x, c);
        m.images.push(c);
    }
    for (const r of src.runnables) {
        const c: Runnable = { ...r, upid: r.upid ? upids.get(r.upid)! : null, image: r.image ? images.get(r.image)! : null };
        m.runnables.push(c);
    }
    for (const c of src.cpus) m.cpus.push({ ...c });
    for (const [addr, t] of src.uittsByAddr) m.uittsByAddr.set(addr, t);
    Object.assign(m.counters, src.counters);
    m.cause = src.cause;
    return m;
}

function tagsKey(t: UirrTags): string {
    let s = '';
    for (; t !== null; t = t.next) s += `${t.vector}:${t.owner},`;
    return s;
}

/** A string that is equal for two machines exactly when their states are (provenance aside). */
export function stateKey(m: Machine): string {
    const parts: string[] = [];
    for (const c of m.cpus) {
        parts.push(`${c.uihandler},${c.uistackadjust},${c.uittsz},${c.uinv},${c.upidaddr},${c.uittaddr},${c.uirr},${c.uif},${c.current},${c.mode},${c.fpregsOwner},${tagsKey(c.uirrTags)}`);
    }
    for (const u of m.upids) parts.push(`${u.on},${u.sn},${u.nv},${u.ndst},${u.pir},${u.freed ? 1 : 0},${u.refs}`);
    for (const x of m.images) {
        parts.push(`${x.present},${x.uihandler},${x.uistackadjust},${x.uittsz},${x.uinv},${x.uif},${x.upidaddr},${x.uirr},${x.uittaddr},${x.savedBy !== NO_CAUSE ? 1 : 0},${tagsKey(x.uirrTags)}`);
    }
    for (const r of m.runnables) parts.push(`${r.state},${r.runningOn},${r.lastCpu},${r.delivered}`);
    return parts.join('|');
}
