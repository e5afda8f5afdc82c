/**
 * A race's counterexample after the search: shortened to the events its finding needs, and
 * replayed step by step for `uintr trace` and hovers. Both redo events with the runner's own
 * step and arrival code, so what they show is what the search saw.
 */
import { hex } from '../machine/bits.js';
import { cloneMachine } from '../machine/clone.js';
import { ipiKey, type Ipi } from '../machine/events.js';
import type { Machine } from '../machine/state.js';
import type { ProgramItem, RaceItem } from './program.js';
import type { CounterStep, Found } from './race-explorer.js';
import type { Runner } from './run.js';
import { machineChanges, type Change } from './trace.js';

/**
 * Leaves out of a counterexample every event that the finding does not need: each event in
 * turn (latest first, until none can go) is dropped — a step, if it must, with the arrivals of
 * the IPIs it sent — when the rest still replays as an interleaving (each step the next of its
 * branch or after the race, each IPI still in flight, or an identical one another step sent)
 * and still raises the finding at its end.
 * Under the partial-order reduction the search may have run another class's events first;
 * this takes them out again. Deterministic, and a no-op on a counterexample already minimal.
 */
function shorten(found: Found, race: RaceItem, post: readonly ProgramItem[], last: boolean): CounterStep[] {
    let path = found.path;
    // latest first (a branch's later step must go before its earlier one can), until nothing goes
    for (let changed = true; changed;) {
        changed = false;
        for (let i = path.length - 1; i >= 0; i--) {
            let candidate = exhibits(found, race, post, last, [...path.slice(0, i), ...path.slice(i + 1)]);
            if (!candidate && path[i].event.kind !== 'ipi') {
                // a step goes together with the arrivals of the IPIs it sent
                const sender = path[i].cause;
                const without = path.filter((s, j) => j !== i && !(j > i && s.event.kind === 'ipi' && s.cause === sender));
                if (without.length < path.length - 1) candidate = exhibits(found, race, post, last, without);
            }
            if (!candidate) continue;
            path = candidate;
            changed = true;
        }
    }
    return path;
}

/** How a counterexample lists an IPI's arrival (at the line of the step that sent it): "IPI 0xec arrives at cpu0". */
export function arrivalText(ipi: Ipi): string {
    return `IPI ${hex(ipi.vector)} arrives at cpu${ipi.dest}`;
}

/** At most this many findings (the shortest found) are shortened to choose the counterexample from. */
const CANDIDATES_MAX = 8;

/**
 * The counterexample of a race: of the findings of its complete interleavings, each with the
 * shortest prefix the search found to it, the one whose prefix is shortest once shortened (the
 * reduction may have reached a finding through another class's events, which shortening takes
 * out), the first in written order on ties (SEMANTICS.md §8); then the arrivals that end the
 * segment written out. Null when there is no finding.
 */
export function counterexample(candidates: readonly Found[], race: RaceItem, post: readonly ProgramItem[], last: boolean): { found: Found; path: CounterStep[] } | null {
    const tried = [...candidates].sort((a, b) => a.path.length - b.path.length).slice(0, CANDIDATES_MAX);
    const short = tried.map(found => ({ found, path: shorten(found, race, post, last) }));
    const length = short.reduce((m, c) => Math.min(m, c.path.length), Infinity);
    let best: { found: Found; path: CounterStep[] } | null = null;
    for (const c of short) {
        if (c.path.length !== length) continue;
        const path = inWrittenOrder(c.found, race, post, last, c.path);
        if (!best || writtenBefore(race, path, best.path)) best = { found: c.found, path };
    }
    return best && { found: best.found, path: withEndArrivals(best.found, race, post, last, best.path) };
}

/** A step's place in the order a search tries events at a state: IPI arrivals, the branches as written, the item after the race. */
function rank(race: RaceItem, s: CounterStep): number {
    return s.event.kind === 'ipi' ? 0 : s.event.kind === 'branch' ? 1 + s.event.branch : 1 + race.branches.length;
}

/** Whether path `a` comes before `b` (as long) in that order, event by event. */
function writtenBefore(race: RaceItem, a: readonly CounterStep[], b: readonly CounterStep[]): boolean {
    for (let i = 0; i < a.length; i++) {
        const d = rank(race, a[i]) - rank(race, b[i]);
        if (d !== 0) return d < 0;
    }
    return false;
}

