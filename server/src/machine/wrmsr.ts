/**
 * WRMSR of the user-interrupt MSRs (SEMANTICS.md §2.3; SDM Vol. 3 §9.3.2; Bochs msr.cc).
 */
import { bitsOf, hex, isCanonical, mask } from './bits.js';
import type { Fault } from './events.js';
import type { MsrName } from './layout.js';
import { setUinv } from './xrstors.js';
import type { Cpu, Machine } from './state.js';

/** Writes an MSR; returns the #GP, if any, in which case nothing changed. */
export function wrmsr(m: Machine, c: Cpu, msr: MsrName, value: bigint): Fault | null {
    m.counters.wrmsr++;
    const gp = (reason: string): Fault => ({ code: 'wrmsr-gp', instruction: `WRMSR ${msr} ${hex(value)}`, reason });
    switch (msr) {
        case 'IA32_UINTR_RR':
            m.w(c, 'uirr', value);
            m.meta(c, 'uirrTags', null);
            return null;
        case 'IA32_UINTR_HANDLER':
            if (!isCanonical(value)) return gp('the address is not canonical');
            m.w(c, 'uihandler', value);
            return null;
        case 'IA32_UINTR_STACKADJUST':
            if (!isCanonical(value)) return gp('the value is not canonical');
            m.w(c, 'uistackadjust', value);
            return null;
        case 'IA32_UINTR_MISC':
            if (bitsOf(value, 63, 40) !== 0n) return gp('reserved bits 63:40 are set');
            m.w(c, 'uittsz', value & mask(32));
            setUinv(m, c, bitsOf(value, 39, 32));
            return null;
        case 'IA32_UINTR_PD':
            if (!isCanonical(value)) return gp('the address is not canonical');
            if ((value & 0x3fn) !== 0n) return gp('reserved bits 5:0 are set');
            m.w(c, 'upidaddr', value);
            return null;
        case 'IA32_UINTR_TT':
            if (!isCanonical(value)) return gp('the address is not canonical');
            if ((value & 0xen) !== 0n) return gp('reserved bits 3:1 are set');
            m.w(c, 'uittaddr', value);
            return null;
    }
}

/** The value RDMSR would return, for hovers and `cpu.uittsz | uinv << 32` style reads. */
export function rdmsr(c: Cpu, msr: MsrName): bigint {
    switch (msr) {
        case 'IA32_UINTR_RR': return c.uirr;
        case 'IA32_UINTR_HANDLER': return c.uihandler;
        case 'IA32_UINTR_STACKADJUST': return c.uistackadjust;
        case 'IA32_UINTR_MISC': return c.uittsz | (c.uinv << 32n);
        case 'IA32_UINTR_PD': return c.upidaddr;
        case 'IA32_UINTR_TT': return c.uittaddr;
    }
}
