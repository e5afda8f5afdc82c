/**
 * The transitions a race's exploration has computed, kept to be applied again instead of run
 * again (LTSmin's transition caching, on our objects). An event — a branch's next step, the next
 * item after the race, an IPI's arrival — reads and writes only the resources PartialOrder says
 * it may touch at a state (its CPU, the runnables it names, what they point at: the sleep sets'
 * footprints); kept states share their machine objects (StateInterner.keep), so the objects of
 * those resources, taken by identity, determine what the event does: which objects it leaves in
 * their place, which IPIs it sends, what it finds. Different states reach the same few such
 * situations again and again (ring 2 x 6: 1.6 million events, 286 distinct ones), so an event is
 * run once per situation, and elsewhere its outcome is put in place of the objects it wrote.
 *
 * Identity, not the interned ids, keys a situation: ids leave provenance out (which step posted
 * a vector, armed UINV), and provenance shapes the objects an event leaves (UIRR's tags) and
 * where findings sit. The runner's own state enters only as it is read: whether the state is
 * inside the race (its IPIs stay in flight) and the kind of event. An expectation reads any state
 * and is never cached; nor is an event whose footprint is unbounded (-1).
 */
import type { Ipi } from '../machine/events.js';
import type { MachineObjects } from '../machine/state.js';
import type { DiagnosticCode } from './diagnostics.js';

/** One object an event left in place of another: the list (0 CPUs, 1 UPIDs, 2 images, 3 runnables), the index, the object, its slot in a state's key and its id there. */
export interface ObjectChange {
    readonly kind: 0 | 1 | 2 | 3;
    readonly index: number;
    readonly object: object;
    readonly slot: number;
    readonly id: number;
}

/** What an event did, as it can be done again on another state in the same situation. */
export interface Transition {
    readonly changes: readonly ObjectChange[];
    /** IPIs it added to those in flight (an arrival takes its own out first), in order. */
    readonly inFlight: readonly Ipi[];
    /** IPIs it added to the deferred ones, in order. */
    readonly deferred: readonly Ipi[];
    /** What it found (the event count at which is the state's own). */
    readonly findings: readonly { readonly code: DiagnosticCode; readonly cause: number; readonly message: string }[];
    /** The causes of the run-time semantic errors it raised. */
    readonly semantics: readonly number[];
}

const LISTS = ['cpus', 'upids', 'images', 'runnables'] as const;


/**
 * Object serials: one counter for every cache (a search's objects are its own copies, but a
 * number given once is never given again), kept as exact doubles in the caches (2^53 of them: a
 * server exploring on every save for years does not run out, where 32 bits could wrap and make
 * two objects one).
 */
let nextSerial = 0;

/** The footprint's objects that have one (CPUs, then runnables), in order. */
type Footprint = { readonly cpus: readonly { serial: number }[]; readonly runnables: readonly { serial: number }[] };

/**
 * Situations in flat arrays (a hundred thousand of them in a large search: a map of objects was a
 * tenth of the search's time in cache misses): each is a run of integers in {@link data} (the
 * event with the race bit, the footprint, the number of objects, their serials), found through an
 * open-addressing table of (situation + 1, hash) pairs.
 */
export class TransitionCache {
    private data = new Float64Array(1 << 12);
    private used = 0;
    /** Each situation's start in {@link data}, by its number. */
    private starts = new Int32Array(1 << 10);
    private readonly transitions: (Transition | undefined)[] = [];
    private table = new Int32Array(2 << 10);
    private mask = (1 << 10) - 1;
    private readonly serials = new Float64Array(32);
    hits = 0;
    misses = 0;

    /**
     * The number of an event's situation (made on first meeting): `event` numbers the event (a
     * step's cause times 2, an IPI's number times 2 plus 1), `race` says whether its IPIs stay in
     * flight, `touch` is its footprint (PartialOrder's mask: CPUs, then runnables; a runnable's
     * object points at its UPID and image, so it stands for them too); -1 when it is not cached
     * (an unbounded footprint). Its transition ({@link transition}) is undefined until the event
     * has run there once ({@link learn}).
     */
    situation(m: Footprint, event: number, race: boolean, touch: number, count = true): number {
        if (touch === -1) return -1;
        const cpus = m.cpus.length, serials = this.serials;
        const head = event * 2 + (race ? 1 : 0);
        let h = Math.imul(head, 0x9e3779b1) ^ Math.imul(touch, 0x85ebca6b);
        let k = 0;
        for (let bits = touch, bit = 0; bits !== 0; bits >>>= 1, bit++) {
            if ((bits & 1) === 0) continue;
            const o = bit < cpus ? m.cpus[bit] : m.runnables[bit - cpus];
            const serial = o === undefined ? -2 : o.serial >= 0 ? o.serial : (o.serial = nextSerial++);
            serials[k++] = serial;
            h = Math.imul(h ^ serial, 0xcc9e2d51) + k;
        }
        h |= 0;
        const table = this.table, data = this.data;
        for (let slot = (h ^ (h >>> 15)) & this.mask; ; slot = (slot + 1) & this.mask) {
            const e = table[2 * slot];
            if (e === 0) break;
            if (table[2 * slot + 1] !== h) continue;
            const at = this.starts[e - 1];
            if (data[at] !== head || data[at + 1] !== touch || data[at + 2] !== k) continue;
            let same = true;
            for (let i = 0; i < k && same; i++) same = data[at + 3 + i] === serials[i];
            if (!same) continue;
            if (!count) return e - 1;
            if (this.transitions[e - 1] !== undefined) this.hits++;
            else this.misses++;
            return e - 1;
        }
        if (count) this.misses++;
        return this.add(head, touch, k, h);
    }

