/**
 * The trace of a run: the state after every item, stored as the machine's change log and
 * the log position at the end of each item (per-step changes, not whole copies). States are
 * rebuilt by replaying the log onto a fresh machine.
 */
import { buildMachine } from '../machine/build.js';
import type { PairLog } from '../machine/change-log.js';
import type { DeliveredEvent } from '../machine/events.js';
import { CPU_FIELDS, UPID_FIELDS, XSAVE_FIELDS, type CpuField, type UpidField, type XsaveField } from '../machine/fields.js';
import type { Machine, Traced } from '../machine/state.js';
import type { Program } from './program.js';

export interface TraceEntry {
    /** The item (step, expectation or race) that ended here. */
    readonly cause: number;
    /** Position in the machine's change log after the item. */
    readonly logEnd: number;
    /** Position in the hook log (pairs of hook name and statement) after the item. */
    readonly ranEnd: number;
}

export interface Change {
    /** e.g. "cpu0.uinv", "rx.upid.on", "rx.xsave.uirr", "rx.state" */
    readonly path: string;
    readonly old: unknown;
    readonly value: unknown;
}

export class Trace {
    readonly deliveries: DeliveredEvent[] = [];
    /**
     * Per entry, in run order: made at their full size (an item ends once, so there are at most
     * as many entries as causes), so that appending never copies.
     */
    private causes: Int32Array;
    private logEnds: Int32Array;
    private ranEnds: Int32Array;
    private count = 0;
    /** The entry of each cause, or -1 (an item after a race is not run). */
    private readonly entryOfCause: Int32Array;

    constructor(readonly program: Program, private readonly machine: Machine, private readonly ran: PairLog | null = null) {
        this.entryOfCause = new Int32Array(program.causes).fill(-1);
        this.causes = new Int32Array(program.causes);
        this.logEnds = new Int32Array(program.causes);
        this.ranEnds = new Int32Array(program.causes);
    }

    endItem(cause: number): void {
        const n = this.count;
        if (n === this.causes.length) this.grow();
        this.entryOfCause[cause] = n;
        this.causes[n] = cause;
        this.logEnds[n] = this.machine.log.length;
        this.ranEnds[n] = this.ran ? this.ran.length : 0;
        this.count = n + 1;
    }

    private grow(): void {
        const size = Math.max(16, this.causes.length * 2);
        const bigger = (a: Int32Array): Int32Array => {
            const b = new Int32Array(size);
            b.set(a);
            return b;
        };
        this.causes = bigger(this.causes);
        this.logEnds = bigger(this.logEnds);
        this.ranEnds = bigger(this.ranEnds);
    }

    /** Number of entries (items run). */
    get length(): number {
        return this.count;
    }

    /** Position in the machine's change log after entry `index`. */
    logEnd(index: number): number {
        return this.logEnds[index];
    }

    entry(index: number): TraceEntry {
        return { cause: this.causes[index], logEnd: this.logEnds[index], ranEnd: this.ranEnds[index] };
    }

    /** All entries, in run order. */
    get entries(): TraceEntry[] {
        return Array.from({ length: this.count }, (_, i) => this.entry(i));
    }

    /** The entry index of a cause, or -1 when that item was not run. */
    entryOf(cause: number): number {
        return cause >= 0 && cause < this.entryOfCause.length ? this.entryOfCause[cause] : -1;
    }

    /** What the hooks of entry `index` executed, in order: [where, statement node]. */
    hookSteps(index: number): [string, unknown][] {
        if (!this.ran) return [];
        const from = index > 0 ? this.ranEnds[index - 1] : 0;
        const out: [string, unknown][] = [];
        for (let i = from; i < this.ranEnds[index]; i += 2) out.push([this.ran.at(i) as string, this.ran.at(i + 1)]);
        return out;
    }

    /** The changes entry `index` made, with old and new values, labelled by state path. */
    changesOf(index: number): Change[] {
        const log = this.machine.log;
        const from = index > 0 ? this.logEnds[index - 1] : 0;
        const out: Change[] = [];
        for (let i = from; i < this.logEnds[index]; i += 4) {
            out.push({ path: labelOf(this.machine, log.at(i) as Traced, log.at(i + 1) as string), old: log.at(i + 2), value: log.at(i + 3) });
        }
        return out;
    }

    /** A cursor that rebuilds the state after any entry, moving forward or backward through the log. */
    cursor(): TraceCursor {
        return new TraceCursor(this.program, this.machine, this);
    }

    delivered(e: DeliveredEvent): void {
        this.deliveries.push(e);
    }