/** Counterexamples longer than this are left in the order the search found them (see {@link inWrittenOrder}). */
const REORDER_MAX = 64;

/**
 * Among the shortest counterexamples, the first in the order a search without the reduction
 * would meet them (SEMANTICS.md §8: "the first in the order the branches are written on ties"):
 * at a state it tries IPI arrivals first (in the order they were sent), then the branches as
 * written, then the item after the race. The reduction may have run another class's events
 * first; this builds the path again position by position, putting at each the first event in
 * that order that can go there (the others keeping their order behind it) while the path still
 * replays and raises the finding at its end. On a path the unreduced search found nothing moves.
 */
function inWrittenOrder(found: Found, race: RaceItem, post: readonly ProgramItem[], last: boolean, path: CounterStep[]): CounterStep[] {
    if (path.length > REORDER_MAX) return path;
    let out = path;
    for (let p = 0; p + 1 < out.length; p++) {
        const rest = out.slice(p);
        // an IPI's place among those in flight: where the step that sent it is in the path
        const sentAt = (s: CounterStep): number => out.findIndex(x => x.event.kind !== 'ipi' && x.cause === s.cause);
        const order = rest.map((_, j) => j).sort((x, y) => rank(race, rest[x]) - rank(race, rest[y])
            || (rest[x].event.kind === 'ipi' ? sentAt(rest[x]) - sentAt(rest[y]) : 0) || x - y);
        for (const j of order) {
            if (j === 0) break; // the event there now comes first of those that can
            const moved = exhibits(found, race, post, last, [...out.slice(0, p), rest[j], ...rest.slice(0, j), ...rest.slice(j + 1)]);
            if (moved) {
                out = moved;
                break;
            }
        }
    }
    return out;
}

/**
 * The counterexample with the arrivals of deferred IPIs written out: the IPIs deferred by the
 * items after the race (`ipi deferred`) arrive at the next expectation (before it is checked),
 * and at the next race or the end of the file, in order, and LANGUAGE.md §7 lists each IPI
 * arrival at the line of the step that sent it.
 */
function withEndArrivals(found: Found, race: RaceItem, post: readonly ProgramItem[], last: boolean, path: CounterStep[]): CounterStep[] {
    const end: Ipi[] = [];
    const written = exhibits(found, race, post, last, path, end, true);
    if (!written) return path;
    return end.length === 0 ? written : [...written, ...endArrivalSteps(end)];
}

/** The steps of IPIs deferred to the end of a segment arriving there, in order (LANGUAGE.md §7: at the sender's line). */
export function endArrivalSteps(deferred: readonly Ipi[]): CounterStep[] {
    return deferred.map((ipi): CounterStep => ({ cause: ipi.cause, text: arrivalText(ipi), event: { kind: 'deferred', ipi: ipiKey(ipi) } }));
}

/**
 * The path with its IPI indices set right when it is an interleaving that raises the finding at
 * its end; else null. When the finding arises only with the arrivals that end the segment,
 * `endArrivals` (if given) receives the deferred IPIs that arrive there. With `arrivals`, the
 * deferred IPIs that arrive as an expectation after the race is reached are written out before
 * it, as events of their own (a path with them is for showing and replaying, not to shorten).
 */
