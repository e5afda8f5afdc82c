/**
 * The sequential run of a scenario (SEMANTICS.md §3): steps in file order, IPIs immediate or
 * deferred, expectations on the settled state, end-of-scenario checks, and every diagnostic
 * of SEMANTICS.md §6 placed at the line of its cause. Pure: same program, same result.
 */
import { hex, setBits } from '../machine/bits.js';
import { buildMachine } from '../machine/build.js';
import { PairLog } from '../machine/change-log.js';
import { cloneMachine } from '../machine/clone.js';
import type { Fault, Ipi, MachineEvent } from '../machine/events.js';
import { arrive, deliverAll } from '../machine/interrupt.js';
import { NO_CAUSE, postedCause, type Counters, type Machine } from '../machine/state.js';
import { UndoLog } from '../machine/undo-log.js';
import { RunError, type Exec, type ExecContext, type RunSink } from '../kernel/context.js';
import { Kernel } from '../kernel/kernel.js';
import { compilePolicyForRun, hookPlace } from '../kernel/policy.js';
import * as ast from '../syntax/generated/ast.js';
import { DEFAULT_SEVERITY, DiagnosticSet, type DiagnosticCode, type ScenarioDiagnostic, type Severity, type SourceLoc } from './diagnostics.js';
import { expectText, type ExpectCode, type ExpectItem, type Program, type StepCode, type StepItem } from './program.js';
import { RaceExploration, type ExploreOptions, type RaceReport } from './race-explorer.js';
import { Trace } from './trace.js';

export interface RunResult {
    readonly diagnostics: ScenarioDiagnostic[];
    readonly trace: Trace;
    /** SEMANTICS.md §7's counts of the run: up to the first race, if there is one (see {@link countsAsWritten}). */
    readonly counters: Counters;
    /**
     * The counts of the file run as written, each race's branches one after another in written
     * order (a race has no one run; --stats and the code lens show these), made when asked.
     */
    countsAsWritten(): Counters;
    /**
     * The file run as written, each race's branches one after another in written order: one of
     * its interleavings, with its trace and what it found (`uintr trace` shows it after the first
     * race, which has no one run), made when asked. Without a race, the run itself.
     */
    asWritten(): AsWrittenRun;
    readonly policy: string;
    /** What the exploration of each race found (in file order). */
    readonly races: RaceReport[];
}

/** A run of the file as written (see {@link RunResult.asWritten}). */
export interface AsWrittenRun {
    readonly trace: Trace;
    /** What this one interleaving raised, at the lines of its steps and items (not folded into `race-counterexample`). */
    readonly diagnostics: ScenarioDiagnostic[];
}

export const GP_CODES = new Set<DiagnosticCode>(['xrstors-gp', 'senduipi-gp', 'wrmsr-gp']);

/**
 * At most this many interrupts arrive in a row before the run moves on (decisions.md #45): one
 * step of a real scenario brings a few (an IPI, the self-IPI a hook raises, the kernel vector's).
 */
export const STORM_MAX = 1000;

/** A diagnostic found while exploring a race, kept per interleaving. */
export interface Finding {
    readonly code: DiagnosticCode;
    readonly cause: number;
    readonly message: string;
    /** The number of events of the interleaving when it was found. */
    readonly at: number;
}

export interface RunOptions extends ExploreOptions {
    /** Record the trace (default true). */
    readonly recordTrace?: boolean;
}

/**
 * A run of a lowered program under a policy: the items before the first race run when it is
 * made; the races, if any, are left to {@link ProgramRun.exploration}, which the caller
 * advances (at once, or in slices) before it asks for the {@link ProgramRun.result}.
 */
export class ProgramRun {
    private readonly runner: Runner;
    /** The exploration of the file's races, or null when it has none. */
    readonly exploration: RaceExploration | null = null;

    constructor(private readonly program: Program, private readonly policy: ast.Policy, options: RunOptions = {}) {
        const runner = newRunner(program, policy, options.recordTrace ?? true);
        this.runner = runner;
        const race = runToRace(runner, program);
        if (race < 0) {
            runner.finish();
            return;
        }
        runner.flushDeferred();
        runner.trace?.endItem(race); // the items before the first race have their index as their cause
        this.exploration = new RaceExploration(runner, race, options);
    }