    /**
     * Replays the run, one item at a time: after each item, a machine in the state after it and
     * the changes the item made; then, if the run changed the machine after its last item (IPIs
     * deferred to the end of the scenario arriving), the state at the end and those changes,
     * with `entry` null. The machine given is reused: read it, do not keep it. A generator, so
     * that a reader may stop between items (the CLI waits for a slow pipe).
     */
    *replay(): Generator<{ entry: TraceEntry | null; state: Machine; changes: Change[] }> {
        const fresh = buildMachine(this.program.config, this.program.tasks, this.program.kthreads);
        fresh.recording = false;
        const map = pairObjects(this.machine, fresh);
        const log = this.machine.log;
        let at = 0;
        const apply = (end: number): Change[] => {
            const changes: Change[] = [];
            for (; at < end; at += 4) {
                const target = map.get(log.at(at));
                const key = log.at(at + 1) as string;
                if (!target) continue;
                (target as unknown as Record<string, unknown>)[key] = log.at(at + 3);
                changes.push({ path: labelOf(fresh, target, key), old: log.at(at + 2), value: log.at(at + 3) });
            }
            return changes;
        };
        for (let i = 0; i < this.count; i++) {
            const entry = this.entry(i);
            yield { entry, state: fresh, changes: apply(entry.logEnd) };
        }
        if (at < log.length) yield { entry: null, state: fresh, changes: apply(log.length) };
    }
}

/** Each traced object of a run's machine, to the same object of a fresh machine built alike (where its logged changes are replayed). */
function pairObjects(src: Machine, fresh: Machine): Map<unknown, Traced> {
    const map = new Map<unknown, Traced>();
    src.cpus.forEach((c, i) => map.set(c, fresh.cpus[i]));
    src.upids.forEach((u, i) => map.set(u, fresh.upids[i]));
    src.images.forEach((x, i) => map.set(x, fresh.images[i]));
    src.runnables.forEach((r, i) => map.set(r, fresh.runnables[i]));
    return map;
}

/** The state path of a traced field, as LANGUAGE.md §5 writes it. */
export function labelOf(m: Machine, obj: Traced, key: string): string {
    if ('current' in obj) return `cpu${obj.index}.${key}`;
    if ('pir' in obj) return `${m.runnables[obj.owner].name}.upid.${key}`;
    if ('present' in obj) return `${m.runnables[obj.owner].name}.xsave.${key}`;
    return `${obj.kind === 'idle' ? `idle${obj.cpu}` : obj.name}.${key}`;
}

/** The state after any entry, reached by applying (or undoing) logged changes. */
export class TraceCursor {
    readonly state: Machine;
    private readonly map: Map<unknown, Traced>;
    /** Log position the state reflects. */
    private at = 0;

    constructor(program: Program, private readonly source: Machine, private readonly trace: Trace) {
        this.state = buildMachine(program.config, program.tasks, program.kthreads);
        this.state.recording = false;
        this.map = pairObjects(source, this.state);
    }

    /** The state after entry `index` (-1: the initial state). Read it; do not keep it. */
    seek(index: number): Machine {
        const entries = this.trace.length;
        const target = index < 0 || entries === 0 ? 0 : this.trace.logEnd(Math.min(index, entries - 1));
        const log = this.source.log;
        while (this.at < target) {
            const t = this.map.get(log.at(this.at));
            if (t) (t as unknown as Record<string, unknown>)[log.at(this.at + 1) as string] = log.at(this.at + 3);
            this.at += 4;
        }
        while (this.at > target) {
            this.at -= 4;
            const t = this.map.get(log.at(this.at));
            if (t) (t as unknown as Record<string, unknown>)[log.at(this.at + 1) as string] = log.at(this.at + 2);
        }
        return this.state;
    }
}

// The fields a trace shows changes of, per kind of object: the state paths of LANGUAGE.md §5
// (machine/fields.ts) and the kernel's bookkeeping beside them.
const CPU_TRACED = [...Object.keys(CPU_FIELDS) as CpuField[], 'current', 'mode', 'fpregsOwner'] as const;
const UPID_TRACED = [...Object.keys(UPID_FIELDS) as UpidField[], 'freed', 'refs'] as const;
const IMAGE_TRACED = Object.keys(XSAVE_FIELDS) as XsaveField[];
const RUNNABLE_TRACED = ['state', 'runningOn', 'lastCpu', 'delivered'] as const;

/**
 * What differs between two states of one machine (`before` and `after`, e.g. copies taken
 * around a replayed event), as the change log would label it: in the order of CPUs, UPIDs,
 * images and runnables, field by field.
 */
export function machineChanges(before: Machine, after: Machine): Change[] {
    const out: Change[] = [];
    const diff = <T extends Traced>(a: readonly T[], b: readonly T[], fields: readonly (keyof T & string)[]): void => {
        for (let i = 0; i < b.length; i++) {
            for (const f of fields) {
                if (a[i]?.[f] !== b[i][f]) out.push({ path: labelOf(after, b[i], f), old: a[i]?.[f], value: b[i][f] });
            }
        }
    };
    diff(before.cpus, after.cpus, CPU_TRACED);
    diff(before.upids, after.upids, UPID_TRACED);
    diff(before.images, after.images, IMAGE_TRACED);
    diff(before.runnables, after.runnables, RUNNABLE_TRACED);
    return out;
}
