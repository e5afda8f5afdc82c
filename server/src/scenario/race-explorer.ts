/**
 * Races (LANGUAGE.md §7, SEMANTICS.md §3): every interleaving of a race's branches that keeps
 * each branch's order, with each IPI a race step sends arriving at any later point — among
 * the race's steps and the items after it — until the next expectation, race or end, where
 * every IPI still in flight arrives, in any order.
 *
 * The search is breadth first over (machine state, branch positions, position after the race,
 * IPIs in flight, what this interleaving found so far): equal nodes are explored once, and the
 * first interleaving that exhibits a finding is as short as the search allows. Findings of
 * every interleaving are reported as one `race-counterexample` on the race's line, with one
 * shortest counterexample as related locations; run-time `semantic` errors sit on their own
 * lines. A bound on states keeps it finite; when it cuts the search an information diagnostic
 * says so. No clocks: the result is a function of the program.
 */
import { hex } from '../machine/bits.js';
import { cloneMachine, stateKey } from '../machine/clone.js';
import type { Ipi } from '../machine/events.js';
import { NO_CAUSE, type Machine } from '../machine/state.js';
import type { DiagnosticCode } from './diagnostics.js';
import type { ExpectItem, ProgramItem, RaceItem, StepItem } from './program.js';
import type { Finding, Runner } from './run.js';

export const DEFAULT_MAX_STATES = 200_000;

/** How to redo an event: a branch's next step, an in-flight IPI (by index), the next item after the race. */
export type ReplayEvent = { readonly kind: 'branch'; readonly branch: number } | { readonly kind: 'ipi'; readonly index: number } | { readonly kind: 'post' };

/** One event of a counterexample: a step (at its line) or an IPI arrival (at its sender's line). */
export interface CounterStep {
    readonly cause: number;
    readonly text: string;
    readonly event: ReplayEvent;
}

export interface RaceReport {
    /** The race's cause (its line). */
    readonly cause: number;
    /** Complete interleavings explored (after merging equal states). */
    readonly interleavings: number;
    /** Distinct states explored. */
    readonly states: number;
    /** Codes found in some interleaving, in order of first appearance. */
    readonly codes: DiagnosticCode[];
    /** A shortest interleaving prefix that exhibits the first finding, or null when clean. */
    readonly counterexample: CounterStep[] | null;
    /** The finding the counterexample exhibits. */
    readonly finding: Finding | null;
    /** True when the bound on states cut the search. */
    readonly truncated: boolean;
    /** Replays the counterexample from the race's start: the state after each of its events. */
    replay(): { step: CounterStep; state: Machine }[];
}

interface PathLink {
    readonly step: CounterStep;
    readonly prev: PathLink | null;
}

interface Node {
    /** The runner the interleaving started from (a start state of the race). */
    readonly origin: Runner;
    readonly r: Runner;
    readonly pos: number[];
    post: number;
    readonly path: PathLink | null;
}

function pathOf(link: PathLink | null, length: number): CounterStep[] {
    const out: CounterStep[] = [];
    for (let l = link; l; l = l.prev) out.push(l.step);
    out.reverse();
    return out.slice(0, length);
}

function ipiKey(i: Ipi): string {
    return `${i.vector}>${i.dest}@${i.upid ?? ''}#${i.cause}`;
}

function nodeKey(n: Node): string {
    const r = n.r;
    const flight = r.inFlight.map(ipiKey).sort().join(';');
    const deferred = r.deferred.map(ipiKey).join(';');
    const found = [...new Set(r.findings!.map(f => `${f.code}@${f.cause}`))].sort().join(';');
    return `${stateKey(r.m)}#${n.pos.join(',')}#${n.post}#${flight}#${deferred}#${r.lostAt !== NO_CAUSE ? 1 : 0}#${r.lastStep}#${found}`;
}

function stepText(item: StepItem): string {
    return (item.node.$cstNode?.text ?? '').replace(/\s+/g, ' ');
}

/**
 * Explores the race at `items[raceIndex]` and every later race, from the main runner's state.
 * Adds the diagnostics to the main runner's set and returns a report per race.
 */
export function exploreRaces(main: Runner, raceIndex: number, maxStates = DEFAULT_MAX_STATES): RaceReport[] {
    const items = main.program.items;
    const reports: RaceReport[] = [];
    let starts: Runner[] = [main];
    for (let at = raceIndex; at < items.length;) {
        const race = items[at] as RaceItem;
        let next = at + 1;
        while (next < items.length && items[next].kind !== 'race') next++;
        const post = items.slice(at + 1, next);
        const { report, ends } = exploreSegment(main, race, post, next === items.length, starts, maxStates);
        reports.push(report);
        addDiagnostics(main, race, report);
        starts = ends;
        at = next;
        if (starts.length === 0) break;
    }
    return reports;
}

function addDiagnostics(main: Runner, race: RaceItem, report: RaceReport): void {
    const loc = main.program.loc(race.cause);
    if (report.codes.length && report.finding && report.counterexample) {
        const f = report.finding;
        main.diags.add({
            code: 'race-counterexample', severity: 'error', loc,
            message: `a race interleaving has ${report.codes.join(', ')} — counterexample (${report.counterexample.length} events) ends in ${f.code} at line ${main.program.loc(f.cause).line}: ${f.message}`,
            related: report.counterexample.map(s => ({ loc: main.program.loc(s.cause), message: s.text })),
        });
    }
    if (report.truncated) {
        main.diags.add({
            code: 'race-counterexample', severity: 'information', loc,
            message: `the search stopped at ${report.states} states: interleavings beyond them were not explored`, related: [],
        });
    }
}

