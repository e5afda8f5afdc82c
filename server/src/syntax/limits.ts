/**
 * How much text the checker takes: a limit on tokens, not bytes, because memory follows the
 * syntax tree. Parsing, linking and checking keep about 1 KB per token (3 KB in a long chain
 * of binary operators), so a 15.5 MiB file of short expectations ran the CLI out of its 4 GB
 * heap after three minutes, and would have killed the language server. {@link MAX_TOKENS}
 * keeps a check near 1 GB (the 100,000-step benchmark file is about half of it).
 */

import { space, wordChar } from './nesting.js';
import { thousands } from './message-text.js';

/** Tokens beyond which a text is not parsed (the CLI refuses the file, the editor says why). */
export const MAX_TOKENS = 1_000_000;

/**
 * The number of tokens in a text, about as the lexer counts them (a name, number or string is
 * one; every other character that is not whitespace is one, so `==` counts two; comments none),
 * counted up to `stop` and no further.
 */
export function countTokens(text: string, stop = Number.POSITIVE_INFINITY): number {
    let count = 0;
    const n = text.length;
    for (let i = 0; i < n && count < stop; i++) {
        const c = text.charCodeAt(i);
        if (space(c)) continue;
        if (c === 0x2f && text.charCodeAt(i + 1) === 0x2f) {
            while (i + 1 < n && text.charCodeAt(i + 1) !== 0x0a) i++;
            continue;
        }
        if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a) {
            const close = text.indexOf('*/', i + 2);
            i = close < 0 ? n : close + 1;
            continue;
        }
        count++;
        if (wordChar(c)) {
            while (i + 1 < n && wordChar(text.charCodeAt(i + 1))) i++;
        } else if (c === 0x22) {
            while (i + 1 < n) {
                const d = text.charCodeAt(++i);
                if (d === 0x5c) i++;
                else if (d === 0x22 || d === 0x0a) break;
            }
        }
    }
    return count;
}

/** Why a text is too large to check, or undefined when it is not. */
export function tooLarge(text: string): string | undefined {
    // a text shorter than the limit cannot hold more tokens than characters
    if (text.length <= MAX_TOKENS) return undefined;
    if (countTokens(text, MAX_TOKENS + 1) <= MAX_TOKENS) return undefined;
    return `too large to check: over ${thousands(MAX_TOKENS)} tokens (a limit that keeps a check within memory; split the scenario)`;
}
