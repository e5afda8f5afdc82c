/**
 * The breadth-first search of one race segment (the race and the items after it, up to the
 * next race or the end), for race-explorer.ts: states kept as their machine objects and keyed
 * as integer vectors (machine/clone.ts, machine/vector-set.ts), the partial-order reduction and
 * sleep sets (partial-order.ts), the findings of every complete interleaving with the shortest
 * prefix found to each, and the end states a later race starts from.
 */
import { changedObjects, copyObjects, StateInterner } from '../machine/clone.js';
import { ipiKey, type Ipi } from '../machine/events.js';
import { NO_CAUSE, type Cpu, type MachineObjects } from '../machine/state.js';
import { UndoLog } from '../machine/undo-log.js';
import { slotHash, SlotSum, VectorSet } from '../machine/vector-set.js';
import { arrivalText, counterexample, endArrivalSteps, replay } from './counterexample.js';
import type { DiagnosticCode } from './diagnostics.js';
import { lastStepMatters, PartialOrder, type CpuView } from './partial-order.js';
import type { ExpectItem, ProgramItem, RaceItem, StepItem } from './program.js';
import type { CounterStep, ExploreOptions, Found, RaceReport, ReplayEvent } from './race-explorer.js';
import { GP_CODES, RunnerMark, type Runner, type RunnerState } from './run.js';
import { sourceText } from './source-text.js';
import { applyChanges, objectChanges, TransitionCache, type Transition } from './transitions.js';

/** Distinct states per race beyond which the search does not go (`--max-states`). */
export const DEFAULT_MAX_STATES = 200_000;
/** Events in one interleaving, counted from the race, beyond which the search does not go (`--max-depth`). */
export const DEFAULT_MAX_DEPTH = 10_000;

/** Interleavings drawn at random and run to their end when a bound cuts a race's search (see SegmentSearch.probe). */
export const PROBES = 64;

/** A seeded source of numbers in [0, 1) (xorshift32): the same draws on every run. */
function xorshift32(seed: number): () => number {
    let x = seed >>> 0 || 0x2545_f491;
    return () => {
        x = (x ^ (x << 13)) >>> 0;
        x = (x ^ (x >>> 17)) >>> 0;
        x = (x ^ (x << 5)) >>> 0;
        return x / 4294967296;
    };
}

/**
 * The memory the distinct states of one race may take by default, in bytes: the default bound
 * on states is lowered on a machine so large that 200,000 of its states would take more. A
 * state costs about 1.3 KB plus 9 bytes per machine object keyed (measured: 2.7 KB at 160
 * objects, 28 KB at 3,100), so a race on 64 CPUs with 2,000 tasks ran out of a 4 GB heap (a
 * 50 KB file) before it reached 200,000. Each branch of the race adds about 12 bytes (its
 * position, in the state and in its key: 12.3 KB a state with 1,000 branches on 64 CPUs, where
 * 200,000 states took 2.7 GB). An explicit `--max-states` is taken as given.
 */
export const DEFAULT_STATE_MEMORY = 1_000_000_000;

/** The default bound on a race's distinct states for a machine whose states key `width` objects, in a race of `branches` branches. */
export function defaultMaxStates(width: number, memory = DEFAULT_STATE_MEMORY, branches = 0): number {
    return Math.max(1_000, Math.min(DEFAULT_MAX_STATES, Math.floor(memory / (1_300 + 9 * width + 12 * branches))));
}

/**
 * How a later race's start state was reached: the interleaving of the segment before it (that
 * race and the items after it, with the IPIs that arrived at its end) that first led there,
 * from that segment's own start.
 */
export interface SegmentLead {
    readonly race: RaceItem;
    readonly post: readonly ProgramItem[];
    readonly steps: readonly CounterStep[];
    readonly origin: Runner;
}

interface PathLink {
    readonly step: CounterStep;
    readonly prev: PathLink | null;
}

/**
 * A state of the search: the machine's objects (shared with the states it was reached from, but
 * those its event wrote; held in the node itself, one object less per state), and the runner's
 * own state (IPIs in flight and deferred, findings, events, ...).
 */
interface Node extends RunnerState, MachineObjects {
    /** The runner the interleaving started from (a start state of the race). */
    readonly origin: Runner;
    readonly pos: number[];
    post: number;
    readonly path: PathLink | null;
    /** The index of this node's key in the visited set (its machine part is a new key's base). */
    stored: number;
    /**
     * Sleep sets: -1 for a state's first expansion; else the events (by bit, see
     * SegmentSearch.footprints) that this state, expanded before with them asleep, must still
     * explore (reached again with a sleep set without them).
     */
    readonly only: number;
}

function pathOf(link: PathLink | null, length: number): CounterStep[] {
    const out: CounterStep[] = [];
    for (let l = link; l; l = l.prev) out.push(l.step);
    out.reverse();
    return out.slice(0, length);
}

function itemText(item: StepItem | ExpectItem): string {
    return item.node.$cstNode ? sourceText(item.node) : item.kind === 'expect' ? 'expect' : '';
}

/** Sorts a short list of numbers in place (insertion sort: Array.prototype.sort allocates a work array per call). */
function sortSmall(a: number[], length: number): void {
    for (let i = 1; i < length; i++) {
        const x = a[i];
        let j = i - 1;
        while (j >= 0 && a[j] > x) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = x;
    }
}

/** A node of {@link ListIds}: the id of the list that ends here, and the longer lists. */
interface ListNode {
    readonly id: number;
    next: Map<number, ListNode> | null;
}

/**
 * Ids of lists of small integers (the empty list is 0), as a trie of maps keyed by numbers:
 * no text is built to tell two lists apart.
 */
class ListIds {
    private readonly root = new Map<number, ListNode>();
    private count = 0;

    /** The id of the list of the first `length` items. */
    id(items: readonly number[], length: number): number {
        let node: ListNode | undefined;
        for (let i = 0; i < length; i++) {
            const x = items[i];
            const level: Map<number, ListNode> = node ? (node.next ??= new Map()) : this.root;
            node = level.get(x);
            if (node === undefined) level.set(x, node = { id: ++this.count, next: null });
        }
        return node?.id ?? 0;
    }
}

