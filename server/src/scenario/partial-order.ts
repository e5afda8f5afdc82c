/**
 * The partial-order reduction of race exploration: at each state, which of the enabled events
 * must be explored, and which may wait because they commute with everything that can happen
 * before them; and, for the sleep sets of segment-search.ts, which resources an enabled event may
 * touch from a given state ({@link PartialOrder.stepTouches}, {@link PartialOrder.ipiTouches}).
 *
 * The method is a persistent set built from a static interference analysis. Resources are the
 * CPUs (registers and kernel view) and the runnables (XSAVE image, run state, last CPU,
 * delivered vectors, UPID). From a state, every event that can still happen — each branch's
 * remaining steps (a branch is one process, so its steps are joined), the items after the race,
 * each IPI in flight, and the IPIs that remaining SENDUIPIs may send — is mapped to an
 * over-approximation of the resources it may touch, and events that may share a resource are
 * joined (union-find). Events of different classes then touch disjoint state in every future,
 * so they are independent: the enabled events of one class form a persistent set, and exploring
 * only them still reaches every terminal state of the full search (Godefroid 1996, thm 6.4).
 * Findings are part of the explored state and accumulate commutatively, so every fault, hazard
 * and failed expectation of the full search is still found; so is every run-time `semantic`
 * error (recorded in the state too).
 *
 * Where those classes leave one class, {@link PartialOrder.classesAlone} refines them for one
 * branch's next step on a quiet CPU whose incoming IPIs are all ignored there (see it). The same
 * footprints key the transition cache (transitions.ts), so they must hold everything an event reads.
 *
 * Where the analysis cannot bound an event's footprint — `wait` and the kernel vector (whose
 * wake hook walks every waiting task), writes of UPIDADDR/UITTADDR or of a UPID's NV, a
 * non-constant NDST or interrupt vector, hooks that name tasks directly or send IPIs — it
 * answers "no reduction" and the search explores every enabled event.
 */
import type { Ipi } from '../machine/events.js';
import type { Cpu, Machine } from '../machine/state.js';

/** What an IPI's arrival reads of its CPU (PartialOrder.classesAlone). */
export type CpuView = Pick<Cpu, 'uinv' | 'mode' | 'current'>;
import type { VectorSet } from '../machine/vector-set.js';
import * as ast from '../syntax/generated/ast.js';
import { parseNumber } from '../syntax/numbers.js';
import { cpuIndex } from '../syntax/paths.js';
import type { CompiledPolicy } from '../kernel/policy.js';
import type { HookName } from '../syntax/hooks.js';
import type { ProgramItem, RaceItem, StepItem } from './program.js';

/** What one step may touch, found from its text alone. */
interface StepFootprint {
    readonly cpu: number;
    /** The footprint cannot be bounded: no reduction while this step may still run. */
    readonly global: boolean;
    /** Runnables the step names (switch target, xsaves/xrstors target, set/free/put object). */
    readonly names: readonly number[];
    /** A SENDUIPI: it posts to a target of the CPU's live UITT and sends an IPI. */
    readonly sends: boolean;
    /** `set X.upid.ndst = K`: X's notifications may go to cpu K. */
    readonly ndst: readonly (readonly [number, number])[];
    /** Other CPUs whose registers the step's value reads (`wrmsr IA32_UINTR_RR cpu1.uirr`). */
    readonly readsCpus: readonly number[];
}

const NO_NAMES: readonly number[] = [];

/** Hooks that kernel-level actions other than `wait` run (wake runs only for the kernel vector). */
const ACTION_HOOKS: readonly HookName[] = ['switch_out', 'switch_in', 'return_to_user', 'exec', 'exit'];

/**
 * Decides, per exploration state, which enabled events form a persistent set. One instance
 * per race segment (the race and the items after it).
 */
export class PartialOrder {
    private readonly branchSteps: readonly (readonly StepFootprint[])[];
    private readonly postSteps: readonly (StepFootprint | null)[];
    /** True when nothing can be reduced in this segment, whatever the state. */
    readonly disabled: boolean;
    private readonly cpus: number;
    private readonly uinv: bigint;
    private readonly kernelVector: bigint;
    private parent: Int32Array;
    /** Joins made so far (a counter: {@link classes} looks again only after one). */
    private unions = 0;
    /** {@link fixedPart} by positions. */
    private readonly fixed = new Map<number | string, FixedPart | null>();
    /** Whether every (positions, post) fits one exact integer key (else a text). */
    private readonly exactKeys: boolean;
    /** {@link joinsAt} by slot, then by interned id. */
    private readonly joins: (Joins | null)[][] = [];
    /** What {@link classes} returns: one array, written again by every call (its caller reads it at once). */
    private readonly out: Int32Array;
    /** {@link tableTargets} by address. */
    private readonly targets = new Map<bigint, number[]>();
    /** Each step's footprint (branches and items after the race), for {@link stepTouches}. */
    private readonly footOf = new Map<StepItem, StepFootprint>();
    /** Whether every resource (CPUs, then runnables) has a bit of a 31-bit mask: sleep sets need it. */
    readonly sleepable: boolean;

