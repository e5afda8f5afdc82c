/**
 * Races (LANGUAGE.md §7, SEMANTICS.md §3): every interleaving of a race's branches that keeps
 * each branch's order, with each IPI a race step sends arriving at any later point — among
 * the race's steps and the items after it — until the next expectation, race or end, where
 * every IPI still in flight arrives, in any order.
 *
 * The search is breadth first over (machine state, branch positions, position after the race,
 * IPIs in flight, what this interleaving found so far): equal nodes are explored once, and the
 * first interleaving that exhibits a finding is as short as the search allows (then shortened,
 * counterexample.ts). A partial-order reduction (partial-order.ts) explores, where it can,
 * only one class of independent events at a state, and sleep sets skip orders that only reach
 * states reached already; one race segment's search is segment-search.ts. Findings of every interleaving are
 * reported as one `race-counterexample` on the race's line, with the counterexample as
 * related locations; run-time `semantic` errors sit on their own lines. Bounds on states and
 * on events per interleaving keep it finite; when one cuts the search an information
 * diagnostic says so. No clocks: the result is a function of the program.
 */
import type { DiagnosticCode } from './diagnostics.js';
import type { ProgramItem, RaceItem } from './program.js';
import type { ReplayedStep } from './counterexample.js';
import type { Finding, Runner } from './run.js';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_STATES, PROBES, SegmentSearch, type SegmentLead } from './segment-search.js';

export { DEFAULT_MAX_DEPTH, DEFAULT_MAX_STATES };

export interface ExploreOptions {
    /**
     * Bound on distinct states per race (default {@link DEFAULT_MAX_STATES}, lowered on a large
     * machine: see defaultMaxStates in segment-search.ts).
     */
    readonly maxStates?: number;
    /** The memory the default bound lets a race's states take, in bytes (default DEFAULT_STATE_MEMORY; tests). */
    readonly stateMemory?: number;
    /** Bound on events per interleaving (default {@link DEFAULT_MAX_DEPTH}). */
    readonly maxDepth?: number;
    /** The partial-order reduction (default on); off explores every enabled event. */
    readonly reduction?: boolean;
    /**
     * Sleep sets on top of the reduction (default: on when it is): an event that commutes with
     * the one just taken and was explored from the state before is not tried again (see
     * SegmentSearch.expand). They leave out events and intermediate states, never the end state
     * of a complete interleaving (so never a finding).
     */
    readonly sleepSets?: boolean;
    /**
     * Apply an event's outcome again where it meets the same objects, instead of running it again
     * (default: on with the reduction's footprints; see transitions.ts). Off only to compare.
     */
    readonly transitionCache?: boolean;
}

/** How to redo an event: a branch's next step, an in-flight IPI (by index), the next item after the race. */
export type ReplayEvent = { readonly kind: 'branch'; readonly branch: number }
    | { readonly kind: 'ipi'; readonly index: number; /** which IPI: vector, destination, UPID, sender */ readonly ipi: string }
    | { readonly kind: 'post' }
    /** At the end of the segment (the next race or the end of the file), the first deferred IPI arrives. */
    | { readonly kind: 'deferred'; readonly ipi: string };

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
    /** Codes found in some interleaving: the counterexample's first, then in order of first appearance. */
    readonly codes: DiagnosticCode[];
    /** A shortest interleaving prefix that exhibits the first finding, or null when clean. */
    readonly counterexample: CounterStep[] | null;
    /** The finding the counterexample exhibits. */
    readonly finding: Finding | null;
    /** True when a bound (states or depth) cut the search. */
    readonly truncated: boolean;
    /** Which bound cut it, when one did (`time`: the caller stopped it, see {@link RaceExploration.stop}). */
    readonly cutBy: 'states' | 'depth' | 'time' | null;
    /** States at which the partial-order reduction left some enabled events unexplored. */
    readonly reducedStates: number;
    /** Events that sleep sets left untried (they commute with one taken and reach only states reached already). */
    readonly sleptEvents: number;
    /** Events whose outcome was applied from the transition cache instead of run (transitions.ts). */
    readonly cachedEvents: number;
    /** Replays the counterexample from the race's start: the state after each of its events. */
    replay(): ReplayedStep[];
    /**
     * A later race starts from an end state of the segment before it (that race and the items
     * after it): the counterexample counts from this race (SEMANTICS.md §8), and these are the
     * interleavings of the earlier segments, oldest first, that led from the first race's start
     * to the state it starts from (empty for the first race, or without a counterexample).
     */
    readonly leadIn: readonly { readonly race: number; readonly steps: readonly CounterStep[] }[];
    /** Replays {@link leadIn} from the first race's start: the state after each event, with the race it belongs to. */
    replayLeadIn(): (ReplayedStep & { readonly race: number })[];
}

/** A finding with the shortest prefix found to it, and the start state it is counted from. */
export interface Found {
    readonly finding: Finding;
    readonly path: CounterStep[];
    readonly origin: Runner;
}