/** What {@link SegmentSearch} tries at a state: an IPI in flight arrives, a branch's next step, the next item after the race. */
const enum EventKind { Ipi, Branch, Post }

/** Whether the reduction lets an event on `cpu` run: no class chosen, or the CPU is in the chosen one. */
function allowed(cpu: number, classes: Int32Array | null, chosen: number): boolean {
    return chosen < 0 || (cpu < classes!.length && classes![cpu] === chosen);
}

/**
 * The breadth-first search of one race and the items after it (up to the next race or the
 * end), from one or more start states. Each state is keyed when it is generated and kept only
 * the first time, so the queue holds distinct states only.
 */
export class SegmentSearch {
    /** The states seen, as integer vectors (see {@link key}); made with the first key. */
    private visited: VectorSet | null = null;
    private scratch = new Int32Array(0);
    /** How many integers of a key the machine's objects take (StateInterner.width). */
    private machineWidth = 0;
    /** The SlotSum of each visited state's machine part, by its index (a new key's starts from its parent's). */
    private machineSums = new Int32Array(1024);
    /** The last key's machine-part SlotSum and its hash, as {@link key} made them. */
    private keyMachineSum = 0;
    private keyHash = 0;
    private readonly interner = new StateInterner();
    /** Interned texts of the findings and of the semantic errors in a key (sets, as sorted texts). */
    private readonly lists = new Map<string, number>([['', 0]]);
    /** Each IPI's number, by its key (equal vector, destination, UPID and sender: equal numbers), and the lists' ids. */
    private readonly ipiTexts = new Map<string, number>();
    private readonly inFlightLists = new ListIds();
    private readonly deferredLists = new ListIds();
    /**
     * The runner state loaded on the working runner (see {@link load}), and the lengths of its
     * lists then: a key made from its node's re-keys a list only when the runner holds another
     * one (the runner never changes an IPI list in place, it replaces it) or added to it.
     */
    private loaded: RunnerState | null = null;
    private loadedFindings = 0;
    private loadedSemantics = 0;
    private readonly ends = new Map<string, Runner>();
    /** How each end state in {@link ends} was first reached (kept when a later race starts from it). */
    private readonly endLeads = new Map<Runner, SegmentLead>();
    private readonly codes: DiagnosticCode[] = [];
    /** Each finding of a complete interleaving (code and line), with the shortest prefix found to it. */
    private readonly candidates = new Map<string, Found>();
    private interleavings = 0;
    private cutBy: 'states' | 'depth' | 'time' | null = null;
    private reducedStates = 0;
    private sleptEvents = 0;
    private readonly queue: (Node | undefined)[] = [];
    private head = 0;
    /** The shortest prefix at which each finding (code and line) first arose. */
    private readonly firstSeen = new Map<string, Found>();
    /** The counterexample step of each item (an item is in one branch or after the race: one event). */
    private readonly steps = new Map<StepItem | ExpectItem, CounterStep>();
    /** The counterexample steps of IPI arrivals, by the IPI's key and its index in flight. */
    private readonly arrivals = new Map<string, CounterStep[]>();
    /** Whether the node being expanded is inside the race (its IPI arrivals run in race mode). */
    private inRace = false;
    /** What {@link tryEvent} keeps of the working runner (one object, filled per event). */
    private readonly mark = new RunnerMark();
    /**
     * Scratch lists (eventCpus, ipiList): made once and written from the start for each use,
     * with the length in use kept apart (emptying an array gives its capacity back, see UndoLog).
     */
    private readonly cpuScratch: number[] = [];
    private readonly idScratch: number[] = [];
    private readonly por: PartialOrder | null;
    /**
     * Sleep sets (null: off): per visited state (by index), the events asleep there (bits, see
     * {@link footprints}), and whether it has been expanded.
     */
    private sleepOf: Int32Array | null = null;
    private expandedAt: Uint8Array | null = null;
    /** The enabled events of the state being expanded (see {@link expand}), with their bits and footprints. */
    private readonly evKind: EventKind[] = [];
    private readonly evArg: number[] = [];
    private readonly evBit: number[] = [];
    private readonly evTouch: number[] = [];
    private readonly evTry: boolean[] = [];
    /** The IPI of each arrival event in that list (as it is at the state: an event may change the list). */
    private readonly evIpi: (Ipi | null)[] = [];
    /** Sleep sets: the arrivals of that list that change nothing at the state (PartialOrder.ipiIgnored), by bit. */
    private evIgnored = 0;
    private evCount = 0;
    private maxStates: number;
    /** Whether {@link maxStates} is the default (lowered for a large machine when the first state is keyed). */
    private readonly defaultBound: boolean;
    private readonly stateMemory: number | undefined;
    private readonly maxDepth: number;
    /** Whether the state key holds the last step run (see PartialOrder's lastStepMatters). */
    private readonly lastStepMatters: boolean;
    /** The runner every state is explored on in turn (see {@link load}). */
    private readonly work: Runner;
    /** The undo log that {@link tryEvent} lends the machine it tries an event on. */
    private readonly undo = new UndoLog();
    /** Events' outcomes by situation, applied again instead of run again (transitions.ts); null without the footprints. */
    private readonly transitions: TransitionCache | null;
    complete = false;
    /** The start states (see {@link probe}). */
    private readonly origins: readonly Runner[];
    private probed = false;

