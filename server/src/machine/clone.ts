/**
 * Copies of a machine state and a key that identifies it, for exploring the interleavings of
 * a race: equal keys mean equal futures (provenance that only places diagnostics is left out).
 */
import { Machine, NO_CAUSE, type Cpu, type MachineObjects, type Runnable, type RunState, type UirrTag, type UirrTags, type Upid, type XsaveImage } from './state.js';
import type { UndoLog } from './undo-log.js';
import { slotHash, VectorSet } from './vector-set.js';

/** A deep copy: CPUs, UPIDs, images and runnables; UITTs (never written) and the address tables are shared. */
export function cloneMachine(src: Machine): Machine {
    const m = new Machine(src.config, { upidIndex: src.upidIndex, uittsByAddr: src.uittsByAddr, ipis: src.ipis, ...copyObjects(src) });
    m.recording = false;
    Object.assign(m.counters, src.counters);
    m.cause = src.cause;
    return m;
}

/** Copies of a machine's objects (a runnable points at the copies of its UPID and image). */
export function copyObjects(src: MachineObjects): MachineObjects {
    const upids = src.upids.map(u => ({ ...u, serial: -1 }));
    const images = src.images.map(x => ({ ...x, serial: -1 }));
    const runnables = src.runnables.map(r => ({ ...r, upid: r.upid ? upids[r.upid.id] : null, image: r.image ? images[r.image.id] : null, serial: -1 }));
    const cpus = src.cpus.map(c => ({ ...c, serial: -1 }));
    return { cpus, runnables, upids, images };
}

/**
 * The objects of `src`'s state, sharing every object with it but those written since the undo
 * log (Machine.undo) was started: an explorer keeps a new state this way while the event that
 * led to it is still applied, then rolls `src` back. Sound only while every later write to a
 * shared object is undone (the explorer tries events that way); a state that is run on without
 * undo (the end of a segment, a replay) is copied with {@link cloneMachine}.
 *
 * With `kept` (the exploration's interner, which has just keyed the written objects), a written
 * object equal to one kept before, provenance and all, is shared instead of copied (see
 * {@link StateInterner.keptCpu}).
 */
export function changedObjects(src: MachineObjects, undo: UndoLog, kept?: StateInterner): MachineObjects {
    // a list none of whose objects was written is shared too (lists are written only when built)
    let cpus = src.cpus, upids = src.upids, images = src.images, runnables = src.runnables;
    let owners: number[] | null = null;
    // the objects written, each once, as the interner's refill met them; else every write's object
    const written = kept?.writtenSince(undo) ?? null;
    const slots = written ? written.list : undo.slots;
    const end = written ? written.count : undo.length;
    const stride = written ? 1 : 4;
    for (let i = 0; i < end; i += stride) {
        const o = slots[i] as { id: number };
        const id = o.id;
        if (src.cpus[id] === o) {
            if (cpus[id] !== o) continue;
            if (cpus === src.cpus) cpus = cpus.slice();
            cpus[id] = kept ? kept.keptCpu(o as Cpu) : { ...(o as Cpu), serial: -1 };
        } else if (src.runnables[id] === o) {
            if (runnables[id] !== o) continue;
            if (runnables === src.runnables) runnables = runnables.slice();
            runnables[id] = kept ? kept.keptRunnable(o as Runnable, false) : { ...(o as Runnable), serial: -1 };
        } else if (src.upids[id] === o) {
            if (upids[id] !== o) continue;
            if (upids === src.upids) upids = upids.slice();
            upids[id] = kept ? kept.keptUpid(o as Upid) : { ...(o as Upid), serial: -1 };
            (owners ??= []).push((o as Upid).owner);
        } else if (src.images[id] === o) {
            if (images[id] !== o) continue;
            if (images === src.images) images = images.slice();
            images[id] = kept ? kept.keptImage(o as XsaveImage) : { ...(o as XsaveImage), serial: -1 };
            (owners ??= []).push((o as XsaveImage).owner);
        }
    }
    // a runnable points at its UPID and image: the owner of a copied one is copied to point at it
    if (owners) {
        for (const id of owners) {
            const r = runnables[id];
            const upid = r.upid ? upids[r.upid.id] : null;
            const image = r.image ? images[r.image.id] : null;
            if (upid !== r.upid || image !== r.image) {
                const copy = { ...r, upid, image, serial: -1 };
                if (runnables === src.runnables) runnables = runnables.slice();
                runnables[id] = kept ? kept.keptRunnable(copy, true) : copy;
            }
        }
    }
    return { cpus, runnables, upids, images };
}