    /**
     * Per branch, by position: the CPUs that its steps from there on run on, read the registers
     * of or send notifications to (an NDST they set), as a mask; -1 for a step that cannot be
     * bounded (see {@link classesAlone}).
     */
    private readonly cpuUse: readonly Int32Array[];
    /** Per branch, by position: whether a step from there on is a SENDUIPI. */
    private readonly sendsUse: readonly Uint8Array[];
    /** Per branch, by position: the runnables its steps from there on name (bit r), as a mask (-1: too many to tell). */
    private readonly namesUse: readonly Int32Array[];
    /** Scratch positions for {@link classesAlone}. */
    private readonly truncated: number[];

    /** After the race, an IPI arrives within the step that sends it (`ipi immediate`), not as an event of its own. */
    private readonly postArrivesNow: boolean;
    private readonly postFootprints: ReadonlySet<StepFootprint>;

    constructor(race: RaceItem, post: readonly ProgramItem[], policy: CompiledPolicy, runnableId: (decl: ast.Task | ast.KThread) => number, config: { cpus: number; uinv: bigint; kernelVector: bigint }, runnables: number, ipiDeferred = false) {
        this.postArrivesNow = !ipiDeferred;
        this.cpus = config.cpus;
        this.uinv = config.uinv;
        this.kernelVector = config.kernelVector;
        const foot = (s: StepItem): StepFootprint => footprint(s, runnableId, config);
        this.branchSteps = race.branches.map(b => b.map(foot));
        this.cpuUse = this.branchSteps.map(steps => {
            const suffix = new Int32Array(steps.length + 1);
            for (let i = steps.length - 1; i >= 0; i--) {
                const f = steps[i];
                let use = f.global ? -1 : 1 << f.cpu;
                for (const k of f.readsCpus) use |= 1 << k;
                for (const [, k] of f.ndst) use |= 1 << k;
                suffix[i] = suffix[i + 1] | use;
            }
            return suffix;
        });
        this.truncated = new Array<number>(race.branches.length).fill(0);
        this.sendsUse = this.branchSteps.map(steps => {
            const suffix = new Uint8Array(steps.length + 1);
            for (let i = steps.length - 1; i >= 0; i--) suffix[i] = suffix[i + 1] | (steps[i].sends ? 1 : 0);
            return suffix;
        });
        this.namesUse = this.branchSteps.map(steps => {
            const suffix = new Int32Array(steps.length + 1);
            for (let i = steps.length - 1; i >= 0; i--) {
                let use = 0;
                for (const n of steps[i].names) use |= n < 31 ? 1 << n : -1;
                for (const [t] of steps[i].ndst) use |= t < 31 ? 1 << t : -1;
                suffix[i] = suffix[i + 1] | use;
            }
            return suffix;
        });
        this.postSteps = post.map(item => (item.kind === 'step' ? foot(item) : null));
        this.postFootprints = new Set(this.postSteps.filter(f => f !== null));
        race.branches.forEach((b, i) => b.forEach((step, k) => this.footOf.set(step, this.branchSteps[i][k])));
        post.forEach((item, k) => { if (item.kind === 'step') this.footOf.set(item, this.postSteps[k]!); });
        this.sleepable = config.cpus + runnables <= 31;
        this.parent = new Int32Array(config.cpus + runnables);
        this.out = new Int32Array(config.cpus);
        this.disabled = !policyIsLocal(policy) || lastStepMatters(post);
        this.exactKeys = this.branchSteps.reduce((n, b) => n * (b.length + 1), post.length + 1) < Number.MAX_SAFE_INTEGER;
    }

