/**
 * The architectural state of the machine (SEMANTICS.md §1): per-CPU user-interrupt
 * registers with the kernel's view of each CPU, UPIDs, UITTs and XSAVE images.
 *
 * Every write that a trace must see goes through {@link Machine.w}, which records the old
 * and new value in a flat change log; a trace is the initial snapshot plus that log.
 * Provenance ("which step set UINV", "which step posted vector 3") is kept as opaque
 * cause numbers that the caller assigns through {@link Machine.cause}.
 */
import { ChangeLog } from './change-log.js';
import type { UndoLog } from './undo-log.js';
import type { Ipi, MachineEvent } from './events.js';

/** No cause known (the declaration, or the start of the run). */
export const NO_CAUSE = -1;

export type Mode = 'user' | 'kernel';
export type RunState = 'runnable' | 'running' | 'waiting' | 'dead';
export type RunnableKind = 'task' | 'kthread' | 'idle';

/**
 * Where a bit of UIRR came from: the task whose UPID it was posted to, and the posting step.
 * Tags form an immutable list (the first tag of a vector wins), shared between a CPU and the
 * images XSAVES writes, replaced on change. Provenance is metadata: it is not traced.
 */
export interface UirrTag {
    readonly vector: number;
    readonly owner: number;
    readonly cause: number;
    readonly next: UirrTag | null;
}
export type UirrTags = UirrTag | null;

/** A post to a UPID: the vector and the cause; newest first, the first match wins. */
export interface Posted {
    readonly vector: number;
    readonly cause: number;
    /** Entries in this list (bounded: see {@link notePosted}). */
    readonly length: number;
    readonly next: Posted | null;
}

export interface Cpu {
    readonly id: number;
    readonly index: number;
    uihandler: bigint;
    uistackadjust: bigint;
    uittsz: bigint;
    uinv: bigint;
    upidaddr: bigint;
    /** The raw IA32_UINTR_TT value: UITTADDR with the enable bit in bit 0. */
    uittaddr: bigint;
    uirr: bigint;
    uif: bigint;
    /** Kernel view: the runnable current on this CPU (an index into Machine.runnables). */
    current: number;
    mode: Mode;
    /** Whose register state the CPU holds (fpregs_owner_ctx), or -1. */
    fpregsOwner: number;
    uirrTags: UirrTags;
    /** The cause that last set UINV to a non-zero value. */
    uinvArmedBy: number;
    /** The cause that last changed UINV. */
    uinvChangedBy: number;
    /** Exploration: this object's interned key (see machine/clone.ts), valid for {@link kgen}; -1 after a write. */
    kid: number;
    kgen: number;
    /** Exploration: a number for this very object (not its content), given when first asked (scenario/transitions.ts); -1 on every copy. */
    serial: number;
}

export interface Upid {
    readonly id: number;
    readonly addr: bigint;
    /** The runnable index of the receiver that owns it. */
    readonly owner: number;
    on: bigint;
    sn: bigint;
    nv: bigint;
    ndst: bigint;
    pir: bigint;
    /** Bits 15:2 and 31:24; no path writes them, SENDUIPI checks them. */
    reserved: bigint;
    freed: boolean;
    refs: number;
    freedBy: number;
    /**
     * Which cause last posted each vector (see {@link postedCause}). Metadata, not traced; an
     * immutable list (a post prepends, see {@link notePosted}), so copies of a machine share it.
     */
    postedBy: Posted | null;
    /** Exploration: this object's interned key (see machine/clone.ts), valid for {@link kgen}; -1 after a write. */
    kid: number;
    kgen: number;
    /** Exploration: a number for this very object (not its content), given when first asked (scenario/transitions.ts); -1 on every copy. */
    serial: number;
}

export interface UittEntry {
    valid: boolean;
    uv: bigint;
    upidaddr: bigint;
    reserved: bigint;
}

export interface Uitt {
    readonly addr: bigint;
    readonly owner: number;
    /** Declared entries; any other index is invalid. */
    readonly entries: readonly UittEntry[];
}

