/**
 * Where the parser's errors are reported (LANGUAGE.md §9: "for a static error, the offending
 * token"; §11: annotations compare (code, line) pairs). Chevrotain reports an error at the
 * token where it noticed it, and its recovery goes on to report the consequences: two habits
 * that put a syntax error on a line where nothing is wrong (decisions.md #33).
 *
 * - **The end of a line.** An item cut short (`expect delivered rx`, `cpu0: switch`) is
 *   noticed at the first token of the next line. When the parser wanted more than a closing
 *   bracket there, or only a closing bracket and the token starts something new (a step, an
 *   expectation, a declaration; in a block, a statement; `with`) where the text never closes
 *   the bracket or the token is not indented deeper than the bracket's line, the error is
 *   reported right after the last token of the short line, as a compiler says "expected ';'".
 *   Likewise when a word that starts a line was taken by the line before (an operand took the
 *   next step's CPU name, a CPU name alone being a number, decisions #14; a path cut after its
 *   `.` took `expect` or a statement's keyword); what the parser then read as the short line's
 *   follows from it, up to the next part. (A word taken as a declaration's or a hook's name is
 *   the static check's to say: uintr-validator.ts, reportTaken.)
 * - **A block left open before a declaration** (`machine { cpus 2`, then `policy q {`): noticed
 *   only at the declaration's `{`, as `policy q` is also a machine property; reported at the
 *   end of the block's short line.
 * - **A bracket never closed**, wanted at the end of the file: reported where its block ends
 *   when the indentation shows it plainly (CodeEnds.blockEnd); a race after such a branch too.
 * - **Cascades**, left out: the closing bracket of a construct whose opening one the recovery
 *   made up (no new part started between); a closing bracket where the file should end, when
 *   every bracket has its partner, or the only ones never closed are those of blocks whose
 *   short line an error was moved to (the parser lost count); what the parser stops at again on
 *   the line where it noticed a moved error, or at the end of the file, before a new part.
 * - **A race inside a race's branch** says LANGUAGE §7's rule (an expectation there is no
 *   parser error: the grammar takes it, and the static check reports it, checkBranch).
 */
import type { IRecognitionException, IToken } from 'chevrotain';
import { BRANCH_HOLDS_STEPS, thousands } from './message-text.js';
import { bracketMap, countBelow, lineBreakAt, nonCodeEnd, space, wordChar, type BracketMap } from './nesting.js';

/** Words that start an item or a declaration: with a CPU name and its `:`, what follows a finished part of the file. */
const PART = /^(?:cpu\d+[ \t]*:|(?:expect|race|task|kthread|policy|machine|scenario)(?![A-Za-z0-9_]))/;
/** Words that start a statement of a hook (or a hook, or close the block), besides {@link PART}. */
const STATEMENT = /^(?:\}|(?:on|if|else|take|foreach|wake|xsaves|xrstors|wrmsr|senduipi|stui|clui|testui|uiret|interrupt|set|free|put)(?![A-Za-z0-9_]))/;
const CPU_NAME = /^cpu\d+$/;

/** Whether the text starts with what starts a part of a file (an item or a declaration). */
export function startsPart(text: string): boolean {
    return PART.test(text);
}

/** Whether the text starts with what starts a part of a file or a hook's statement (a path cut after its `.` takes either). */
export function startsPartOrStatement(text: string): boolean {
    return PART.test(text) || (STATEMENT.test(text) && text.charAt(0) !== '}');
}

/**
 * Parse errors after which the parser no longer recovers inside a repetition (uintr-module.ts,
 * capRecovery). Each such recovery scans ahead for a token to resume at and keeps what it
 * skips, so a file broken the same way thousands of times took quadratic time (8,000 paths cut
 * after their `.`, each before a race: 22 s). Beyond this many errors the parser leaves the
 * items instead, and the last error says where it stopped reading (see placeParserErrors).
 */
export const MAX_RECOVERED_ERRORS = 1000;