    /**
     * The class of each CPU at a state (equal numbers: the CPUs' events may interfere), or
     * null when no reduction is possible there. `pos` is each branch's next step, `post` the
     * next item after the race; the state's key is vector `index` of `keys` (the machine's ids
     * come first). The array returned is written again by the next call. `eventCpus` (the
     * first `events` of them) are the CPUs of the enabled events: once those are all in one
     * class, nothing can be left out and the rest is not computed (null).
     */
    classes(m: Machine, pos: readonly number[], post: number, inFlight: readonly Ipi[], keys: VectorSet, index: number,
        eventCpus: readonly number[], events: number): Int32Array | null {
        if (this.disabled) return null;
        const fixed = this.fixedPart(pos, post);
        if (fixed === null) return null;
        const parent = this.parent;
        parent.set(fixed.parent);
        if (this.joined(eventCpus, events)) return null;
        const slots = m.cpus.length + m.upids.length + m.images.length + m.runnables.length;
        for (let slot = 0; slot < slots; slot++) {
            const j = this.joinsAt(m, slot, keys.at(index, slot));
            if (j === null) return null;
            const before = this.unions;
            this.joinAll(j.always);
            if (j.cpu < 0 ? fixed.anySends : fixed.sendsOn[j.cpu] === 1) this.joinAll(j.sends);
            if (this.unions !== before && this.joined(eventCpus, events)) return null;
        }
        const task = this.cpus;
        for (const ipi of inFlight) {
            if (ipi.vector === this.kernelVector) return null;
            if (ipi.dest >= this.cpus) continue;
            const u = ipi.upid !== null ? m.upidAt(ipi.upid) : undefined;
            if (u) this.union(ipi.dest, task + u.owner);
        }
        const out = this.out;
        for (let c = 0; c < this.cpus; c++) out[c] = this.find(c);
        return out;
    }

    /**
     * {@link classes}, for when they leave one class: the classes of a search that takes branch
     * `b`'s next step e (on CPU c) before anything else of that branch, so that the enabled events
     * of c's class form a persistent set with e in it. They join what the other branches' steps
     * (all of them), e alone of branch b, the state and the IPIs may touch, as {@link classes}
     * does, except one thing: an IPI's arrival at c that is ignored there (not c's UINV, not the
     * kernel vector, its UPID's owner not running on c in user mode) now and once e has run
     * (`after` is CPU c as e leaves it) touches nothing, so it joins nothing to c. That holds in
     * every state the other events lead to before e, when no other branch runs on c, reads its
     * registers or sends notifications there by setting an NDST (c is quiet): then only e changes
     * c, and each such arrival changes nothing before e and nothing after it, so it commutes with
     * e, and with every event outside the set. Ring 2 x L: a branch about to switch to its
     * kthread, its sender running (UINV 0), explores that switch alone though the other
     * branch's IPIs may arrive there meanwhile (664,818 states to about two thirds of that).
     * Null where the rule does not apply (or nothing would be left out: one class).
     */
    classesAlone(m: Machine, pos: readonly number[], post: number, inFlight: readonly Ipi[], keys: VectorSet, index: number, b: number, after: CpuView): Int32Array | null {
        if (this.disabled) return null;
        const e = this.branchSteps[b][pos[b]];
        if (e === undefined || e.global || e.ndst.length > 0 || e.cpu >= this.cpus) return null;
        const c = e.cpu;
        for (let o = 0; o < pos.length; o++) if (o !== b && (this.cpuUse[o][pos[o]] & (1 << c)) !== 0) return null;
        const before = m.cpus[c];
        let named = 0;
        for (let o = 0; o < pos.length; o++) if (o !== b) named |= this.namesUse[o][pos[o]];
        const truncated = this.truncated;
        for (let o = 0; o < pos.length; o++) truncated[o] = pos[o];
        truncated[b] = this.branchSteps[b].length;
        const fixed = this.fixedPart(truncated, post);
        if (fixed === null) return null;
        const parent = this.parent;
        parent.set(fixed.parent);
        const task = this.cpus;
        // e's own joins (computeFixed's for one step)
        for (const n of e.names) this.union(task + n, c);
        for (const k of e.readsCpus) if (k < this.cpus) this.union(k, c);
        const sendsOnC = e.sends || fixed.sendsOn[c] === 1, anySends = e.sends || fixed.anySends;
        const cpus = m.cpus.length, upidsEnd = cpus + m.upids.length;
        const slots = upidsEnd + m.images.length + m.runnables.length;
        for (let slot = 0; slot < slots; slot++) {
            if (slot >= cpus && slot < upidsEnd) {
                // a UPID: its notifications arrive at NDST (slotJoins), but harmlessly at a quiet c
                const u = m.upids[slot - cpus];
                if (u.nv !== this.uinv) return null;
                const ndst = Number(u.ndst);
                if (ndst === c && this.ignoredAt(before, u.nv, u.owner) && this.ignoredAt(after, u.nv, u.owner)) continue;
                if (ndst < this.cpus) this.union(task + u.owner, ndst);
                continue;
            }
            const j = this.joinsAt(m, slot, keys.at(index, slot));
            if (j === null) return null;
            this.joinAll(j.always);
            // a runnable's UITT (its image's) is live only where its state is loaded: for the one
            // current on c, whom no other branch names (no switch to it, no XRSTORS of it), that
            // is c alone before e, so only e may send to its targets
            const owner = slot < upidsEnd ? -1 : slot < upidsEnd + m.images.length ? m.images[slot - upidsEnd].owner : slot - upidsEnd - m.images.length;
            const pinned = owner === before.current && owner < 31 && (named & (1 << owner)) === 0;
            if (pinned ? sendsOnC : j.cpu < 0 ? anySends : j.cpu === c ? sendsOnC : fixed.sendsOn[j.cpu] === 1) this.joinAll(j.sends);
        }
        for (const ipi of inFlight) {
            if (ipi.vector === this.kernelVector) return null;
            if (ipi.dest >= this.cpus) continue;
            const u = ipi.upid !== null ? m.upidAt(ipi.upid) : undefined;
            const owner = u ? u.owner : -1;
            if (ipi.dest === c && this.ignoredAt(before, ipi.vector, owner) && this.ignoredAt(after, ipi.vector, owner)) continue;
            if (u) this.union(ipi.dest, task + u.owner);
        }
        const out = this.out;
        for (let d = 0; d < this.cpus; d++) out[d] = this.find(d);
        return out;
    }