    constructor(main: Runner, private readonly race: RaceItem, private readonly post: readonly ProgramItem[], private readonly last: boolean,
        starts: Runner[], options: ExploreOptions, private readonly leadOf: (start: Runner) => SegmentLead | undefined = () => undefined) {
        this.origins = starts;
        this.maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
        this.defaultBound = options.maxStates === undefined;
        this.stateMemory = options.stateMemory;
        this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
        const program = main.program;
        const por = options.reduction === false ? null
            : new PartialOrder(race, post, main.kernel.policy, program.env.runnableId, program.config, main.m.runnables.length, program.ipiDeferred);
        this.por = por && !por.disabled ? por : null;
        if (this.por && this.por.sleepable && options.sleepSets !== false) {
            this.sleepOf = new Int32Array(1024);
            this.expandedAt = new Uint8Array(1024);
        }
        this.lastStepMatters = lastStepMatters(post);
        this.transitions = this.por && this.por.sleepable && options.transitionCache !== false ? new TransitionCache() : null;
        this.work = starts[0].fork();
        this.work.m.internIpis = true;
        for (const s of starts) {
            this.enqueue({
                origin: s, ...copyObjects(s.m),
                deferred: s.deferred, inFlight: s.inFlight, lostAt: s.lostAt, lastStep: s.lastStep, findings: [], semantics: [], events: 0,
                pos: race.branches.map(() => 0), post: 0, path: null, stored: -1, only: -1,
            });
        }
    }

    get states(): number {
        return this.visited?.size ?? 0;
    }

    /** Whether the step of `cause` may be the last step run in an interleaving: the last of its branch. */
    private mayRunLast(cause: number): boolean {
        return this.race.branches.some(b => b.length > 0 && b[b.length - 1].cause === cause);
    }

    /** Ends the search where it is, as cut by time. */
    stop(): void {
        this.cutBy = 'time';
        this.complete = true;
    }

    /** Explores up to `budget` states; returns what is left of the budget. */
    advance(budget: number): number {
        while (budget > 0 && this.head < this.queue.length && this.cutBy !== 'states') {
            const n = this.queue[this.head]!;
            this.queue[this.head++] = undefined; // let finished nodes be collected
            budget--;
            this.expand(n);
        }
        if (this.head >= this.queue.length || this.cutBy === 'states') this.complete = true;
        return budget;
    }

    result(): { report: RaceReport; ends: Runner[]; leads: ReadonlyMap<Runner, SegmentLead> } {
        const { race, post, last } = this;
        if (this.cutBy !== null && !this.probed) {
            this.probed = true;
            if (this.interleavings === 0) this.probe(() => 0);
            // and interleavings drawn at random (seeded by the race: results stay deterministic),
            // each run to its end: a breadth-first search cut by a bound has finished none of
            // the deep ones, where a finding raised at the end of the segment is (never-delivered)
            // (not counted as explored: the same one may be drawn twice, and `interleavings` counts them merged)
            const random = xorshift32(0x9e37_79b9 ^ race.cause);
            const counted = this.interleavings;
            for (let i = 0; i < PROBES; i++) this.probe(n => Math.floor(random() * n));
            this.interleavings = counted;
        }
        if (this.cutBy !== null) {
            // cut: what arose on the way is real too (a fault or a failed expectation holds in
            // every completion of the prefix that raised it), though no finished interleaving
            // may have met it (decisions.md #3)
            for (const [key, found] of this.firstSeen) {
                if (this.candidates.has(key)) continue;
                // except a #GP that an `expect gp` right after the race expects in a completion
                // where its step runs last (SEMANTICS §8): it does not hold in every one
                if (this.lastStepMatters && GP_CODES.has(found.finding.code) && this.mayRunLast(found.finding.cause)) continue;
                this.candidates.set(key, found);
                if (!this.codes.includes(found.finding.code)) this.codes.push(found.finding.code);
            }
        }
        const chosen = counterexample([...this.candidates.values()], race, post, last);
        const b = chosen ? { ...chosen.found, path: chosen.path, finding: { ...chosen.found.finding, at: chosen.path.length } } : null;
        // the code the counterexample exhibits comes first (LANGUAGE.md §7: "exhibits the first of them")
        const codes = b ? [b.finding.code, ...this.codes.filter(c => c !== b.finding.code)] : this.codes;
        const chain: SegmentLead[] = [];
        for (let l = b ? this.leadOf(b.origin) : undefined; l; l = this.leadOf(l.origin)) chain.unshift(l);
        return {
            report: {
                cause: race.cause, interleavings: this.interleavings, states: this.states, codes,
                counterexample: b ? b.path : null, finding: b ? b.finding : null, truncated: this.cutBy !== null, cutBy: this.cutBy,
                reducedStates: this.reducedStates, sleptEvents: this.sleptEvents, cachedEvents: this.transitions?.hits ?? 0,
                replay: () => (b ? replay(b.origin, race, post, b.path) : []),
                leadIn: chain.map(l => ({ race: l.race.cause, steps: l.steps })),
                replayLeadIn: () => chain.flatMap(l => replay(l.origin, l.race, l.post, l.steps).map(x => ({ ...x, race: l.race.cause }))),
            },
            ends: [...this.ends.values()],
            leads: this.endLeads,
        };
    }

    /**
     * The node's key, in a scratch vector: the interned id of each machine object, each
     * branch's position, the position after the race, the IPIs in flight (a multiset) and
     * deferred (a sequence), whether a notification was lost, the last step (only where an
     * `expect gp` reads it), and the findings and run-time semantic errors (sets). Given the
     * key of the node the state was reached from (`from`, its index in the visited set), only
     * the machine objects written since (Machine.undo) are keyed again.
     */
    private key(r: Runner, pos: readonly number[], post: number, from = -1): Int32Array {
        if (!this.visited) {
            this.machineWidth = StateInterner.width(r.m);
            if (this.defaultBound) this.maxStates = defaultMaxStates(this.machineWidth, this.stateMemory, pos.length);
            const width = this.machineWidth + pos.length + 7;
            this.visited = new VectorSet(width);
            this.scratch = new Int32Array(width);
        }
        const v = this.scratch;
        // from a node's key, only what the event changed is keyed again: the objects it wrote,
        // and each list only when the runner holds another one or added to it
        // the hash is a sum over the slots (SlotSum): the machine part's is the parent's plus
        // what the objects written changed; the rest (a few slots) is summed again
        const loaded = from >= 0 && r.m.undo ? this.loaded : null;
        let machineSum: number;
        if (loaded) {
            this.visited.copyTo(from, v, v.length);
            machineSum = (this.machineSums[from] + this.interner.refill(r.m, v, 0, r.m.undo!)) | 0;
        } else {
            this.interner.fill(r.m, v, 0);
            machineSum = SlotSum.of(v, 0, this.machineWidth);
        }
        return this.keyRest(r, pos, post, loaded, machineSum);
    }

