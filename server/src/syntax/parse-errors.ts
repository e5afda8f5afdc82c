/**
 * Where the parser's errors are reported (LANGUAGE.md §9: "for a static error, the offending
 * token"; §11: annotations compare (code, line) pairs). Chevrotain reports an error at the
 * token where it noticed it, and its recovery goes on to report the consequences: two habits
 * that put a syntax error on a line where nothing is wrong (decisions.md #33).
 *
 * - **The end of a line.** An item cut short (`expect delivered rx`, `cpu0: switch`) is
 *   noticed at the first token of the next line. When that token starts something new (a step,
 *   an expectation, a declaration; in a block, a statement or the closing `}`), the error is
 *   reported right after the last token of the short line, as a compiler says "expected ';'".
 *   Likewise when an operand at the end of a line took the next line's CPU name as its value
 *   (a CPU name alone is a number, decisions #14) and the parser then stops at that step's `:`.
 * - **Cascades.** When the parser leaves the construct it recovered in and stops again on the
 *   way out (the closing braces of a race whose branch held an expectation) before anything
 *   new has started, that error only follows from the first and is not reported.
 */
import type { IRecognitionException, IToken } from 'chevrotain';
import { findUnmatched, positionOf, space, wordChar } from './nesting.js';

/** Words that start an item or a declaration: with a CPU name and its `:`, what follows a finished part of the file. */
const PART = /^(?:cpu\d+[ \t]*:|(?:expect|race|task|kthread|policy|machine|scenario)(?![A-Za-z0-9_]))/;
/** Words that start a statement of a hook (or a hook, or close the block), besides {@link PART}. */
const STATEMENT = /^(?:\}|(?:on|if|else|take|foreach|wake|xsaves|xrstors|wrmsr|senduipi|stui|clui|testui|uiret|interrupt|set|free|put)(?![A-Za-z0-9_]))/;
const CPU_NAME = /^cpu\d+$/;

/** A parser error to report, and what to say besides (or instead of) its message. */
export interface PlacedError {
    readonly error: IRecognitionException;
    /** Added to the message, e.g. "; the line ends after 'rx'". */
    readonly note?: string;
    /** The note is the whole message. */
    readonly replaces?: boolean;
}

/**
 * The parser's errors as they should be reported: cascades left out, an error noticed on the
 * next line moved to the end of the short one (a copy with its token at that place, and a
 * note for its message). `starts` are the offsets where the file's parts (declarations,
 * items) start.
 */
export function placeParserErrors(errors: readonly IRecognitionException[], text: string, starts: readonly number[]): PlacedError[] {
    const out: PlacedError[] = [];
    // whether every bracket has its partner: then a closing one is never what is missing
    const balanced = errors.length === 0 || findUnmatched(text, 0) === undefined;
    let previous: IRecognitionException | undefined;
    for (const e of errors) {
        const before = previous;
        previous = e;
        if (before && isCascade(e, before, starts, balanced)) continue;
        out.push(inBranch(e) ?? moved(e, text, balanced) ?? operandTookCpu(e, text) ?? { error: e });
    }
    return out;
}

/**
 * Whether `e` only follows from the error before it: the parser leaving the construct where it
 * recovered, with nothing new started between; a closing bracket it lost track of (each has
 * its partner); the closing bracket of a construct whose opening one it made up.
 */
function isCascade(e: IRecognitionException, before: IRecognitionException, starts: readonly number[], balanced: boolean): boolean {
    const inner = before.context?.ruleStack ?? [];
    const outer = e.context?.ruleStack ?? [];
    const from = offsetOf(before.token), to = offsetOf(e.token);
    if (outer.length < inner.length && outer.every((r, i) => r === inner[i]) && from !== undefined && to !== undefined
        && !starts.some(s => s >= from && s < to)) return true;
    if (balanced && (e.token.image === '}' || e.token.image === ')')) return true;
    const opened = /^Expecting token of type '([{(])'/.exec(before.message)?.[1];
    const closes = /^Expecting token of type '([})])'/.exec(e.message)?.[1];
    return opened !== undefined && closes === (opened === '{' ? '}' : ')') && outer.length === inner.length && outer.every((r, i) => r === inner[i]);
}