export interface XsaveImage {
    readonly id: number;
    readonly owner: number;
    /** XSTATE_BV bit 14. */
    present: bigint;
    uihandler: bigint;
    uistackadjust: bigint;
    uittsz: bigint;
    uinv: bigint;
    uif: bigint;
    upidaddr: bigint;
    uirr: bigint;
    uittaddr: bigint;
    /** MISC bits 62:40 as stored; no path writes them, XRSTORS checks them. */
    miscReserved: bigint;
    uirrTags: UirrTags;
    /** The XSAVES that stored a non-zero UINV not loaded since, or NO_CAUSE. */
    savedBy: number;
    /** Exploration: this object's interned key (see machine/clone.ts), valid for {@link kgen}; -1 after a write. */
    kid: number;
    kgen: number;
    /** Exploration: a number for this very object (not its content), given when first asked (scenario/transitions.ts); -1 on every copy. */
    serial: number;
}

export interface Runnable {
    readonly id: number;
    readonly name: string;
    readonly kind: RunnableKind;
    /** For idle: the CPU it belongs to. */
    readonly cpu: number;
    state: RunState;
    runningOn: number;
    /** The CPU whose registers were last loaded from or saved to this task's state. */
    lastCpu: number;
    readonly upid: Upid | null;
    uitt: Uitt | null;
    readonly image: XsaveImage | null;
    /** Bit v set once vector v was delivered. */
    delivered: bigint;
    /** Exploration: this object's interned key (see machine/clone.ts), valid for {@link kgen}; -1 after a write. */
    kid: number;
    kgen: number;
    /** Exploration: a number for this very object (not its content), given when first asked (scenario/transitions.ts); -1 on every copy. */
    serial: number;
}

export interface MachineConfig {
    readonly cpus: number;
    readonly uinv: bigint;
    readonly kernelVector: bigint;
    /** `handlers auto`: the handler runs to its UIRET at once. */
    readonly handlersAuto: boolean;
    /** `xrstors_init strict`: the live-UINV check applies to an init image too. */
    readonly xrstorsStrict: boolean;
}

export interface Counters {
    xsaves: number;
    xrstors: number;
    wrmsr: number;
    selfIpis: number;
    spurious: number;
    deliveries: number;
}

/** The objects that hold a machine's state (a race's explorer keeps a state as these). */
export interface MachineObjects {
    readonly cpus: Cpu[];
    readonly runnables: Runnable[];
    readonly upids: Upid[];
    readonly images: XsaveImage[];
}

/** What a copy of a machine is made from (machine/clone.ts): the tables it shares, its own objects. */
export interface MachineCopy extends MachineObjects {
    readonly upidIndex: Map<bigint, number>;
    readonly uittsByAddr: Map<bigint, Uitt>;
    readonly ipis: Map<number, Ipi[]>;
}

/** Objects whose fields the change log records. */
export type Traced = Cpu | Upid | XsaveImage | Runnable;

export class Machine implements MachineObjects {
    // replaced only by load (an explorer moving to another state)
    cpus: Cpu[];
    runnables: Runnable[];
    upids: Upid[];
    images: XsaveImage[];
    /** UPID address -> index in {@link upids}; fixed once built, shared by copies. */
    readonly upidIndex: Map<bigint, number>;
    /** UITTs by address; never written, shared by copies. */
    readonly uittsByAddr: Map<bigint, Uitt>;
    /** The IPIs made so far, by the cause that sent them (see {@link ipi}); shared by copies. */
    readonly ipis: Map<number, Ipi[]>;
    /** Whether {@link ipi} gives equal IPIs one object (an explorer sets it: a run once through has no use for it). */
    internIpis = false;
    /**
     * Flat change log: object, key, old value, new value — four slots per change. Provenance
     * fields (`uirrTags`, `savedBy`, `uinvArmedBy`, `uinvChangedBy`, `freedBy`) are assigned
     * directly and not logged: traces show state, not where it came from.
     */
    readonly log = new ChangeLog();
    recording = true;
    /** The cause that events and provenance are attributed to right now. */
    cause = NO_CAUSE;
    /**
     * Events raised and not yet taken ({@link eventCount} of them; the slots beyond are stale:
     * the arrays keep their capacity, as emptying them would give it back, see UndoLog).
     */
    readonly events: MachineEvent[] = [];
    /** For each event, the hook it was raised in (see {@link Machine.where}). */
    readonly eventWhere: (string | null)[] = [];
    eventCount = 0;
    /** The policy hook running right now, for messages ("lazy_fpu.return_to_user"), or null. */
    where: string | null = null;
    readonly counters: Counters = { xsaves: 0, xrstors: 0, wrmsr: 0, selfIpis: 0, spurious: 0, deliveries: 0 };

