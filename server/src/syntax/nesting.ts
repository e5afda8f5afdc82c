/**
 * How deeply a text nests parentheses and braces, and its longest chain of prefix operators
 * (`~`, `not`), found by a scan before it is parsed: the parser recurses per level and per
 * operator of a chain, and a file nested thousands of levels deep would take it minutes on a
 * deep stack (or overflow a small one); a chain of 100,000 took 95 s (each operator's syntax
 * node walks the chain's end). Comments and strings are skipped.
 */

/** Levels of `(` and `{` together beyond which a file is refused (real scenarios nest a few). */
export const MAX_NESTING = 1000;

export interface TooDeep {
    /** Offset of the bracket that opens level MAX_NESTING + 1, or of the first operator of a chain longer than MAX_NESTING. */
    readonly offset: number;
    /** 1-based line and column of that bracket or operator. */
    readonly line: number;
    readonly column: number;
    /** For a chain of prefix operators: how long it is. */
    readonly chain?: number;
}

/** The first bracket that nests deeper than `max` levels, or the first chain of prefix operators longer than `max`, or undefined. */
export function findTooDeep(text: string, max = MAX_NESTING): TooDeep | undefined {
    return tooDeepOf(scan(text, max), max);
}

function tooDeepOf(r: Scan, max: number): TooDeep | undefined {
    return r.tooDeep ?? (r.maxChain > max ? { ...r.maxChainAt!, chain: r.maxChain } : undefined);
}

/**
 * The first bracket that opens the deepest level of the text and that level (0: none), and the
 * longest chain of prefix operators (`~`, `not`, whitespace and comments between) and where it starts.
 */
export function deepest(text: string): { at: TooDeep | undefined; depth: number; chain: { count: number; at: TooDeep } | undefined } {
    const { maxDepth, maxAt, maxChain, maxChainAt } = scan(text, Infinity);
    return { at: maxAt, depth: maxDepth, chain: maxChain > 0 ? { count: maxChain, at: maxChainAt! } : undefined };
}

interface Scan {
    tooDeep: TooDeep | undefined;
    maxDepth: number;
    maxAt: TooDeep | undefined;
    maxChain: number;
    maxChainAt: TooDeep | undefined;
    /** Brackets never closed, and closers of the other kind than the bracket they close. */
    unmatched: number;
    /** Offset of the first of them (an unclosed bracket's opener, or a wrong closer), or -1. */
    firstUnmatched: number;
}

/**
 * Unmatched brackets beyond which a text is not parsed: the parser's recovery costs about the
 * number of them times the tokens after (300 unclosed `(` before 1,000 tokens: 5 s; 990 before
 * 1,000: over a minute), while a typo leaves one or two.
 */
export const MAX_UNMATCHED = 16;

/** Where a text's brackets fail to match, when they do in more than `max` places (see {@link MAX_UNMATCHED}). */
export function findUnmatched(text: string, max = MAX_UNMATCHED): { count: number; at: TooDeep } | undefined {
    return unmatchedOf(text, scan(text, Infinity), max);
}

/**
 * What the parser's guard asks of a text before it parses, from one scan: {@link findTooDeep}'s
 * answer, and, when the text is not too deep, {@link findUnmatched}'s.
 */
export function bracketTrouble(text: string): { tooDeep: TooDeep | undefined; unmatched: { count: number; at: TooDeep } | undefined } {
    const r = scan(text, MAX_NESTING);
    const tooDeep = tooDeepOf(r, MAX_NESTING);
    return { tooDeep, unmatched: tooDeep ? undefined : unmatchedOf(text, r, MAX_UNMATCHED) };
}

function unmatchedOf(text: string, r: Scan, max: number): { count: number; at: TooDeep } | undefined {
    return r.unmatched <= max ? undefined : { count: r.unmatched, at: positionOf(text, r.firstUnmatched) };
}

/** The 1-based line and column of an offset (lines end at \n, \r\n or \r, as the scan counts them). */
export function positionOf(text: string, offset: number): TooDeep {
    let line = 1, lineStart = 0;
    for (let i = 0; i < offset; i++) {
        if (lineBreakAt(text, i)) {
            line++;
            lineStart = i + 1;
        }
    }
    return { offset, line, column: offset - lineStart + 1 };
}

/** Whether a line ends at index i: a \n, or a \r that no \n follows (lines end at \n, \r\n or \r). */
export function lineBreakAt(text: string, i: number): boolean {
    const c = text.charCodeAt(i);
    return c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a);
}

