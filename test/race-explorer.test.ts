/**
 * The race explorer (LANGUAGE.md §7, SEMANTICS.md §3) against a brute-force enumeration.
 *
 * The brute force below is written independently of race-explorer.ts: it reuses only the
 * Runner (one step, one IPI arrival, one expectation, the end checks) and enumerates EVERY
 * interleaving by depth-first recursion with `fork()` and no state merging — any branch's
 * next step or any IPI in flight arriving, then the items after the race in order with IPIs
 * in flight allowed to arrive before each of them and all of them (in any order) before an
 * expectation or the end. The union of finding codes over all complete interleavings must be
 * what the explorer reports for the race; its counterexample must replay; run-time `semantic`
 * errors must sit on their own lines. Random races come from fast-check with a fixed seed;
 * focused tests pin the race semantics the contract spells out.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { hex } from '../server/src/machine/bits.js';
import { ipiKey } from '../server/src/machine/events.js';
import { buildMachine } from '../server/src/machine/build.js';
import { Kernel } from '../server/src/kernel/kernel.js';
import { compilePolicy } from '../server/src/kernel/policy.js';
import { staticDiagnostics } from '../server/src/scenario/check.js';
import { DiagnosticSet, type DiagnosticCode, type ScenarioDiagnostic } from '../server/src/scenario/diagnostics.js';
import { lowerProgram, type Program, type ProgramItem, type RaceItem } from '../server/src/scenario/program.js';
import { counterexample } from '../server/src/scenario/counterexample.js';
import type { CounterStep, RaceReport } from '../server/src/scenario/race-explorer.js';
import { Runner, type Finding } from '../server/src/scenario/run.js';
import { defaultMaxStates } from '../server/src/scenario/segment-search.js';
import type * as ast from '../server/src/syntax/generated/ast.js';
import { check, workspace } from './helpers.js';
import { ring } from '../bench/ring.mjs';

type Checked = Awaited<ReturnType<typeof check>>;

// ---- brute force ----------------------------------------------------------------------

/** A race and the items after it, up to the next race or the end. */
interface Segment {
    readonly race: RaceItem;
    readonly post: readonly ProgramItem[];
    readonly last: boolean;
}

interface SegmentResult {
    /** Union of the finding codes over every complete interleaving of this segment. */
    readonly codes: Set<DiagnosticCode>;
    /** Complete interleavings (no merging: a count of paths). */
    interleavings: number;
    /** The fewest events (counted from the race) after which some interleaving has a finding. */
    minAt: number;
    /** Runners at the start of the segment (each a distinct path), for replays. */
    readonly starts: Runner[];
}

interface Brute {
    readonly program: Program;
    readonly segments: readonly Segment[];
    readonly results: readonly SegmentResult[];
    /** Diagnostics outside races: before the first race, and run-time `semantic` errors. */
    readonly diags: DiagnosticSet;
    /** Nodes visited. */
    readonly nodes: number;
    /** Milliseconds the enumeration took (parsing aside). */
    ms: number;
}

const NODE_LIMIT = 500_000;

/** The brute force gave up: the race has more than NODE_LIMIT nodes to enumerate. */
class TooLarge extends Error {}
const START_LIMIT = 5_000;

function segmentsOf(items: readonly ProgramItem[], first: number): Segment[] {
    const out: Segment[] = [];
    for (let at = first; at < items.length;) {
        let next = at + 1;
        while (next < items.length && items[next].kind !== 'race') next++;
        out.push({ race: items[at] as RaceItem, post: items.slice(at + 1, next), last: next === items.length });
        at = next;
    }
    return out;
}

function bruteForce(program: Program, policy: ast.Policy): Brute {
    const m = buildMachine(program.config, program.tasks, program.kthreads);
    m.recording = false;
    const kernel = new Kernel(compilePolicy(program.env, policy));
    const diags = new DiagnosticSet();
    const main = new Runner(program, kernel, m, diags, null, null);
    const items = program.items;
    const first = items.findIndex(i => i.kind === 'race');
    for (let i = 0; i < (first < 0 ? items.length : first); i++) {
        const item = items[i];
        if (item.kind === 'step') main.step(item);
        else if (item.kind === 'expect') main.expectItem(item);
    }
    if (first < 0) {
        main.finish();
        return { program, segments: [], results: [], diags, nodes: 0, ms: 0 };
    }
    main.flushDeferred();
    const segments = segmentsOf(items, first);
    const results: SegmentResult[] = segments.map(() => ({ codes: new Set<DiagnosticCode>(), interleavings: 0, minAt: Infinity, starts: [] }));
    let nodes = 0;

    const begin = (from: Runner, k: number): void => {
        const s = from.fork();
        s.findings = [];
        s.events = 0;
        s.raceMode = false;
        if (results[k].starts.length < START_LIMIT) results[k].starts.push(s.fork());
        dfs(s, k, segments[k].race.branches.map(() => 0), 0);
    };

    const dfs = (r: Runner, k: number, pos: readonly number[], post: number): void => {
        if (++nodes > NODE_LIMIT) throw new TooLarge('brute force: too many nodes; make the race smaller');
        const seg = segments[k];
        const inRace = pos.some((p, b) => p < seg.race.branches[b].length);
        // any IPI in flight may arrive now
        for (let i = 0; i < r.inFlight.length; i++) {
            const c = r.fork();
            c.events++;
            c.raceMode = inRace;
            c.arriveInFlight(i);
            dfs(c, k, pos, post);
        }
        if (inRace) {
            // or any branch's next step
            seg.race.branches.forEach((steps, b) => {
                if (pos[b] >= steps.length) return;
                const c = r.fork();
                c.events++;
                c.raceMode = true;
                c.step(steps[pos[b]]);
                const np = [...pos];
                np[b]++;
                dfs(c, k, np, post);
            });
            return;
        }
        const item = seg.post[post];
        if (item && item.kind === 'step') {
            const c = r.fork();
            c.events++;
            c.raceMode = false;
            c.step(item);
            dfs(c, k, pos, post + 1);
            return;
        }
        // an expectation, a race or the end: every IPI in flight has arrived first
        if (r.inFlight.length > 0) return;
        if (item && item.kind === 'expect') {
            const c = r.fork();
            c.events++;
            c.raceMode = false;
            c.expectItem(item);
            dfs(c, k, pos, post + 1);
            return;
        }
        const t = r.fork();
        t.raceMode = false;
        if (seg.last) t.finish();
        else t.flushDeferred();
        const res = results[k];
        res.interleavings++;
        for (const f of t.findings!) {
            res.codes.add(f.code);
            res.minAt = Math.min(res.minAt, f.at);
        }
        if (!seg.last) begin(t, k + 1);
    };

    begin(main, 0);
    return { program, segments, results, diags, nodes, ms: 0 };
}

/**
 * Replays a counterexample from the start of its segment with the brute force's machinery:
 * null when the events are a legal interleaving prefix whose last event (or, for a complete
 * interleaving, the end) raises the finding; otherwise why not.
 */
function replay(start: Runner, seg: Segment, ce: readonly CounterStep[], finding: Finding): string | null {
    const r = start.fork();
    r.findings = [];
    r.events = 0;
    const run = runEvents(r, seg, ce);
    if (run.why !== null) return run.why;
    const has = (): boolean => r.findings!.some(f => f.code === finding.code && f.cause === finding.cause && f.at === ce.length);
    if (has()) return null;
    if (run.complete) {
        r.raceMode = false;
        if (seg.last) r.finish();
        else r.flushDeferred();
        if (has()) return null;
    }
    return `the replay does not raise ${finding.code} at its last event; it found ${r.findings!.map(f => `${f.code}@${f.at}`).join(', ') || 'nothing'}`;
}

/**
 * Runs a segment's events on `r`, in place: `why` is null when they are a legal interleaving
 * prefix (else why not); `complete` when every branch, item and IPI in flight is done after them.
 */
function runEvents(r: Runner, seg: Segment, ce: readonly CounterStep[]): { why: string | null; complete: boolean } {
    const fail = (why: string) => ({ why, complete: false });
    const pos = seg.race.branches.map(() => 0);
    let post = 0;
    const inRace = (): boolean => pos.some((p, b) => p < seg.race.branches[b].length);
    for (let i = 0; i < ce.length; i++) {
        const ev = ce[i];
        r.events++;
        if (ev.event.kind === 'deferred') {
            // the first deferred IPI arrives (written out by withEndArrivals): at the end of the
            // segment, or as the next item after the race, an expectation, is reached
            const atExpect = post < seg.post.length && seg.post[post].kind === 'expect';
            if (inRace() || (post < seg.post.length && !atExpect) || r.inFlight.length > 0) return fail(`event ${i + 1} (${ev.text}): a deferred arrival neither at the end nor before an expectation`);
            if (r.deferred.length === 0 || ipiKey(r.deferred[0]) !== ev.event.ipi) return fail(`event ${i + 1} (${ev.text}): not the first deferred IPI`);
            r.raceMode = false;
            r.arriveDeferred();
            continue;
        }
        const ipi = /^IPI (0x[0-9a-f]+) arrives at cpu(\d+)$/.exec(ev.text);
        if (ipi) {
            const idx = r.inFlight.findIndex(x => x.cause === ev.cause && hex(x.vector) === ipi[1] && x.dest === Number(ipi[2]));
            if (idx < 0) return fail(`event ${i + 1} (${ev.text}): no such IPI is in flight`);
            r.raceMode = inRace();
            r.arriveInFlight(idx);
            continue;
        }
        const b = seg.race.branches.findIndex(steps => steps.some(s => s.cause === ev.cause));
        if (b >= 0) {
            const step = seg.race.branches[b][pos[b]];
            if (!step || step.cause !== ev.cause) return fail(`event ${i + 1} (${ev.text}): not the next step of its branch`);
            r.raceMode = true;
            r.step(step);
            pos[b]++;
            continue;
        }
        if (inRace()) return fail(`event ${i + 1} (${ev.text}): an item after the race before the race ended`);
        const item = seg.post[post];
        if (!item || item.cause !== ev.cause) return fail(`event ${i + 1} (${ev.text}): not the next item after the race`);
        r.raceMode = false;
        if (item.kind === 'step') r.step(item);
        else if (item.kind === 'expect') {
            if (r.inFlight.length > 0) return fail(`event ${i + 1} (${ev.text}): an expectation with IPIs still in flight`);
            r.expectItem(item);
        } else return fail(`event ${i + 1}: a race inside a segment`);
        post++;
    }
    return { why: null, complete: !inRace() && post === seg.post.length && r.inFlight.length === 0 };
}