    /** The result so far: complete once the exploration (if any) has finished. */
    result(): RunResult {
        const r = this.runner.result(this.exploration ? [...this.exploration.reports] : []);
        if (!this.exploration) return r;
        let written: Counters | undefined;
        let run: AsWrittenRun | undefined;
        return {
            ...r,
            countsAsWritten: () => (written ??= runAsWritten(this.program, this.policy, false).m.counters),
            asWritten: () => {
                if (!run) {
                    const runner = runAsWritten(this.program, this.policy, true);
                    run = { trace: runner.trace!, diagnostics: runner.diags.sorted() };
                }
                return run;
            },
        };
    }
}

function newRunner(program: Program, policy: ast.Policy, recordTrace: boolean): Runner {
    const m = buildMachine(program.config, program.tasks, program.kthreads);
    m.recording = recordTrace;
    const kernel = new Kernel(compilePolicyForRun(program.env, policy));
    const ran = recordTrace ? new PairLog() : null;
    return new Runner(program, kernel, m, new DiagnosticSet(), new Trace(program, m, ran), ran);
}

/**
 * Runs the items up to the first race; returns its index, or -1 when there is none. A function
 * of its own: the hot loop stays optimised (inside the constructor, V8 threw its code away at
 * the end of every run).
 */
function runToRace(runner: Runner, program: Program): number {
    const { codes, itemCodes } = program;
    for (let i = 0; i < itemCodes.length; i++) {
        const c = itemCodes[i];
        if (c < 0) return i;
        const code = codes[c];
        if (code.kind === 'step') runner.runStep(code, i);
        else runner.runExpect(code, i);
    }
    return -1;
}

/**
 * The file run as written: each race's branches one after another, in written order, their IPIs
 * arriving as the machine's `ipi` mode says (one of the race's interleavings: SEMANTICS §3 lets a
 * race's IPI arrive at any later point). A race is where deferred IPIs arrive, as outside races;
 * its point is an entry of the trace of its own.
 */
function runAsWritten(program: Program, policy: ast.Policy, recordTrace: boolean): Runner {
    const runner = newRunner(program, policy, recordTrace);
    for (const item of program.items) {
        if (item.kind === 'race') {
            runner.flushDeferred();
            runner.trace?.endItem(item.cause);
            for (const branch of item.branches) for (const step of branch) runner.step(step);
        } else if (item.kind === 'step') runner.step(item);
        else runner.expectItem(item);
    }
    runner.finish();
    return runner;
}

/** Runs a lowered program under a policy (the file's own, or an override), races included. */
export function runProgram(program: Program, policy: ast.Policy, options: RunOptions = {}): RunResult {
    const run = new ProgramRun(program, policy, options);
    run.exploration?.advance();
    return run.result();
}

/** The empty list of findings or semantic errors that kept states share (never added to: see Runner.resume). */
const NONE = Object.freeze([]) as unknown as never[];

/** What a runner holds besides its machine: what an explorer keeps of it per state (see Runner.resume). */
export interface RunnerState {
    readonly deferred: readonly Ipi[];
    readonly inFlight: readonly Ipi[];
    readonly lostAt: number;
    readonly lastStep: number;
    readonly findings: Finding[];
    readonly semantics: number[];
    readonly events: number;
}

/** What {@link Runner.save} keeps (one object, filled again for every event an explorer tries). */
export class RunnerMark {
    deferred: readonly Ipi[] = [];
    inFlight: readonly Ipi[] = [];
    raceMode = false;
    lostAt = NO_CAUSE;
    lastStep = NO_CAUSE;
    findings: Finding[] | null = null;
    findingsLength = 0;
    semantics: number[] | null = null;
    semanticsLength = 0;
    events = 0;
}

/**
 * Runs items against a machine. The main run records a trace; a race's exploration forks
 * runners (machine and all) at every choice and collects findings per interleaving instead
 * of diagnostics.
 */