/** How many values of `sorted` (ascending) are below `x`: the index where `x` would go (a binary search). */
export function countBelow(sorted: readonly number[], x: number): number {
    let lo = 0, hi = sorted.length;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (sorted[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/** Whether a character is whitespace to the lexer (its WS is `\s+`: \v, \f, U+00A0 and the other Unicode spaces too). */
export function space(c: number): boolean {
    return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0xa0 && /\s/.test(String.fromCharCode(c)));
}

/** A character of a name or number (a `not` next to one is part of a word). */
export function wordChar(c: number): boolean {
    return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function scan(text: string, max: number): Scan {
    let depth = 0, line = 1, lineStart = 0, maxDepth = 0;
    let maxAt: TooDeep | undefined;
    // the chain of prefix operators going on (whitespace and comments do not end it)
    let chain = 0, chainAt: TooDeep | undefined, maxChain = 0, maxChainAt: TooDeep | undefined;
    // the open brackets, as offset * 2 + 1 for a brace; wrong closers counted as they come
    const open: number[] = [];
    let wrong = 0, firstWrong = -1;
    for (let i = 0; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        const not = ch === 0x6e && text.startsWith('not', i) && !wordChar(text.charCodeAt(i - 1)) && !wordChar(text.charCodeAt(i + 3));
        if (ch === 0x7e || not) {
            if (chain++ === 0) chainAt = { offset: i, line, column: i - lineStart + 1 };
            if (chain > maxChain) {
                maxChain = chain;
                maxChainAt = chainAt;
            }
            if (not) i += 2;
            continue;
        }
        // whitespace and comments go on a chain (the lexer skips them), anything else ends it
        if (!space(ch) && ch !== 0x2f) chain = 0;
        if (lineBreakAt(text, i)) {
            line++;
            lineStart = i + 1;
        } else if (nonCodeEnd(text, i) >= 0) { // a comment or a string: skipped, its lines counted
            const end = nonCodeEnd(text, i);
            for (let j = i + 1; j <= end; j++) {
                if (lineBreakAt(text, j)) {
                    line++;
                    lineStart = j + 1;
                }
            }
            i = end;
        } else if (ch === 0x28 || ch === 0x7b) {
            if (++depth > max) return { tooDeep: { offset: i, line, column: i - lineStart + 1 }, maxDepth, maxAt, maxChain, maxChainAt, unmatched: 0, firstUnmatched: -1 };
            if (depth > maxDepth) {
                maxDepth = depth;
                maxAt = { offset: i, line, column: i - lineStart + 1 };
            }
            open.push(i * 2 + (ch === 0x7b ? 1 : 0));
        } else if ((ch === 0x29 || ch === 0x7d) && depth > 0) {
            depth--;
            if (((open.pop() ?? 0) & 1) !== (ch === 0x7d ? 1 : 0) && wrong++ === 0) firstWrong = i;
        }
    }
    const firstOpen = open.length > 0 ? open[0] >> 1 : -1;
    const firstUnmatched = firstOpen < 0 ? firstWrong : firstWrong < 0 ? firstOpen : Math.min(firstOpen, firstWrong);
    return { tooDeep: undefined, maxDepth, maxAt, maxChain, maxChainAt, unmatched: open.length + wrong, firstUnmatched };
}

/**
 * When a comment or a string starts at `i`, the index of its last character; else -1. A line
 * comment ends before its line break; a string at its closing quote, or before the line break
 * (a `\` escapes the next character, never a line break), or at the end of the text; a block
 * comment at its `*\/`, or at the end of the text.
 */
export function nonCodeEnd(text: string, i: number): number {
    const ch = text.charCodeAt(i);
    if (ch === 0x2f && text.charCodeAt(i + 1) === 0x2f) { // line comment
        while (i + 1 < text.length && text.charCodeAt(i + 1) !== 0x0a && text.charCodeAt(i + 1) !== 0x0d) i++;
        return i;
    }
    if (ch === 0x2f && text.charCodeAt(i + 1) === 0x2a) { // block comment
        const close = text.indexOf('*/', i + 2);
        return close < 0 ? text.length - 1 : close + 1;
    }
    if (ch === 0x22) { // string, on one line (a `\` escapes the next character, never a line break)
        while (i + 1 < text.length) {
            const c = text.charCodeAt(i + 1);
            if (c === 0x0a || c === 0x0d) return i;
            i++;
            if (c === 0x22) return i;
            if (c === 0x5c && i + 1 < text.length && text.charCodeAt(i + 1) !== 0x0a && text.charCodeAt(i + 1) !== 0x0d) i++;
        }
        return i;
    }
    return -1;
}

/** A text's brackets (`(`, `{`) matched as the parser sees them, comments and strings skipped. */
export interface BracketMap {
    /** Every bracket has its partner, of its kind, and no closing bracket stands alone. */
    readonly balanced: boolean;
    /** No closing bracket stands alone, and this many are never closed by one of their kind. */
    readonly unclosedOnly: number | undefined;
    /** Whether a closing bracket with nothing open stands after `offset`. */
    strayAfter(offset: number): boolean;
    /** Whether the innermost bracket open at `offset` is never closed by one of its kind (false when none is open). */
    unclosedAt(offset: number): boolean;
    /** The offset of the innermost bracket open at `offset`, or -1. */
    openAt(offset: number): number;
}

export function bracketMap(text: string): BracketMap {
    const open: number[] = [];
    // after each bracket, in text order: its offset, and the innermost bracket open then (-1: none)
    const at: number[] = [];
    const top: number[] = [];
    const unclosed = new Set<number>();
    let lastStray = -1;
    for (let i = 0; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        const end = nonCodeEnd(text, i);
        if (end >= 0) {
            i = end;
            continue;
        }
        if (ch === 0x28 || ch === 0x7b) {
            open.push(i);
        } else if (ch === 0x29 || ch === 0x7d) {
            const o = open.pop();
            if (o === undefined) lastStray = i;
            else if ((text.charCodeAt(o) === 0x7b) !== (ch === 0x7d)) unclosed.add(o);
        } else {
            continue;
        }
        at.push(i);
        top.push(open.length > 0 ? open[open.length - 1] : -1);
    }
    for (const o of open) unclosed.add(o);
    // after the last bracket before the offset
    const openAt = (offset: number): number => {
        const before = countBelow(at, offset);
        return before > 0 ? top[before - 1] : -1;
    };
    return {
        balanced: unclosed.size === 0 && lastStray < 0,
        unclosedOnly: lastStray < 0 ? unclosed.size : undefined,
        strayAfter: offset => lastStray > offset,
        unclosedAt: offset => {
            const t = openAt(offset);
            return t >= 0 && unclosed.has(t);
        },
        openAt,
    };
}