/** Parses and lowers the text (it must have no static error) and runs the brute force on it. */
async function brute(text: string): Promise<Brute> {
    const ws = await workspace();
    const doc = await ws.load(text, '/test/brute-force.uintr');
    try {
        const statics = staticDiagnostics(doc);
        if (statics.length) throw new Error(`static errors: ${statics.map(d => `${d.code}@${d.loc.line}: ${d.message}`).join('; ')}`);
        const file = doc.parseResult.value;
        const program = lowerProgram(file);
        const policy = program.policy ?? ws.findPolicy('linux_rfc', file);
        if (!policy) throw new Error('no policy');
        const t0 = performance.now();
        const b = bruteForce(program, policy);
        b.ms = performance.now() - t0;
        return b;
    } finally {
        ws.release(doc);
    }
}

// ---- comparing --------------------------------------------------------------------------

function show(ds: readonly ScenarioDiagnostic[]): string {
    return ds.map(d => `${d.code}@${d.loc.line}${d.severity === 'information' ? '(info)' : ''}`).join(', ');
}

function sortedCodes(s: Iterable<string>): string[] {
    return [...s].sort();
}

function raceLine(b: Brute, k: number): number {
    return b.program.loc(b.segments[k].race.cause).line;
}

async function both(text: string): Promise<{ c: Checked; b: Brute; races: readonly RaceReport[] }> {
    const c = await check(text);
    expect(c.internalError).toBeUndefined();
    expect(c.run, `static errors: ${show(c.diagnostics)}`).toBeDefined();
    let b: Brute;
    try {
        b = await brute(text);
    } catch (e) {
        // a random race too large to enumerate is skipped (fast-check draws another); in a
        // fixed test the precondition fails it
        fc.pre(!(e instanceof TooLarge));
        throw e;
    }
    const races = c.run!.races;
    expect(races.length).toBe(b.segments.length);
    return { c, b, races };
}

/** The explorer's verdict on every race equals the brute force's. */
async function agree(text: string): Promise<{ c: Checked; b: Brute; races: readonly RaceReport[] }> {
    const { c, b, races } = await both(text);
    b.segments.forEach((_, k) => {
        const rep = races[k];
        const want = b.results[k];
        const line = raceLine(b, k);
        expect(sortedCodes(rep.codes), `race ${k + 1} (line ${line}): codes`).toEqual(sortedCodes(want.codes));
        expect(rep.truncated).toBe(false);
        expect(rep.interleavings).toBeGreaterThanOrEqual(1);
        expect(rep.interleavings).toBeLessThanOrEqual(want.interleavings);
        const d = c.diagnostics.find(x => x.code === 'race-counterexample' && x.severity === 'error' && x.loc.line === line);
        expect(d !== undefined, `race-counterexample on line ${line}; diagnostics: ${show(c.diagnostics)}`).toBe(want.codes.size > 0);
        if (d) for (const code of want.codes) expect(d.message).toContain(code);
        expect(rep.counterexample === null).toBe(want.codes.size === 0);
        expect(rep.finding === null).toBe(want.codes.size === 0);
    });
    // everything else: the items before the first race as usual, and run-time semantic errors
    const raceLines = new Set(b.segments.map((_, k) => raceLine(b, k)));
    const others = c.diagnostics.filter(d => d.severity !== 'information' && !(d.code === 'race-counterexample' && raceLines.has(d.loc.line)));
    const wantOthers = b.diags.sorted().filter(d => d.severity !== 'information');
    expect(sortedCodes(others.map(d => `${d.code}@${d.loc.line}`))).toEqual(sortedCodes(wantOthers.map(d => `${d.code}@${d.loc.line}`)));
    expect(c.diagnostics.some(d => d.code === 'race-counterexample' && !raceLines.has(d.loc.line))).toBe(false);
    return { c, b, races };
}

/** Every race's counterexample replays from some start of its segment and ends in its finding. */
function replays(b: Brute, races: readonly RaceReport[]): void {
    b.segments.forEach((seg, k) => {
        const rep = races[k];
        if (!rep.counterexample || !rep.finding) return;
        const starts = b.results[k].starts;
        expect(starts.length).toBeGreaterThan(0);
        let why = '';
        const ok = starts.some(s => {
            const r = replay(s, seg, rep.counterexample!, rep.finding!);
            if (r !== null && !why) why = r;
            return r === null;
        });
        expect(ok, `race ${k + 1}: counterexample [${rep.counterexample.map(e => e.text).join(' ; ')}] ending in ${rep.finding.code} does not replay: ${why}`).toBe(true);
        // and from the first race's start: the earlier segments' lead-in interleavings, complete,
        // one per earlier race in order, then the counterexample
        expect(rep.leadIn.map(l => l.race)).toEqual(b.segments.slice(0, k).map(s => s.race.cause));
        const r = b.results[0].starts[0].fork();
        rep.leadIn.forEach((l, j) => {
            r.findings = [];
            r.events = 0;
            const run = runEvents(r, b.segments[j], l.steps);
            expect(run.why, `race ${k + 1}: lead-in through race ${j + 1}`).toBeNull();
            expect(run.complete && r.deferred.length === 0, `race ${k + 1}: the lead-in through race ${j + 1} is a complete interleaving`).toBe(true);
        });
        expect(replay(r, seg, rep.counterexample, rep.finding), `race ${k + 1}: counterexample after its lead-in`).toBeNull();
    });
}

/** The 1-based line of the `// #name` marker. */
function L(text: string, name: string): number {
    const re = new RegExp(`//\\s*#${name}(\\s|$)`);
    const i = text.split('\n').findIndex(l => re.test(l));
    if (i < 0) throw new Error(`marker #${name} not found`);
    return i + 1;
}

function at(text: string, code: string, name: string): string {
    return `${code}@${L(text, name)}`;
}

// ---- random races ------------------------------------------------------------------------

const POLICIES = ['manual', 'eager', 'lazy_fpu', 'linux_rfc', 'independent', 'tglx'] as const;

/** Steps of LANGUAGE.md's example cast (rx on cpu0, tx on cpu1), drawn most often. */
const CORE_STEPS = [
    'cpu0: switch kworker', 'cpu0: switch rx', 'cpu0: switch idle', 'cpu1: senduipi 0',
    'cpu0: xsaves rx', 'cpu0: xrstors rx', 'cpu0: stui', 'cpu0: clui', 'cpu0: interrupt 0xec',
];
/** Rarer steps: migrations, run-time semantic errors, uintr_wait and the kernel vector, exit. */
const EXTRA_STEPS = [
    'cpu1: switch kworker', 'cpu1: switch rx', 'cpu0: wait', 'cpu0: interrupt 0xeb', 'cpu1: switch tx',
    'cpu0: switch other', 'cpu1: switch other', 'cpu0: set rx.upid.sn = 1', 'cpu0: exit', 'cpu1: switch idle',
];

/** What follows the race (V is the target's vector). */
const POSTS: readonly (readonly string[])[] = [
    [], [], ['expect delivered rx V'], ['expect no lost'], ['expect gp'], ['expect not delivered rx V'],
    ['cpu1: senduipi 0', 'expect delivered rx V'], ['cpu0: stui'], ['cpu0: switch rx', 'expect pending rx V'],
    ['cpu0: clui', 'expect pending rx V'], ['cpu0: switch kworker', 'cpu1: senduipi 0'],
];

interface RandomRace {
    readonly policy: string;
    readonly vector: number;
    readonly deferred: boolean;
    readonly branches: readonly (readonly string[])[];
    readonly post: readonly string[];
    /** A second race after the first one's items, or null. */
    readonly second: { readonly branches: readonly (readonly string[])[]; readonly post: readonly string[] } | null;
}

const stepArb = fc.oneof({ arbitrary: fc.constantFrom(...CORE_STEPS), weight: 5 }, { arbitrary: fc.constantFrom(...EXTRA_STEPS), weight: 1 });
/** 2 branches of 1–3 steps, sometimes 3 branches of 1–2. */
const branchesArb = fc.oneof(
    { arbitrary: fc.array(fc.array(stepArb, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 2 }), weight: 3 },
    { arbitrary: fc.array(fc.array(stepArb, { minLength: 1, maxLength: 2 }), { minLength: 3, maxLength: 3 }), weight: 1 },
);
const smallBranchesArb = fc.array(fc.array(stepArb, { minLength: 1, maxLength: 2 }), { minLength: 2, maxLength: 2 });

function raceArb(twoRaces: boolean): fc.Arbitrary<RandomRace> {
    return fc.record({
        policy: fc.constantFrom(...POLICIES),
        vector: fc.integer({ min: 1, max: 5 }),
        deferred: fc.boolean(),
        branches: twoRaces ? smallBranchesArb : branchesArb,
        post: fc.constantFrom(...POSTS),
        second: twoRaces ? fc.record({ branches: smallBranchesArb, post: fc.constantFrom(...POSTS) }) : fc.constant(null),
    });
}