/** A parser error to report, and what to say besides (or instead of) its message. */
export interface PlacedError {
    readonly error: IRecognitionException;
    /** Added to the message, e.g. "; the line ends after 'rx'". */
    readonly note?: string;
    /** The note is the whole message. */
    readonly replaces?: boolean;
    /** Moved: the token where the parser noticed it (a `semantic` error on its line, a check's error at it, only follows from it). */
    readonly noticedAt?: IToken;
    /** Moved because that token's word was taken from the start of its line by the line before (wordTaken). */
    readonly taken?: boolean;
    /** Placed where a block never closed ends by its indentation (neverClosed): what its parser reads in it after that is not in it. */
    readonly endsBlock?: boolean;
    /** Where the parser stopped reading (past {@link MAX_RECOVERED_ERRORS}): never a consequence of another error. */
    readonly stops?: boolean;
}

/**
 * The parser's errors as they should be reported: cascades left out, an error noticed on the
 * next line moved to the end of the short one (a copy with its token at that place, and a
 * note for its message). `starts` are the offsets where the file's parts (declarations,
 * items) start, ascending.
 */
export function placeParserErrors(errors: readonly IRecognitionException[], text: string, starts: readonly number[]): PlacedError[] {
    if (errors.length === 0) return [];
    const out: PlacedError[] = [];
    const brackets = bracketMap(text);
    // the closing bracket that a bracket the recovery made up leaves missing further on, and
    // where it was made up (an error after a new part started is that part's own)
    let madeUp: string | undefined;
    let madeUpAt = -1;
    // where the last moved error was noticed: what the parser stops at again on that line (or
    // at the end of the file), before a new part starts, follows from it
    let noticed: IToken | undefined;
    let noticedTaken = false;
    let earlier = false;
    // the never-closed brackets of blocks whose short line an error was moved to: when they are
    // all the text leaves open (and no closing bracket stands alone), a closing bracket where
    // the file should end is the parser's lost count too
    const leftOpen = new Set<number>();
    const code: { ends?: CodeEnds } = {};
    for (const e of errors) {
        const at = offsetOf(e.token);
        const closes = /^Expecting token of type '([})])'/.exec(e.message)?.[1];
        const cascade = (madeUp !== undefined && closes === madeUp && !startsWithin(starts, madeUpAt, at ?? Infinity))
            // a closing bracket where the file should end, when each has its partner: the parser lost count
            || (earlier && (e.context?.ruleStack ?? []).length <= 1 && (e.token.image === '}' || e.token.image === ')')
                && (brackets.balanced || (leftOpen.size > 0 && brackets.unclosedOnly === leftOpen.size)))
            || (noticed !== undefined && (at === undefined ? !startsWithin(starts, noticed.startOffset, Infinity)
                // after a word taken from the next line, the parser read what followed it as the
                // short line's: on any line, until a new part starts
                : (e.token.startLine === noticed.startLine || noticedTaken) && !startsWithin(starts, noticed.startOffset, at)));
        earlier = true;
        if (madeUp !== undefined && closes === madeUp) madeUp = undefined; // its partner was wanted: a cascade, or a part's own
        if (cascade) continue;
        // an opening bracket expected and not there: the recovery goes on as if it were, so its
        // closing one will be missing, unless a stray one after it takes its place (when the
        // bracket follows the token, the recovery skips the token instead: nothing made up)
        const opens = /^Expecting token of type '([{(])'/.exec(e.message)?.[1];
        if (opens !== undefined && at !== undefined && !brackets.strayAfter(at) && text.charAt(codeAfter(text, at + e.token.image.length)) !== opens) {
            madeUp = opens === '{' ? '}' : ')';
            madeUpAt = at;
        }
        const ends = neverClosed(e, text, brackets, code);
        if (ends && leftOpen.has(ends.opener)) continue; // said already, at the end of its short line
        const placed = raceInBranch(e, text, brackets, code) ?? ends?.placed ?? blockLeftOpen(e, text, brackets, code)
            ?? moved(e, text, brackets, code) ?? wordTaken(e, text, code) ?? { error: e };
        if (placed.noticedAt !== undefined && at !== undefined && brackets.unclosedAt(at)) leftOpen.add(brackets.openAt(at));
        noticed = placed.noticedAt;
        noticedTaken = placed.taken === true;
        out.push(placed);
    }
    // the parser gave up (past the cap, it left the items: its last error is that the file did
    // not end there): where it stopped is what to say there (at the start of that line), and
    // nothing after it was read
    const last = errors[errors.length - 1];
    if (errors.length > MAX_RECOVERED_ERRORS && last.name === 'NotAllInputParsedException') {
        const kept = out.findIndex(p => p.error === last);
        if (kept >= 0) out.splice(kept, 1);
        code.ends ??= new CodeEnds(text);
        const at = offsetOf(last.token) ?? text.length;
        const start = code.ends.firstCodeOnLineOf(at) ?? at;
        const { line, column } = code.ends.position(start);
        const lines = code.ends.position(Math.max(0, text.trimEnd().length - 1)).line;
        const rest = line < lines ? `lines ${thousands(line)}–${thousands(lines)}` : `line ${thousands(line)}`;
        out.push({
            error: at_(last, start, line, column), replaces: true, stops: true,
            note: `the parser stopped here: after ${thousands(MAX_RECOVERED_ERRORS)} syntax errors it no longer recovers, so the rest of the file (${rest}) is not read; mend the errors above first`,
        });
    }
    return out;
}

