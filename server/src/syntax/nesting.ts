/**
 * How deeply a text nests parentheses and braces, found by a scan before it is parsed: the
 * parser recurses per level, and a file nested thousands of levels deep would take it minutes
 * on a deep stack (or overflow a small one). Comments and strings are skipped.
 */

/** Levels of `(` and `{` together beyond which a file is refused (real scenarios nest a few). */
export const MAX_NESTING = 1000;

export interface TooDeep {
    /** Offset of the bracket that opens level MAX_NESTING + 1. */
    readonly offset: number;
    /** 1-based line and column of that bracket. */
    readonly line: number;
    readonly column: number;
}

/** The first bracket that nests deeper than `max` levels, or undefined. */
export function findTooDeep(text: string, max = MAX_NESTING): TooDeep | undefined {
    return scan(text, max).tooDeep;
}

/** The first bracket that opens the deepest level of the text, and that level (0: none). */
export function deepest(text: string): { at: TooDeep | undefined; depth: number } {
    const { maxDepth, maxAt } = scan(text, Infinity);
    return { at: maxAt, depth: maxDepth };
}

function scan(text: string, max: number): { tooDeep: TooDeep | undefined; maxDepth: number; maxAt: TooDeep | undefined } {
    let depth = 0, line = 1, lineStart = 0, maxDepth = 0;
    let maxAt: TooDeep | undefined;
    for (let i = 0; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        if (ch === 0x0a || (ch === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
            line++;
            lineStart = i + 1;
        } else if (ch === 0x2f && text.charCodeAt(i + 1) === 0x2f) { // line comment
            while (i + 1 < text.length && text.charCodeAt(i + 1) !== 0x0a && text.charCodeAt(i + 1) !== 0x0d) i++;
        } else if (ch === 0x2f && text.charCodeAt(i + 1) === 0x2a) { // block comment: lines counted
            i++;
            while (i + 1 < text.length && !(text.charCodeAt(i + 1) === 0x2a && text.charCodeAt(i + 2) === 0x2f)) {
                i++;
                const c = text.charCodeAt(i);
                if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
                    line++;
                    lineStart = i + 1;
                }
            }
            i += 2;
        } else if (ch === 0x22) { // string, on one line
            while (i + 1 < text.length) {
                const c = text.charCodeAt(++i);
                if (c === 0x5c) i++;
                else if (c === 0x22 || c === 0x0a || c === 0x0d) break;
            }
            if (text.charCodeAt(i) !== 0x22) i--;
        } else if (ch === 0x28 || ch === 0x7b) {
            if (++depth > max) return { tooDeep: { offset: i, line, column: i - lineStart + 1 }, maxDepth, maxAt };
            if (depth > maxDepth) {
                maxDepth = depth;
                maxAt = { offset: i, line, column: i - lineStart + 1 };
            }
        } else if ((ch === 0x29 || ch === 0x7d) && depth > 0) {
            depth--;
        }
    }
    return { tooDeep: undefined, maxDepth, maxAt };
}
