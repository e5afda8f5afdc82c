/**
 * The state paths of LANGUAGE.md §5 and the width of each field, in bits.
 */

export const CPU_FIELDS = {
    uinv: 8, uirr: 64, uif: 1, uihandler: 64, uistackadjust: 64, uittsz: 32, upidaddr: 64, uittaddr: 64,
} as const;
export const UPID_FIELDS = { on: 1, sn: 1, nv: 8, ndst: 32, pir: 64 } as const;
export const XSAVE_FIELDS = {
    present: 1, uinv: 8, uirr: 64, uif: 1, uihandler: 64, uistackadjust: 64, uittsz: 32, upidaddr: 64, uittaddr: 64,
} as const;

export type CpuField = keyof typeof CPU_FIELDS;
export type UpidField = keyof typeof UPID_FIELDS;
export type XsaveField = keyof typeof XSAVE_FIELDS;

function has<T extends object>(table: T, key: string): key is Extract<keyof T, string> {
    return Object.prototype.hasOwnProperty.call(table, key);
}
export const isCpuField = (k: string): k is CpuField => has(CPU_FIELDS, k);
export const isUpidField = (k: string): k is UpidField => has(UPID_FIELDS, k);
export const isXsaveField = (k: string): k is XsaveField => has(XSAVE_FIELDS, k);