    /** {@link key} of the state a cached transition leads to from the node at `from` (the node loaded): its changed objects' ids put in. */
    private keyAfter(r: Runner, pos: readonly number[], post: number, from: number, t: Transition): Int32Array {
        const v = this.scratch;
        this.visited!.copyTo(from, v, v.length);
        let machineSum = this.machineSums[from];
        for (const c of t.changes) {
            const old = v[c.slot];
            if (old === c.id) continue;
            machineSum = (machineSum + slotHash(c.slot, c.id) - slotHash(c.slot, old)) | 0;
            v[c.slot] = c.id;
        }
        return this.keyRest(r, pos, post, this.loaded, machineSum);
    }

    /** The runner's part of a key (after the machine's, in the scratch vector), and the key's hash. */
    private keyRest(r: Runner, pos: readonly number[], post: number, loaded: RunnerState | null, machineSum: number): Int32Array {
        const v = this.scratch;
        let at = this.machineWidth;
        for (const p of pos) v[at++] = p;
        v[at++] = post;
        if (!loaded || r.inFlight !== loaded.inFlight) v[at] = this.ipiList(r.inFlight, true);
        at++;
        if (!loaded || r.deferred !== loaded.deferred) v[at] = this.ipiList(r.deferred, false);
        at++;
        v[at++] = r.lostAt !== NO_CAUSE ? 1 : 0;
        v[at++] = this.lastStepMatters ? r.lastStep : 0;
        const findings = r.findings!, semantics = r.semantics!;
        if (!loaded || findings.length !== this.loadedFindings) v[at] = findings.length ? this.list([...new Set(findings.map(f => `${f.code}@${f.cause}`))].sort().join(';')) : 0;
        at++;
        if (!loaded || semantics.length !== this.loadedSemantics) v[at] = semantics.length ? this.list([...new Set(semantics)].sort().join(';')) : 0;
        this.keyMachineSum = machineSum;
        this.keyHash = SlotSum.hash((machineSum + SlotSum.of(v, this.machineWidth, v.length)) | 0);
        return v;
    }

    /** The id of a list of IPIs: a multiset (in flight) or a sequence (deferred). */
    private ipiList(ipis: readonly Ipi[], multiset: boolean): number {
        if (ipis.length === 0) return 0;
        const ids = this.idScratch;
        for (let i = 0; i < ipis.length; i++) {
            const text = ipiKey(ipis[i]); // made once per IPI object (machine/events.ts)
            let id = this.ipiTexts.get(text);
            if (id === undefined) this.ipiTexts.set(text, id = this.ipiTexts.size);
            ids[i] = id;
        }
        if (multiset) sortSmall(ids, ipis.length);
        return (multiset ? this.inFlightLists : this.deferredLists).id(ids, ipis.length);
    }

    private list(text: string): number {
        let id = this.lists.get(text);
        if (id === undefined) this.lists.set(text, id = this.lists.size);
        return id;
    }

    /** Keeps a node whose state was not seen before (unless the bound is reached). */
    private enqueue(c: Node): void {
        this.load(c);
        c.stored = this.admit(this.key(this.work, c.pos, c.post));
        if (c.stored >= 0) this.queue.push(c);
    }

    /** Makes the working runner hold the node's state. */
    private load(n: Node): void {
        this.work.m.load(n);
        this.work.resume(n);
        this.loaded = n;
        this.loadedFindings = n.findings.length;
        this.loadedSemantics = n.semantics.length;
    }

    /** Adds the key to the visited states: its index there, or -1 when it was seen before (or the bound is reached). */
    private admit(key: Int32Array): number {
        const index = this.admitOrFind(key);
        return index >= 0 ? index : -1;
    }

    /**
     * {@link admit}, but a state seen before gives `-2 - index` (its index in the visited set);
     * -1 only when the bound is reached.
     */
    private admitOrFind(key: Int32Array): number {
        const visited = this.visited!;
        if (visited.size >= this.maxStates) {
            // at the bound a state seen before is still told (sleep sets may have to explore more from it)
            const seen = visited.find(key, this.keyHash);
            if (seen < 0) this.cutBy = 'states';
            return seen < 0 ? -1 : -2 - seen;
        }
        const index = visited.addOrFind(key, this.keyHash);
        if (index >= 0) {
            if (index >= this.machineSums.length) {
                const grown = new Int32Array(this.machineSums.length * 2);
                grown.set(this.machineSums);
                this.machineSums = grown;
                if (this.sleepOf) {
                    const sleep = new Int32Array(grown.length);
                    sleep.set(this.sleepOf);
                    this.sleepOf = sleep;
                    const expanded = new Uint8Array(grown.length);
                    expanded.set(this.expandedAt!);
                    this.expandedAt = expanded;
                }
            }
            this.machineSums[index] = this.keyMachineSum;
        }
        return index;
    }

    /** The item's counterexample step: a branch's next step (`branch` >= 0) or the next item after the race. */
    private stepOf(item: StepItem | ExpectItem, branch: number): CounterStep {
        let s = this.steps.get(item);
        if (s === undefined) {
            const event: ReplayEvent = branch >= 0 ? { kind: 'branch', branch } : { kind: 'post' };
            this.steps.set(item, s = { cause: item.cause, text: itemText(item), event });
        }
        return s;
    }