/** Values below this are keyed as themselves; larger ones (and negative ones) by an interned id. */
const SMALL = 0x4000_0000n;
const RUN_STATES: Record<RunState, number> = { runnable: 0, running: 1, waiting: 2, dead: 3 };

/** Writes the integers that identify an object's state (provenance aside) into a scratch tuple. */
type Encoder<T> = (o: T, out: Int32Array, k: StateInterner) => void;

/** The eight UINTR register fields that a CPU and an XSAVE image both hold, from out[at]. */
function encodeRegisters(o: Cpu | XsaveImage, out: Int32Array, at: number, k: StateInterner): void {
    out[at] = k.value(o.uihandler);
    out[at + 1] = k.value(o.uistackadjust);
    out[at + 2] = k.value(o.uittsz);
    out[at + 3] = k.value(o.uinv);
    out[at + 4] = k.value(o.upidaddr);
    out[at + 5] = k.value(o.uittaddr);
    out[at + 6] = k.value(o.uirr);
    out[at + 7] = k.value(o.uif);
}

const encodeCpu: Encoder<Cpu> = (c, out, k) => {
    encodeRegisters(c, out, 0, k);
    out[8] = c.current;
    out[9] = c.mode === 'user' ? 1 : 0;
    out[10] = c.fpregsOwner;
    out[11] = k.tags(c.uirrTags);
};

const encodeUpid: Encoder<Upid> = (u, out, k) => {
    out[0] = k.value(u.on);
    out[1] = k.value(u.sn);
    out[2] = k.value(u.nv);
    out[3] = k.value(u.ndst);
    out[4] = k.value(u.pir);
    out[5] = u.freed ? 1 : 0;
    out[6] = u.refs;
};

const encodeImage: Encoder<XsaveImage> = (x, out, k) => {
    encodeRegisters(x, out, 0, k);
    out[8] = k.value(x.present);
    out[9] = x.savedBy !== NO_CAUSE ? 1 : 0;
    out[10] = k.tags(x.uirrTags);
};

const encodeRunnable: Encoder<Runnable> = (r, out, k) => {
    out[0] = RUN_STATES[r.state];
    out[1] = r.runningOn;
    out[2] = r.lastCpu;
    out[3] = k.value(r.delivered);
};

/** The distinct states of one kind of object, each a tuple of integers, numbered in order of appearance. */
class Kind<T> {
    readonly tuples: VectorSet;
    readonly tuple: Int32Array;
    /** Copies kept by states of the exploration, by interned id (see StateInterner.keep). */
    readonly kept: (T[] | undefined)[] = [];

    constructor(readonly encode: Encoder<T>, width: number, readonly sameApartFromKey: (a: T, b: T) => boolean) {
        this.tuples = new VectorSet(width);
        this.tuple = new Int32Array(width);
    }
}

/** Kept copies per interned id and kind at most (they differ in provenance, or are of other objects of the kind). */
const KEPT_PER_KEY = 16;

// What a kind's interned tuple leaves out: the object's identity and provenance (lists compared
// by identity, as they are never changed in place), and fields that no path changes.
const sameCpu = (a: Cpu, b: Cpu): boolean =>
    a.uirrTags === b.uirrTags && a.uinvArmedBy === b.uinvArmedBy && a.uinvChangedBy === b.uinvChangedBy && a.index === b.index;