    /**
     * What {@link classesAlone} needs before anything is computed (a quick test, to rule most
     * states out at once): branch b's next step runs on a CPU that no other branch's remaining
     * steps use, and its footprint at the state (`touch`) holds no CPU they use and no runnable
     * they name.
     */
    mayBeAlone(m: Machine, pos: readonly number[], b: number, touch: number): boolean {
        const e = this.branchSteps[b][pos[b]];
        if (e === undefined) return false;
        let cpus = 0, named = 0, sends = 0;
        for (let o = 0; o < pos.length; o++) {
            if (o === b) continue;
            cpus |= this.cpuUse[o][pos[o]];
            named |= this.namesUse[o][pos[o]];
            sends |= this.sendsUse[o][pos[o]];
        }
        if (((cpus & ((1 << this.cpus) - 1)) & (touch | (1 << e.cpu))) !== 0 || ((touch >>> this.cpus) & named) !== 0) return false;
        // a UPID whose notifications go to e's CPU and are not ignored there now joins its owner
        // to that CPU, and a SENDUIPI of another branch joins the owner to its own CPU
        if (sends !== 0) {
            const c = m.cpus[e.cpu];
            for (const u of m.upids) if (Number(u.ndst) === e.cpu && !this.ignoredAt(c, u.nv, u.owner) && this.isTarget(m, u.owner)) return false;
        }
        return true;
    }

    /** Whether some UITT of the machine targets the runnable (UITTs are never written). */
    private isTarget(m: Machine, owner: number): boolean {
        if (this.targeted === null) {
            this.targeted = new Set<number>();
            for (const uitt of m.uittsByAddr.values()) for (const t of this.tableTargets(m, uitt.addr)) this.targeted.add(t);
        }
        return this.targeted.has(owner);
    }

    private targeted: Set<number> | null = null;

    /** Whether an IPI (vector, its UPID's owner or -1) arriving at CPU `c` in this state is ignored: changes nothing (machine/interrupt.ts, arrive). */
    private ignoredAt(c: CpuView, vector: bigint, owner: number): boolean {
        if (vector === this.kernelVector) return false;
        if (vector === c.uinv && vector !== 0n) return false;
        return !(owner >= 0 && c.mode === 'user' && vector !== c.uinv && c.current === owner);
    }

    /**
     * What the steps still to run join, whatever the state: a function of the positions alone,
     * so computed once per (positions, next item after the race). Null: no reduction there.
     */
    private fixedPart(pos: readonly number[], post: number): FixedPart | null {
        let key: number | string = post;
        if (this.exactKeys) for (let b = 0; b < pos.length; b++) key = key * (this.branchSteps[b].length + 1) + pos[b];
        else key = `${post};${pos.join(',')}`;
        let part = this.fixed.get(key);
        if (part === undefined) {
            part = this.computeFixed(pos, post);
            this.fixed.set(key, part);
        }
        return part;
    }