function exploreSegment(main: Runner, race: RaceItem, post: readonly ProgramItem[], last: boolean, starts: Runner[], maxStates: number): { report: RaceReport; ends: Runner[] } {
    const visited = new Set<string>();
    const ends = new Map<string, Runner>();
    const codes: DiagnosticCode[] = [];
    let best: { finding: Finding; path: CounterStep[]; origin: Runner } | null = null;
    let interleavings = 0;
    let truncated = false;
    const queue: Node[] = [];
    for (const s of starts) {
        const r = s.fork();
        r.findings = [];
        r.events = 0;
        queue.push({ origin: s, r, pos: race.branches.map(() => 0), post: 0, path: null });
    }
    // The shortest prefix at which each finding (code and line) first arose: breadth first, so
    // the first time is the shortest, whichever path the state merging then keeps.
    const firstSeen = new Map<string, { finding: Finding; path: CounterStep[]; origin: Runner }>();
    const note = (c: Node): void => {
        for (const f of c.r.findings!) {
            if (f.at !== c.r.events) continue;
            const k = `${f.code}@${f.cause}`;
            if (!firstSeen.has(k)) firstSeen.set(k, { finding: f, path: pathOf(c.path, f.at), origin: c.origin });
        }
    };
    const child = (n: Node, text: string, cause: number, event: ReplayEvent): Node => {
        const r = n.r.fork();
        r.events++;
        return { origin: n.origin, r, pos: [...n.pos], post: n.post, path: { step: { cause, text, event }, prev: n.path } };
    };
    for (let head = 0; head < queue.length; head++) {
        const n = queue[head];
        queue[head] = undefined as unknown as Node; // let finished nodes be collected
        const key = nodeKey(n);
        if (visited.has(key)) continue;
        if (visited.size >= maxStates) {
            truncated = true;
            break;
        }
        visited.add(key);
        const inRace = n.pos.some((p, b) => p < race.branches[b].length);
        // IPIs in flight may arrive now (identical ones once)
        const seen = new Set<string>();
        n.r.inFlight.forEach((ipi, i) => {
            const k = ipiKey(ipi);
            if (seen.has(k)) return;
            seen.add(k);
            const c = child(n, `IPI ${hex(ipi.vector)} arrives at cpu${ipi.dest}`, ipi.cause, { kind: 'ipi', index: i });
            c.r.raceMode = inRace;
            c.r.arriveInFlight(i);
            note(c);
            queue.push(c);
        });
        if (inRace) {
            race.branches.forEach((steps, b) => {
                if (n.pos[b] >= steps.length) return;
                const step = steps[n.pos[b]];
                const c = child(n, stepText(step), step.cause, { kind: 'branch', branch: b });
                c.r.raceMode = true;
                c.r.step(step);
                c.pos[b]++;
                note(c);
                queue.push(c);
            });
            continue;
        }
        const item = post[n.post];
        if (item && item.kind === 'step') {
            const c = child(n, stepText(item), item.cause, { kind: 'post' });
            c.r.raceMode = false;
            c.r.step(item);
            c.post++;
            note(c);
            queue.push(c);
            continue;
        }
        if (n.r.inFlight.length > 0) continue; // an expectation or the end waits for every IPI
        if (item && item.kind === 'expect') {
            const c = child(n, (item as ExpectItem).node.$cstNode?.text.replace(/\s+/g, ' ') ?? 'expect', item.cause, { kind: 'post' });
            c.r.raceMode = false;
            c.r.expectItem(item);
            c.post++;
            note(c);
            queue.push(c);
            continue;
        }
        // the end of the segment: this interleaving is complete
        interleavings++;
        const t = n.r.fork();
        t.raceMode = false;
        if (last) t.finish();
        else t.flushDeferred();
        for (const f of t.findings!) {
            if (!codes.includes(f.code)) codes.push(f.code);
            const seen = firstSeen.get(`${f.code}@${f.cause}`);
            const candidate = seen ?? { finding: f, path: pathOf(n.path, f.at), origin: n.origin };
            if (!best || candidate.path.length < best.path.length) best = candidate;
        }
        const endKey = `${stateKey(t.m)}#${t.deferred.map(ipiKey).join(';')}#${t.lostAt !== NO_CAUSE ? 1 : 0}`;
        if (!ends.has(endKey)) {
            t.findings = null;
            ends.set(endKey, t);
        }
    }
    const b = best as { finding: Finding; path: CounterStep[]; origin: Runner } | null;
    return {
        report: {
            cause: race.cause, interleavings, states: visited.size, codes,
            counterexample: b ? b.path : null, finding: b ? b.finding : null, truncated,
            replay: () => (b ? replay(b.origin, race, post, b.path) : []),
        },
        ends: [...ends.values()],
    };
}

/** Redoes a counterexample's events from its start state, copying the state after each. */
function replay(origin: Runner, race: RaceItem, post: readonly ProgramItem[], path: readonly CounterStep[]): { step: CounterStep; state: Machine }[] {
    const r = origin.fork();
    r.findings = [];
    const pos = race.branches.map(() => 0);
    let next = 0;
    const out: { step: CounterStep; state: Machine }[] = [];
    for (const step of path) {
        const e = step.event;
        const inRace = pos.some((p, b) => p < race.branches[b].length);
        r.raceMode = inRace;
        if (e.kind === 'ipi') r.arriveInFlight(e.index);
        else if (e.kind === 'branch') r.step(race.branches[e.branch][pos[e.branch]++]);
        else {
            const item = post[next++];
            r.raceMode = false;
            if (item.kind === 'step') r.step(item);
            else if (item.kind === 'expect') r.expectItem(item);
        }
        out.push({ step, state: cloneMachine(r.m) });
    }
    return out;
}