function renderRace(branches: readonly (readonly string[])[]): string {
    return `race {\n${branches.map(b => b.map(x => `  ${x}`).join('\n')).join('\n} with {\n')}\n}`;
}

function render(s: RandomRace): string {
    const v = (p: string): string => p.replace(/\bV\b/, String(s.vector));
    const lines = [
        `machine { cpus 2 policy ${s.policy}${s.deferred ? ' ipi deferred' : ''} }`,
        'task rx { handler 0x401000 }',
        'task other { }',
        `task tx { target rx vector ${s.vector} }`,
        'kthread kworker',
        'cpu0: switch rx',
        'cpu1: switch tx',
        renderRace(s.branches),
        ...s.post.map(v),
        ...(s.second ? [renderRace(s.second.branches), ...s.second.post.map(v)] : []),
    ];
    return lines.join('\n') + '\n';
}

const FC = { seed: 7, numRuns: 60 };

/**
 * A wider cast, where the partial-order reduction has most to leave out: three CPUs, a second
 * receiver ry on cpu2 with its own sender ty, and steps that move receivers between CPUs.
 */
const WIDE_STEPS = [
    ...CORE_STEPS, 'cpu2: switch ry', 'cpu2: switch k2', 'cpu2: senduipi 0', 'cpu2: switch ty', 'cpu1: senduipi 1',
    'cpu2: switch rx', 'cpu0: switch ry', 'cpu2: xsaves ry', 'cpu2: xrstors ry',
    // an index that is a value read elsewhere: another CPU's UIF, another task's UPID
    'cpu1: senduipi cpu2.uif', 'cpu2: senduipi rx.upid.on', 'cpu2: stui', 'cpu2: clui',
];
const wideStepArb = fc.oneof({ arbitrary: fc.constantFrom(...WIDE_STEPS), weight: 5 }, { arbitrary: fc.constantFrom(...EXTRA_STEPS), weight: 1 });
const wideArb: fc.Arbitrary<RandomRace> = fc.record({
    policy: fc.constantFrom(...POLICIES),
    vector: fc.integer({ min: 1, max: 5 }),
    deferred: fc.boolean(),
    branches: fc.oneof(
        { arbitrary: fc.array(fc.array(wideStepArb, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 2 }), weight: 1 },
        { arbitrary: fc.array(fc.array(wideStepArb, { minLength: 1, maxLength: 3 }), { minLength: 3, maxLength: 3 }), weight: 1 },
    ),
    post: fc.constantFrom(...POSTS),
    second: fc.constant(null),
});

function renderWide(s: RandomRace): string {
    return render(s)
        .replace('cpus 2', 'cpus 3')
        .replace('task other { }', 'task ry { handler 0x402000 ndst 2 }\ntask other { }')
        .replace(`vector ${s.vector} }`, `vector ${s.vector} target ry vector 7 }\ntask ty { target ry vector 9 }\nkthread k2`)
        .replace('cpu1: switch tx\n', 'cpu1: switch tx\ncpu2: switch ty\n');
}

describe('random races: the explorer against brute force', () => {
    test('the codes of every race equal the union over all interleavings; other diagnostics as brute force', async () => {
        const times: number[] = [];
        await fc.assert(fc.asyncProperty(raceArb(false), async s => {
            const { b } = await agree(render(s));
            times.push(b.ms);
        }), FC);
        // the races are small enough that brute force stays fast
        times.sort((x, y) => x - y);
        expect(times[times.length >> 1]).toBeLessThan(50);
    });

    test('three CPUs, two receivers, up to three branches of up to four steps: codes as brute force, and each counterexample replays', async () => {
        let found = 0;
        await fc.assert(fc.asyncProperty(wideArb, async s => {
            const text = renderWide(s);
            expect(text).toMatch(/cpus 3[^]*task ry[^]*task ty[^]*kthread k2[^]*cpu2: switch ty\nrace/);
            const { b, races } = await agree(text);
            replays(b, races);
            if (races[0].codes.length) found++;
        }), { seed: 5, numRuns: 40 });
        expect(found, 'races with findings').toBeGreaterThan(10);
    });

    test('two races in one file: each race\'s codes equal the brute force\'s for its segment, and each counterexample replays', async () => {
        await fc.assert(fc.asyncProperty(raceArb(true), async s => {
            const { b, races } = await agree(render(s));
            replays(b, races);
        }), { seed: 11, numRuns: 40 });
    });

    test('every counterexample replays from the pre-race state and ends in its finding', async () => {
        await fc.assert(fc.asyncProperty(raceArb(false), async s => {
            const { b, races } = await both(render(s));
            replays(b, races);
        }), FC);
    });

    test('every counterexample is a shortest prefix that exhibits a finding (SEMANTICS.md §8)', async () => {
        await fc.assert(fc.asyncProperty(raceArb(false), async s => {
            const { b, races } = await both(render(s));
            const rep = races[0];
            if (!rep.counterexample) return;
            // deferred arrivals are written out but are no choice: not counted; when they end the
            // counterexample before the segment's end, they stand for the expectation that flushes them
            const ce = rep.counterexample;
            const chosen = ce.filter(e => e.event.kind !== 'deferred').length;
            const posts = ce.filter(e => e.event.kind === 'post').length;
            const atExpectation = ce[ce.length - 1].event.kind === 'deferred' && posts < b.segments[0].post.length;
            if (atExpectation) expect(b.segments[0].post[posts].kind).toBe('expect');
            expect(chosen + (atExpectation ? 1 : 0), `counterexample [${ce.map(e => e.text).join(' ; ')}]`).toBe(b.results[0].minAt);
        }), FC);
    });
});

// ---- focused race semantics ---------------------------------------------------------------

/** rx on cpu0 and tx on cpu1 with their registers loaded by hand (policy manual). */
const MANUAL = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kworker
cpu0: switch rx
cpu0: xrstors rx
cpu1: switch tx
cpu1: xrstors tx
`;

describe('focused: races of three branches', () => {
    test('a lost notification needs all three branches in one order: XSAVES, the IPI, then the re-arming WRMSR', async () => {
        const text = `${MANUAL}race {                                // #race
  cpu0: xsaves rx                     // #xsaves
} with {
  cpu1: senduipi 0                    // #send
} with {
  cpu0: wrmsr IA32_UINTR_MISC 0xec << 32 | 255
}
expect delivered rx 3
`;
        const { c, races, b } = await agree(text);
        expect(sortedCodes(races[0].codes)).toEqual(['expect-failed', 'never-delivered', 'notification-lost']);
        expect(c.codes).toEqual([at(text, 'race-counterexample', 'race')]);
        // the shortest counterexample: XSAVES, SENDUIPI, the IPI arriving while UINV is 0
        const d = c.diagnostics.find(x => x.code === 'race-counterexample')!;
        expect(races[0].counterexample!.length).toBe(3);
        expect(races[0].finding!.code).toBe('notification-lost');
        expect(d.related.map(r => r.loc.line)).toEqual([L(text, 'xsaves'), L(text, 'send'), L(text, 'send')]);
        expect(d.related[2].message).toBe('IPI 0xec arrives at cpu0');
        replays(b, races);
    });

    test('three branches whose every interleaving delivers the vector are clean', async () => {
        const text = `${MANUAL}race {
  cpu0: clui
  cpu0: stui
} with {
  cpu1: senduipi 0
} with {
  cpu1: clui
  cpu1: stui
}
expect delivered rx 3
expect rx.upid.on == 0
expect cpu0.uif == 1
`;
        const { c, races } = await agree(text);
        expect(races[0].codes).toEqual([]);
        expect(c.codes).toEqual([]);
        // 5 steps of three branches (5!/(2!·1!·2!) = 30 orders), the IPI in several places
        expect(races[0].interleavings).toBeGreaterThanOrEqual(1);
        expect(races[0].states).toBeGreaterThan(races[0].interleavings);
    });

    test('three branches of three steps each agree with brute force under every built-in policy', async () => {
        for (const policy of POLICIES) {
            const text = `
machine { cpus 2 policy ${policy} }
task rx { handler 0x401000 }
task tx { target rx vector 2 }
kthread kworker
cpu0: switch rx
cpu1: switch tx
race {
  cpu0: switch kworker
  cpu0: switch rx
  cpu0: clui
} with {
  cpu1: senduipi 0
  cpu1: switch kworker
  cpu1: switch tx
} with {
  cpu0: stui
  cpu1: senduipi 0
  cpu0: interrupt 0xec
}
expect delivered rx 2
`;
            await agree(text);
        }
    });
});

describe('focused: several races in one file', () => {
    test('each race reports on its own line, naming only its own segment\'s codes; a clean race reports nothing', async () => {
        const text = `${MANUAL}race {              // #r1
  cpu0: stui
} with {
  cpu0: clui
}
expect cpu0.uif == 1  // #e1
race {              // #r2
  cpu0: xrstors rx  // #gp
} with {
  cpu1: stui
}
race {              // #r3
  cpu0: stui
} with {
  cpu1: clui
}
`;
        const { c, races } = await agree(text);
        expect(c.codes).toEqual([at(text, 'race-counterexample', 'r1'), at(text, 'race-counterexample', 'r2')]);
        expect(races.map(r => sortedCodes(r.codes))).toEqual([['expect-failed'], ['xrstors-gp'], []]);
        const d1 = c.diagnostics.find(d => d.code === 'race-counterexample' && d.loc.line === L(text, 'r1'))!;
        const d2 = c.diagnostics.find(d => d.code === 'race-counterexample' && d.loc.line === L(text, 'r2'))!;
        expect(d1.message).toContain('expect-failed');
        expect(d1.message).not.toContain('xrstors-gp');
        expect(d2.message).toContain('xrstors-gp');
        expect(d2.message).not.toContain('expect-failed');
        expect(d2.related.map(r => r.loc.line)).toEqual([L(text, 'gp')]);
    });

    test('an IPI in flight at the end of one race arrives before the next race starts', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch rx
cpu1: switch tx
race {
  cpu1: senduipi 0
} with {
  cpu1: clui
}
race {              // #r2
  cpu0: clui
} with {
  cpu1: stui
}
expect delivered rx 3
`;
        const { c, races } = await agree(text);
        expect(races.map(r => r.codes)).toEqual([[], []]);
        expect(c.codes).toEqual([]);
    });
});