    private computeFixed(pos: readonly number[], post: number): FixedPart | null {
        const inRace = pos.some((p, b) => p < this.branchSteps[b].length);
        // a step after the race becomes enabled by the last step of every branch
        if (inRace && this.postSteps[post]) return null;
        const parent = this.parent;
        for (let i = 0; i < parent.length; i++) parent[i] = i;
        const task = this.cpus;
        const sendsOn = new Uint8Array(this.cpus);
        const process = (steps: readonly (StepFootprint | null)[], from: number): boolean => {
            let first = -1;
            for (let i = from; i < steps.length; i++) {
                const s = steps[i];
                if (!s) continue;
                if (s.global) return false;
                if (first < 0) first = s.cpu;
                this.union(s.cpu, first);
                for (const n of s.names) this.union(task + n, s.cpu);
                for (const k of s.readsCpus) if (k < this.cpus) this.union(k, s.cpu);
                for (const [t, c] of s.ndst) this.union(task + t, c);
                if (s.sends) sendsOn[s.cpu] = 1;
            }
            return true;
        };
        for (let b = 0; b < this.branchSteps.length; b++) if (!process(this.branchSteps[b], pos[b])) return null;
        if (!process(this.postSteps, post)) return null;
        return { parent: parent.slice(), sendsOn, anySends: sendsOn.some(x => x === 1) };
    }

    /**
     * What the object in a slot of the state key joins, whatever the rest of the state (null:
     * no reduction), memoised per slot and interned id: equal ids mean equal fields
     * (machine/clone.ts, StateInterner), and a slot is always the same CPU, UPID, image or
     * runnable, so its owner and UITT are fixed.
     */
    private joinsAt(m: Machine, slot: number, id: number): Joins | null {
        const row = (this.joins[slot] ??= []);
        let j = row[id];
        if (j === undefined) row[id] = j = this.slotJoins(m, slot);
        return j;
    }

    /** {@link joinsAt} computed from the object (slots in StateInterner.fill's order). */
    private slotJoins(m: Machine, slot: number): Joins | null {
        const task = this.cpus;
        const always: number[] = [], sends: number[] = [];
        const make = (cpu: number): Joins => ({ always: Int32Array.from(always), sends: Int32Array.from(sends), cpu });
        if (slot < m.cpus.length) {
            const c = m.cpus[slot];
            always.push(c.index, task + c.current);
            if (c.fpregsOwner >= 0) always.push(c.index, task + c.fpregsOwner);
            const u = m.upidAt(c.upidaddr);
            if (u) always.push(c.index, task + u.owner);
            for (const t of this.tableTargets(m, c.uittaddr)) sends.push(c.index, task + t);
            return make(c.index);
        }
        slot -= m.cpus.length;
        if (slot < m.upids.length) {
            const u = m.upids[slot];
            if (u.nv !== this.uinv) return null;
            const ndst = Number(u.ndst);
            if (ndst < this.cpus) always.push(task + u.owner, ndst);
            return make(-1);
        }
        slot -= m.upids.length;
        if (slot < m.images.length) {
            const img = m.images[slot];
            const u = m.upidAt(img.upidaddr);
            if (u) always.push(task + img.owner, task + u.owner);
            for (const t of this.tableTargets(m, img.uittaddr)) sends.push(task + img.owner, task + t);
            return make(-1);
        }
        const r = m.runnables[slot - m.images.length];
        if (r.state === 'waiting') return null;
        for (const t of this.tableTargets(m, r.uitt?.addr ?? 0n)) sends.push(task + r.id, task + t);
        return make(-1);
    }

    /**
     * Sleep sets (segment-search.ts): the resources a step may touch if it runs at this state,
     * as a mask (bit c: CPU c; bit cpus + r: runnable r, with its UPID, image and run state), or
     * -1 when that cannot be bounded. Two events whose masks are disjoint touch disjoint state
     * from here (the hooks touch only their CPU and the runnables bound to them: the reduction
     * is on only when {@link policyIsLocal}), so they commute. Over-approximated from the
     * state's objects: the CPU, what runs there, its idle thread and FPU owner, the UPID that
     * UPIDADDR points at, the runnables the step names with the UPIDs their images point at,
     * an NDST's CPU, and a SENDUIPI's possible targets.
     */
    stepTouches(m: Machine, step: StepItem): number {
        const f = this.footOf.get(step);
        const c = m.cpus[step.cpu];
        if (!this.sleepable || f === undefined || f.global || c === undefined) return -1;
        let mask = (1 << c.index) | this.runnableMask(m, c.current) | this.runnableMask(m, c.index) | this.upidOwnerMask(m, c.upidaddr);
        if (c.fpregsOwner >= 0) mask |= this.runnableMask(m, c.fpregsOwner);
        for (const n of f.names) mask |= this.runnableMask(m, n);
        for (const k of f.readsCpus) if (k < this.cpus) mask |= 1 << k;
        for (const [t, k] of f.ndst) mask |= this.runnableMask(m, t) | (k < this.cpus ? 1 << k : 0);
        if (f.sends) {
            for (const t of this.tableTargets(m, c.uittaddr)) {
                mask |= this.runnableMask(m, t);
                // after the race with `ipi immediate`, the IPI arrives within the step: at the CPU
                // that the target's NDST names, with what runs there and the UPID it points at
                if (this.postArrivesNow && this.postFootprints.has(f)) {
                    const u = m.runnables[t]?.upid;
                    // the kernel vector (a UPID's NV set to it before the race): the wake hook walks every waiting task
                    if (u && u.nv === this.kernelVector) return -1;
                    const d = u ? m.cpus[Number(u.ndst & 0xffffffffn)] : undefined;
                    if (d !== undefined) mask |= (1 << d.index) | this.runnableMask(m, d.current) | this.upidOwnerMask(m, d.upidaddr);
                }
            }
        }
        return mask;
    }