export class Runner implements RunSink {
    readonly ctx: ExecContext;
    /** Interrupts that arrived since the run last moved on (a step, an expectation, an explorer's event, a flush): see {@link arrive}. */
    private arrivals = 0;
    /** IPIs sent during the current step or action, in order. */
    private sent: { ipi: Ipi; self: boolean }[] = [];
    /** `ipi deferred`: IPIs waiting for the next expectation, race or end (never changed in place). */
    deferred: readonly Ipi[] = [];
    /** Inside a race: IPIs sent by the race's steps, still in flight, any may arrive next (never changed in place). */
    inFlight: readonly Ipi[] = [];
    /** True while running a race's branches: their IPIs join {@link inFlight}. */
    raceMode = false;
    /** #GP diagnostics raised by each step (cause), for `expect gp`. */
    private gpByCause: Map<number, ScenarioDiagnostic[]> | null = null;
    /** The steps whose #GPs each of those holds (two steps on one line share one: see `expect gp`). */
    private gpCauses: Map<ScenarioDiagnostic, Set<number>> | null = null;
    lostAt: number = NO_CAUSE;
    lastStep: number = NO_CAUSE;
    /** Exploring: what this interleaving found so far (semantic errors go to `diags`). */
    findings: Finding[] | null = null;
    /** Exploring: the causes of this interleaving's run-time `semantic` errors (part of its state). */
    semantics: number[] | null = null;
    /** Exploring: the number of events of this interleaving. */
    events = 0;
    /** The kernel vector's action: the wake hook. */
    private readonly wake: Exec = ctx => this.kernel.wake(ctx);
    /** The writes of the kernel action being run, to undo if a hook fails (see {@link runAction}). */
    private readonly stepUndo = new UndoLog();
    private readonly countersAtStep: Counters = { xsaves: 0, xrstors: 0, wrmsr: 0, selfIpis: 0, spurious: 0, deliveries: 0 };

    constructor(readonly program: Program, readonly kernel: Kernel, readonly m: Machine, readonly diags: DiagnosticSet,
        readonly trace: Trace | null, ran: PairLog | null) {
        this.ctx = {
            m, kernel, sink: this, cpu: m.cpus[0], prev: null, next: null, cur: null,
            vars: new Array(kernel.policy.slots).fill(null), where: null, inKernelAction: false, ran,
        };
    }

    /** A copy of this runner on a copy of its machine, for exploring one more choice. */
    fork(): Runner {
        const r = new Runner(this.program, this.kernel, cloneMachine(this.m), this.diags, null, null);
        r.deferred = this.deferred;
        r.inFlight = this.inFlight;
        r.raceMode = this.raceMode;
        r.lostAt = this.lostAt;
        r.lastStep = this.lastStep;
        r.findings = this.findings ? [...this.findings] : [];
        r.semantics = this.semantics ? [...this.semantics] : [];
        r.events = this.events;
        r.gpByCause = this.gpByCause; // read only while exploring (see fault)
        r.gpCauses = this.gpCauses;
        return r;
    }

    /**
     * Exploration: the findings and semantic errors for a state kept to be explored later (its
     * RunnerState: the other fields are read as they are): copies, as the runner goes on adding
     * to its own.
     */
    keptFindings(): Finding[] {
        return this.findings?.length ? this.findings.slice() : NONE;
    }

    keptSemantics(): number[] {
        return this.semantics?.length ? this.semantics.slice() : NONE;
    }

    /**
     * Exploration: takes up a kept state's own part (RunnerState); the machine is loaded
     * apart (Machine.load). The state's lists are used in place (an explorer undoes what it
     * adds), but for the shared empty one.
     */
    resume(s: RunnerState): void {
        this.deferred = s.deferred;
        this.inFlight = s.inFlight;
        this.lostAt = s.lostAt;
        this.lastStep = s.lastStep;
        this.findings = s.findings.length ? s.findings : emptied(this.ownFindings);
        this.semantics = s.semantics.length ? s.semantics : emptied(this.ownSemantics);
        this.events = s.events;
    }

    /** The lists {@link resume} gives a state that has none (one each, emptied again: an explorer resumes every state; no one keeps them, keptFindings copies). */
    private readonly ownFindings: Finding[] = [];
    private readonly ownSemantics: number[] = [];