const sameUpid = (a: Upid, b: Upid): boolean =>
    a.postedBy === b.postedBy && a.freedBy === b.freedBy && a.reserved === b.reserved && a.addr === b.addr && a.owner === b.owner;
const sameImage = (a: XsaveImage, b: XsaveImage): boolean =>
    a.uirrTags === b.uirrTags && a.savedBy === b.savedBy && a.miscReserved === b.miscReserved && a.owner === b.owner;
const sameRunnable = (a: Runnable, b: Runnable): boolean =>
    a.upid === b.upid && a.image === b.image && a.uitt === b.uitt && a.name === b.name && a.kind === b.kind && a.cpu === b.cpu;

let generations = 0;

/**
 * State keys for an exploration: each object's state (provenance aside) is encoded as a tuple
 * of integers (small field values as themselves, others by an interned id) and numbered per
 * kind of object; the number is kept on the object and computed again only after the object
 * was written (Machine.w and Machine.meta drop it), so a key costs one number per object and
 * builds no text. Equal keys from one interner mean equal states.
 */
export class StateInterner {
    private readonly gen = ++generations;
    private readonly big = new Map<bigint, number>();
    private readonly tagIds = new WeakMap<UirrTag, number>();
    private readonly tagTexts = new Map<string, number>();
    private readonly cpus = new Kind(encodeCpu, 12, sameCpu);
    private readonly upids = new Kind(encodeUpid, 7, sameUpid);
    private readonly images = new Kind(encodeImage, 11, sameImage);
    private readonly runnables = new Kind(encodeRunnable, 4, sameRunnable);

    /** A field value as an integer: itself when small and not negative, else -1 - its interned id. */
    value(v: bigint): number {
        if (v >= 0n && v < SMALL) return Number(v);
        let id = this.big.get(v);
        if (id === undefined) this.big.set(v, id = this.big.size);
        return -1 - id;
    }

    /** A list of UIRR tags as an integer (0: none); lists are immutable, so each is read once. */
    tags(t: UirrTags): number {
        if (t === null) return 0;
        let id = this.tagIds.get(t);
        if (id === undefined) {
            let text = '';
            for (let x: UirrTags = t; x !== null; x = x.next) text += `${x.vector}:${x.owner},`;
            id = this.tagTexts.get(text);
            if (id === undefined) this.tagTexts.set(text, id = this.tagTexts.size + 1);
            this.tagIds.set(t, id);
        }
        return id;
    }

    /** Writes the ids of the machine's objects into `out` from `at`; returns the next index. */
    fill(m: Machine, out: Int32Array, at: number): number {
        this.writtenBy = null;
        for (const c of m.cpus) out[at++] = this.id(c, this.cpus);
        for (const u of m.upids) out[at++] = this.id(u, this.upids);
        for (const x of m.images) out[at++] = this.id(x, this.images);
        for (const r of m.runnables) out[at++] = this.id(r, this.runnables);
        return at;
    }

    /**
     * {@link fill} for a machine whose ids before the writes recorded in `undo` (Machine.undo)
     * are already in `out` from `at`: only the objects written are keyed again. Returns what
     * that changed of the slots' SlotSum (machine/vector-set.ts).
     */
    refill(m: Machine, out: Int32Array, at: number, undo: UndoLog): number {
        const upidsAt = at + m.cpus.length;
        const imagesAt = upidsAt + m.upids.length;
        const runnablesAt = imagesAt + m.images.length;
        const slots = undo.slots;
        const written = this.written;
        let count = 0;
        let delta = 0;
        for (let i = 0; i < undo.length; i += 4) {
            const o = slots[i] as Cpu | Upid | XsaveImage | Runnable;
            // a write of an object written before in this log (it had no key then) whose key is
            // made already (earlier in this loop): nothing more to do; one object, one key
            if (slots[i + 3] === -1 && o.kid !== -1 && o.kgen === this.gen) continue;
            const id = o.id;
            let k: number, x: number;
            if (m.cpus[id] === o) {
                x = this.id(o as Cpu, this.cpus);
                k = at + id;
            } else if (m.runnables[id] === o) {
                x = this.id(o as Runnable, this.runnables);
                k = runnablesAt + id;
            } else if (m.upids[id] === o) {
                x = this.id(o as Upid, this.upids);
                k = upidsAt + id;
            } else if (m.images[id] === o) {
                x = this.id(o as XsaveImage, this.images);
                k = imagesAt + id;
            } else continue;
            written[count++] = o;
            const old = out[k];
            if (old === x) continue;
            delta = (delta + slotHash(k, x) - slotHash(k, old)) | 0;
            out[k] = x;
        }
        this.writtenCount = count;
        this.writtenBy = undo;
        this.writtenUpTo = undo.length;
        return delta;
    }

