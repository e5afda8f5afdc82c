/**
 * Copies of a machine state and a key that identifies it, for exploring the interleavings of
 * a race: equal keys mean equal futures (provenance that only places diagnostics is left out).
 */
import { Machine, NO_CAUSE, type Cpu, type Runnable, type UirrTags, type Upid, type XsaveImage } from './state.js';

/** A deep copy: CPUs, UPIDs, images and runnables; UITTs (never written) and the address tables are shared. */
export function cloneMachine(src: Machine): Machine {
    const m = new Machine(src.config, src);
    m.recording = false;
    const upids: Upid[] = m.upids;
    for (const u of src.upids) upids.push({ ...u });
    const images: XsaveImage[] = m.images;
    for (const x of src.images) images.push({ ...x });
    for (const r of src.runnables) {
        m.runnables.push({ ...r, upid: r.upid ? upids[r.upid.id] : null, image: r.image ? images[r.image.id] : null });
    }
    for (const c of src.cpus) m.cpus.push({ ...c });
    Object.assign(m.counters, src.counters);
    m.cause = src.cause;
    return m;
}

function tagsKey(t: UirrTags): string {
    let s = '';
    for (; t !== null; t = t.next) s += `${t.vector}:${t.owner},`;
    return s;
}

function cpuKey(c: Cpu): string {
    return `${c.uihandler},${c.uistackadjust},${c.uittsz},${c.uinv},${c.upidaddr},${c.uittaddr},${c.uirr},${c.uif},${c.current},${c.mode},${c.fpregsOwner},${tagsKey(c.uirrTags)}`;
}

function upidKey(u: Upid): string {
    return `${u.on},${u.sn},${u.nv},${u.ndst},${u.pir},${u.freed ? 1 : 0},${u.refs}`;
}

function imageKey(x: XsaveImage): string {
    return `${x.present},${x.uihandler},${x.uistackadjust},${x.uittsz},${x.uinv},${x.uif},${x.upidaddr},${x.uirr},${x.uittaddr},${x.savedBy !== NO_CAUSE ? 1 : 0},${tagsKey(x.uirrTags)}`;
}

function runnableKey(r: Runnable): string {
    return `${r.state},${r.runningOn},${r.lastCpu},${r.delivered}`;
}

let generations = 0;

/**
 * State keys for an exploration: the text of each object's state (provenance aside: cpuKey,
 * upidKey, imageKey, runnableKey) is interned as a small number, computed again only after the
 * object was written (Machine.w and Machine.meta drop it), so a key costs a few numbers per
 * object instead of every field printed. Equal keys from one interner mean equal states.
 */
export class StateInterner {
    private readonly gen = ++generations;
    private readonly ids = new Map<string, number>();

    /** Writes the ids of the machine's objects into `out` from `at`; returns the next index. */
    fill(m: Machine, out: Int32Array, at: number): number {
        for (const c of m.cpus) out[at++] = this.id(c, cpuKey);
        for (const u of m.upids) out[at++] = this.id(u, upidKey);
        for (const x of m.images) out[at++] = this.id(x, imageKey);
        for (const r of m.runnables) out[at++] = this.id(r, runnableKey);
        return at;
    }

    /** The number of ids {@link fill} writes for a machine. */
    static width(m: Machine): number {
        return m.cpus.length + m.upids.length + m.images.length + m.runnables.length;
    }

    key(m: Machine): string {
        let s = '';
        for (const c of m.cpus) s += this.id(c, cpuKey) + ',';
        for (const u of m.upids) s += this.id(u, upidKey) + ',';
        for (const x of m.images) s += this.id(x, imageKey) + ',';
        for (const r of m.runnables) s += this.id(r, runnableKey) + ',';
        return s;
    }

    private id<T extends Cpu | Upid | XsaveImage | Runnable>(obj: T, part: (o: T) => string): number {
        if (obj.kgen === this.gen && obj.kid >= 0) return obj.kid;
        const text = part(obj);
        let id = this.ids.get(text);
        if (id === undefined) this.ids.set(text, id = this.ids.size);
        obj.kid = id;
        obj.kgen = this.gen;
        return id;
    }
}