    /**
     * A machine with its CPUs and idle threads, or, given the tables of the machine it copies
     * and the copy's objects (machine/clone.ts), a copy that shares the tables.
     */
    constructor(readonly config: MachineConfig, copyOf?: MachineCopy) {
        this.upidIndex = copyOf?.upidIndex ?? new Map();
        this.uittsByAddr = copyOf?.uittsByAddr ?? new Map();
        this.ipis = copyOf?.ipis ?? new Map();
        this.cpus = copyOf?.cpus ?? [];
        this.runnables = copyOf?.runnables ?? [];
        this.upids = copyOf?.upids ?? [];
        this.images = copyOf?.images ?? [];
        if (copyOf) return;
        for (let i = 0; i < config.cpus; i++) {
            const idle = this.addRunnable(`idle`, 'idle', null, null, null, i);
            idle.state = 'running';
            idle.runningOn = i;
            this.cpus.push({
                id: i, index: i,
                uihandler: 0n, uistackadjust: 0n, uittsz: 0n, uinv: 0n, upidaddr: 0n, uittaddr: 0n,
                uirr: 0n, uif: 0n,
                current: idle.id, mode: 'kernel', fpregsOwner: -1,
                uirrTags: null, uinvArmedBy: NO_CAUSE, uinvChangedBy: NO_CAUSE, kid: -1, kgen: 0, serial: -1,
            });
        }
    }

    /** Adds a task, kthread or idle thread; returns it. */
    addRunnable(name: string, kind: RunnableKind, upid: Upid | null, uitt: Uitt | null,
        image: XsaveImage | null, cpu = -1): Runnable {
        const r: Runnable = {
            id: this.runnables.length, name, kind, cpu, state: 'runnable', runningOn: -1, lastCpu: -1,
            upid, uitt, image, delivered: 0n, kid: -1, kgen: 0, serial: -1,
        };
        this.runnables.push(r);
        return r;
    }

    /** Writes obj[key] := v, recording the change when the value differs. */
    w<T extends Traced, K extends keyof T & string>(obj: T, key: K, v: T[K]): void {
        const old = obj[key];
        if (old === v) return;
        if (this.undo) this.undo.push(obj, key, old, obj.kid);
        obj[key] = v;
        obj.kid = -1;
        if (this.recording) this.log.add(obj, key, old, v);
    }

    /**
     * Records that obj[key] changes from `old` to `v` (old !== v), before the caller assigns it:
     * XSAVES, XRSTORS and the kernel-view setters below, the hottest paths, write their fields
     * by name and call this, because
     * a write through {@link w}'s computed key is a megamorphic access in V8 (with `w` there,
     * the 10k-step bench's run took 8.7 ms instead of 7.6).
     */
    changed(obj: Traced, key: string, old: unknown, v: unknown): void {
        if (this.undo) this.undo.push(obj, key, old, obj.kid);
        obj.kid = -1;
        if (this.recording) this.log.add(obj, key, old, v);
    }

    // The kernel's view, written on every context switch: by name, as XSAVES and XRSTORS do
    // (see {@link changed}).

    setMode(c: Cpu, v: Mode): void {
        const old = c.mode;
        if (old === v) return;
        this.changed(c, 'mode', old, v);
        c.mode = v;
    }

    setCurrent(c: Cpu, v: number): void {
        const old = c.current;
        if (old === v) return;
        this.changed(c, 'current', old, v);
        c.current = v;
    }

    setRunState(r: Runnable, v: RunState): void {
        const old = r.state;
        if (old === v) return;
        this.changed(r, 'state', old, v);
        r.state = v;
    }

    setRunningOn(r: Runnable, v: number): void {
        const old = r.runningOn;
        if (old === v) return;
        this.changed(r, 'runningOn', old, v);
        r.runningOn = v;
    }

