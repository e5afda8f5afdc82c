/**
 * 64-bit helpers. Every register and memory value in the model is an unsigned BigInt;
 * widths are enforced where values are written.
 */

export const MASK64 = (1n << 64n) - 1n;

/** The mask of a field `width` bits wide. */
export function mask(width: number): bigint {
    return (1n << BigInt(width)) - 1n;
}

/** Truncates to 64 bits, unsigned. */
export function u64(v: bigint): bigint {
    return v & MASK64;
}

/**
 * `a & b` and `a | b` of values below 2^64: the same value, but written so that V8's optimising
 * compiler computes it in a 64-bit register instead of allocating a BigInt (BigInt.asUintN(64, …)
 * of a result that is in range already changes nothing; about 4 times faster in a micro-benchmark).
 */
export function and64(a: bigint, b: bigint): bigint {
    return BigInt.asUintN(64, a & b);
}

export function or64(a: bigint, b: bigint): bigint {
    return BigInt.asUintN(64, a | b);
}

/** Canonical for 48-bit linear addresses: bits 63:47 all equal. */
export function isCanonical(v: bigint): boolean {
    return v < 0x8000_0000_0000n || (v >= 0xffff_8000_0000_0000n && v <= MASK64);
}

/** Bits hi:lo of v. */
export function bitsOf(v: bigint, hi: number, lo: number): bigint {
    return (v >> BigInt(lo)) & mask(hi - lo + 1);
}

/** Lowercase hexadecimal with a 0x prefix. */
export function hex(v: bigint): string {
    return '0x' + v.toString(16);
}

/** The highest set bit of a non-zero value below 2^64, as a vector number. */
export function highestBit(v: bigint): number {
    // each half converted only when it is the whole value (a comparison allocates nothing): a
    // number below 2^32 is exact
    if (v >= 0x1_0000_0000n) return 63 - Math.clz32(Number(v >> 32n));
    return v === 0n ? 0 : 31 - Math.clz32(Number(v));
}

/** The set bits of v (below 2^64), lowest first. */
export function setBits(v: bigint): number[] {
    // the two 32-bit halves as numbers: no BigInt is allocated per bit
    const out: number[] = [];
    pushBits(out, lowHalf(v), 0);
    pushBits(out, highHalf(v), 32);
    return out;
}

/** Bits 31:0 of a value below 2^64, as a number (exact). */
export function lowHalf(v: bigint): number {
    return v < 0x1_0000_0000n ? Number(v) : Number(BigInt.asUintN(32, v));
}

/** Bits 63:32 of a value below 2^64, as a number (exact). */
export function highHalf(v: bigint): number {
    return v < 0x1_0000_0000n ? 0 : Number(v >> 32n);
}

/** Appends base + i for each set bit i of a 32-bit value, lowest first. */
function pushBits(out: number[], half: number, base: number): void {
    for (let bits = half | 0; bits !== 0; bits &= bits - 1) out.push(base + 31 - Math.clz32(bits & -bits));
}
