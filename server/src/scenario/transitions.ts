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


/** What an event met (its key), and, once it has been run there, what it did. */
export interface Situation {
    /** The event: a step's cause times 2, or an IPI's number times 2 plus 1; the low bit of `race` says whether inside the race. */
    readonly event: number;
    readonly race: boolean;
    readonly touch: number;
    /** The serials of the footprint's objects, in the footprint's order. */
    readonly objects: Int32Array;
    transition: Transition | undefined;
}

/** Object serials: one counter for every cache, as an object may pass from one search to the next. */
let nextSerial = 0;

/** The footprint's objects that have one (CPUs, then runnables), in order. */
type Footprint = { readonly cpus: readonly { serial: number }[]; readonly runnables: readonly { serial: number }[] };

export class TransitionCache {
    /** Situations by hash (a few per hash at most). */
    private readonly table = new Map<number, Situation[]>();
    private readonly serials = new Int32Array(32);
    hits = 0;
    misses = 0;

    /**
     * The situation of an event (made on first meeting): `event` numbers the event (a step's
     * cause times 2, an IPI's number times 2 plus 1), `race` says whether its IPIs stay in flight,
     * `touch` is its footprint (PartialOrder's mask: CPUs, then runnables; a runnable's object
     * points at its UPID and image, so it stands for them too); null when it is not cached (an
     * unbounded footprint). Its `transition` is undefined until the event has run there once.
     */
    situation(m: Footprint, event: number, race: boolean, touch: number): Situation | null {
        if (touch === -1) return null;
        const cpus = m.cpus.length, serials = this.serials;
        let h = Math.imul(event * 2 + (race ? 1 : 0), 0x9e3779b1) ^ Math.imul(touch, 0x85ebca6b);
        let k = 0;
        for (let bits = touch, bit = 0; bits !== 0; bits >>>= 1, bit++) {
            if ((bits & 1) === 0) continue;
            const o = bit < cpus ? m.cpus[bit] : m.runnables[bit - cpus];
            const serial = o === undefined ? -2 : o.serial >= 0 ? o.serial : (o.serial = nextSerial++);
            serials[k++] = serial;
            h = Math.imul(h ^ serial, 0xcc9e2d51) + k;
        }
        // a small integer key (31-bit Smi): a larger number would be a heap number, slow to hash
        h &= 0x3fffffff;
        let list = this.table.get(h);
        if (list === undefined) this.table.set(h, list = []);
        for (const s of list) {
            if (s.event !== event || s.race !== race || s.touch !== touch) continue;
            let same = true;
            for (let i = 0; i < k && same; i++) same = s.objects[i] === serials[i];
            if (!same) continue;
            this.hits++;
            return s;
        }
        this.misses++;
        const made: Situation = { event, race, touch, objects: serials.slice(0, k), transition: undefined };
        list.push(made);
        return made;
    }
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