    // Written at every notification, delivery and SENDUIPI: by name too.

    setUirr(c: Cpu, v: bigint): void {
        const old = c.uirr;
        if (old === v) return;
        this.changed(c, 'uirr', old, v);
        c.uirr = v;
    }

    setUif(c: Cpu, v: bigint): void {
        const old = c.uif;
        if (old === v) return;
        this.changed(c, 'uif', old, v);
        c.uif = v;
    }

    setPir(u: Upid, v: bigint): void {
        const old = u.pir;
        if (old === v) return;
        this.changed(u, 'pir', old, v);
        u.pir = v;
    }

    setOn(u: Upid, v: bigint): void {
        const old = u.on;
        if (old === v) return;
        this.changed(u, 'on', old, v);
        u.on = v;
    }

    setLastCpu(r: Runnable, v: number): void {
        const old = r.lastCpu;
        if (old === v) return;
        this.changed(r, 'lastCpu', old, v);
        r.lastCpu = v;
    }

    setFpregsOwner(c: Cpu, v: number): void {
        const old = c.fpregsOwner;
        if (old === v) return;
        this.changed(c, 'fpregsOwner', old, v);
        c.fpregsOwner = v;
    }

    // Provenance written by XSAVES, XRSTORS and notifications, by name (see {@link meta}).

    setUirrTags(obj: Cpu | XsaveImage, v: UirrTags): void {
        this.metaChanged(obj, 'uirrTags', obj.uirrTags);
        obj.uirrTags = v;
    }

    setSavedBy(img: XsaveImage, v: number): void {
        this.metaChanged(img, 'savedBy', img.savedBy);
        img.savedBy = v;
    }

    setUinvChangedBy(c: Cpu, v: number): void {
        this.metaChanged(c, 'uinvChangedBy', c.uinvChangedBy);
        c.uinvChangedBy = v;
    }

    setUinvArmedBy(c: Cpu, v: number): void {
        this.metaChanged(c, 'uinvArmedBy', c.uinvArmedBy);
        c.uinvArmedBy = v;
    }

    /**
     * Writes provenance (`uirrTags`, `savedBy`, `uinvChangedBy`, `uinvArmedBy`, `freedBy`,
     * `postedBy`): not traced, but undone with the rest, and the object's interned key is
     * dropped (tags and savedBy are part of the state an exploration compares).
     */
    meta<T extends Cpu | XsaveImage | Upid, K extends MetaKey & keyof T>(obj: T, key: K, v: T[K]): void {
        this.metaChanged(obj, key, obj[key]);
        obj[key] = v;
    }

    /** Records that provenance obj[key] changes from `old`, before the caller assigns it (see {@link meta}, {@link changed}). */
    private metaChanged(obj: Cpu | XsaveImage | Upid, key: MetaKey, old: unknown): void {
        const undo = this.undo ?? this.metaUndo;
        if (undo) undo.push(obj, key, old, obj.kid);
        obj.kid = -1;
    }

    /**
     * While set (and {@link undo} is not), provenance writes ({@link meta}) are recorded to be
     * undone: with the change log, which holds every traced write, that is all a kernel action
     * that fails part way must undo (scenario/run.ts, Runner.step) — cheaper than {@link undo}.
     */
    metaUndo: UndoLog | null = null;

    /** Undoes the traced writes of the change log after slot `mark`, newest first, and drops them. */
    rollbackLog(mark: number): void {
        const log = this.log;
        for (let i = log.length - 4; i >= mark; i -= 4) (log.at(i) as Record<string, unknown>)[log.at(i + 1) as string] = log.at(i + 2);
        log.truncate(mark);
    }

    /**
     * Exploration: while set, every write (w, meta) also records the object, the field, the old
     * value and the old interned key, four slots each, so that {@link rollback} can undo it: an
     * explorer tries an event on a state in place and copies the state only when it is new.
     */
    undo: UndoLog | null = null;

    /** Undoes the writes recorded in {@link undo} (or else {@link metaUndo}) after slot `mark`, newest first. */
    rollback(mark = 0): void {
        const log = this.undo ?? this.metaUndo;
        if (!log) return;
        const u = log.slots;
        for (let i = log.length - 4; i >= mark; i -= 4) {
            const obj = u[i] as Record<string, unknown>;
            obj[u[i + 1] as string] = u[i + 2];
            obj.kid = u[i + 3];
        }
        log.length = mark;
    }

