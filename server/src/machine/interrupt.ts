/**
 * Interrupt arrival and user-interrupt delivery (SEMANTICS.md §2.5, §2.6; SDM Vol. 3 §9.4, §9.5).
 */
import { and64, highestBit, highHalf, lowHalf, or64 } from './bits.js';
import type { Ipi } from './events.js';
import { NO_CAUSE, postedCause, type Cpu, type Machine, type Posted, type UirrTag, type UirrTags } from './state.js';

/** What the kernel must do after an arrival: run the wake hook for the kernel vector. */
export type Arrival = 'notification' | 'kernel-vector' | 'ignored' | 'dropped';

/**
 * An interrupt with vector v arrives at cpu index `dest` (an IPI, or `interrupt V`). When v
 * equals the CPU's UINV (non-zero), notification processing moves the UPID's PIR into UIRR
 * in any mode. Otherwise it is an ordinary kernel interrupt: the kernel vector asks the
 * caller to run the wake hook, anything else is ignored. A SENDUIPI's IPI whose vector differs
 * from the CPU's UINV while its receiver runs in user mode there is a lost notification.
 */
export function arrive(m: Machine, dest: number, vector: bigint, ipi: Ipi | null = null): Arrival {
    const c = m.cpus[dest];
    if (!c) return 'dropped';
    if (vector === c.uinv && vector !== 0n) {
        processNotification(m, c);
        return 'notification';
    }
    // lost: not identified, V ≠ UINV (SEMANTICS §6, LANGUAGE §8); with V = UINV = 0 it is
    // neither processed nor lost (`uinv 0`: never recognised, so never delivered)
    if (ipi && ipi.upid !== null && vector !== c.uinv) {
        const upid = m.upidAt(ipi.upid);
        if (upid && c.mode === 'user' && c.current === upid.owner) {
            m.emit({
                type: 'notification-lost', cause: m.cause, cpu: c.index, vector, uinv: c.uinv,
                receiver: m.runnables[upid.owner].name, uinvChangedBy: c.uinvChangedBy,
            });
        }
    }
    if (vector === m.config.kernelVector) return 'kernel-vector';
    m.counters.spurious++;
    return 'ignored';
}

/** ON := 0; UIRR |= PIR; PIR := 0, with the UPID at the CPU's UPIDADDR. */
function processNotification(m: Machine, c: Cpu): void {
    const upid = m.upidAt(c.upidaddr);
    if (!upid || upid.freed) {
        m.emit({
            type: 'upid-use-after-free', cause: m.cause, access: `notification processing on cpu${c.index} writes`,
            upidOwner: upid ? m.runnables[upid.owner].name : null, addr: c.upidaddr, freedBy: upid ? upid.freedBy : NO_CAUSE, armedBy: c.uinvArmedBy,
        });
        if (!upid) return;
    }
    const tmp = upid.pir;
    m.setOn(upid, 0n);
    m.setPir(upid, 0n);
    if (tmp !== 0n) {
        m.setUirr(c, or64(c.uirr, tmp));
        m.setUirrTags(c, tagBits(c.uirrTags, tmp, upid.owner, upid.postedBy));
    }
}

/** Adds provenance tags for the bits of `bits`, posted to `owner`'s UPID. */
export function tagBits(tags: UirrTags, bits: bigint, owner: number, postedBy: Posted | null): UirrTags {
    // the set bits lowest first, by 32-bit halves (setBits's order, without its array: this runs
    // at every notification)
    let out = tags;
    for (let base = 0; base < 64; base += 32) {
        for (let half = (base === 0 ? lowHalf(bits) : highHalf(bits)) | 0; half !== 0; half &= half - 1) {
            const v = base + 31 - Math.clz32(half & -half);
            out = { vector: v, owner, cause: postedCause(postedBy, v) ?? NO_CAUSE, next: out };
        }
    }
    return out;
}

/** The tag of vector v, if any. */
export function tagOf(tags: UirrTags, v: number): UirrTag | null {
    for (let t = tags; t !== null; t = t.next) if (t.vector === v) return t;
    return null;
}

/** The tags without any for vector v. */
export function untag(tags: UirrTags, v: number): UirrTags {
    if (tags === null) return null;
    const rest = untag(tags.next, v);
    if (tags.vector === v) return rest;
    return rest === tags.next ? tags : { ...tags, next: rest };
}

/**
 * Delivers pending user interrupts on every CPU in user mode: while UIF = 1 and UIRR ≠ 0,
 * the highest vector goes to the current task. With `handlers auto` the handler returns at
 * once (UIF := 1 again); with `handlers manual` UIF stays 0 until UIRET.
 */
export function deliverAll(m: Machine): void {
    for (const c of m.cpus) {
        if (c.uirr !== 0n && c.uif === 1n && c.mode === 'user') deliver(m, c);
    }
}

function deliver(m: Machine, c: Cpu): void {
    const task = m.runnables[c.current];
    while (c.uif === 1n && c.uirr !== 0n) {
        const v = highestBit(c.uirr);
        const bit = 1n << BigInt(v);
        m.setUirr(c, and64(c.uirr, ~bit));
        m.setUif(c, 0n);
        const tag = tagOf(c.uirrTags, v);
        if (tag) {
            m.setUirrTags(c, untag(c.uirrTags, v));
            if (tag.owner !== task.id) {
                m.emit({
                    type: 'misdelivered', cause: m.cause, cpu: c.index, vector: v,
                    postedTo: m.runnables[tag.owner].name, deliveredTo: task.name, postedBy: tag.cause,
                });
            }
        }
        const delivered = or64(task.delivered, bit);
        if (delivered !== task.delivered) { m.changed(task, 'delivered', task.delivered, delivered); task.delivered = delivered; }
        m.counters.deliveries++;
        m.emit({ type: 'delivered', cause: m.cause, cpu: c.index, task: task.id, vector: v });
        if (m.config.handlersAuto) m.setUif(c, 1n);
    }
}