    /**
     * Tries one event on the node's own state, in place: records the findings it raises, keys
     * the state it leads to, and copies that state into a new node only when it was not seen
     * before. Then every write is undone (Machine.undo) and the node's runner put back, so a
     * state is copied once, not once per event that reaches it.
     */
    private tryEvent(n: Node, step: CounterStep, event: EventKind, arg: number, item: StepItem | ExpectItem | null, sleep = 0, ignoredBefore = 0, touch = -2): void {
        const r = this.work;
        const mark = r.save(this.mark);
        r.m.undo = this.undo;
        const branch = event === EventKind.Branch ? arg : -1;
        // what the event meets (transitions.ts), on the state before it: seen before, its outcome
        // is applied instead of run
        const situation = this.transitions !== null ? this.situationOf(event, arg, item, touch) : -1;
        const cached = situation >= 0 ? this.transitions!.transition(situation) : undefined;
        // the node's positions are moved for the key and put back after; copied only for a new node
        if (branch >= 0) n.pos[branch]++;
        try {
            r.events++;
            const post = event === EventKind.Post ? n.post + 1 : n.post;
            if (cached !== undefined) {
                this.redo(r, cached, event, arg, item);
            } else if (event === EventKind.Ipi) {
                r.raceMode = this.inRace;
                r.arriveInFlight(arg);
            } else {
                r.raceMode = event === EventKind.Branch;
                if (item!.kind === 'step') r.step(item!);
                else r.expectItem(item!);
            }
            let path: PathLink | null = null;
            for (const f of r.findings!) {
                if (f.at !== r.events) continue;
                const k = `${f.code}@${f.cause}`;
                path ??= { step, prev: n.path };
                if (!this.firstSeen.has(k)) this.firstSeen.set(k, { finding: f, path: pathOf(path, f.at), origin: n.origin });
            }
            if (ignoredBefore !== 0) sleep |= cached !== undefined ? this.stillIgnoredAfter(n, cached, ignoredBefore) : this.stillIgnored(ignoredBefore);
            const key = cached !== undefined ? this.keyAfter(r, n.pos, post, n.stored, cached) : this.key(r, n.pos, post, n.stored);
            let objects: MachineObjects | null = null;
            if (situation >= 0 && cached === undefined) {
                r.m.undo = null;
                objects = changedObjects(r.m, this.undo, this.interner);
                this.transitions!.learn(situation, this.transitionOf(r, n, objects, key, mark, event));
            }
            const found = this.admitOrFind(key);
            let stored = found, only = -1;
            if (found >= 0) {
                if (this.sleepOf) {
                    this.sleepOf[found] = sleep;
                    this.expandedAt![found] = 0;
                }
            } else if (found <= -2 && this.sleepOf) {
                // seen before: the events asleep there then but not now must be explored from it
                // too (sleep sets with state caching, Godefroid 1996 §5.3): at once, if it has not
                // been expanded yet (it reads its sleep set then), else by a second expansion
                const index = -2 - found;
                const before = this.sleepOf[index];
                const missing = before & ~sleep;
                if (missing !== 0) {
                    this.sleepOf[index] = before & sleep;
                    if (this.expandedAt![index] === 1) {
                        stored = index;
                        only = missing;
                    }
                }
            }
            if (stored >= 0) {
                r.m.undo = null;
                objects ??= cached !== undefined ? applyChanges(n, cached.changes) : changedObjects(r.m, this.undo, this.interner);
                this.queue.push({
                    origin: n.origin, cpus: objects.cpus, runnables: objects.runnables, upids: objects.upids, images: objects.images,
                    deferred: r.deferred, inFlight: r.inFlight, lostAt: r.lostAt, lastStep: r.lastStep,
                    findings: r.keptFindings(), semantics: r.keptSemantics(), events: r.events,
                    pos: n.pos.slice(), post, path: path ?? { step, prev: n.path }, stored, only,
                });
            }
        } finally {
            if (branch >= 0) n.pos[branch]--;
            r.m.undo = this.undo;
            r.m.rollback(0);
            r.m.undo = null;
            r.restore(mark);
        }
    }

    /**
     * The situation of an event at the loaded state (TransitionCache.situation), or -1 when it is
     * not cached; `touch` is its footprint there when the sleep sets computed it, else -2.
     */
    private situationOf(event: EventKind, arg: number, item: StepItem | ExpectItem | null, touch: number): number {
        const m = this.work.m, por = this.por!;
        if (event === EventKind.Ipi) {
            const ipi = this.work.inFlight[arg];
            // the IPI by its number (ipiList numbers every IPI in flight in a key before); inside
            // the race, what the arrival sends stays in flight
            const id = this.ipiTexts.get(ipiKey(ipi));
            if (id === undefined) return -1;
            return this.transitions!.situation(m, id * 2 + 1, this.inRace, touch !== -2 ? touch : por.ipiTouches(m, ipi));
        }
        // an expectation reads any state
        if (item === null || item.kind !== 'step') return -1;
        // a branch's step is in the race (its IPIs stay in flight), the next item after it is not
        return this.transitions!.situation(m, item.cause * 2, event === EventKind.Branch, touch !== -2 ? touch : por.stepTouches(m, item));
    }

    /** What the event just run did, from the runner before it (`mark`) and after it, as a transition to apply again. */
    private transitionOf(r: Runner, n: Node, objects: MachineObjects, key: Int32Array, mark: RunnerMark, event: EventKind): Transition {
        const kept = event === EventKind.Ipi ? mark.inFlight.length - 1 : mark.inFlight.length;
        return {
            changes: objectChanges(n, objects, key),
            inFlight: r.inFlight.slice(kept),
            deferred: r.deferred.slice(mark.deferred.length),
            findings: r.findings!.slice(mark.findingsLength).map(f => ({ code: f.code, cause: f.cause, message: f.message })),
            semantics: r.semantics!.slice(mark.semanticsLength),
        };
    }

    /** Does to the working runner what a cached transition says the event does (its machine part: {@link keyAfter}, applyChanges). */
    private redo(r: Runner, t: Transition, event: EventKind, arg: number, item: StepItem | ExpectItem | null): void {
        if (event === EventKind.Ipi) {
            // the others in flight, then those it sent (Runner.arriveInFlight, dispatchSent)
            const flight = r.inFlight, sent = t.inFlight;
            const rest = new Array<Ipi>(flight.length - 1 + sent.length);
            let k = 0;
            for (let j = 0; j < flight.length; j++) if (j !== arg) rest[k++] = flight[j];
            for (let j = 0; j < sent.length; j++) rest[k++] = sent[j];
            r.inFlight = rest;
        } else {
            r.lastStep = item!.cause;
            if (t.inFlight.length !== 0) r.inFlight = [...r.inFlight, ...t.inFlight];
        }
        if (t.deferred.length !== 0) r.deferred = [...r.deferred, ...t.deferred];
        for (const f of t.findings) {
            if (f.code === 'notification-lost' && r.lostAt === NO_CAUSE) r.lostAt = f.cause;
            r.findings!.push({ code: f.code, cause: f.cause, message: f.message, at: r.events });
        }
        for (const c of t.semantics) r.semantics!.push(c);
    }

