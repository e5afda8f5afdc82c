/**
 * Number literals (LANGUAGE.md §2): decimal or 0x hexadecimal, `_` between digits.
 */

export const TWO_64 = 1n << 64n;

/** The literal's value, unbounded (a value ≥ 2^64 is a static error elsewhere); null if malformed. */
export function parseNumber(text: string | undefined): bigint | null {
    if (typeof text !== 'string') return null;
    const clean = text.replace(/_/g, '');
    if (!/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(clean)) return null;
    return BigInt(clean);
}