describe('focused: expectations after a race', () => {
    test('an expect after a race is checked in every interleaving, and its failure is folded into the race', async () => {
        const text = `${MANUAL}race {             // #race
  cpu0: stui       // #stui
} with {
  cpu0: clui       // #clui
}
expect cpu0.uif == 1   // #exp
expect cpu0.uif <= 1
`;
        const { c, races, b } = await agree(text);
        expect(c.codes).toEqual([at(text, 'race-counterexample', 'race')]);
        expect(races[0].codes).toEqual(['expect-failed']);
        expect(races[0].finding!.cause).toBe(b.program.items.find(i => i.kind === 'expect')!.cause);
        const d = c.diagnostics.find(x => x.code === 'race-counterexample')!;
        expect(d.related.map(r => r.loc.line)).toEqual([L(text, 'stui'), L(text, 'clui'), L(text, 'exp')]);
        replays(b, races);
    });

    test('every IPI still in flight arrives before the expectation is checked', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch rx
cpu1: switch tx
race {
  cpu1: senduipi 0
} with {
  cpu0: stui
}
expect delivered rx 3
expect rx.upid.on == 0
expect rx.upid.pir == 0
`;
        const { c, races } = await agree(text);
        expect(races[0].codes).toEqual([]);
        expect(c.codes).toEqual([]);
    });

    test('an IPI in flight may arrive after the steps that follow the race, before the expectation', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch rx
cpu1: switch tx
race {                // #race
  cpu1: senduipi 0    // #send
} with {
  cpu1: stui
}
cpu0: clui            // #clui
expect delivered rx 3 // #exp
`;
        const { c, races, b } = await agree(text);
        expect(races[0].codes).toEqual(['expect-failed']);
        expect(c.codes).toEqual([at(text, 'race-counterexample', 'race')]);
        const d = c.diagnostics.find(x => x.code === 'race-counterexample')!;
        // the IPI arrives after the CLUI that follows the race
        const lines = d.related.map(r => r.loc.line);
        expect(lines.indexOf(L(text, 'clui'))).toBeLessThan(lines.lastIndexOf(L(text, 'send')));
        expect(lines[lines.length - 1]).toBe(L(text, 'exp'));
        replays(b, races);
    });

    test('a #GP that `expect gp` expects in every interleaving is said once as information on its step, as in a plain run (race audit)', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
race {
  cpu0: xrstors rx     // #gp
} with {
}
expect gp
`;
        const { c } = await agree(text);
        expect(c.codes).toEqual([]);
        expect(c.diagnostics.map(d => [d.code, d.severity, d.loc.line, d.message])).toEqual([
            ['xrstors-gp', 'information', L(text, 'gp'), 'expected: XRSTORS rx would #GP: UINV is 0xec, not 0'],
        ]);
    });

    test('`expect gp` after an empty race refers to the step before the race, whose #GP it expects (race audit)', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: xrstors rx       // #gp
race { } with { }
expect gp
`;
        const { c } = await agree(text);
        expect(c.codes).toEqual([]);
        const d = c.diagnostics.find(x => x.code === 'xrstors-gp')!;
        expect(d.loc.line).toBe(L(text, 'gp'));
        expect(d.severity).toBe('information');
        // and one that raised none still fails it
        const none = text.replace('cpu0: xrstors rx       // #gp', 'cpu0: stui             // #gp');
        expect((await check(none)).codes).toEqual([`race-counterexample@${L(none, 'gp') + 1}`]);
    });

    test('`expect gp` after a race refers to the last step of each interleaving', async () => {
        // the XRSTORS is the last step in one order only: the other order fails the expectation
        const mixed = `${MANUAL}race {              // #race
  cpu0: xrstors rx
} with {
  cpu1: stui
}
expect gp
`;
        const r1 = await agree(mixed);
        expect(sortedCodes(r1.races[0].codes)).toEqual(['expect-failed', 'xrstors-gp']);
        expect(r1.c.codes).toEqual([at(mixed, 'race-counterexample', 'race')]);
        // the same, with the branches written the other way round
        const swapped = `${MANUAL}race {
  cpu1: stui
} with {
  cpu0: xrstors rx
}
expect gp
`;
        expect(sortedCodes((await agree(swapped)).races[0].codes)).toEqual(['expect-failed', 'xrstors-gp']);
        // a race of one step: its #GP is the last step's in every interleaving, so it is expected
        const single = `${MANUAL}race {
  cpu0: xrstors rx
} with {
}
expect gp
`;
        const r3 = await agree(single);
        expect(r3.races[0].codes).toEqual([]);
        expect(r3.c.codes).toEqual([]);
        // two faulting branches: whichever runs last is expected, the other #GP is still reported
        const twoText = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
task rx2 { handler 0x402000 }
cpu0: switch rx
cpu0: xrstors rx
cpu1: switch rx2
cpu1: xrstors rx2
race {              // #race
  cpu0: xrstors rx
} with {
  cpu1: xrstors rx2
}
expect gp
`;
        const r4 = await agree(twoText);
        expect(r4.races[0].codes).toEqual(['xrstors-gp']);
        expect(r4.c.codes).toEqual([at(twoText, 'race-counterexample', 'race')]);
        // a step after the race is the last step of every interleaving
        const after = `${MANUAL}race {
  cpu0: clui
} with {
  cpu1: stui
}
cpu0: xrstors rx
expect gp
`;
        const r5 = await agree(after);
        expect(r5.races[0].codes).toEqual([]);
        expect(r5.c.codes).toEqual([]);
    });
});

describe('focused: run-time semantic errors inside a race', () => {
    test('a switch to a task current on the other CPU in some interleavings is a semantic error on its own line', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch rx
race {                 // #race
  cpu0: switch kworker
} with {
  cpu1: switch rx      // #sem
}
`;
        const { c, races } = await agree(text);
        expect(c.codes).toEqual([at(text, 'semantic', 'sem')]);
        expect(races[0].codes).toEqual([]);
        expect(c.diagnostics.find(d => d.code === 'semantic')!.message).toMatch(/current on cpu0/);
    });

    test('with a finding in the race too, the semantic error stays on its line and out of race-counterexample', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch rx
race {                 // #race
  cpu0: switch kworker
} with {
  cpu1: switch rx      // #sem
}
expect cpu1.current == rx
`;
        const { c, races } = await agree(text);
        expect(c.codes).toEqual([at(text, 'race-counterexample', 'race'), at(text, 'semantic', 'sem')]);
        expect(races[0].codes).toEqual(['expect-failed']);
        const d = c.diagnostics.find(x => x.code === 'race-counterexample')!;
        expect(d.message).not.toMatch(/semantic/);
    });

    test('a kernel action whose hook fails part way changes nothing in any interleaving (decisions #22)', async () => {
        // switch_in fails on tx's UPID after switch_out saved rx and set SN: undone, rx runs on
        const text = `
machine { cpus 2 policy p }
policy p extends linux_rfc { on switch_in { if next.upid.sn == 0 { } } }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
task ty { handler 0x402000 }
cpu0: switch rx
cpu1: switch ty
race {
  cpu0: switch tx      // #fails
} with {
  cpu1: switch tx      // #fails1
}
expect cpu0.current == rx
expect cpu0.uinv == 0xec
expect rx.upid.sn == 0
expect cpu1.current == ty
`;
        const { c, races } = await agree(text);
        expect(c.codes).toEqual([at(text, 'semantic', 'fails'), at(text, 'semantic', 'fails1')]);
        expect(races[0].codes).toEqual([]);
    });
});

describe('focused: self-IPIs of kernel actions inside a race', () => {
    // rx is switched out with vector 3 posted to its PIR (SN = 1, so no IPI was sent); switching
    // back, linux_rfc's return_to_user raises `interrupt uinv`, which must arrive as soon as the
    // switch ends — before the CLUI that follows it in the same branch, in every interleaving.
    for (const deferred of [false, true]) {
        test(`the RFC's self-IPI arrives right after the switch, before the next step${deferred ? ' (ipi deferred)' : ''}`, async () => {
            const text = `
machine { cpus 2 policy linux_rfc${deferred ? ' ipi deferred' : ''} }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kworker
cpu0: switch rx
cpu1: switch tx
cpu0: switch kworker
cpu1: senduipi 0
expect rx.upid.pir == 8
race {
  cpu0: switch rx    // #back
  cpu0: clui
} with {
  cpu1: switch idle
}
expect delivered rx 3
expect cpu0.uirr == 0
expect rx.upid.pir == 0
`;
            const { c, races, b } = await agree(text);
            expect(c.codes).toEqual([]);
            expect(races[0].codes).toEqual([]);
            // the delivery happened at the switch, in the race (the main trace does not run races)
            expect(b.results[0].codes.size).toBe(0);
        });
    }

    test('an `interrupt` step inside a race arrives at once, never in flight', async () => {
        const text = `${MANUAL}cpu0: set rx.upid.pir = 8
cpu0: set rx.upid.on = 1
race {
  cpu0: interrupt 0xec
  cpu0: clui
} with {
  cpu1: stui
}
expect delivered rx 3
`;
        const { c, races } = await agree(text);
        expect(races[0].codes).toEqual([]);
        expect(c.codes).toEqual([]);
    });
});