/** An expectation or a race inside a race's branch: said in the terms of LANGUAGE.md §7. */
function inBranch(e: IRecognitionException): PlacedError | undefined {
    const word = e.token.image;
    if ((word !== 'expect' && word !== 'race') || !(e.context?.ruleStack ?? []).some(r => r.startsWith('Branch'))) return undefined;
    return { error: e, note: `a race's branches hold steps only: ${word === 'race' ? 'no nested races' : 'no expectations (one may follow the race)'}`, replaces: true };
}

function offsetOf(t: IToken | undefined): number | undefined {
    return t !== undefined && Number.isFinite(t.startOffset) && t.startOffset >= 0 ? t.startOffset : undefined;
}

/** `e` reported at the end of the line it belongs to, or undefined when it stays where it is. */
function moved(e: IRecognitionException, text: string, balanced: boolean): PlacedError | undefined {
    const found = e.token;
    const prev = (e as IRecognitionException & { previousToken?: IToken }).previousToken;
    const at = offsetOf(found);
    if (at === undefined || prev === undefined || offsetOf(prev) === undefined) return undefined;
    const { endOffset, endLine, endColumn } = prev;
    if (endOffset === undefined || endLine === undefined || endColumn === undefined) return undefined;
    if (endLine < (found.startLine ?? 0) && startsLine(text, at)) {
        // only a closing bracket expected: the construct was whole, and what follows is the
        // offender, unless it starts a new part and a bracket is missing somewhere
        const closing = /^Expecting token of type '[})]'/.test(e.message);
        const rest = text.slice(at, at + 40);
        if (closing ? !balanced && PART.test(rest) : PART.test(rest) || STATEMENT.test(rest)) {
            return { error: at_(e, endOffset + 1, endLine, endColumn + 1), note: `; the line ends after '${prev.image}'` };
        }
        return undefined;
    }
    return undefined;
}

/**
 * `expect cpu0.uinv ==` then `cpu1: stui`: the operand took `cpu1` (a CPU name alone is a
 * number), and the parser stopped at its `:`. The error goes to the end of the short line.
 */
function operandTookCpu(e: IRecognitionException, text: string): PlacedError | undefined {
    const at = offsetOf(e.token);
    if (at === undefined || e.token.image !== ':') return undefined;
    // the word before the `:` (the parser's previousToken may be one its recovery skipped to)
    let end = at;
    while (end > 0 && space(text.charCodeAt(end - 1))) end--;
    let start = end;
    while (start > 0 && wordChar(text.charCodeAt(start - 1))) start--;
    const cpu = text.slice(start, end);
    if (!CPU_NAME.test(cpu) || !startsLine(text, start)) return undefined;
    const before = endBefore(text, start);
    if (before === undefined) return undefined;
    const { line, column } = positionOf(text, before);
    return {
        error: at_(e, before, line, column),
        note: `an operand is missing at the end of this line: '${cpu}', which starts the next line's step, was read as its value (a CPU name alone is a number), and its ':' cannot follow`,
        replaces: true,
    };
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
        if (c === 10 || c === 13) return true;
        if (c !== 32 && c !== 9 && c !== 12 && c !== 11) return false;
    }
    return true;
}

/**
 * The offset just after the last character of code before the line that starts at `offset`:
 * blank lines and line comments skipped (a comment is looked for outside strings only).
 */
function endBefore(text: string, offset: number): number | undefined {
    let end = lineBreakBefore(text, offset);
    while (end >= 0) {
        const start = lineBreakBefore(text, end) + 1;
        const line = text.slice(start, end);
        const code = line.slice(0, commentStart(line)).trimEnd();
        if (code.length > 0) return start + code.length;
        end = start - 1;
    }
    return undefined;
}

/** The offset of the last line break before `offset` (the `\n` of a `\r\n`), or -1. */
function lineBreakBefore(text: string, offset: number): number {
    for (let i = offset - 1; i >= 0; i--) {
        const c = text.charCodeAt(i);
        if (c === 10) return i;
        if (c === 13) return i;
    }
    return -1;
}

/** Where a `//` comment starts in a line, outside strings (the line's length if none). */
function commentStart(line: string): number {
    let inString = false;
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (inString) {
            if (c === '\\') i++;
            else if (c === '"') inString = false;
        } else if (c === '"') {
            inString = true;
        } else if (c === '/' && line[i + 1] === '/') {
            return i;
        }
    }
    return line.length;
}