/**
 * A race inside a race's branch (the parser, in the branch's steps, stops at its keyword, wanting
 * the branch's `}`). When the text never closes that branch, its `{` is what is wrong: the race
 * follows the one left open, and the error goes there.
 */
function raceInBranch(e: IRecognitionException, text: string, brackets: BracketMap, code: { ends?: CodeEnds }): PlacedError | undefined {
    if (e.token.image !== 'race' || !/^Expecting token of type '\}'/.test(e.message) || !(e.context?.ruleStack ?? []).some(r => r.startsWith('Branch'))) return undefined;
    const at = offsetOf(e.token);
    const open = at !== undefined && brackets.unclosedAt(at)
        ? atBlockEnd(e, text, brackets.openAt(at), code, `the race on line ${e.token.startLine} would be nested in its branch`) : undefined;
    // the branch's indentation ends before the race: the race follows the race left open
    return open !== undefined && open.error.token.startOffset < at! ? open : { error: e, note: `${BRANCH_HOLDS_STEPS}no nested races`, replaces: true };
}

/** Whether a part starts at an offset in [from, to) (`starts` ascending: a binary search, as a file may have many errors). */
function startsWithin(starts: readonly number[], from: number, to: number): boolean {
    const first = countBelow(starts, from);
    return first < starts.length && starts[first] < to;
}

function offsetOf(t: IToken | undefined): number | undefined {
    return t !== undefined && Number.isFinite(t.startOffset) && t.startOffset >= 0 ? t.startOffset : undefined;
}

/**
 * `e` reported at the end of the line it belongs to, or undefined when it stays where it is:
 * noticed at the first token of a later line, when the parser wanted more than a closing
 * bracket (the short line lacks it), or only a closing bracket that is indeed missing and
 * the token starts something new.
 */
function moved(e: IRecognitionException, text: string, brackets: BracketMap, code: { ends?: CodeEnds }): PlacedError | undefined {
    const found = e.token;
    const prev = (e as IRecognitionException & { previousToken?: IToken }).previousToken;
    const at = offsetOf(found);
    if (at === undefined || prev === undefined || offsetOf(prev) === undefined) return undefined;
    const { endOffset, endLine, endColumn } = prev;
    if (endOffset === undefined || endLine === undefined || endColumn === undefined) return undefined;
    if (endLine >= (found.startLine ?? 0) || !startsLine(text, at)) return undefined;
    const closing = /^Expecting token of type '[})]'/.test(e.message);
    const rest = text.slice(at, at + 40);
    // a closing bracket wanted: indeed missing when the text never closes the bracket, or when
    // the token, which starts something new, is not indented deeper than the bracket's line (a
    // `}` further on closes an outer block: `on exit {` cut, then `on wait { }` and the policy's `}`)
    if (closing && !((PART.test(rest) || STATEMENT.test(rest) || /^with(?![A-Za-z0-9_])/.test(rest))
        && (brackets.unclosedAt(at) || (code.ends ??= new CodeEnds(text)).notDeeper(at, brackets.openAt(at))))) return undefined;
    return { error: at_(e, endOffset + 1, endLine, endColumn + 1), note: `; the line ends after '${prev.image}'`, noticedAt: found };
}

