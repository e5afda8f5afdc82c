/**
 * The trace of a run: the state after every item, stored as the machine's change log and
 * the log position at the end of each item (per-step changes, not whole copies). States are
 * rebuilt by replaying the log onto a fresh machine.
 */
import { buildMachine } from '../machine/build.js';
import type { DeliveredEvent } from '../machine/events.js';
import type { Machine, Traced } from '../machine/state.js';
import type { Program } from './program.js';

export interface TraceEntry {
    /** The item (step, expectation or race) that ended here. */
    readonly cause: number;
    /** Position in the machine's change log after the item. */
    readonly logEnd: number;
}

export interface Change {
    /** e.g. "cpu0.uinv", "rx.upid.on", "rx.xsave.uirr", "rx.state" */
    readonly path: string;
    readonly old: unknown;
    readonly value: unknown;
}

export class Trace {
    readonly entries: TraceEntry[] = [];
    readonly deliveries: DeliveredEvent[] = [];

    constructor(readonly program: Program, private readonly machine: Machine) {}

    endItem(cause: number): void {
        this.entries.push({ cause, logEnd: this.machine.log.length });
    }

    delivered(e: DeliveredEvent): void {
        this.deliveries.push(e);
    }

    /**
     * Replays the run: calls `visit` after each item with a machine in the state after it and
     * the changes the item made. The machine passed is reused: read it, do not keep it.
     */
    replay(visit: (entry: TraceEntry, state: Machine, changes: Change[]) => void): void {
        const fresh = buildMachine(this.program.config, this.program.tasks, this.program.kthreads);
        fresh.recording = false;
        const map = new Map<unknown, Traced>();
        const src = this.machine;
        src.cpus.forEach((c, i) => map.set(c, fresh.cpus[i]));
        src.upids.forEach((u, i) => map.set(u, fresh.upids[i]));
        src.images.forEach((x, i) => map.set(x, fresh.images[i]));
        src.runnables.forEach((r, i) => map.set(r, fresh.runnables[i]));
        const log = src.log;
        let at = 0;
        for (const entry of this.entries) {
            const changes: Change[] = [];
            for (; at < entry.logEnd; at += 4) {
                const target = map.get(log[at]);
                const key = log[at + 1] as string;
                if (!target) continue;
                (target as unknown as Record<string, unknown>)[key] = log[at + 3];
                changes.push({ path: labelOf(fresh, target, key), old: log[at + 2], value: log[at + 3] });
            }
            visit(entry, fresh, changes);
        }
    }
}

/** The state path of a traced field, as LANGUAGE.md §5 writes it. */
export function labelOf(m: Machine, obj: Traced, key: string): string {
    if ('current' in obj) return `cpu${obj.index}.${key}`;
    if ('pir' in obj) return `${m.runnables[obj.owner].name}.upid.${key}`;
    if ('present' in obj) return `${m.runnables[obj.owner].name}.xsave.${key}`;
    return `${obj.kind === 'idle' ? `idle${obj.cpu}` : obj.name}.${key}`;
}
