/**
 * What the machine reports besides state changes: faults that an instruction raises
 * (returned to the caller) and hazards it observes (pushed to Machine.events). Each carries
 * the cause it happened under, so the caller can place it at a source line.
 */

export type FaultCode = 'xrstors-gp' | 'senduipi-gp' | 'wrmsr-gp' | 'ud';

/** A fault raised by an instruction: the instruction changed nothing. */
export interface Fault {
    readonly code: FaultCode;
    /** e.g. "XRSTORS rx" */
    readonly instruction: string;
    /** why, e.g. "UINV is 0xec" */
    readonly reason: string;
    /** a cause that explains it (the step that set UINV), with what it did */
    readonly related?: { readonly cause: number; readonly message: string };
}

export interface UseAfterFreeEvent {
    readonly type: 'upid-use-after-free';
    readonly cause: number;
    /** what touched it, e.g. "SENDUIPI writes" */
    readonly access: string;
    /** the UPID's owner name, or null when no UPID is at the address */
    readonly upidOwner: string | null;
    readonly addr: bigint;
    readonly freedBy: number;
    /** Notification processing: the cause that armed the CPU's UINV (what made it process one), or NO_CAUSE. */
    readonly armedBy?: number;
}

export interface NotificationLostEvent {
    readonly type: 'notification-lost';
    readonly cause: number;
    readonly cpu: number;
    readonly vector: bigint;
    readonly uinv: bigint;
    readonly receiver: string;
    readonly uinvChangedBy: number;
}

export interface MisdeliveredEvent {
    readonly type: 'misdelivered';
    readonly cause: number;
    readonly cpu: number;
    readonly vector: number;
    readonly postedTo: string;
    readonly deliveredTo: string;
    readonly postedBy: number;
}

export interface DeliveredEvent {
    readonly type: 'delivered';
    readonly cause: number;
    readonly cpu: number;
    readonly task: number;
    readonly vector: number;
}

export interface ClobberEvent {
    readonly type: 'xsaves-clobbers-image';
    readonly cause: number;
    readonly task: string;
    readonly lostUinv: bigint;
    readonly savedBy: number;
    /** The live state was all zero: XSAVES marked the image init (present := 0) rather than writing it. */
    readonly init: boolean;
}

export type MachineEvent = UseAfterFreeEvent | NotificationLostEvent | MisdeliveredEvent
    | DeliveredEvent | ClobberEvent;

/** An interrupt on its way to a CPU. */
export interface Ipi {
    readonly vector: bigint;
    readonly dest: number;
    /** The UPID a SENDUIPI posted to (notification-lost needs it), or null. */
    readonly upid: bigint | null;
    /** The step that sent it: what its arrival causes is reported there. */
    readonly cause: number;
    /** {@link ipiKey}'s text, made on first use (the IPI's fields never change). */
    key?: string;
}

/** A text that identifies an IPI: vector, destination, UPID and the step that sent it. */
export function ipiKey(i: Ipi): string {
    return (i.key ??= `${i.vector}>${i.dest}@${i.upid ?? ''}#${i.cause}`);
}