/**
 * A word that starts a line was taken by the line before, and the parser stopped right after
 * it, where a file's part should start: `expect cpu0.uinv ==` then `cpu1: stui` (the operand
 * took `cpu1`, a CPU name alone being a number, and the `:` is the error), or `cpu0: put rx.`
 * then `expect no lost` (the path took `expect`, wherever the parser stops after it). The error
 * goes to the end of the short line.
 */
function wordTaken(e: IRecognitionException, text: string, code: { ends?: CodeEnds }): PlacedError | undefined {
    const at = offsetOf(e.token);
    if (at === undefined) return undefined;
    // the word before the error's token (the parser's previousToken may be one its recovery skipped to)
    let end = at;
    while (end > 0 && space(text.charCodeAt(end - 1))) end--;
    let start = end;
    while (start > 0 && wordChar(text.charCodeAt(start - 1))) start--;
    const word = text.slice(start, end);
    const cpu = CPU_NAME.test(word) && e.token.image === ':';
    const part = PART.test(text.slice(start, start + 40));
    // stopped where a file's part should start: a part's first word was not one
    const atFileLevel = (e.context?.ruleStack ?? []).length <= 1 && part;
    if (start === end || !startsLine(text, start)) return undefined;
    code.ends ??= new CodeEnds(text);
    const before = code.ends.beforeLineOf(start);
    if (before === undefined) return undefined;
    // a part's first word after a line that ends in a path's '.': the path took it as its name
    // (`cpu0: set rx.upid.` then `expect no lost`), wherever the parser stopped after it
    const dotBefore = text.charCodeAt(before - 1) === 0x2e;
    const afterDot = (part || STATEMENT.test(text.slice(start, start + 40))) && dotBefore;
    if (!cpu && !atFileLevel && !afterDot) return undefined;
    const { line, column } = code.ends.position(before);
    const taken = code.ends.position(start);
    return {
        error: at_(e, before, line, column),
        // the taken word: what the checks say of it (a CPU name as a task's name) follows from this
        noticedAt: { ...e.token, image: word, startOffset: start, startLine: taken.line, startColumn: taken.column },
        note: cpu
            ? `this line ends too early: '${word}', which starts the next line's step, was taken as ${dotBefore ? 'a segment of its path' : 'part of it (a CPU name alone is a number)'}, and its ':' cannot follow`
            : `this line ends too early: '${word}', which starts the next line, was read as part of it`,
        replaces: true,
        taken: true,
    };
}

/**
 * A closing bracket wanted at the end of the file, where the innermost bracket open is never
 * closed (`race {`, indented steps, then a step at the race's depth): reported where that
 * bracket's block ends, when its indentation says so plainly (CodeEnds.blockEnd).
 */
function neverClosed(e: IRecognitionException, text: string, brackets: BracketMap, code: { ends?: CodeEnds }): { placed: PlacedError; opener: number } | undefined {
    if (offsetOf(e.token) !== undefined || !/^Expecting token of type '[})]'/.test(e.message)) return undefined;
    const opener = brackets.openAt(text.length);
    if (opener < 0 || !brackets.unclosedAt(text.length)) return undefined;
    const placed = atBlockEnd(e, text, opener, code);
    return placed && { placed, opener };
}

/**
 * `e` reported where the block opened at `opener`, never closed, ends (CodeEnds.blockEnd), with
 * a note that says so: after its message, or instead of it with `why` (its message is about
 * another place).
 */
