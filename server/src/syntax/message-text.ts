/**
 * Diagnostic messages quote what they are about (a token, a literal, a name); a file may hold
 * a name or number of megabytes, and a message quoted it whole (15 MB for one `unexpected`).
 * A run of more than {@link RUN_MAX} characters without a space keeps its ends.
 */
export const RUN_MAX = 80;

/** The message with every run longer than {@link RUN_MAX} non-space characters shortened in its middle. */
export function shortenRuns(message: string): string {
    if (message.length <= RUN_MAX) return message;
    // a scan, not a regular expression: a run of megabytes overflowed the regex engine's stack
    let out = '', start = 0, i = 0;
    const n = message.length;
    while (i < n) {
        if (/\s/.test(message[i])) {
            i++;
            continue;
        }
        let end = i;
        while (end < n && !/\s/.test(message[end])) end++;
        if (end - i > RUN_MAX) {
            out += `${message.slice(start, i + 48)}…${message.slice(end - 24, end)}`;
            start = end;
        }
        i = end;
    }
    return start === 0 ? message : out + message.slice(start);
}

/** How an expectation or a race inside a race's branch is reported (LANGUAGE.md §7). */
export const BRANCH_HOLDS_STEPS = "a race's branches hold steps only: ";

/**
 * A whole number with a comma between groups of three digits, as `toLocaleString('en-US')`
 * writes it, without loading the locale data (about 9 ms of every start of the CLI).
 */
export function thousands(n: number): string {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