    private expand(n: Node): void {
        const { race, post } = this;
        this.load(n);
        this.expansions++;
        const r = this.work;
        const { branches } = race;
        let inRace = false;
        for (let b = 0; b < branches.length && !inRace; b++) inRace = n.pos[b] < branches[b].length;
        this.inRace = inRace;
        const item = inRace ? undefined : post[n.post];
        const stepNext = inRace || item?.kind === 'step';
        if (r.inFlight.length === 0 && !stepNext && item?.kind !== 'expect') {
            this.complete1(n);
            return;
        }
        if (r.events >= this.maxDepth) {
            this.cutBy ??= 'depth';
            return;
        }
        // the partial-order reduction: only the events of one class of interfering CPUs; the
        // enabled events on one CPU are one class (an IPI to a CPU that does not exist is in none)
        const events = this.eventCpus(n, inRace, item);
        const cpus = this.cpuScratch;
        let several = false;
        for (let i = 1; i < events && !several; i++) several = cpus[i] !== cpus[0];
        let classes = this.por && several ? this.por.classes(r.m, n.pos, n.post, r.inFlight, this.visited!, n.stored, cpus, events) : null;
        let chosen = classes ? this.smallestClass(cpus, events, classes) : -1;
        if (chosen === -1 && several && inRace) {
            const alone = this.aloneClasses(n, cpus, events);
            if (alone !== null) {
                classes = alone;
                chosen = this.chosenAlone;
            }
        }
        // the enabled events, in the order they are tried: IPIs in flight (identical ones once),
        // then the branches as written, or the next item after the race
        let count = 0;
        const flight = r.inFlight;
        for (let i = 0; i < flight.length; i++) {
            const ipi = flight[i];
            const k = ipiKey(ipi);
            let twin = false;
            for (let j = 0; j < i && !twin; j++) twin = ipiKey(flight[j]) === k;
            if (!twin) count = this.addEvent(count, EventKind.Ipi, i, allowed(ipi.dest, classes, chosen));
        }
        if (inRace) {
            for (let b = 0; b < branches.length; b++) {
                if (n.pos[b] < branches[b].length) count = this.addEvent(count, EventKind.Branch, b, allowed(branches[b][n.pos[b]].cpu, classes, chosen));
            }
        } else if (item?.kind === 'step') {
            count = this.addEvent(count, EventKind.Post, -1, allowed(item.cpu, classes, chosen));
        } else if (r.inFlight.length === 0) {
            count = this.addEvent(count, EventKind.Post, -1, true); // an expectation waits for every IPI
        }
        // sleep sets: an event asleep here is not tried; one tried gets as its successor's sleep
        // set the events asleep here or tried before it that commute with it (Godefroid 1996,
        // ch. 5): from there they would only reach states reached already
        let sleep = 0, only = -1, touches = false;
        this.evIgnored = 0;
        if (this.sleepOf) {
            sleep = this.sleepOf[n.stored];
            if (n.only === -1) this.expandedAt![n.stored] = 1;
            else only = n.only;
            if (sleep !== 0 || only !== -1 || count > 1) {
                this.footprints(count, n);
                touches = true;
            }
        }
        this.evCount = count;
        let done = 0;
        for (let i = 0; i < count; i++) {
            if (!this.evTry[i]) continue;
            const bit = this.evBit[i];
            if (only !== -1 && (bit & only) === 0) continue;
            if ((bit & sleep) !== 0) {
                this.sleptEvents++;
                continue;
            }
            let child = 0;
            const candidates = sleep | done;
            const touch = this.sleepOf ? this.evTouch[i] : -1;
            if (candidates !== 0 && touch !== -1) {
                for (let j = 0; j < count; j++) {
                    const other = this.evTouch[j];
                    if ((this.evBit[j] & candidates) !== 0 && other !== -1 && (other & touch) === 0) child |= this.evBit[j];
                }
            }
            // an ignored arrival also commutes with an event after which it is still ignored
            // (tryEvent looks, on the state after the event)
            const ignoredBefore = candidates & this.evIgnored & ~child;
            const kind = this.evKind[i], arg = this.evArg[i];
            if (kind === EventKind.Ipi) {
                const ipi = flight[arg];
                this.tryEvent(n, this.arrivalStep(ipi, ipiKey(ipi), arg), kind, arg, null, child, ignoredBefore, touches ? this.evTouch[i] : -2);
            } else if (kind === EventKind.Branch) {
                const next = branches[arg][n.pos[arg]];
                this.tryEvent(n, this.stepOf(next, arg), kind, arg, next, child, ignoredBefore, touches ? this.evTouch[i] : -2);
            } else {
                const next = item as StepItem | ExpectItem;
                this.tryEvent(n, this.stepOf(next, -1), kind, arg, next, child, ignoredBefore, touches ? this.evTouch[i] : -2);
            }
            done |= bit;
        }
    }

    /** Appends an enabled event to the expansion's list (see {@link expand}); returns the new count. */
    private addEvent(count: number, kind: EventKind, arg: number, tried: boolean): number {
        this.evKind[count] = kind;
        this.evArg[count] = arg;
        this.evTry[count] = tried;
        this.evBit[count] = 0;
        this.evTouch[count] = -1;
        this.evIpi[count] = kind === EventKind.Ipi ? this.work.inFlight[arg] : null;
        return count + 1;
    }