    /** The objects the last {@link refill} keyed again (each once), while `undo` is as it was then. */
    private readonly written: (Cpu | Upid | XsaveImage | Runnable)[] = [];
    private writtenCount = 0;
    private writtenBy: UndoLog | null = null;
    private writtenUpTo = -1;

    /** The objects written since the undo log started, each once, if the last refill saw exactly this log; else null. */
    writtenSince(undo: UndoLog): { readonly list: readonly (Cpu | Upid | XsaveImage | Runnable)[]; readonly count: number } | null {
        if (this.writtenBy !== undo || this.writtenUpTo !== undo.length) return null;
        return { list: this.written, count: this.writtenCount };
    }

    /** The number of ids {@link fill} writes for a machine. */
    static width(m: Machine): number {
        return m.cpus.length + m.upids.length + m.images.length + m.runnables.length;
    }

    key(m: Machine): string {
        const ids = new Int32Array(StateInterner.width(m));
        this.fill(m, ids, 0);
        return ids.join(',');
    }

    /**
     * A kept copy of a CPU that an event wrote (changedObjects): one kept before if one is equal
     * to it in every field, else a new copy, kept for later. Objects of kept states are never
     * changed for good (an explorer undoes every write), so states can share equal ones: most
     * events lead to objects seen before, and a copy per kept state was most of the garbage an
     * exploration made.
     */
    keptCpu(o: Cpu): Cpu {
        return this.keep(o, this.cpus, false);
    }

    keptUpid(o: Upid): Upid {
        return this.keep(o, this.upids, false);
    }

    keptImage(o: XsaveImage): XsaveImage {
        return this.keep(o, this.images, false);
    }

    /** `fresh`: `o` is a new copy already (it is kept as it is). */
    keptRunnable(o: Runnable, fresh: boolean): Runnable {
        return this.keep(o, this.runnables, fresh);
    }

    private keep<T extends Cpu | Upid | XsaveImage | Runnable>(o: T, kind: Kind<T>, fresh: boolean): T {
        if (o.kgen !== this.gen || o.kid < 0) return fresh ? o : { ...o, serial: -1 };
        let list = kind.kept[o.kid];
        if (list !== undefined) {
            // the object itself (kept before, now written and keyed again) is not a copy: the
            // explorer will undo the write
            for (const c of list) if (c !== o && c.id === o.id && kind.sameApartFromKey(c, o)) return c;
        }
        const copy = fresh ? o : { ...o, serial: -1 };
        if (list === undefined) kind.kept[o.kid] = list = [];
        if (list.length < KEPT_PER_KEY) list.push(copy);
        return copy;
    }

    private id<T extends Cpu | Upid | XsaveImage | Runnable>(obj: T, kind: Kind<T>): number {
        if (obj.kgen === this.gen && obj.kid >= 0) return obj.kid;
        kind.encode(obj, kind.tuple, this);
        const id = kind.tuples.intern(kind.tuple);
        obj.kid = id;
        obj.kgen = this.gen;
        return id;
    }
}