describe('focused: determinism and the contract of the counterexample', () => {
    test('the same text twice gives identical diagnostics, reports and counterexamples', async () => {
        const text = `${MANUAL}race {
  cpu0: xsaves rx
  cpu0: switch kworker
} with {
  cpu1: senduipi 0
  cpu1: clui
} with {
  cpu0: wrmsr IA32_UINTR_MISC 0xec << 32 | 255
}
expect delivered rx 3
race {
  cpu0: switch rx
} with {
  cpu0: xrstors rx
}
`;
        const a = await check(text);
        const b = await check(text);
        expect(a.diagnostics.length).toBeGreaterThan(0);
        expect(JSON.stringify(b.diagnostics)).toBe(JSON.stringify(a.diagnostics));
        expect(JSON.stringify(b.run!.races)).toBe(JSON.stringify(a.run!.races));
        expect(a.run!.races.every(r => r.counterexample !== null)).toBe(true);
    });

    test('IPIs deferred by the items after the race arrive at the end: the counterexample lists their arrivals, at their senders\' lines', async () => {
        const text = `
machine { cpus 2 policy manual ipi deferred }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: xrstors rx
cpu0: switch rx
cpu1: xrstors tx
cpu1: switch tx
race {                   // #race
  cpu0: stui             // #stui
} with {
}
cpu1: senduipi 0         // #send
cpu0: xsaves rx          // #xsaves
`;
        const c = await check(text);
        const d = c.diagnostics.find(x => x.code === 'race-counterexample')!;
        expect(d.loc.line).toBe(L(text, 'race'));
        expect(d.message).toContain('ends in notification-lost');
        expect(d.related.map(r => [r.loc.line, r.message])).toEqual([
            [L(text, 'stui'), 'cpu0: stui'], [L(text, 'send'), 'cpu1: senduipi 0'], [L(text, 'xsaves'), 'cpu0: xsaves rx'],
            [L(text, 'send'), 'IPI 0xec arrives at cpu0'],
        ]);
        // and it replays: the arrival is a step of the trace, after which UINV 0 has lost it
        const report = c.run!.races[0];
        const states = report.replay();
        expect(states.map(x => x.step.event.kind)).toEqual(['branch', 'post', 'post', 'deferred']);
        expect(states[3].state.upids[0].pir).toBe(8n);
    });

    test('IPIs deferred by the items after the race arrive at the next expectation: the counterexample lists each arrival, at its sender\'s line, before it', async () => {
        const text = `
machine { cpus 2 policy lazy_fpu ipi deferred }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kw
cpu0: switch rx
cpu1: switch tx
race {                   // #race
  cpu1: clui             // #clui
} with {
  cpu1: stui             // #stui
}
cpu1: senduipi 0         // #send
cpu0: switch kw          // #kw
cpu0: switch rx          // #rx
expect delivered rx 3    // #expect
`;
        const c = await check(text);
        const d = c.diagnostics.find(x => x.code === 'race-counterexample')!;
        expect(d.loc.line).toBe(L(text, 'race'));
        expect(d.message).toContain('counterexample (6 events) ends in notification-lost');
        // the arrival raises it: the expectation, which flushed it, is not part of the counterexample
        expect(d.related.map(r => [r.loc.line, r.message])).toEqual([
            [L(text, 'clui'), 'cpu1: clui'], [L(text, 'stui'), 'cpu1: stui'], [L(text, 'send'), 'cpu1: senduipi 0'],
            [L(text, 'kw'), 'cpu0: switch kw'], [L(text, 'rx'), 'cpu0: switch rx'], [L(text, 'send'), 'IPI 0xec arrives at cpu0'],
        ]);
        const states = c.run!.races[0].replay();
        expect(states.map(x => x.step.event.kind)).toEqual(['branch', 'branch', 'post', 'post', 'post', 'deferred']);
        expect(states[5].state.upids[0].pir).toBe(8n);
        expect(states[5].state.cpus[0].uinv).toBe(0n);
        // an expectation that fails with the IPI arrived lists the arrival before it
        const failing = text.replace('cpu0: switch kw          // #kw\ncpu0: switch rx          // #rx\n', '');
        const f = await check(failing.replace('expect delivered rx 3', 'expect cpu0.uinv == 0'));
        const e = f.diagnostics.find(x => x.code === 'race-counterexample')!;
        expect(e.message).toContain('ends in expect-failed');
        expect(e.related.map(r => r.message).slice(-2)).toEqual(['IPI 0xec arrives at cpu0', 'expect cpu0.uinv == 0']);
    });

    test('a later race that faults only after one order of the earlier: its lead-in is that order, and the chain replays from the first race', async () => {
        // race 1 is clean in both orders; race 2's XRSTORS faults only where rx ended up current
        // on cpu0 (UINV armed), which is race 1's order "switch tx, then switch rx"
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kw
race {                 // #race1
  cpu0: switch tx      // #tx
} with {
  cpu0: switch rx      // #rx
}
expect no lost         // #expect
race {                 // #race2
  cpu0: xrstors rx     // #xrstors
} with {
  cpu1: switch kw
}
`;
        const { b, races } = await agree(text);
        replays(b, races);
        const [first, second] = races;
        expect(first.counterexample).toBeNull();
        expect(first.leadIn).toEqual([]);
        expect(second.counterexample!.map(st => st.text)).toEqual(['cpu0: xrstors rx']);
        expect(second.finding!.code).toBe('xrstors-gp');
        expect(second.leadIn.map(l => [b.program.loc(l.race).line, l.steps.map(st => [b.program.loc(st.cause).line, st.text])])).toEqual([
            [L(text, 'race1'), [[L(text, 'tx'), 'cpu0: switch tx'], [L(text, 'rx'), 'cpu0: switch rx'], [L(text, 'expect'), 'expect no lost']]],
        ]);
        // replayed: the state after each event, what it changed, and the race it belongs to
        const lead = second.replayLeadIn();
        expect(lead.map(x => x.race)).toEqual([first.cause, first.cause, first.cause]);
        const rx = lead[2].state.runnables.find(x => x.name === 'rx')!;
        expect(lead[2].state.cpus[0].current).toBe(rx.id);
        expect(lead[2].state.cpus[0].uinv).toBe(0xecn);
        expect(lead[1].changes.map(c => c.path)).toContain('cpu0.uinv');
        expect(lead[1].changes.find(c => c.path === 'cpu0.uinv')).toEqual({ path: 'cpu0.uinv', old: 0n, value: 0xecn });
        expect(lead[2].changes).toEqual([]);
        // the counterexample itself changes nothing: the XRSTORS faults
        expect(second.replay().map(x => x.changes)).toEqual([[]]);
    });

    test('on ties, the first counterexample in written order, with the reduction on as off (SEMANTICS.md §8)', async () => {
        // the reduction runs the class with the fewest events first (cpu2's stui); the counterexample
        // is still the one the full search meets first: the IPI, then the branches as written
        const text = `
machine { cpus 3 policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch rx
cpu0: xrstors rx
cpu1: switch tx
cpu1: xrstors tx
race {
  cpu1: senduipi 0      // #send
} with {
  cpu0: clui            // #clui
} with {
  cpu2: stui            // #stui
}
expect delivered rx 3   // #expect
`;
        const reduced = await check(text);
        const full = await check(text, { explore: { reduction: false } });
        const lines = (c: Checked) => c.diagnostics.find(x => x.code === 'race-counterexample')!.related.map(r => [r.loc.line, r.message]);
        expect(lines(reduced)).toEqual([
            [L(text, 'send'), 'cpu1: senduipi 0'], [L(text, 'clui'), 'cpu0: clui'], [L(text, 'send'), 'IPI 0xec arrives at cpu0'],
            [L(text, 'stui'), 'cpu2: stui'], [L(text, 'expect'), 'expect delivered rx 3'],
        ]);
        expect(lines(full)).toEqual(lines(reduced));
    });

    test('the message names first the code that the counterexample exhibits (LANGUAGE.md §7: "exhibits the first of them")', async () => {
        // the complete interleavings meet xrstors-gp first, but the shortest prefix to a finding
        // is the one-event WRMSR that raises wrmsr-gp
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
cpu1: xrstors rx
race {                                                   // #race
  cpu1: clui
  cpu1: xrstors rx
} with {
  cpu0: wrmsr IA32_UINTR_STACKADJUST cpu1.uif << 63      // #wrmsr
}
`;
        const c = await check(text);
        const d = c.diagnostics.find(x => x.code === 'race-counterexample')!;
        expect(d.loc.line).toBe(L(text, 'race'));
        expect(d.message).toMatch(/^a race interleaving has wrmsr-gp, xrstors-gp — counterexample \(1 event\) ends in wrmsr-gp at line /);
        expect(d.related.map(r => r.loc.line)).toEqual([L(text, 'wrmsr')]);
        expect(c.run!.races[0].codes).toEqual(['wrmsr-gp', 'xrstors-gp']);
    });

    test('the counterexample is the shortest prefix: one XRSTORS that faults at once (brute force: 1 event)', async () => {
        // Found by the shortest-prefix property: tglx arms UINV on the way to user space, so the
        // race's XRSTORS faults as its first event; the explorer merged the one-event prefix into
        // a longer path with the same findings and reported [senduipi, xrstors].
        const text = `
machine { cpus 2 policy tglx }
task rx { handler 0x401000 }
task tx { target rx vector 1 }
kthread kworker
cpu0: switch rx
cpu1: switch tx
race {                  // #race
  cpu1: senduipi 0
  cpu0: switch kworker
} with {
  cpu0: xrstors rx      // #gp
}
`;
        const { c, races, b } = await agree(text);
        expect(b.results[0].minAt).toBe(1);
        const d = c.diagnostics.find(x => x.code === 'race-counterexample')!;
        expect(d.related.map(r => r.loc.line)).toEqual([L(text, 'gp')]);
        expect(races[0].counterexample!.length).toBe(1);
    });
});

// ---- the partial-order reduction ------------------------------------------------------------

/** Two receiver/sender pairs that share nothing: rx0/tx0 on cpu0/cpu1, rx1/tx1 on cpu2/cpu3. */
function pairs(policy: string, branches: readonly (readonly string[])[], post: readonly string[] = []): string {
    return [
        `machine { cpus 4 policy ${policy} }`,
        'task rx0 { handler 0x401000 ndst 0 }',
        'task rx1 { handler 0x402000 ndst 2 }',
        'task tx0 { target rx0 vector 1 }',
        'task tx1 { target rx1 vector 2 }',
        'kthread kw0',
        'kthread kw1',
        'cpu0: switch rx0', 'cpu1: switch tx0', 'cpu2: switch rx1', 'cpu3: switch tx1',
        renderRace(branches),
        ...post,
    ].join('\n') + '\n';
}

/** Steps local to each pair, and a few that join the pairs (a task of one pair on the other's CPU). */
const PAIR_A = ['cpu0: switch kw0', 'cpu0: switch rx0', 'cpu0: xsaves rx0', 'cpu0: clui', 'cpu0: stui', 'cpu1: senduipi 0', 'cpu1: switch idle', 'cpu1: switch tx0'];
const PAIR_B = ['cpu2: switch kw1', 'cpu2: switch rx1', 'cpu2: xrstors rx1', 'cpu3: senduipi 0', 'cpu3: switch idle', 'cpu3: switch tx1', 'cpu2: set rx1.upid.sn = 1'];
const CROSS = [
    'cpu2: switch rx0', 'cpu1: switch kw1', 'cpu0: interrupt 0xec',
    // values that read the other pair's state: the reduction must see what a step reads too
    'cpu0: wrmsr IA32_UINTR_STACKADJUST cpu2.uif << 63', 'cpu2: set rx1.upid.pir |= rx0.upid.pir',
];

/** The 1-based line of the first line that starts with `word`. */
function lineStarting(text: string, word: string): number {
    return text.split('\n').findIndex(l => l.startsWith(word)) + 1;
}

async function runWith(text: string, reduction: boolean): Promise<Checked> {
    return check(text, { explore: { reduction } });
}

describe('the transition cache (transitions.ts)', () => {
    /** What a race's report says, but for how it was computed (the cache's count). */
    const verdict = (r: RaceReport) => ({ ...r, cachedEvents: undefined, replay: undefined, replayLeadIn: undefined, steps: r.replay().map(s => `${s.step.text}: ${s.changes.map(c => `${c.path}=${String(c.value)}`).join(' ')}`) });

    test('on the ring family, most events are applied from it, and the search is the same event for event: states, interleavings, codes, counterexample', async () => {
        for (const policy of ['linux_rfc', 'lazy_fpu', 'tglx']) {
            const text = ring(2, 3, { policy, expects: 2 });
            const on = (await check(text)).run!.races[0];
            const off = (await check(text, { explore: { transitionCache: false } })).run!.races[0];
            expect(on.cachedEvents, policy).toBeGreaterThan(on.states);
            expect(off.cachedEvents).toBe(0);
            expect(verdict(on), policy).toEqual(verdict(off));
        }
    });

    test('random races, two CPUs and three: with and without it, the same report', async () => {
        const same = async (text: string) => {
            const on = await check(text);
            const off = await check(text, { explore: { transitionCache: false } });
            expect(on.codes, text).toEqual(off.codes);
            expect(on.run!.races.map(verdict), text).toEqual(off.run!.races.map(verdict));
            return on.run!.races.reduce((n, r) => n + r.cachedEvents, 0);
        };
        let cached = 0;
        await fc.assert(fc.asyncProperty(raceArb(true), async s => { cached += await same(render(s)); }), { seed: 17, numRuns: 30 });
        await fc.assert(fc.asyncProperty(wideArb, async s => { cached += await same(renderWide(s)); }), { seed: 19, numRuns: 30 });
        expect(cached).toBeGreaterThan(100);
    });
});

describe('partial-order reduction', () => {
    test('two pairs that share nothing: fewer states than the full search, the same verdict as it and as brute force', async () => {
        const text = pairs('lazy_fpu', [['cpu0: switch kw0', 'cpu0: switch rx0'], ['cpu1: senduipi 0'], ['cpu2: switch kw1', 'cpu2: switch rx1'], ['cpu3: senduipi 0']], ['expect no lost']);
        const reduced = await runWith(text, true);
        const full = await runWith(text, false);
        const r = reduced.run!.races[0], f = full.run!.races[0];
        expect(r.reducedStates).toBeGreaterThan(0);
        expect(f.reducedStates).toBe(0);
        expect(r.states).toBeLessThan(f.states / 2);
        expect(sortedCodes(r.codes)).toEqual(sortedCodes(f.codes));
        expect(r.codes.length).toBeGreaterThan(0);
        expect(reduced.codes).toEqual(full.codes);
        await agree(text);
    });

    test('sleep sets: a ring of three CPUs explores fewer states, with the same end states, verdict and counterexample', async () => {
        // each sender targets the next CPU's receiver, so every branch may interfere with every
        // other one and the persistent sets split nothing; but at a given state a branch's next
        // step often touches nothing another's touches, and sleep sets skip the second order
        for (const policy of ['linux_rfc', 'lazy_fpu']) {
            const text = ring(3, 1, { policy });
            const asleep = (await check(text)).run!.races[0];
            const awake = (await check(text, { explore: { sleepSets: false } })).run!.races[0];
            expect(asleep.states, policy).toBeLessThan(awake.states * 0.9);
            expect(asleep.sleptEvents).toBeGreaterThan(0);
            expect(awake.sleptEvents).toBe(0);
            expect(asleep.interleavings).toBe(awake.interleavings);
            expect(asleep.codes).toEqual(awake.codes);
            expect(asleep.counterexample).toEqual(awake.counterexample);
            const full = (await runWith(text, false)).run!.races[0];
            expect(full.codes).toEqual(asleep.codes);
            expect(asleep.codes).toEqual(policy === 'lazy_fpu' ? ['never-delivered'] : []);
        }
    });

    test('sleep sets: an IPI ignored before and after a step commutes with it, though both touch its CPU (ring 2 x 2)', async () => {
        // each sender's IPI often reaches the other CPU while a sender or kthread runs there with
        // UINV 0: a spurious interrupt that changes nothing, before or after that CPU's next step
        for (const policy of ['linux_rfc', 'lazy_fpu']) {
            const text = ring(2, 2, { policy });
            const asleep = (await check(text)).run!.races[0];
            const awake = (await check(text, { explore: { sleepSets: false } })).run!.races[0];
            const full = (await runWith(text, false)).run!.races[0];
            expect(asleep.sleptEvents, policy).toBeGreaterThan(100);
            expect(asleep.states).toBeLessThan(awake.states);
            expect(asleep.interleavings).toBe(awake.interleavings);
            expect(asleep.codes).toEqual(awake.codes);
            expect(asleep.counterexample).toEqual(awake.counterexample);
            expect(sortedCodes(asleep.codes)).toEqual(sortedCodes(full.codes));
        }
    });

    test('a step alone on a quiet CPU (PartialOrder.classesAlone): a branch about to switch to its kthread while its sender runs there (UINV 0), where the other branch\'s IPIs are ignored before and after, is explored before anything else', async () => {
        // ring 2 x 2 and 3 x 2 keep 81-93% of the full search's states without the rule, at most
        // 70% and 55% with it; the same complete interleavings, verdict and counterexample
        for (const [n, l, most] of [[2, 2, 0.7], [3, 2, 0.55]] as const) {
            for (const policy of ['linux_rfc', 'lazy_fpu']) {
                const text = ring(n, l, { policy, expects: n });
                const reduced = (await check(text)).run!.races[0];
                const full = (await runWith(text, false)).run!.races[0];
                expect(reduced.states, `${n} x ${l} ${policy}`).toBeLessThan(full.states * most);
                expect(reduced.reducedStates).toBeGreaterThan(reduced.states / 3);
                expect(reduced.interleavings).toBe(full.interleavings);
                expect(reduced.codes).toEqual(full.codes);
                expect(reduced.counterexample?.length ?? 0).toBe(full.counterexample?.length ?? 0);
            }
        }
        // and as brute force says, where it can enumerate
        for (const policy of ['linux_rfc', 'lazy_fpu', 'tglx']) await agree(ring(2, 1, { policy, expects: 2 }));
    });

    test('the reduction sees what a step\'s value reads: another CPU\'s register, another task\'s UPID', async () => {
        // cpu1's WRMSR reads cpu0's UIF: only the order "WRMSR, then CLUI" writes a
        // non-canonical STACKADJUST (the steps run on different CPUs and name nothing)
        const reads = await agree(`
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
race {                                                   // #race
  cpu0: clui
} with {
  cpu1: wrmsr IA32_UINTR_STACKADJUST cpu0.uif << 63      // #wrmsr
}
`);
        expect(reads.races[0].codes).toEqual(['wrmsr-gp']);
        const upid = await agree(pairs('manual', [['cpu0: set rx0.upid.pir = 1'], ['cpu2: set rx1.upid.on = rx0.upid.pir']], ['expect rx1.upid.on == 1']));
        expect(upid.races[0].codes).toEqual(['expect-failed']);
    });

    test('a SENDUIPI\'s index is a value too: it reads another CPU\'s register or another task\'s UPID (the static classes, the quiet-CPU rule and the transition cache each missed the #GP)', async () => {
        // only where the other branch runs first is the index 1, an invalid UITT entry
        const head = 'machine { cpus 3 }\ntask rx { handler 0x401000 }\ntask ry { handler 0x402000 }\ntask tx { target rx vector 1 }\ncpu0: switch rx\ncpu1: switch tx\n';
        for (const race of [
            'race {\n  cpu1: senduipi cpu2.uif\n} with {\n  cpu2: stui\n}\n', // the static classes
            'race {\n  cpu1: senduipi cpu2.uif\n  cpu2: testui\n} with {\n  cpu2: stui\n}\n', // the quiet-CPU rule
            'race {\n  cpu1: senduipi cpu2.uif\n  cpu2: testui\n} with {\n  cpu2: stui\n  cpu1: testui\n}\n', // the transition cache
            'race {\n  cpu1: senduipi ry.upid.on\n} with {\n  cpu2: set ry.upid.on = 1\n}\n', // another task's UPID
        ]) {
            const { races } = await agree(head + race);
            expect(races[0].codes, race).toEqual(['senduipi-gp']);
        }
    });

    test('random races over two pairs (some steps join them): the codes equal brute force\'s and the full search\'s, and counterexamples replay', async () => {
        const branch = (steps: readonly string[]): fc.Arbitrary<string[]> => fc.array(fc.oneof(
            { arbitrary: fc.constantFrom(...steps), weight: 6 }, { arbitrary: fc.constantFrom(...CROSS), weight: 1 }), { minLength: 1, maxLength: 2 });
        const arb = fc.record({
            policy: fc.constantFrom(...POLICIES),
            branches: fc.tuple(branch(PAIR_A), branch(PAIR_A), branch(PAIR_B), branch(PAIR_B)),
            post: fc.constantFrom([], ['expect no lost'], ['expect delivered rx1 2'], ['cpu0: switch rx0', 'expect pending rx0 1']),
        });
        let reducedSome = 0;
        await fc.assert(fc.asyncProperty(arb, async s => {
            const text = pairs(s.policy, s.branches, s.post);
            const { b, races } = await agree(text);
            replays(b, races);
            const full = await runWith(text, false);
            expect(sortedCodes(races[0].codes)).toEqual(sortedCodes(full.run!.races[0].codes));
            expect(races[0].states).toBeLessThanOrEqual(full.run!.races[0].states);
            // sleep sets leave out events, never a complete interleaving's end state
            const awake = (await check(text, { explore: { sleepSets: false } })).run!.races[0];
            expect(races[0].interleavings).toBe(awake.interleavings);
            expect(sortedCodes(races[0].codes)).toEqual(sortedCodes(awake.codes));
            expect(races[0].states).toBeLessThanOrEqual(awake.states);
            // the same counterexample as the full search: as short, and first in written order on ties
            const texts = (r: RaceReport): string[] | undefined => r.counterexample?.map(e => `${e.cause}:${e.text}`);
            expect(texts(races[0])).toEqual(texts(full.run!.races[0]));
            if (races[0].reducedStates > 0) reducedSome++;
        }), { seed: Number(process.env.UINTR_PROP_SEED ?? 23), numRuns: Number(process.env.UINTR_PROP_RUNS ?? 40) });
        // the property is only worth something if the reduction did apply in most runs
        expect(reducedSome).toBeGreaterThan(20);
    });

    test('shortening drops a SENDUIPI with its IPI\'s arrival, or lets an identical IPI arrive instead: the reduced search\'s counterexample is the full one\'s', async () => {
        // found by the random-race property (seed 555, 400 runs): the reduction's first path to
        // lost@(first senduipi) went through the second branch's senduipi and its arrival
        const text = pairs('linux_rfc', [['cpu1: senduipi 0', 'cpu0: xsaves rx0'], ['cpu1: senduipi 0'], ['cpu2: switch kw1'], ['cpu2: switch kw1', 'cpu2: switch kw1']]);
        const texts = (c: Checked): string[] | undefined => c.run!.races[0].counterexample?.map(e => `${e.cause}:${e.text}`);
        const full = await runWith(text, false);
        expect(texts(full)).toEqual(['5:cpu1: senduipi 0', '6:cpu0: xsaves rx0', '5:IPI 0xec arrives at cpu0']);
        expect(texts(await runWith(text, true))).toEqual(texts(full));
        expect(texts(await check(text, { explore: { sleepSets: false } }))).toEqual(texts(full));
    });

    test('shortening and reordering let an identical IPI that another step sent arrive in place of one whose sender moves', async () => {
        // causes: the four switches 0-3, the race 4, branch steps 5 (send) 6 (xsaves) 7 (send), the expectation 8
        const text = pairs('linux_rfc', [['cpu1: senduipi 0', 'cpu0: xsaves rx0'], ['cpu1: senduipi 0']], ['expect no lost']);
        const b = await brute(text);
        const seg = b.segments[0];
        const ipi = (cause: number): CounterStep => ({ cause, text: 'IPI 0xec arrives at cpu0', event: { kind: 'ipi', index: 0, ipi: `236>0@${0xffff_8880_0010_0000n}#${cause}` } });
        const branch = (cause: number, k: number, t: string): CounterStep => ({ cause, text: t, event: { kind: 'branch', branch: k } });
        const post = (cause: number): CounterStep => ({ cause, text: 'expect no lost', event: { kind: 'post' } });
        // the second branch's SENDUIPI first: the first's posts with ON = 1 and sends nothing
        const path = [branch(7, 1, 'cpu1: senduipi 0'), branch(5, 0, 'cpu1: senduipi 0'), branch(6, 0, 'cpu0: xsaves rx0'), ipi(7), post(8)];
        const finding: Finding = { code: 'expect-failed', cause: 8, message: '', at: path.length };
        expect(replay(b.results[0].starts[0], seg, path, finding)).toBeNull(); // a real interleaving that fails the expectation
        const ce = counterexample([{ finding, path, origin: b.results[0].starts[0] }], seg.race, seg.post, seg.last);
        // the race must end before the expectation, so the second SENDUIPI stays, after the arrival
        expect(ce!.path.map(e => `${e.cause}:${e.text}`)).toEqual(['5:cpu1: senduipi 0', '6:cpu0: xsaves rx0', '5:IPI 0xec arrives at cpu0', '7:cpu1: senduipi 0', '8:expect no lost']);
    });

    test('a counterexample carries only the events its finding needs, even where the reduction ran another class first', async () => {
        // pair A's two steps and pair B's faulting XRSTORS: the reduction runs A's class first
        const text = pairs('manual', [['cpu0: switch kw0', 'cpu0: switch rx0'], ['cpu2: xrstors rx1', 'cpu2: xrstors rx1']]);
        const reduced = await runWith(text, true);
        const full = await runWith(text, false);
        const r = reduced.run!.races[0];
        expect(r.reducedStates).toBeGreaterThan(0);
        expect(r.codes).toEqual(['xrstors-gp']);
        expect(r.counterexample!.map(e => e.text)).toEqual(['cpu2: xrstors rx1', 'cpu2: xrstors rx1']);
        expect(r.counterexample!.length).toBe(full.run!.races[0].counterexample!.length);
        await agree(text);
    });

    test('no reduction where the footprint cannot be bounded: wait (the wake hook walks every waiting task), expect gp right after the race', async () => {
        const waiting = await check(pairs('linux_rfc', [['cpu0: wait'], ['cpu1: senduipi 0'], ['cpu2: switch kw1'], ['cpu3: senduipi 0']]));
        expect(waiting.run!.races[0].reducedStates).toBe(0);
        const gp = await check(pairs('lazy_fpu', [['cpu0: switch kw0'], ['cpu1: senduipi 0'], ['cpu2: switch kw1'], ['cpu3: senduipi 0']], ['expect gp']));
        expect(gp.run!.races[0].reducedStates).toBe(0);
        const local = await check(pairs('lazy_fpu', [['cpu0: switch kw0'], ['cpu1: senduipi 0'], ['cpu2: switch kw1'], ['cpu3: senduipi 0']], ['expect no lost']));
        expect(local.run!.races[0].reducedStates).toBeGreaterThan(0);
    });

    test('a user policy whose hook names a task directly is not reduced; the same hook on a bound name is', async () => {
        const policy = (obj: string): string => `policy mine extends linux_rfc { on switch_in { if receiver(next) { set ${obj}.upid.sn = 0 } } }\n`;
        const text = (obj: string): string => pairs('mine', [['cpu0: switch kw0', 'cpu0: switch rx0'], ['cpu1: senduipi 0'], ['cpu2: switch kw1'], ['cpu3: senduipi 0']])
            .replace('kthread kw0', `kthread kw0\n${policy(obj)}`);
        const named = await check(text('rx1'));
        expect(named.run, show(named.diagnostics)).toBeDefined();
        expect(named.run!.races[0].reducedStates).toBe(0);
        const bound = await check(text('next'));
        expect(bound.run!.races[0].reducedStates).toBeGreaterThan(0);
    });

    test('the default bound on states is lowered on a machine so large that its states would take more than the memory allowed; an explicit bound is taken as given', async () => {
        // a state costs about 1.3 KB plus 9 bytes per machine object: 200,000 fit in 1 GB up to
        // about 410 objects; 64 CPUs and 1,000 tasks (3,100 objects) get about 34,000
        expect(defaultMaxStates(160)).toBe(200_000);
        expect(defaultMaxStates(3_100)).toBe(Math.floor(1e9 / (1_300 + 9 * 3_100)));
        expect(defaultMaxStates(1e7)).toBe(1_000);
        // and 12 bytes per branch of the race: 1,000 branches on 64 CPUs took 2.7 GB for 200,000 states
        expect(defaultMaxStates(160, undefined, 2)).toBe(200_000);
        expect(defaultMaxStates(131, undefined, 1_000)).toBe(Math.floor(1e9 / (1_300 + 9 * 131 + 12 * 1_000)));
        // on a race of more than 1,000 states, with the memory the default bound allows made small
        const text = ring(2, 3);
        const full = await check(text);
        expect(full.run!.races[0].states).toBeGreaterThan(1_000);
        const small = await check(text, { explore: { stateMemory: 1_000_000 } });
        expect(small.run!.races[0].states).toBe(1_000);
        expect(small.run!.races[0].cutBy).toBe('states');
        expect(small.diagnostics.find(d => d.severity === 'information')?.message).toMatch(/^the search stopped at 1000 states/);
        const given = await check(text, { explore: { stateMemory: 1_000_000, maxStates: 1_500 } });
        expect(given.run!.races[0].states).toBe(1_500);
        // a race of 300 branches on a small machine: its branches count, not only its objects
        const wide = `machine { cpus 2 }\ntask rx { handler 0x401000 }\nrace ${Array.from({ length: 300 }, (_, i) => `{ cpu${i % 2}: switch idle cpu${i % 2}: xrstors init }`).join(' with ')}\n`;
        const many = await check(wide, { explore: { stateMemory: 10_000_000 } });
        expect(many.run!.races[0].cutBy).toBe('states');
        expect(many.run!.races[0].states).toBeLessThanOrEqual(Math.floor(1e7 / (1_300 + 12 * 300)));
        expect(many.run!.races[0].states).toBeGreaterThan(Math.floor(1e7 / (1_300 + 9 * 100 + 12 * 300)));
    });

    test('a depth bound cuts the search with an information diagnostic on the race', async () => {
        const text = pairs('linux_rfc', [['cpu0: switch kw0', 'cpu0: switch rx0'], ['cpu1: senduipi 0']]);
        const cut = await check(text, { explore: { maxDepth: 2 } });
        const r = cut.run!.races[0];
        expect(r.truncated).toBe(true);
        expect(r.cutBy).toBe('depth');
        const info = cut.diagnostics.find(d => d.code === 'race-counterexample' && d.severity === 'information');
        expect(info?.message).toMatch(/bound of events per interleaving/);
        const states = await check(text, { explore: { maxStates: 3 } });
        expect(states.run!.races[0].cutBy).toBe('states');
        expect(states.diagnostics.find(d => d.severity === 'information')?.message).toMatch(/stopped at 3 states/);
        // no interleaving completed within the bound: one is run to its end (the first event in
        // the search's order at each point), so the race has an end state and a later race is
        // explored from it, under the same bound
        expect(states.run!.races[0].interleavings).toBe(1);
        const two = await check(text + 'race { cpu2: switch kw1 } with { cpu3: senduipi 0 }\n', { explore: { maxStates: 3 } });
        const infos = two.diagnostics.filter(d => d.severity === 'information');
        expect(infos.map(d => d.loc.line)).toEqual([lineStarting(text, 'race'), text.split('\n').length]);
        expect(infos.map(d => d.message)).toEqual([expect.stringMatching(/^the search stopped at 3 states/), expect.stringMatching(/^the search stopped at 3 states/)]);
        expect(two.run!.races.map(r => r.interleavings)).toEqual([1, 1]);
    });

    test('a cut search reports a fault it met in a prefix no finished interleaving went through (race audit)', async () => {
        const text = `
machine { cpus 1 policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
race {                 // #race
  cpu0: wrmsr IA32_UINTR_MISC 0
  cpu0: stui
} with {
  cpu0: xrstors rx     // #gp
}
`;
        const full = await check(text);
        expect(full.codes).toEqual([at(text, 'race-counterexample', 'race')]);
        for (const explore of [{ maxDepth: 1 }, { maxStates: 2 }]) {
            const cut = await check(text, { explore });
            expect(cut.run!.races[0].truncated, JSON.stringify(explore)).toBe(true);
            expect(cut.codes, JSON.stringify(explore)).toEqual([at(text, 'race-counterexample', 'race')]);
            const d = cut.diagnostics.find(x => x.code === 'race-counterexample')!;
            expect(d.message).toMatch(/counterexample \(1 event\) ends in xrstors-gp at line \d+/);
            expect(d.related[0].loc.line).toBe(L(text, 'gp'));
            expect(d.related.at(-1)!.message).toMatch(/^the search stopped/);
        }
    });

    test('a cut search does not report a #GP that the expect gp after the race may expect: its step may run last (race audit 2)', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
kthread kw
cpu0: switch rx
race {                 // #race
  cpu1: switch kw
  cpu0: xrstors rx     // #gp
} with {
}
expect gp
`;
        expect((await check(text)).codes).toEqual([]);
        for (const explore of [{ maxDepth: 2 }, { maxStates: 2 }, { maxStates: 3 }]) {
            const cut = await check(text, { explore });
            expect(cut.run!.races[0].truncated, JSON.stringify(explore)).toBe(true);
            expect(cut.codes, JSON.stringify(explore)).toEqual([]);
            expect(cut.diagnostics.filter(d => d.code === 'xrstors-gp').map(d => [d.severity, d.loc.line])).toEqual([['information', L(text, 'gp')]]);
        }
        // a step with another after it in its branch never runs last: its #GP holds in every completion
        const notLast = text.replace('cpu0: xrstors rx     // #gp', 'cpu0: xrstors rx     // #gp\n  cpu0: clui');
        expect((await check(notLast)).codes).toEqual([at(notLast, 'race-counterexample', 'race')]);
        const cut = await check(notLast, { explore: { maxDepth: 2 } });
        expect(cut.run!.races[0].truncated).toBe(true);
        expect(cut.codes).toEqual([at(notLast, 'race-counterexample', 'race')]);
    });

    test('a cut search runs interleavings drawn at random to their end: a finding raised at the end (never-delivered) that the first interleaving misses is reported (a usage audit: it was "0 errors")', async () => {
        const text = `
machine { cpus 3 policy eager }
task rx { handler 0x401000 }
task t1 { target rx vector 1 }
task t2 { target rx vector 2 }
kthread k
cpu0: switch rx
cpu1: switch t1
cpu2: switch t2
race {
  cpu0: switch k
  cpu0: switch rx
} with {
  cpu1: senduipi 0
} with {
  cpu2: senduipi 0
}
`;
        const full = await check(text);
        const cut = await check(text, { explore: { maxStates: 5 } });
        expect(cut.run!.races[0]).toMatchObject({ truncated: true, cutBy: 'states', interleavings: 1 }); // the drawn ones are not counted
        // the same verdict as the whole search: the error, with the bound's information among its related locations
        expect(cut.codes).toEqual(full.codes);
        expect(cut.run!.races[0].codes).toContain('never-delivered');
        const error = cut.diagnostics.find(d => d.severity === 'error')!;
        expect(error.related.at(-1)!.message).toMatch(/^the search stopped at 5 states: .*; 64 interleavings drawn at random were run to their end$/);
        // a real interleaving: replayed, it ends in the finding
        const events = cut.run!.races[0].replay();
        expect(events.length).toBe(cut.run!.races[0].counterexample!.length);
        // deterministic: the same draws every time
        expect((await check(text, { explore: { maxStates: 5 } })).diagnostics).toEqual(cut.diagnostics);
    });

    test('an interleaving run to its end when the bound cut the search stops at the bound of events: a policy that answers every arrival with another IPI never lets one end (it hung)', async () => {
        const text = `
machine { cpus 2 policy p }
policy p extends linux_rfc { on wake { foreach waiting w { set w.upid.on = 0 } senduipi 0 } }
task rx { handler 0x401000 }
task t0 { target rx vector 1 }
task t1 { target rx vector 2 }
cpu0: switch rx
cpu0: wait
cpu0: switch t0
cpu1: switch t1
race { cpu0: senduipi 0 } with { cpu1: senduipi 0 }
`;
        const c = await check(text, { explore: { maxStates: 3 } });
        expect(c.run!.races[0]).toMatchObject({ truncated: true, cutBy: 'states' });
        expect(c.diagnostics.some(d => d.code === 'race-counterexample' && /^the search stopped at 3 states/.test(d.message))).toBe(true);
    });

    test('a race too large for the bound still reports what one complete interleaving finds: a failed expectation', async () => {
        // 3 branches of 4 steps each, every one changing the PIR: the search stops at 50 states
        // long before any interleaving completes; the expectation fails in all of them
        const steps = (cpu: number, from: number) => [0, 1, 2, 3].map(i => `cpu${cpu}: set rx.upid.pir = (rx.upid.pir << 1) ^ ${from + i}`);
        const text = `machine { cpus 3 policy manual }\ntask rx { handler 0x401000 }\n${renderRace([steps(0, 1), steps(1, 5), steps(2, 9)])}\nexpect rx.upid.pir == 12345\n`;
        const c = await check(text, { explore: { maxStates: 50 } });
        const race = lineStarting(text, 'race');
        // one diagnostic per (code, line): the bound's information joins the error's related locations
        expect(c.diagnostics.map(d => [d.code, d.severity, d.loc.line])).toEqual([['race-counterexample', 'error', race]]);
        const error = c.diagnostics[0];
        expect(error.message).toMatch(/^a race interleaving has expect-failed — counterexample \(13 events\) ends in expect-failed/);
        // the interleaving run: each branch as written, one after another, then the expectation
        expect(error.related.map(r => r.message)).toEqual([...steps(0, 1), ...steps(1, 5), ...steps(2, 9), 'expect rx.upid.pir == 12345',
            expect.stringMatching(/^the search stopped at 50 states/)]);
        expect(c.run!.races[0]).toMatchObject({ truncated: true, cutBy: 'states', interleavings: 1 });
    });
});