    /**
     * The resources an IPI's arrival may touch (see {@link stepTouches}): its CPU, what runs
     * there, the UPID that UPIDADDR points at and the one the IPI was posted to; -1 for the
     * kernel vector (the wake hook walks every waiting task). An IPI to no CPU touches nothing.
     */
    ipiTouches(m: Machine, ipi: Ipi): number {
        if (!this.sleepable || ipi.vector === this.kernelVector) return -1;
        const c = m.cpus[ipi.dest];
        if (c === undefined) return 0;
        return (1 << c.index) | this.runnableMask(m, c.current) | this.upidOwnerMask(m, c.upidaddr) | (ipi.upid !== null ? this.upidOwnerMask(m, ipi.upid) : 0);
    }

    /**
     * Whether an IPI's arrival at this state changes nothing but the IPIs in flight: an
     * ordinary vector (not its CPU's UINV, not the kernel vector) at a CPU where the UPID it was
     * posted to is not the current task's in user mode (no notification, nothing lost: the
     * interrupt is spurious). Two such states around another event make the arrival and the
     * event commute there, whatever they touch (sleep sets, segment-search.ts).
     */
    ipiIgnored(m: Machine, ipi: Ipi): boolean {
        const c = m.cpus[ipi.dest];
        if (c === undefined) return true;
        const u = ipi.upid !== null ? m.upidAt(ipi.upid) : undefined;
        return this.ignoredAt(c, ipi.vector, u ? u.owner : -1);
    }

    /** A runnable's bit, and that of the owner of the UPID its XSAVE image points at. */
    private runnableMask(m: Machine, id: number): number {
        const r = m.runnables[id];
        if (r === undefined) return 0;
        return (1 << (this.cpus + id)) | (r.image ? this.upidOwnerMask(m, r.image.upidaddr) : 0);
    }

    /** The bit of the runnable whose UPID is at this address (none there: 0). */
    private upidOwnerMask(m: Machine, addr: bigint): number {
        if (addr === 0n) return 0;
        const u = m.upidAt(addr);
        return u ? 1 << (this.cpus + u.owner) : 0;
    }

    /** Joins each pair of nodes in the list. */
    private joinAll(pairs: Int32Array): void {
        for (let i = 0; i < pairs.length; i += 2) this.union(pairs[i], pairs[i + 1]);
    }

    private find(x: number): number {
        const parent = this.parent;
        while (parent[x] !== x) x = parent[x] = parent[parent[x]];
        return x;
    }

    private union(a: number, b: number): void {
        const ra = this.find(a), rb = this.find(b);
        if (ra !== rb) {
            this.parent[ra] = rb;
            this.unions++;
        }
    }

    /** Whether the CPUs (the first `count`) are all in one class already. */
    private joined(cpus: readonly number[], count: number): boolean {
        const root = this.find(cpus[0]);
        for (let i = 1; i < count; i++) if (this.find(cpus[i]) !== root) return false;
        return true;
    }

    /**
     * The receivers that a UITT at this address (bit 0, the enable bit, ignored) targets:
     * declared entries only; UITTs and the UPID table are never written.
     */
    private tableTargets(m: Machine, addr: bigint): readonly number[] {
        if (addr === 0n) return NO_NAMES;
        let out = this.targets.get(addr);
        if (out === undefined) {
            out = [];
            const table = m.uittsByAddr.get(addr & ~1n);
            for (const e of table?.entries ?? []) {
                const u = m.upidAt(e.upidaddr);
                if (u) out.push(u.owner);
            }
            this.targets.set(addr, out);
        }
        return out;
    }
}