/**
 * Explores the race at `items[raceIndex]` and every later race, from the main runner's state,
 * a slice at a time: the CLI runs it to the end at once, the language server in slices between
 * requests, with progress, and drops it when the document changes. Each race's diagnostics go
 * into the main runner's set when its search ends.
 */
export class RaceExploration {
    private readonly items: readonly ProgramItem[];
    private readonly done: RaceReport[] = [];
    private search: SegmentSearch | null;
    private at: number;
    /** Races from the first one explored to the end of the file. */
    private readonly races: number;
    /** How each start state of a later race was reached (see RaceReport.leadIn). */
    private readonly leads = new Map<Runner, SegmentLead>();

    constructor(private readonly main: Runner, raceIndex: number, private readonly options: ExploreOptions = {}) {
        this.items = main.program.items;
        this.at = raceIndex;
        this.races = this.items.filter((x, i) => i >= raceIndex && x.kind === 'race').length;
        this.search = this.open([main]);
    }

    /** True when every race has been explored. */
    get finished(): boolean {
        return this.search === null;
    }

    /** The reports of the races explored so far, in file order. */
    get reports(): readonly RaceReport[] {
        return this.done;
    }

    /** Which race is being explored (1-based) of how many, and its distinct states so far. */
    progress(): { race: number; races: number; states: number } {
        return { race: Math.min(this.done.length + 1, this.races), races: this.races, states: this.search?.states ?? 0 };
    }

    /**
     * Stops where it is (the editor's time bound): the race being explored reports what it
     * found so far with an information diagnostic that gives `why`; later races are not explored.
     */
    stop(why: string): void {
        if (!this.search) return;
        this.search.stop();
        const { report } = this.search.result();
        this.done.push(report);
        addDiagnostics(this.main, this.items[this.at] as RaceItem, report, why);
        this.search = null;
        this.skipLater(`the exploration stopped at an earlier race (${why})`);
    }

    /** An information diagnostic on every race after the current one: it will not be explored. */
    private skipLater(why: string): void {
        for (let i = this.at + 1; i < this.items.length; i++) {
            const item = this.items[i];
            if (item.kind !== 'race') continue;
            this.main.diags.add({
                code: 'race-counterexample', severity: 'information', loc: this.main.program.loc(item.cause),
                message: `not explored: ${why}`, related: [],
            });
        }
    }

    /** Explores at most `budget` more states (across races); returns true when all are done. */
    advance(budget = Infinity): boolean {
        while (this.search && budget > 0) {
            budget = this.search.advance(budget);
            if (!this.search.complete) break;
            const { report, ends, leads } = this.search.result();
            for (const [end, lead] of leads) this.leads.set(end, lead);
            this.done.push(report);
            addDiagnostics(this.main, this.items[this.at] as RaceItem, report);
            if (ends.length === 0) this.skipLater('a bound cut the search of an earlier race before any interleaving of it completed');
            let next = this.at + 1;
            while (next < this.items.length && this.items[next].kind !== 'race') next++;
            this.at = next;
            this.search = ends.length ? this.open(ends) : null;
        }
        return this.search === null;
    }

    private open(starts: Runner[]): SegmentSearch | null {
        if (this.at >= this.items.length) return null;
        const race = this.items[this.at] as RaceItem;
        let next = this.at + 1;
        while (next < this.items.length && this.items[next].kind !== 'race') next++;
        return new SegmentSearch(this.main, race, this.items.slice(this.at + 1, next), next === this.items.length, starts, this.options,
            start => this.leads.get(start));
    }
}

function addDiagnostics(main: Runner, race: RaceItem, report: RaceReport, stoppedBy?: string): void {
    const loc = main.program.loc(race.cause);
    if (report.codes.length && report.finding && report.counterexample) {
        const f = report.finding;
        main.diags.add({
            code: 'race-counterexample', severity: 'error', loc,
            message: `a race interleaving has ${report.codes.join(', ')} — counterexample (${report.counterexample.length} ${report.counterexample.length === 1 ? 'event' : 'events'}) ends in ${f.code} at line ${main.program.loc(f.cause).line}: ${f.message}`,
            related: report.counterexample.map(s => ({ loc: main.program.loc(s.cause), message: s.text })),
        });
    }
    if (report.truncated) {
        const why = report.cutBy === 'depth'
            ? 'an interleaving reached the bound of events per interleaving: events beyond it were not explored (`uintr check --max-depth N` raises the bound)'
            : report.cutBy === 'time' ? `${stoppedBy ?? 'stopped'}; interleavings beyond them were not explored`
                : 'interleavings beyond them were not explored (`uintr check --max-states N` raises the bound)';
        main.diags.add({
            code: 'race-counterexample', severity: 'information', loc,
            message: `the search stopped at ${report.states} states: ${why}; ${PROBES} interleavings drawn at random were run to their end`, related: [],
        });
    }
}
