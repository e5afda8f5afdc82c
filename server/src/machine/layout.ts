/**
 * Fixed addresses and MSR numbers, so that hovers, traces and expectations agree
 * everywhere (LANGUAGE.md §3, SEMANTICS.md §1).
 */

export const UPID_BASE = 0xffff_8880_0010_0000n;
export const UPID_STRIDE = 0x40n;
export const UITT_BASE = 0xffff_8880_0020_0000n;
export const UITT_STRIDE = 0x1000n;

/** UITT entries per table; UITTSZ is the highest valid index, as the RFC sets it. */
export const UITT_ENTRIES = 256;
export const UITT_SIZE_VALUE = BigInt(UITT_ENTRIES - 1);

/** XSAVE state component 14: the user-interrupt state, 48 bytes. */
export const UINTR_COMPONENT = 14;
export const UINTR_COMPONENT_BYTES = 48;
/** A separate XSAVE buffer: legacy area, header, and the component. */
export const SEPARATE_BUFFER_BYTES = 512 + 64 + UINTR_COMPONENT_BYTES;

export function upidAddress(receiverIndex: number): bigint {
    return UPID_BASE + UPID_STRIDE * BigInt(receiverIndex);
}

export function uittAddress(senderIndex: number): bigint {
    return UITT_BASE + UITT_STRIDE * BigInt(senderIndex);
}

/** The user-interrupt MSRs (SDM Vol. 3 §9.3.2). */
export const MSRS = {
    IA32_UINTR_RR: 0x985,
    IA32_UINTR_HANDLER: 0x986,
    IA32_UINTR_STACKADJUST: 0x987,
    IA32_UINTR_MISC: 0x988,
    IA32_UINTR_PD: 0x989,
    IA32_UINTR_TT: 0x98a,
} as const;

export type MsrName = keyof typeof MSRS;

export function isMsrName(name: string): name is MsrName {
    return Object.prototype.hasOwnProperty.call(MSRS, name);
}