/** What the object in one slot of a state key joins (see PartialOrder.joinsAt). */
interface Joins {
    /** Pairs of nodes joined always. */
    readonly always: Int32Array;
    /** Pairs joined while a SENDUIPI may still run: from this CPU (a CPU's), anywhere (cpu -1). */
    readonly sends: Int32Array;
    readonly cpu: number;
}

/** The part of the classes that the positions alone decide (see PartialOrder.fixedPart). */
interface FixedPart {
    /** The union-find forest after the remaining steps' joins. */
    readonly parent: Int32Array;
    /** CPUs where a remaining step is a SENDUIPI. */
    readonly sendsOn: Uint8Array;
    readonly anySends: boolean;
}

function footprint(s: StepItem, runnableId: (decl: ast.Task | ast.KThread) => number, config: { uinv: bigint; kernelVector: bigint }): StepFootprint {
    const a = s.node.action;
    const base = { cpu: s.cpu, global: false, names: NO_NAMES, sends: false, ndst: [] as [number, number][], readsCpus: NO_NAMES };
    const named = (ref: ast.NamedElement | undefined): number[] | null =>
        ref && (ast.isTask(ref) || ast.isKThread(ref)) ? [runnableId(ref)] : null;
    if (ast.isSwitchAction(a)) {
        if (a.idle) return base;
        const n = named(a.target?.ref);
        return n ? { ...base, names: n } : { ...base, global: true };
    }
    if (ast.isWaitAction(a)) return { ...base, global: true };
    if (ast.isExecAction(a) || ast.isExitAction(a) || ast.isFlagAction(a)) return base;
    if (ast.isXsavesAction(a) || ast.isXrstorsAction(a)) {
        if (ast.isXrstorsAction(a) && a.init) return base;
        const n = named(a.target?.ref?.ref);
        return n ? { ...base, names: n } : { ...base, global: true };
    }
    if (ast.isWrmsrAction(a)) {
        if (a.msr === 'IA32_UINTR_PD' || a.msr === 'IA32_UINTR_TT') return { ...base, global: true };
        const reads = valueReads(a.value, runnableId);
        return reads ? { ...base, names: reads.names, readsCpus: reads.cpus } : { ...base, global: true };
    }
    if (ast.isSenduipiAction(a)) {
        // its index is a value like any other (`senduipi cpu2.uif`, `senduipi ry.upid.on`)
        const reads = valueReads(a.index, runnableId);
        return reads ? { ...base, sends: true, names: reads.names, readsCpus: reads.cpus } : { ...base, global: true };
    }
    if (ast.isInterruptAction(a)) {
        const v = constant(a.vector, config);
        // an ordinary vector is ignored; the notification vector touches this CPU's UPID
        return v === undefined || (v & 0xffn) === config.kernelVector ? { ...base, global: true } : base;
    }
    if (ast.isSetAction(a) || ast.isFreeAction(a)) {
        const n = named(a.path.head.ref?.ref);
        if (!n) return { ...base, global: true };
        const [obj, field] = a.path.segments;
        if (ast.isSetAction(a)) {
            if (obj === 'xsave' && (field === 'upidaddr' || field === 'uittaddr')) return { ...base, global: true };
            if (obj === 'upid' && field === 'nv') return { ...base, global: true };
            const reads = valueReads(a.value, runnableId);
            if (!reads) return { ...base, global: true };
            const names = [...n, ...reads.names];
            if (obj === 'upid' && field === 'ndst') {
                const k = a.op === '=' ? constant(a.value, config) : undefined;
                if (k === undefined) return { ...base, global: true };
                return { ...base, names, readsCpus: reads.cpus, ndst: [[n[0], Number(k & 0xffffffffn)]] };
            }
            return { ...base, names, readsCpus: reads.cpus };
        }
        return { ...base, names: n };
    }
    return { ...base, global: true };
}

/**
 * What a step's value expression reads besides constants: the CPUs whose registers it names
 * (`cpu1.uif`) and the runnables whose UPID or image fields it names (`rx.upid.pir`); an
 * object's address (`rx.upid`) and a CPU's index (`cpu1`) are constants. Null when a path's
 * head is something else (then the footprint cannot be bounded).
 */
function valueReads(e: ast.Expr, runnableId: (decl: ast.Task | ast.KThread) => number): { cpus: number[]; names: number[] } | null {
    const cpus: number[] = [], names: number[] = [];
    const walk = (x: ast.Expr): boolean => {
        if (ast.isBinExpr(x)) return walk(x.left) && walk(x.right);
        if (ast.isNotExpr(x)) return walk(x.operand);
        if (!ast.isPathExpr(x)) return true; // a number, uinv, kernel_vector, a word
        if (x.segments.length === 0 && x.head.cpu !== undefined) return true;
        if (x.head.cpu !== undefined) {
            cpus.push(cpuIndex(x.head.cpu));
            return true;
        }
        const ref = x.head.ref?.ref;
        if (!ref || !(ast.isTask(ref) || ast.isKThread(ref))) return false;
        if (x.segments.length >= 2) names.push(runnableId(ref));
        return true;
    };
    return walk(e) ? { cpus, names } : null;
}