    /**
     * Exploration: this runner's own state, to put back with {@link restore} when an event is
     * undone. The machine's counters are not kept: an exploration reports none.
     */
    save(into: RunnerMark): RunnerMark {
        into.deferred = this.deferred;
        into.inFlight = this.inFlight;
        into.raceMode = this.raceMode;
        into.lostAt = this.lostAt;
        into.lastStep = this.lastStep;
        into.findings = this.findings;
        into.findingsLength = this.findings?.length ?? 0;
        into.semantics = this.semantics;
        into.semanticsLength = this.semantics?.length ?? 0;
        into.events = this.events;
        return into;
    }

    restore(s: RunnerMark): void {
        this.deferred = s.deferred;
        this.inFlight = s.inFlight;
        this.raceMode = s.raceMode;
        this.lostAt = s.lostAt;
        this.lastStep = s.lastStep;
        // only when an event added to them: setting an array's length, even to the same value,
        // is a runtime call in V8 (3% of a ring 2 x 6 search)
        if (s.findings && s.findings.length !== s.findingsLength) s.findings.length = s.findingsLength;
        this.findings = s.findings;
        if (s.semantics && s.semantics.length !== s.semanticsLength) s.semantics.length = s.semanticsLength;
        this.semantics = s.semantics;
        this.events = s.events;
    }

    result(races: RaceReport[]): RunResult {
        const counters = this.m.counters;
        const diagnostics = this.diags.sorted();
        return {
            diagnostics, trace: this.trace!, counters, countsAsWritten: () => counters,
            asWritten: () => ({ trace: this.trace!, diagnostics }), policy: this.kernel.policy.name, races,
        };
    }

    /** The end of the scenario: IPIs in flight arrive, then the end checks. */
    finish(): void {
        this.flushDeferred();
        this.neverDelivered();
    }

    expectItem(item: ExpectItem): void {
        this.runExpect(item, item.cause);
    }

    step(item: StepItem): void {
        this.runStep(item, item.cause);
    }

    runExpect(code: ExpectCode, cause: number): void {
        this.arrivals = 0;
        this.flushDeferred();
        this.expect(code, cause);
        this.trace?.endItem(cause);
    }

    runStep(code: StepCode, cause: number): void {
        const m = this.m;
        this.arrivals = 0;
        m.cause = cause;
        this.lastStep = cause;
        this.ctx.cpu = m.cpus[code.cpu];
        this.ctx.inKernelAction = code.kernelAction !== null;
        const impossible = !this.runAction(code.run, cause, code.kernelAction);
        this.ctx.inKernelAction = false;
        this.ctx.where = null;
        m.where = null;
        deliverAll(m);
        this.drainEvents();
        if (code.kernelAction && code.kernelAction !== 'exec' && !impossible) this.staleUinv(code, cause);
        this.dispatchSent();
        this.trace?.endItem(cause);
    }

    /**
     * Runs a step's code, or the wake hook; a run-time error is a `semantic` error at `cause`,
     * and false is returned. A kernel action (`kernel`) runs hooks, several writes: one that
     * fails part way changes nothing, like one that cannot start (LANGUAGE.md §8, decisions.md
     * #22), so its writes are kept to be undone — in the explorer's undo log when exploring;
     * else in the change log when it records (the trace), with provenance in a small log of
     * its own; else all in that small log. An instruction checks before it writes.
     */
    private runAction(run: Exec, cause: number, action: string | null): boolean {
        const kernel = action !== null;
        const m = this.m;
        let undoMark = -1;
        if (kernel) {
            copyCounters(this.countersAtStep, m.counters);
            if (m.undo !== null) {
                undoMark = m.undo.length;
            } else {
                this.stepUndo.length = 0;
                undoMark = 0;
                if (m.recording) m.metaUndo = this.stepUndo;
                else m.undo = this.stepUndo;
            }
        }
        const logMark = m.log.length, ranMark = this.ctx.ran?.length ?? 0, eventMark = m.eventCount, sentMark = this.sent.length;
        try {
            run(this.ctx);
            return true;
        } catch (e) {
            if (!(e instanceof RunError)) throw e;
            // a hook that failed (kernel.ts says where): what that means for the action is said too
            this.add('semantic', cause, kernel && e.message.startsWith('in ') ? `${e.message}; so the ${action} does not happen (a kernel action that fails part way changes nothing)` : e.message);
            if (undoMark >= 0) {
                // what it reported (a fault in a hook) stays: the diagnostics say what the attempt met
                m.rollback(undoMark);
                if (m.recording) m.rollbackLog(logMark);
                copyCounters(m.counters, this.countersAtStep);
                this.ctx.ran?.truncate(ranMark);
                this.sent.length = sentMark;
                m.eventCount = eventMark;
            }
            return false;
        } finally {
            if (kernel) {
                if (m.undo === this.stepUndo) m.undo = null;
                m.metaUndo = null;
            }
        }
    }