    /**
     * The bit and footprint of each enabled event (sleep sets): a branch's next step is bit b
     * (b < 8), the next item after the race bit 8, an IPI bit 9 + its number (below 22); an event
     * without a bit is never asleep. Footprints are PartialOrder's masks at this state.
     */
    private footprints(count: number, n: Node): void {
        const r = this.work, por = this.por!;
        this.evIgnored = 0;
        for (let i = 0; i < count; i++) {
            const kind = this.evKind[i], arg = this.evArg[i];
            if (kind === EventKind.Ipi) {
                const ipi = r.inFlight[arg];
                const id = this.ipiTexts.get(ipiKey(ipi));
                this.evBit[i] = id !== undefined && id < 22 ? 1 << (9 + id) : 0;
                this.evTouch[i] = por.ipiTouches(r.m, ipi);
                if (por.ipiIgnored(r.m, ipi)) this.evIgnored |= this.evBit[i];
            } else if (kind === EventKind.Branch) {
                this.evBit[i] = arg < 8 ? 1 << arg : 0;
                this.evTouch[i] = this.branchTouch(n, arg);
            } else {
                const item = this.post[n.post];
                this.evBit[i] = 1 << 8;
                this.evTouch[i] = item.kind === 'step' ? por.stepTouches(r.m, item) : -1;
            }
        }
    }

    /**
     * Of the arrivals (bits) that were ignored at the state being expanded, those still ignored
     * on the working state, right after an event: each commutes with that event there, as both
     * orders only take the IPI out of flight.
     */
    private stillIgnored(bits: number): number {
        const m = this.work.m, por = this.por!;
        let out = 0;
        for (let j = 0; j < this.evCount; j++) {
            const ipi = this.evIpi[j];
            if (ipi !== null && (this.evBit[j] & bits) !== 0 && por.ipiIgnored(m, ipi)) out |= this.evBit[j];
        }
        return out;
    }

    /**
     * {@link stillIgnored} on the state a cached transition leads to from the loaded node: its
     * changes are put in the node's lists for the look and taken out again (no list is copied for
     * a state that may not be kept; nothing else reads the lists meanwhile).
     */
    private stillIgnoredAfter(n: Node, t: Transition, bits: number): number {
        const lists = this.listScratch, before = this.objectScratch;
        lists[0] = n.cpus;
        lists[1] = n.upids;
        lists[2] = n.images;
        lists[3] = n.runnables;
        const changes = t.changes;
        for (let i = 0; i < changes.length; i++) {
            const c = changes[i];
            before[i] = lists[c.kind][c.index];
            lists[c.kind][c.index] = c.object;
        }
        this.work.m.load(n); // the machine's lookups (upidAt) start again
        try {
            return this.stillIgnored(bits);
        } finally {
            for (let i = changes.length - 1; i >= 0; i--) lists[changes[i].kind][changes[i].index] = before[i];
            this.work.m.load(n);
        }
    }

    /** Scratch for {@link stillIgnoredAfter} (no allocation per call: it runs for most events). */
    private readonly listScratch: object[][] = [[], [], [], []];
    private readonly objectScratch: object[] = [];

    /**
     * PartialOrder.classesAlone at the loaded state, for the first branch whose next step it
     * applies to and leaves some enabled event out ({@link chosenAlone}: that step's class);
     * null when it applies to none. What the step leaves of its CPU: {@link cpuAfter}.
     */
    private aloneClasses(n: Node, cpus: readonly number[], events: number): Int32Array | null {
        const por = this.por;
        if (por === null || !por.sleepable) return null;
        const m = this.work.m, { branches } = this.race;
        for (let b = 0; b < branches.length; b++) {
            const item = branches[b][n.pos[b]];
            if (item === undefined) continue;
            const touch = this.branchTouch(n, b);
            if (touch === -1 || !por.mayBeAlone(m, n.pos, b, touch)) continue;
            const after = this.cpuAfter(item, touch);
            const classes = por.classesAlone(m, n.pos, n.post, this.work.inFlight, this.visited!, n.stored, b, after);
            if (classes === null) continue;
            const mine = classes[item.cpu];
            let other = false;
            for (let i = 0; i < events && !other; i++) other = classes[cpus[i]] !== mine;
            if (!other) continue;
            this.reducedStates++;
            this.chosenAlone = mine;
            return classes;
        }
        return null;
    }

    private chosenAlone = -1;

    /** The footprint of branch b's next step at the state being expanded (PartialOrder.stepTouches), computed once per expansion. */
    private branchTouch(n: Node, b: number): number {
        if (this.touchStamp[b] !== this.expansions) {
            this.touchStamp[b] = this.expansions;
            this.touchOf[b] = this.por!.stepTouches(this.work.m, this.race.branches[b][n.pos[b]]);
        }
        return this.touchOf[b];
    }

    /** Expansions so far: {@link branchTouch}'s values are those of the expansion whose number they carry. */
    private expansions = 0;
    private readonly touchStamp: number[] = [];
    private readonly touchOf: number[] = [];

    /**
     * The CPU of a branch's next step as the step leaves it, from the loaded state: from the
     * transition cache when the step has run in its situation, else by running it in place and
     * undoing it (as {@link tryEvent} does). Only UINV, mode and current are read.
     */
    private cpuAfter(item: StepItem, touch: number): CpuView {
        const r = this.work, cache = this.transitions;
        if (cache !== null) {
            const t = cache.transition(cache.situation(r.m, item.cause * 2, true, touch, false));
            if (t !== undefined) {
                for (const c of t.changes) if (c.kind === 0 && c.index === item.cpu) return c.object as Cpu;
                return r.m.cpus[item.cpu];
            }
        }
        const mark = r.save(this.mark);
        r.m.undo = this.undo;
        try {
            r.events++;
            r.raceMode = true;
            r.step(item);
            const c = r.m.cpus[item.cpu];
            return { uinv: c.uinv, mode: c.mode, current: c.current };
        } finally {
            r.m.rollback(0);
            r.m.undo = null;
            r.restore(mark);
        }
    }