    /**
     * Exploration: this machine holds another state's objects from now on (a race's explorer
     * keeps states as their objects, machine/clone.ts, and runs each on one machine in turn).
     */
    load(objects: MachineObjects): void {
        this.cpus = objects.cpus;
        this.runnables = objects.runnables;
        this.upids = objects.upids;
        this.images = objects.images;
        this.lastUpidAddr = -1n;
        this.lastUpid = undefined;
    }

    emit(event: MachineEvent): void {
        const n = this.eventCount;
        this.events[n] = event;
        this.eventWhere[n] = this.where;
        this.eventCount = n + 1;
    }

    /**
     * The IPI with these fields, one object for equal ones (an IPI is never changed): an explorer
     * meets the same IPI in many states and knows it by its object (machine/events.ts, ipiKey).
     */
    ipi(vector: bigint, dest: number, upid: bigint | null, cause: number): Ipi {
        if (!this.internIpis) return { vector, dest, upid, cause, key: undefined };
        let list = this.ipis.get(cause);
        if (list === undefined) this.ipis.set(cause, list = []);
        for (const i of list) if (i.vector === vector && i.dest === dest && i.upid === upid) return i;
        const made: Ipi = { vector, dest, upid, cause, key: undefined };
        list.push(made);
        return made;
    }

    private lastUpidAddr = -1n;
    private lastUpid: Upid | undefined;

    /** The UPID at an address (a small memo in front of the map: SENDUIPI and notifications repeat). */
    upidAt(addr: bigint): Upid | undefined {
        if (addr === this.lastUpidAddr) return this.lastUpid;
        const i = this.upidIndex.get(addr);
        const u = i === undefined ? undefined : this.upids[i];
        this.lastUpidAddr = addr;
        this.lastUpid = u;
        return u;
    }

    private lastUittReg = -1n;
    private lastUitt: Uitt | undefined;

    /** The UITT that a raw IA32_UINTR_TT value points to (bits 3:0 ignored), memoised like {@link upidAt}. */
    uittAt(reg: bigint): Uitt | undefined {
        if (reg === this.lastUittReg) return this.lastUitt;
        const u = this.uittsByAddr.get(reg & ~0xfn);
        this.lastUittReg = reg;
        this.lastUitt = u;
        return u;
    }

    idleOf(cpu: number): Runnable {
        return this.runnables[cpu];
    }

    currentOf(cpu: Cpu): Runnable {
        return this.runnables[cpu.current];
    }
}

/** Provenance fields, written through {@link Machine.meta}. */
type MetaKey = 'uirrTags' | 'savedBy' | 'uinvChangedBy' | 'uinvArmedBy' | 'freedBy' | 'postedBy';

/** The cause that last posted `vector` to a UPID, or undefined. */
export function postedCause(list: Posted | null, vector: number): number | undefined {
    for (let p = list; p !== null; p = p.next) if (p.vector === vector) return p.cause;
    return undefined;
}

/** At most this many entries before the list is compacted to one per vector. */
const POSTED_MAX = 128;

/**
 * Records that `vector` was posted to the UPID by `cause`: a new head on the list, which is
 * never changed in place (copies share it); compacted to one entry per vector when it grows.
 */
export function notePosted(m: Machine, upid: Upid, vector: number, cause: number): void {
    const head = upid.postedBy;
    if (head !== null && head.vector === vector && head.cause === cause) return;
    let next: Posted | null = head;
    if (head !== null && head.length >= POSTED_MAX) {
        const seen = new Set<number>([vector]);
        const keep: Posted[] = [];
        for (let p: Posted | null = head; p !== null; p = p.next) if (!seen.has(p.vector)) { seen.add(p.vector); keep.push(p); }
        next = keep.reduceRight<Posted | null>((rest, p) => ({ vector: p.vector, cause: p.cause, length: (rest?.length ?? 0) + 1, next: rest }), null);
    }
    m.meta(upid, 'postedBy', { vector, cause, length: (next?.length ?? 0) + 1, next });
}
