/**
 * Lexer patterns for the grammar's terminals whose regexes have a quadratic case on broken
 * input: a block comment (`/* … *\/`), a string and a number. Each failed match of the regex
 * read to the end of the text (an unclosed `/*`), of the line (a string) or of a run of digits
 * (a number that runs into a name), and the lexer tries again one character on: a megabyte of
 * unclosed `/*` took the CLI 30 s, 400 KB of `"\` 47 s, 100 KB of digits 9.6 s (16 MiB, the
 * largest file it reads, would take hours). Each pattern matches what the regex matches and
 * remembers where a failure proves the next tries fail too. The memos live for one tokenize
 * call ({@link UintrLexer}), so they always refer to the text being lexed.
 */
import { DefaultLexer, DefaultTokenBuilder, GrammarAST, type LexerResult, type TokenizeOptions } from 'langium';
import type { TokenType } from 'chevrotain';

let lexing: string | undefined;
/** In {@link lexing}, no `*\/` follows this offset. */
let unclosedFrom = Number.POSITIVE_INFINITY;

/** Chevrotain custom pattern: the block comment at `offset`, or null (once none closes after an offset, none after a later one does). */
export function blockComment(text: string, offset: number): RegExpExecArray | null {
    if (text.charCodeAt(offset) !== 0x2f || text.charCodeAt(offset + 1) !== 0x2a) return null;
    if (text === lexing && offset >= unclosedFrom) return null;
    const close = text.indexOf('*/', offset + 2);
    if (close < 0) {
        if (text === lexing) unclosedFrom = Math.min(unclosedFrom, offset);
        return null;
    }
    return [text.slice(offset, close + 2)] as unknown as RegExpExecArray;
}

/** In {@link lexing}, a string opened at an offset in (stringFailFrom, stringFailTo) is not closed. */
let stringFailFrom = -1, stringFailTo = -1;

/**
 * Chevrotain custom pattern: the string at `offset` (the grammar's `"(\\["\\]|[^"\\\r\n])*"`), or
 * null. The same quadratic case as a comment's: a line of `"\` repeated opens a string at each
 * `"` that runs to the line's end (400 KB took 47 s). A scan that fails at `f` from a `"` at `o`
 * fails at `f` from every `"` between (each is the second half of a `\"` the scan read, so the
 * scan from it reads the same pairs), so those fail at once.
 */
export function stringLiteral(text: string, offset: number): RegExpExecArray | null {
    if (text.charCodeAt(offset) !== 0x22) return null;
    if (text === lexing && offset > stringFailFrom && offset < stringFailTo) return null;
    const n = text.length;
    let i = offset + 1;
    while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 0x22) return [text.slice(offset, i + 1)] as unknown as RegExpExecArray;
        if (c === 0x0a || c === 0x0d) break;
        if (c === 0x5c) {
            const d = text.charCodeAt(i + 1);
            if (d !== 0x22 && d !== 0x5c) break; // an escape the language lacks
            i += 2;
        } else {
            i++;
        }
    }
    if (text === lexing) {
        stringFailFrom = offset;
        stringFailTo = i;
    }
    return null;
}

/** In {@link lexing}, a number at a decimal digit in (numberFailFrom, numberFailTo) does not match. */
let numberFailFrom = -1, numberFailTo = -1;

/**
 * The grammar's NUMBER regex as a pattern that does not fail twice on one run of digits: a run
 * of digits that runs into a name (`111…1a`) failed at each of its digits, each time reading
 * to the run's end (100 KB took 9.6 s). From a later digit of the same run of digits and `_`
 * the regex reads the same tail to the same end, and fails the same way.
 */
function numberPattern(grammarRegex: RegExp): (text: string, offset: number) => RegExpExecArray | null {
    const sticky = new RegExp(grammarRegex.source, grammarRegex.flags.replace(/[gy]/g, '') + 'y');
    return (text, offset) => {
        const c = text.charCodeAt(offset);
        const digit = c >= 0x30 && c <= 0x39;
        if (!digit) return null;
        if (text === lexing && offset > numberFailFrom && offset < numberFailTo) return null;
        sticky.lastIndex = offset;
        const m = sticky.exec(text);
        if (m === null && text === lexing) {
            let end = offset;
            while (end < text.length && ((text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x39) || text.charCodeAt(end) === 0x5f)) end++;
            numberFailFrom = offset;
            numberFailTo = end;
        }
        return m;
    };
}

/** The grammar's tokens, but ML_COMMENT through {@link blockComment}, STRING through {@link stringLiteral} and NUMBER through {@link numberPattern}. */
export class UintrTokenBuilder extends DefaultTokenBuilder {
    protected override buildTerminalToken(terminal: GrammarAST.TerminalRule): TokenType {
        const token = super.buildTerminalToken(terminal);
        if (terminal.name === 'ML_COMMENT') return { ...token, PATTERN: blockComment, LINE_BREAKS: true, START_CHARS_HINT: ['/'] };
        if (terminal.name === 'STRING') return { ...token, PATTERN: stringLiteral, LINE_BREAKS: false, START_CHARS_HINT: ['"'] };
        if (terminal.name === 'NUMBER' && token.PATTERN instanceof RegExp) {
            return { ...token, PATTERN: numberPattern(token.PATTERN), LINE_BREAKS: false, START_CHARS_HINT: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] };
        }
        return token;
    }
}

/** Langium's lexer, with the memos of {@link blockComment} and {@link stringLiteral} set for the text it lexes. */
export class UintrLexer extends DefaultLexer {
    override tokenize(text: string, options?: TokenizeOptions): LexerResult {
        lexing = text;
        unclosedFrom = Number.POSITIVE_INFINITY;
        stringFailFrom = stringFailTo = -1;
        numberFailFrom = numberFailTo = -1;
        try {
            return super.tokenize(text, options);
        } finally {
            lexing = undefined;
            unclosedFrom = Number.POSITIVE_INFINITY;
            stringFailFrom = stringFailTo = -1;
            numberFailFrom = numberFailTo = -1;
        }
    }
}
