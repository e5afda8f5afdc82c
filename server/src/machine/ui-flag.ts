/**
 * STUI, CLUI, TESTUI and UIRET (SEMANTICS.md §2.7; SDM STUI/CLUI/UIRET pages). CR4.UINTR is
 * always 1 in this model and none of them checks the privilege level, so none faults.
 */
import type { Cpu, Machine } from './state.js';

export type FlagOp = 'stui' | 'clui' | 'testui' | 'uiret';

/** Runs the instruction; returns UIF as TESTUI reads it (before any change). */
export function uiFlag(m: Machine, c: Cpu, op: FlagOp): bigint {
    const before = c.uif;
    if (op === 'stui' || op === 'uiret') m.w(c, 'uif', 1n);
    else if (op === 'clui') m.w(c, 'uif', 0n);
    return before;
}