    /**
     * The class with the fewest enabled events (the first such in CPU order), or -1 when the
     * events are all of one class (nothing is left out); counts the state as reduced otherwise.
     */
    private smallestClass(cpus: readonly number[], events: number, classes: Int32Array): number {
        let chosen = -1, fewest = Infinity, distinct = 0;
        for (let i = 0; i < events; i++) {
            const cls = classes[cpus[i]];
            let seenBefore = false;
            for (let j = 0; j < i && !seenBefore; j++) seenBefore = classes[cpus[j]] === cls;
            if (seenBefore) continue;
            distinct++;
            let k = 1;
            for (let j = i + 1; j < events; j++) if (classes[cpus[j]] === cls) k++;
            if (k < fewest) {
                fewest = k;
                chosen = cls;
            }
        }
        if (distinct < 2) return -1;
        this.reducedStates++;
        return chosen;
    }

    /** The counterexample step of an IPI's arrival, made once per IPI (by its key) and index in flight. */
    private arrivalStep(ipi: Ipi, key: string, index: number): CounterStep {
        let byIndex = this.arrivals.get(key);
        if (byIndex === undefined) this.arrivals.set(key, byIndex = []);
        return byIndex[index] ??= { cause: ipi.cause, text: arrivalText(ipi), event: { kind: 'ipi', index, ipi: key } };
    }

    /** Writes the CPU of each enabled event (an IPI's destination; those that exist only) into cpuScratch; returns how many (an expectation has none). */
    private eventCpus(n: Node, inRace: boolean, item: ProgramItem | undefined): number {
        const r = this.work;
        const exists = r.m.cpus.length;
        const all = this.cpuScratch;
        let count = 0;
        for (const ipi of r.inFlight) if (ipi.dest < exists) all[count++] = ipi.dest;
        if (inRace) {
            const { branches } = this.race;
            for (let b = 0; b < branches.length; b++) {
                if (n.pos[b] >= branches[b].length) continue;
                const cpu = branches[b][n.pos[b]].cpu;
                if (cpu < exists) all[count++] = cpu;
            }
        } else if (item?.kind === 'step' && item.cpu < exists) all[count++] = item.cpu;
        return count;
    }

    /** The end of the segment: this interleaving is complete. */
    private complete1(n: Node): void {
        this.finishInterleaving(this.work.fork(), n.path, n.origin);
    }

    /**
     * When a bound cut the search, interleavings are run to their end: at each point the event
     * `choose` picks among the enabled ones, in the order the search tries them (IPIs in flight,
     * then the branches as written, or the next item after the race: an expectation once no IPI
     * is in flight); with `() => 0`, the first, from the first start state. What they find is
     * real, so a race too large to explore still reports the faults and failed expectations of
     * those interleavings. One longer than the bound on events (at least the default one) is given up.
     */
    private probe(choose: (enabled: number) => number): void {
        const { race, post } = this;
        // (a later race starts from each end state of the segment before it: drawn too)
        const origin = this.origins[this.origins.length === 1 ? 0 : choose(this.origins.length)];
        const r = origin.fork();
        r.findings = [];
        r.semantics = [];
        r.events = 0;
        const pos = race.branches.map(() => 0);
        let next = 0;
        let path: PathLink | null = null;
        const branches: number[] = [];
        for (;;) {
            branches.length = 0;
            for (let b = 0; b < pos.length; b++) if (pos[b] < race.branches[b].length) branches.push(b);
            const inRace = branches.length > 0;
            const item = inRace || next >= post.length ? undefined : post[next] as StepItem | ExpectItem;
            const postEnabled = item !== undefined && (item.kind === 'step' || r.inFlight.length === 0);
            const enabled = r.inFlight.length + branches.length + (postEnabled ? 1 : 0);
            if (enabled === 0) break;
            // a bound on events: a policy whose hooks answer every arrival with another IPI never
            // lets an interleaving end (it hung, --max-states 3). The search's own bound, but never
            // below the default one: under `--max-depth 2` an interleaving still runs to its end
            if (r.events >= Math.max(this.maxDepth, DEFAULT_MAX_DEPTH)) {
                this.cutBy ??= 'depth';
                return;
            }
            const pick = choose(enabled);
            let step: CounterStep;
            r.events++;
            if (pick < r.inFlight.length) {
                const ipi = r.inFlight[pick];
                step = this.arrivalStep(ipi, ipiKey(ipi), pick);
                r.raceMode = inRace;
                r.arriveInFlight(pick);
            } else if (inRace) {
                const b = branches[pick - r.inFlight.length];
                const branchItem = race.branches[b][pos[b]++];
                step = this.stepOf(branchItem, b);
                r.raceMode = true;
                r.step(branchItem);
            } else {
                next++;
                step = this.stepOf(item!, -1);
                r.raceMode = false;
                if (item!.kind === 'step') r.step(item!);
                else r.expectItem(item!);
            }
            path = { step, prev: path };
        }
        this.finishInterleaving(r, path, origin);
    }

    /** An interleaving ends (`t` holds it, at its last event): the segment's end arrivals and checks, its findings, its end state. */
    private finishInterleaving(t: Runner, path: PathLink | null, origin: Runner): void {
        this.interleavings++;
        t.raceMode = false;
        const endDeferred = t.deferred;
        if (this.last) t.finish();
        else t.flushDeferred();
        for (const f of t.findings!) {
            if (!this.codes.includes(f.code)) this.codes.push(f.code);
            const key = `${f.code}@${f.cause}`;
            if (this.candidates.has(key)) continue;
            // the shortest prefix to it: where it first arose, or (raised at the end) this path
            this.candidates.set(key, this.firstSeen.get(key) ?? { finding: f, path: pathOf(path, f.at), origin });
        }
        const endKey = `${this.interner.key(t.m)}#${t.deferred.map(ipiKey).join(';')}#${t.lostAt !== NO_CAUSE ? 1 : 0}`;
        if (!this.ends.has(endKey)) {
            t.findings = null;
            t.semantics = null;
            this.ends.set(endKey, t);
            // a later race may start here: how (its counterexample counts from that race, see RaceReport.leadIn)
            if (!this.last) this.endLeads.set(t, { race: this.race, post: this.post, steps: [...pathOf(path, Infinity), ...endArrivalSteps(endDeferred)], origin });
        }
    }
}