    /**
     * IPIs of the step: self-IPIs arrive at once; others at once or later (`ipi deferred`);
     * inside a race, others stay in flight until the explorer lets them arrive.
     */
    private dispatchSent(): void {
        while (this.sent.length) {
            const batch = this.sent;
            this.sent = [];
            for (const { ipi, self } of batch) {
                if (self) this.arrive(ipi);
                else if (this.raceMode) this.inFlight = [...this.inFlight, ipi];
                else if (!this.program.ipiDeferred) this.arrive(ipi);
                else this.deferred = [...this.deferred, ipi];
            }
        }
    }

    /** One IPI in flight (by index) arrives now. */
    arriveInFlight(index: number): Ipi {
        this.arrivals = 0;
        const flight = this.inFlight;
        const ipi = flight[index];
        const rest: Ipi[] = [];
        for (let j = 0; j < flight.length; j++) if (j !== index) rest.push(flight[j]);
        this.inFlight = rest;
        this.arrive(ipi);
        this.dispatchSent();
        return ipi;
    }

    /** The first deferred IPI arrives (a counterexample's replay steps through {@link flushDeferred} this way). */
    arriveDeferred(): void {
        const ipi = this.deferred[0];
        if (ipi === undefined) return;
        this.deferred = this.deferred.slice(1); // a new list: kept states share the old one
        this.arrive(ipi);
        this.dispatchSent();
    }

    /** Every deferred IPI arrives, in order (one sent meanwhile joins the end of the list). */
    flushDeferred(): void {
        this.arrivals = 0;
        while (this.deferred.length) this.arriveDeferred();
    }

    /** An interrupt arrives; what it causes is reported at the step that sent it. */
    private arrive(ipi: Ipi): void {
        const m = this.m;
        if (++this.arrivals > STORM_MAX) {
            // a policy whose hooks raise an interrupt at every arrival (a wake hook that sends
            // the kernel vector again): a real machine livelocks; the run drops the rest and goes on
            if (this.arrivals === STORM_MAX + 1) {
                this.add('semantic', ipi.cause, `interrupt storm: ${STORM_MAX.toLocaleString('en-US')} interrupts arrived in a row, each raised by the policy's hooks as the one before was handled; a real machine would not get past this step, and the run drops the rest (the first dropped: vector ${hex(ipi.vector)} at cpu${ipi.dest})`);
            }
            return;
        }
        const saved = m.cause;
        m.cause = ipi.cause;
        const what = arrive(m, ipi.dest, ipi.vector, ipi);
        if (what === 'kernel-vector') {
            this.ctx.cpu = m.cpus[ipi.dest];
            this.runAction(this.wake, ipi.cause, 'wake');
            m.where = null;
        }
        deliverAll(m);
        this.drainEvents();
        m.cause = saved;
    }

    // ---- RunSink --------------------------------------------------------------------

    fault(f: Fault, where: string | null): void {
        const what = f.code === 'ud' ? '#UD' : '#GP';
        const [hook, inherited] = hookPlace(where);
        const message = `${f.instruction}${hook ? ` in ${hook}` : ''} would ${what}: ${f.reason}${inherited ? ` (${inherited})` : ''}`;
        const related = f.related ? [{ loc: this.loc(f.related.cause), message: f.related.message }] : [];
        const d = this.add(f.code, this.m.cause, message, related);
        // exploring, a #GP is a finding that `expect gp` takes from the findings; the map holds
        // the run's before the race (an empty race leaves its last step the one before)
        if (GP_CODES.has(f.code) && this.findings === null) {
            this.gpByCause ??= new Map();
            const list = this.gpByCause.get(this.m.cause) ?? [];
            if (!list.includes(d)) list.push(d);
            this.gpByCause.set(this.m.cause, list);
            this.gpCauses ??= new Map();
            const causes = this.gpCauses.get(d);
            if (causes) causes.add(this.m.cause);
            else this.gpCauses.set(d, new Set([this.m.cause]));
        }
    }

