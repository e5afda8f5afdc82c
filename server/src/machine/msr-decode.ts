/**
 * The fields of a value written to a user-interrupt MSR (SDM Vol. 3 §9.3.2), for hovers.
 */
import { bitsOf, hex, isCanonical, setBits } from './bits.js';
import type { MsrName } from './layout.js';

export interface MsrField {
    readonly field: string;
    readonly bits: string;
    readonly value: string;
    /** Why WRMSR would #GP because of this field, if it would. */
    readonly fault?: string;
}

export function decodeMsr(msr: MsrName, v: bigint): MsrField[] {
    const canonical = (field: string): MsrField => ({ field, bits: '63:0', value: hex(v), fault: isCanonical(v) ? undefined : 'not canonical' });
    switch (msr) {
        case 'IA32_UINTR_RR': {
            const vs = setBits(v);
            return [{ field: 'UIRR', bits: '63:0', value: vs.length ? `vectors ${vs.join(', ')}` : 'none pending' }];
        }
        case 'IA32_UINTR_HANDLER': return [canonical('UIHANDLER')];
        case 'IA32_UINTR_STACKADJUST': return [canonical('UISTACKADJUST')];
        case 'IA32_UINTR_MISC': {
            const reserved = bitsOf(v, 63, 40);
            return [
                { field: 'UITTSZ', bits: '31:0', value: String(bitsOf(v, 31, 0)) },
                { field: 'UINV', bits: '39:32', value: hex(bitsOf(v, 39, 32)) },
                { field: 'reserved', bits: '63:40', value: hex(reserved), fault: reserved ? 'reserved bits set' : undefined },
            ];
        }
        case 'IA32_UINTR_PD': {
            const low = bitsOf(v, 5, 0);
            return [
                { field: 'UPIDADDR', bits: '63:6', value: hex(v & ~0x3fn), fault: isCanonical(v) ? undefined : 'not canonical' },
                { field: 'reserved', bits: '5:0', value: hex(low), fault: low ? 'reserved bits set' : undefined },
            ];
        }
        case 'IA32_UINTR_TT': {
            const res = bitsOf(v, 3, 1);
            return [
                { field: 'UITTADDR', bits: '63:4', value: hex(v & ~0xfn), fault: isCanonical(v) ? undefined : 'not canonical' },
                { field: 'reserved', bits: '3:1', value: hex(res), fault: res ? 'reserved bits set' : undefined },
                { field: 'enable', bits: '0', value: String(v & 1n) },
            ];
        }
    }
}