    /** What the event did in situation `n`, if it has run there. */
    transition(n: number): Transition | undefined {
        return this.transitions[n];
    }

    learn(n: number, t: Transition): void {
        this.transitions[n] = t;
    }

    private add(head: number, touch: number, k: number, h: number): number {
        const n = this.transitions.length;
        if (this.used + 3 + k > this.data.length) this.data = grown(this.data, this.used + 3 + k);
        if (n >= this.starts.length) this.starts = grown(this.starts, n + 1);
        const data = this.data, at = this.used;
        data[at] = head;
        data[at + 1] = touch;
        data[at + 2] = k;
        for (let i = 0; i < k; i++) data[at + 3 + i] = this.serials[i];
        this.used = at + 3 + k;
        this.starts[n] = at;
        this.transitions.push(undefined);
        this.insert(n, h);
        if ((n + 1) * 2 > this.mask + 1) this.rehash();
        return n;
    }

    private insert(n: number, h: number): void {
        const table = this.table;
        let slot = (h ^ (h >>> 15)) & this.mask;
        while (table[2 * slot] !== 0) slot = (slot + 1) & this.mask;
        table[2 * slot] = n + 1;
        table[2 * slot + 1] = h;
    }

    private rehash(): void {
        const old = this.table;
        this.mask = this.mask * 2 + 1;
        this.table = new Int32Array(2 * (this.mask + 1));
        for (let slot = 0; slot < old.length; slot += 2) if (old[slot] !== 0) this.insert(old[slot] - 1, old[slot + 1]);
    }
}

function grown<T extends Int32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(a: T, atLeast: number): T {
    let size = a.length * 2;
    while (size < atLeast) size *= 2;
    const b = new (a.constructor as new (n: number) => T)(size);
    b.set(a);
    return b;
}

/**
 * The objects that `after` holds in place of those of `before` (lists of the same lengths; a
 * list not copied is unchanged), with their slots and ids in `key` (a state key whose machine
 * part is laid out as StateInterner.fill lays it: CPUs, UPIDs, images, runnables).
 */
export function objectChanges(before: MachineObjects, after: MachineObjects, key: Int32Array): ObjectChange[] {
    const out: ObjectChange[] = [];
    let base = 0;
    for (let kind = 0 as 0 | 1 | 2 | 3; kind < 4; kind++) {
        const was = before[LISTS[kind]] as readonly object[], now = after[LISTS[kind]] as readonly object[];
        if (was !== now) {
            for (let i = 0; i < now.length; i++) if (now[i] !== was[i]) out.push({ kind, index: i, object: now[i], slot: base + i, id: key[base + i] });
        }
        base += was.length;
    }
    return out;
}

/** The objects of `from` with a transition's changes in place (lists copied where changed; no other allocation: this runs for every new state). */
export function applyChanges(from: MachineObjects, changes: readonly ObjectChange[]): MachineObjects {
    let cpus = from.cpus, upids = from.upids, images = from.images, runnables = from.runnables;
    for (let i = 0; i < changes.length; i++) {
        const c = changes[i];
        switch (c.kind) {
            case 0:
                if (cpus === from.cpus) cpus = cpus.slice();
                cpus[c.index] = c.object as MachineObjects['cpus'][number];
                break;
            case 1:
                if (upids === from.upids) upids = upids.slice();
                upids[c.index] = c.object as MachineObjects['upids'][number];
                break;
            case 2:
                if (images === from.images) images = images.slice();
                images[c.index] = c.object as MachineObjects['images'][number];
                break;
            default:
                if (runnables === from.runnables) runnables = runnables.slice();
                runnables[c.index] = c.object as MachineObjects['runnables'][number];
        }
    }
    return { cpus, upids, images, runnables };
}