    error(message: string): void {
        this.add('semantic', this.m.cause, message);
    }

    ipi(ipi: Ipi, self: boolean): void {
        this.sent.push({ ipi, self });
    }

    // ---- diagnostics ------------------------------------------------------------------

    private loc(cause: number): SourceLoc {
        return this.program.loc(cause);
    }

    private add(code: DiagnosticCode, cause: number, message: string, related: { loc: SourceLoc; message: string }[] = [], severity?: Severity): ScenarioDiagnostic {
        const d: ScenarioDiagnostic = { code, severity: severity ?? DEFAULT_SEVERITY[code], loc: this.loc(cause), message, related };
        if (this.findings && code !== 'semantic') {
            this.findings.push({ code, cause, message, at: this.events });
            return d;
        }
        if (code === 'semantic') this.semantics?.push(cause);
        return this.diags.add(d);
    }

    private rel(cause: number, message: string): { loc: SourceLoc; message: string }[] {
        return cause === NO_CAUSE ? [] : [{ loc: this.loc(cause), message }];
    }

    private drainEvents(): void {
        const m = this.m;
        const n = m.eventCount;
        if (n === 0) return;
        for (let i = 0; i < n; i++) this.event(m.events[i], m.eventWhere[i]);
        m.eventCount = 0;
    }

    private event(e: MachineEvent, where: string | null): void {
        if (e.type === 'delivered') { // the common one: no message to make
            this.trace?.delivered(e);
            return;
        }
        const [hook, inherited] = hookPlace(where);
        const inHook = hook ? ` (in ${hook}${inherited ? `; ${inherited}` : ''})` : '';
        switch (e.type) {
            case 'upid-use-after-free': {
                const what = e.upidOwner ? `${e.upidOwner}'s UPID at ${hex(e.addr)}, which was freed` : `${hex(e.addr)}, where no UPID is`;
                // a notification processed where no UPID is: what armed UINV, as UPIDADDR pointed there
                const armed = e.upidOwner === null && e.armedBy !== undefined ? this.rel(e.armedBy, "that CPU's UINV armed here") : [];
                this.add('upid-use-after-free', e.cause, `${e.access} ${what}${inHook}`, [...this.rel(e.freedBy, e.upidOwner ? `${e.upidOwner}'s UPID freed here` : 'freed here'), ...armed]);
                return;
            }
            case 'notification-lost':
                if (this.lostAt === NO_CAUSE) this.lostAt = e.cause;
                this.add('notification-lost', e.cause,
                    `notification lost: the IPI (vector ${hex(e.vector)}) for ${e.receiver} arrives at cpu${e.cpu}, where ${e.receiver} runs in user mode, ` +
                    `but UINV is ${hex(e.uinv)}: it is not recognised and the vector stays in ${e.receiver}'s PIR`,
                    this.rel(e.uinvChangedBy, `UINV of cpu${e.cpu} last changed here`));
                return;
            case 'misdelivered':
                this.add('misdelivered', e.cause,
                    `vector ${e.vector} posted to ${e.postedTo}'s UPID is delivered to ${e.deliveredTo} on cpu${e.cpu} (stale UPIDADDR or UIRR)`,
                    this.rel(e.postedBy, `vector ${e.vector} posted to ${e.postedTo} here`));
                return;
            case 'xsaves-clobbers-image':
                this.add('xsaves-clobbers-image', e.cause,
                    e.init
                        // the live state all zero: the image is marked init, and a later XRSTORS loads UINV 0
                        ? `XSAVES ${e.task}${inHook} finds the live state all zero and marks ${e.task}'s image init (XSTATE_BV[14] = 0), discarding its saved UINV ${hex(e.lostUinv)}, which was never restored`
                        : `XSAVES ${e.task}${inHook} writes UINV=0 over ${e.task}'s saved image, whose UINV ${hex(e.lostUinv)} was never restored`,
                    this.rel(e.savedBy, `${e.task}'s image saved with UINV ${hex(e.lostUinv)} here`));
                return;
        }
    }

