/**
 * What compiled actions and hooks run against: the machine, the CPU they run on, the names
 * a hook binds, and a sink for what they raise. Knows nothing about source text.
 */
import type { PairLog } from '../machine/change-log.js';
import type { Fault, Ipi } from '../machine/events.js';
import type { Cpu, Machine, Runnable } from '../machine/state.js';
import type { Kernel } from './kernel.js';

/** Where faults and errors of the running action go. */
export interface RunSink {
    /** An instruction faulted; `where` names the hook ("lazy_fpu.return_to_user") or is null. */
    fault(fault: Fault, where: string | null): void;
    /** A step that cannot happen (a run-time `semantic` error) at the current cause. */
    error(message: string): void;
    /** An IPI was sent; `self` for an interrupt that a hook raises on its own CPU. */
    ipi(ipi: Ipi, self: boolean): void;
}

export interface ExecContext {
    readonly m: Machine;
    /** The kernel whose policy runs the kernel-level actions. */
    readonly kernel: Kernel;
    readonly sink: RunSink;
    cpu: Cpu;
    prev: Runnable | null;
    next: Runnable | null;
    cur: Runnable | null;
    /** Values of `foreach` variables, by slot. */
    vars: (Runnable | null)[];
    /** The hook being run, e.g. "linux_rfc.exit (inherited by tglx)", or null for a step. */
    where: string | null;
    /** True while a kernel-level action runs: interrupts are off. */
    inKernelAction: boolean;
    /**
     * When recording a trace: what hooks ran, as pairs (hook `where`, statement node), so a
     * hover can list the instructions a kernel action's policy executed, in order.
     */
    ran: PairLog | null;
}

/** A compiled statement or action. */
export type Exec = (ctx: ExecContext) => void;
/** A compiled expression: an unsigned 64-bit value. */
export type Eval = (ctx: ExecContext) => bigint;

/** Thrown by compiled code for a run-time `semantic` error; caught where the step runs. */
export class RunError extends Error {}