function exhibits(found: Found, race: RaceItem, post: readonly ProgramItem[], last: boolean, path: readonly CounterStep[], endArrivals?: Ipi[], arrivals = false): CounterStep[] | null {
    const r = found.origin.fork();
    r.findings = [];
    r.semantics = [];
    r.events = 0;
    const pos = race.branches.map(() => 0);
    let next = 0;
    const out: CounterStep[] = [];
    const inRace = (): boolean => pos.some((p, b) => p < race.branches[b].length);
    const f = found.finding;
    const raised = (): boolean => r.findings!.some(x => x.code === f.code && x.cause === f.cause && x.at === path.length);
    for (const step of path) {
        const e = step.event;
        r.events++;
        if (e.kind === 'ipi') {
            let index = r.inFlight.findIndex(x => ipiKey(x) === e.ipi);
            let arrival: CounterStep = index === e.index ? step : { ...step, event: { ...e, index } };
            if (index < 0) {
                // its sender was left out: an identical IPI (vector, destination, UPID) that another
                // step sent does the same on arrival, and is listed at that step's line
                const same = withoutSender(e.ipi);
                index = r.inFlight.findIndex(x => withoutSender(ipiKey(x)) === same);
                if (index < 0) return null;
                const twin = r.inFlight[index];
                arrival = { cause: twin.cause, text: arrivalText(twin), event: { kind: 'ipi', index, ipi: ipiKey(twin) } };
            }
            r.raceMode = inRace();
            r.arriveInFlight(index);
            out.push(arrival);
            continue;
        }
        if (e.kind === 'deferred') return null; // written out after shortening (withEndArrivals), never shortened
        if (e.kind === 'branch') {
            const item = race.branches[e.branch][pos[e.branch]];
            if (!item || item.cause !== step.cause) return null;
            r.raceMode = true;
            r.step(item);
            pos[e.branch]++;
        } else {
            const item = post[next];
            if (inRace() || !item || item.cause !== step.cause) return null;
            r.raceMode = false;
            if (item.kind === 'step') r.step(item);
            else if (item.kind === 'expect') {
                if (r.inFlight.length) return null;
                // what runExpect would do first, one IPI at a time (one sent meanwhile joins the end)
                if (arrivals && r.deferred.length) {
                    while (r.deferred.length) {
                        out.push(...endArrivalSteps([r.deferred[0]]));
                        r.arriveDeferred();
                    }
                    // raised by an arrival: the counterexample ends there, before the expectation
                    if (raised()) return out;
                }
                r.expectItem(item);
            }
            next++;
        }
        out.push(step);
    }
    if (raised()) return out;
    if (inRace() || next < post.length || r.inFlight.length) return null;
    r.raceMode = false;
    const deferred = r.deferred;
    if (last) r.finish();
    else r.flushDeferred();
    if (!raised()) return null;
    endArrivals?.push(...deferred);
    return out;
}

/** An IPI's key (machine/events.ts ipiKey) without the step that sent it: what its arrival does. */
function withoutSender(key: string): string {
    return key.slice(0, key.lastIndexOf('#'));
}

/** An event of a replayed interleaving: the state after it, and what it changed. */
export interface ReplayedStep {
    readonly step: CounterStep;
    readonly state: Machine;
    readonly changes: Change[];
}

/**
 * Redoes a counterexample's events from its start state, copying the state after each. A
 * deferred IPI that arrives as an expectation runs (a lead-in's path has no event for it: see
 * RaceReport.leadIn) is an event of its own, at its sender's line, before the expectation.
 */
export function replay(origin: Runner, race: RaceItem, post: readonly ProgramItem[], path: readonly CounterStep[]): ReplayedStep[] {
    const r = origin.fork();
    r.findings = [];
    const pos = race.branches.map(() => 0);
    let next = 0;
    const out: ReplayedStep[] = [];
    let before = cloneMachine(r.m);
    const record = (step: CounterStep): void => {
        const state = cloneMachine(r.m);
        out.push({ step, state, changes: machineChanges(before, state) });
        before = state;
    };
    for (const step of path) {
        const e = step.event;
        const inRace = pos.some((p, b) => p < race.branches[b].length);
        r.raceMode = inRace;
        if (e.kind === 'ipi') r.arriveInFlight(e.index);
        else if (e.kind === 'deferred') r.arriveDeferred();
        else if (e.kind === 'branch') r.step(race.branches[e.branch][pos[e.branch]++]);
        else {
            const item = post[next++];
            r.raceMode = false;
            if (item.kind === 'step') r.step(item);
            else if (item.kind === 'expect') {
                for (let ipi = r.deferred[0]; ipi !== undefined; ipi = r.deferred[0]) {
                    r.arriveDeferred();
                    record({ cause: ipi.cause, text: arrivalText(ipi), event: { kind: 'deferred', ipi: ipiKey(ipi) } });
                }
                r.expectItem(item);
            }
        }
        record(step);
    }
    return out;
}