function atBlockEnd(e: IRecognitionException, text: string, opener: number, code: { ends?: CodeEnds }, why?: string): PlacedError | undefined {
    code.ends ??= new CodeEnds(text);
    const end = code.ends.blockEnd(opener);
    if (end === undefined) return undefined;
    const { line, column } = code.ends.position(end);
    const from = code.ends.position(opener);
    const which = from.line === line ? `this '${text.charAt(opener)}'` : `the '${text.charAt(opener)}' of line ${from.line}`;
    const error = at_(e, end, line, column);
    return why === undefined ? { error, note: `; ${which} is never closed`, endsBlock: true } : { error, note: `${which} is never closed: ${why}`, replaces: true };
}

/**
 * A block left open before a declaration: `machine {` (or `machine { cpus 2`), then `policy q {`
 * on the next line. `policy` is a machine property too, so the parser reads `policy q` as the
 * block's and notices only at the `{` after it, wanting the block's `}`; the brackets say that
 * the block is indeed never closed. The error goes to the end of the code before that line.
 */
function blockLeftOpen(e: IRecognitionException, text: string, brackets: BracketMap, code: { ends?: CodeEnds }): PlacedError | undefined {
    const at = offsetOf(e.token);
    if (at === undefined || e.token.image !== '{' || !/^Expecting token of type '\}'/.test(e.message)) return undefined;
    let lineStart = at;
    while (lineStart > 0 && !lineBreakAt(text, lineStart - 1)) lineStart--;
    const decl = /^[ \t]*(policy|task|kthread)[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*$/.exec(text.slice(lineStart, at));
    if (!decl || !brackets.unclosedAt(lineStart)) return undefined;
    code.ends ??= new CodeEnds(text);
    const before = code.ends.beforeLineOf(lineStart);
    if (before === undefined) return undefined;
    const { line, column } = code.ends.position(before);
    return { error: at_(e, before, line, column), note: `this block is not closed before the next line's ${decl[1]} ${decl[2]}`, replaces: true, noticedAt: e.token };
}

/** A copy of `e` whose token is an empty one at `offset` (line and column 1-based, as Chevrotain counts). */
function at_(e: IRecognitionException, offset: number, line: number, column: number): IRecognitionException {
    const token = { ...e.token, startOffset: offset, endOffset: offset, startLine: line, endLine: line, startColumn: column, endColumn: column - 1 };
    const copy = Object.create(Object.getPrototypeOf(e) as object) as IRecognitionException;
    Object.assign(copy, e, { token, message: e.message, name: e.name });
    return copy;
}

/** Whether only blanks stand between the start of its line and `offset`. */
function startsLine(text: string, offset: number): boolean {
    for (let i = offset - 1; i >= 0; i--) {
        const c = text.charCodeAt(i);
        if (c === 0x0a || c === 0x0d) return true;
        if (!space(c)) return false;
    }
    return true;
}

/** The offset of the first character of code at or after `offset` (comments and blanks skipped). */
function codeAfter(text: string, offset: number): number {
    let i = offset;
    while (i < text.length) {
        const end = nonCodeEnd(text, i);
        if (end >= 0 && text.charCodeAt(i) !== 0x22) i = end + 1;
        else if (space(text.charCodeAt(i))) i++;
        else break;
    }
    return i;
}

/**
 * Where the code before each line ends: per line (by its start), the offset just after the
 * last character of code before it (comments skipped, a string is code), or -1. One scan of
 * the text, made when first asked: a file may have an error per line.
 */
class CodeEnds {
    private readonly lineStarts: number[] = [0];
    private readonly ends: number[] = [-1];
    /** Per line: the offset of its first character of code, or -1 (blank, or comments only). */
    private readonly firsts: number[] = [-1];
    /** Per line: the offset just after its last character of code, or -1. */
    private readonly lasts: number[] = [-1];

    constructor(private readonly text: string) {
        let last = -1;
        const lineBreaks = (from: number, to: number) => {
            for (let j = from; j <= to; j++) {
                if (lineBreakAt(text, j)) {
                    this.lineStarts.push(j + 1);
                    this.ends.push(last);
                    this.firsts.push(-1);
                    this.lasts.push(-1);
                }
            }
        };
        const code = (from: number, to: number) => {
            const line = this.lineStarts.length - 1;
            if (this.firsts[line] < 0) this.firsts[line] = from;
            this.lasts[line] = last = to;
        };
        for (let i = 0; i < text.length; i++) {
            const end = nonCodeEnd(text, i);
            if (end >= 0) {
                if (text.charCodeAt(i) === 0x22) code(i, end + 1);
                else lineBreaks(i, end);
                i = end;
            } else if (!space(text.charCodeAt(i))) {
                code(i, i + 1);
            } else {
                lineBreaks(i, i);
            }
        }
    }

    /**
     * Where a block whose `{` at `opener` is never closed ends, when its indentation says so
     * plainly: after the last of the lines of code indented deeper than the opener's line (its
     * body), when a line of code that is not deeper follows them and does not start with a
     * closing bracket (which would read as this block's). Undefined otherwise: a body written
     * flat, one that runs to the end of the file, or indentation that mixes tabs and spaces —
     * the end of the file is then as good a place as any.
     */
    blockEnd(opener: number): number | undefined {
        const first = this.lineOf(opener);
        const indent = this.indentOf(first);
        if (indent === undefined) return undefined;
        // code after the bracket on its own line is the start of the body (`with { cpu1: stui`)
        let body = this.lasts[first] > opener + 1 ? first : -1;
        for (let line = first + 1; line < this.lineStarts.length; line++) {
            if (this.firsts[line] < 0) continue;
            const deeper = this.indentOf(line);
            if (deeper === undefined) return undefined;
            if (deeper > indent) {
                body = line;
                continue;
            }
            const c = this.text.charCodeAt(this.firsts[line]);
            return body < 0 || c === 0x7d || c === 0x29 ? undefined : this.lasts[body];
        }
        return undefined;
    }

    /**
     * Whether the code at `offset`, the first on its line, is indented no deeper than the line
     * of the bracket at `opener`, while a line between them is deeper (the block's body is
     * indented: the file says where its blocks end). False when a tab makes a width unknown,
     * or no bracket is open.
     */
    notDeeper(offset: number, opener: number): boolean {
        if (opener < 0) return false;
        const line = this.lineOf(offset);
        const from = this.lineOf(opener);
        const mine = this.indentOf(line);
        const theirs = this.indentOf(from);
        if (mine === undefined || theirs === undefined || this.firsts[line] !== offset || mine > theirs) return false;
        for (let between = from + 1; between < line; between++) {
            if (this.firsts[between] < 0) continue;
            const body = this.indentOf(between);
            if (body !== undefined && body > theirs) return true;
        }
        return false;
    }

    /** The indentation of a line of code (its blanks before the code), or undefined when it has a tab (its width is not known). */
    private indentOf(line: number): number | undefined {
        const from = this.lineStarts[line];
        const to = this.firsts[line];
        for (let i = from; i < to; i++) if (this.text.charCodeAt(i) === 0x09) return undefined;
        return to - from;
    }

    /** The offset of the first code on the line that `offset` is on, if it has any. */
    firstCodeOnLineOf(offset: number): number | undefined {
        const first = this.firsts[this.lineOf(offset)];
        return first < 0 ? undefined : first;
    }

    /** The end of the code before the line that `offset` is on. */
    beforeLineOf(offset: number): number | undefined {
        const end = this.ends[this.lineOf(offset)];
        return end < 0 ? undefined : end;
    }

    /** Line and column (1-based, as Chevrotain counts) of `offset`. */
    position(offset: number): { line: number; column: number } {
        const line = this.lineOf(offset);
        return { line: line + 1, column: offset - this.lineStarts[line] + 1 };
    }

    /** The 0-based line that `offset` is on. */
    private lineOf(offset: number): number {
        return countBelow(this.lineStarts, offset + 1) - 1;
    }
}