/** The value of a constant expression (a number, `uinv` or `kernel_vector`), else undefined. */
function constant(e: ast.Expr, config: { uinv: bigint; kernelVector: bigint }): bigint | undefined {
    if (ast.isNumberLit(e)) return parseNumber(e.value) ?? undefined;
    if (ast.isConstExpr(e)) return e.name === 'uinv' ? config.uinv : config.kernelVector;
    return undefined;
}

/**
 * True when the hooks that kernel actions run touch only the CPU they run on and the
 * runnables bound to them (`prev`, `next`, `cur`): no `foreach`, `wake` or SENDUIPI, no object
 * named directly, no interrupt but the notification vector, no write of UPIDADDR, UITTADDR, or
 * a UPID's NV, NDST set only to `cpu`, and no WRMSR of IA32_UINTR_PD/TT but 0.
 */
function policyIsLocal(policy: CompiledPolicy): boolean {
    for (const name of ACTION_HOOKS) {
        const hook = policy.hooks[name];
        if (hook && !hook.node.body.every(stmtIsLocal)) return false;
    }
    return true;
}

function stmtIsLocal(s: ast.Stmt): boolean {
    if (ast.isIfStmt(s)) return condIsLocal(s.cond) && s.then.every(stmtIsLocal) && s.else.every(stmtIsLocal);
    if (ast.isForeachStmt(s) || ast.isWakeStmt(s) || ast.isSenduipiAction(s)) return false;
    if (ast.isTakeStmt(s)) return pathIsBound(s.source) && pathIsBound(s.target);
    if (ast.isXsavesAction(s)) return s.target.bound !== undefined;
    if (ast.isXrstorsAction(s)) return s.init || s.target?.bound !== undefined;
    if (ast.isWrmsrAction(s)) {
        if (s.msr !== 'IA32_UINTR_PD' && s.msr !== 'IA32_UINTR_TT') return exprIsLocal(s.value);
        return ast.isNumberLit(s.value) && parseNumber(s.value.value) === 0n;
    }
    if (ast.isInterruptAction(s)) return ast.isConstExpr(s.vector) && s.vector.name === 'uinv';
    if (ast.isFreeAction(s)) return pathIsBound(s.path);
    if (ast.isSetAction(s)) {
        if (!pathIsBound(s.path) || !exprIsLocal(s.value)) return false;
        const [obj, field] = s.path.segments;
        if (obj === 'xsave' && (field === 'upidaddr' || field === 'uittaddr')) return false;
        if (obj === 'upid' && field === 'nv') return false;
        if (obj === 'upid' && field === 'ndst') return ast.isPathExpr(s.value) && s.value.head.bound === 'cpu' && s.value.segments.length === 0;
        return true;
    }
    return ast.isFlagAction(s);
}

function condIsLocal(c: ast.Cond): boolean {
    if (ast.isPredCond(c)) return c.arg.bound !== undefined;
    if (ast.isCmpCond(c)) return c.right !== undefined && exprIsLocal(c.left) && exprIsLocal(c.right);
    if (ast.isNotCond(c)) return condIsLocal(c.operand);
    if (ast.isAndCond(c) || ast.isOrCond(c)) return condIsLocal(c.left) && condIsLocal(c.right);
    return false;
}

function exprIsLocal(e: ast.Expr): boolean {
    if (ast.isBinExpr(e)) return exprIsLocal(e.left) && exprIsLocal(e.right);
    if (ast.isNotExpr(e)) return exprIsLocal(e.operand);
    if (ast.isPathExpr(e)) return pathIsBound(e);
    return ast.isNumberLit(e) || ast.isConstExpr(e) || ast.isWordExpr(e);
}

/** A path whose head is `cpu`, `prev`, `next` or `cur`. */
function pathIsBound(p: ast.PathExpr): boolean {
    return p.head.bound !== undefined;
}

/**
 * `expect gp` right after the race (no step in between) looks at each interleaving's last
 * step, which depends on the order of otherwise independent steps.
 */
export function lastStepMatters(post: readonly ProgramItem[]): boolean {
    for (const item of post) {
        if (item.kind === 'step') return false;
        if (item.kind === 'expect' && item.form === 'gp') return true;
    }
    return false;
}