    private staleUinv(code: StepCode, cause: number): void {
        const c = this.m.cpus[code.cpu];
        const cur = this.m.currentOf(c);
        if (cur.kind === 'task' || c.uinv === 0n) return;
        const who = cur.kind === 'idle' ? 'idle' : `kthread ${cur.name}`;
        this.add('stale-uinv', cause,
            `${code.kernelAction} leaves cpu${c.index} running ${who} with UINV ${hex(c.uinv)}: a notification now would be processed with a UPID that ${who} does not own`,
            this.rel(c.uinvArmedBy, `UINV of cpu${c.index} set to ${hex(c.uinv)} here`));
    }

    // ---- expectations -----------------------------------------------------------------

    private expect(item: ExpectCode, cause: number): void {
        const node = this.program.node(cause) as ast.Expect;
        if (item.form === 'gp') {
            const text = expectText(node);
            const step = this.lastStep;
            if (this.findings) {
                // exploring: the #GPs of this interleaving's last step are expected; each is said
                // once as information on its line, as in a plain run (the race audit found none)
                const before = this.findings.length;
                this.findings = this.findings.filter(f => {
                    if (!(GP_CODES.has(f.code) && f.cause === step)) return true;
                    this.diags.add({ code: f.code, severity: 'information', loc: this.loc(f.cause), message: `expected: ${f.message}`, related: [] });
                    return false;
                });
                if (step !== NO_CAUSE && this.findings.length < before) return;
            }
            const gps = this.gpByCause?.get(step);
            if (step !== NO_CAUSE && gps && gps.length) {
                for (const d of gps) {
                    // one diagnostic per (code, line): where an earlier step on the line also
                    // faulted, unexpected, the error stays
                    if ([...this.gpCauses?.get(d) ?? []].some(c => c !== step)) continue;
                    if (d.severity !== 'information') {
                        d.severity = 'information';
                        d.message = `expected: ${d.message}`;
                    }
                }
                return;
            }
            const where = step === NO_CAUSE ? 'there is no step before it' : `the step at line ${this.loc(step).line} raised no #GP`;
            this.add('expect-failed', cause, `${text} does not hold: ${where}`, this.rel(step, 'this step raised no #GP'));
            return;
        }
        if (item.form === 'no-lost') {
            if (this.lostAt !== NO_CAUSE) {
                const text = expectText(node);
                this.add('expect-failed', cause, `${text} does not hold: a notification was lost (line ${this.loc(this.lostAt).line})`, this.rel(this.lostAt, 'notification lost here'));
            }
            return;
        }
        const check = item.check;
        if (!check) return;
        let failure: string | null;
        try {
            failure = check(this.ctx);
        } catch (err) {
            if (!(err instanceof RunError)) throw err;
            this.add('semantic', cause, err.message);
            return;
        }
        if (failure) this.add('expect-failed', cause, failure);
    }

    /** At the end: a receiver in user mode with UIF = 1 whose PIR still holds a vector. */
    private neverDelivered(): void {
        for (const r of this.m.runnables) {
            if (r.kind !== 'task' || !r.upid || r.state === 'dead' || r.runningOn < 0) continue;
            const c = this.m.cpus[r.runningOn];
            if (c.mode !== 'user' || c.uif !== 1n || r.upid.pir === 0n) continue;
            for (const v of setBits(r.upid.pir)) {
                const at = postedCause(r.upid.postedBy, v);
                if (at === undefined || at === NO_CAUSE) continue;
                this.add('never-delivered', at,
                    `vector ${v} posted to ${r.name} here is never delivered: at the end it is still in ${r.name}'s PIR while ${r.name} runs in user mode on cpu${c.index} with UIF=1`);
            }
        }
    }
}

/** The list, empty (its length is set only when it is not 0 already: setting it is a runtime call). */
function emptied<T>(list: T[]): T[] {
    if (list.length !== 0) list.length = 0;
    return list;
}

/** Copies the counts field by field (through Object.assign, a 10k-step run took about 3% longer). */
function copyCounters(to: Counters, from: Counters): void {
    to.xsaves = from.xsaves;
    to.xrstors = from.xrstors;
    to.wrmsr = from.wrmsr;
    to.selfIpis = from.selfIpis;
    to.spurious = from.spurious;
    to.deliveries = from.deliveries;
}
