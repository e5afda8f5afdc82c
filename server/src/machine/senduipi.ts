/**
 * SENDUIPI (SEMANTICS.md §2.4; SDM SENDUIPI page; Bochs uintr.cc).
 */
import { and64, hex, or64 } from './bits.js';
import type { Fault, Ipi } from './events.js';
import { notePosted, type Cpu, type Machine } from './state.js';

export interface SenduipiResult {
    readonly fault: Fault | null;
    /** The notification IPI, when one was sent. */
    readonly ipi: Ipi | null;
}

/**
 * SENDUIPI with index n on cpu c, through its live UITT registers. Posts UV into the
 * target UPID's PIR and, when SN = 0 and ON = 0, sets ON and sends an IPI with vector NV
 * to the CPU that NDST names. A freed target UPID is written anyway (and reported).
 */
export function senduipi(m: Machine, c: Cpu, n: bigint): SenduipiResult {
    if (and64(c.uittaddr, 1n) === 0n) return fail(n, 'ud', 'the UITT is not enabled (IA32_UINTR_TT bit 0 is 0)');
    if (n > c.uittsz) return fail(n, 'senduipi-gp', `index ${n} is above UITTSZ ${c.uittsz}`);
    const uitt = m.uittAt(c.uittaddr);
    if (!uitt) return fail(n, 'senduipi-gp', `UITTADDR ${hex(c.uittaddr & ~0xfn)} points to no UITT`);
    const entry = n < uitt.entries.length ? uitt.entries[Number(n)] : undefined;
    if (!entry || !entry.valid) return fail(n, 'senduipi-gp', `UITT entry ${n} is not valid`);
    if (entry.reserved !== 0n) return fail(n, 'senduipi-gp', `UITT entry ${n} has reserved bits set`);
    const upid = m.upidAt(entry.upidaddr);
    if (!upid) {
        m.emit({ type: 'upid-use-after-free', cause: m.cause, access: 'SENDUIPI writes', upidOwner: null, addr: entry.upidaddr, freedBy: -1 });
        return NOTHING;
    }
    if (upid.reserved !== 0n) return fail(n, 'senduipi-gp', `the target UPID has reserved bits set`);
    const owner = m.runnables[upid.owner].name;
    if (upid.freed) {
        m.emit({ type: 'upid-use-after-free', cause: m.cause, access: 'SENDUIPI writes', upidOwner: owner, addr: upid.addr, freedBy: upid.freedBy });
    }
    const v = Number(entry.uv);
    m.setPir(upid, or64(upid.pir, 1n << entry.uv));
    notePosted(m, upid, v, m.cause);
    if (upid.sn === 0n && upid.on === 0n) {
        m.setOn(upid, 1n);
        return { fault: null, ipi: m.ipi(upid.nv, Number(upid.ndst), upid.addr, m.cause) };
    }
    return NOTHING;
}

function fail(n: bigint, code: Fault['code'], reason: string): SenduipiResult {
    return { fault: { code, instruction: `SENDUIPI ${n}`, reason }, ipi: null };
}

const NOTHING: SenduipiResult = { fault: null, ipi: null };
