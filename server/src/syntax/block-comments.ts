/**
 * The lexer's pattern for a block comment (`/* … *\/`), without the grammar regex's quadratic
 * case: each `/*` with no `*\/` after it made the regex scan to the end of the text, so a
 * megabyte of unclosed `/*` took the CLI 30 s (16 MiB, the largest file it reads, would take
 * hours). Once a search from an offset finds no `*\/`, none from a later offset of the same
 * text can, and the pattern fails at once. The memo lives for one tokenize call
 * ({@link UintrLexer}), so it always refers to the text being lexed.
 */
import { DefaultLexer, DefaultTokenBuilder, GrammarAST, type LexerResult, type TokenizeOptions } from 'langium';
import type { TokenType } from 'chevrotain';

let lexing: string | undefined;
/** In {@link lexing}, no `*\/` follows this offset. */
let unclosedFrom = Number.POSITIVE_INFINITY;

/** Chevrotain custom pattern: the block comment at `offset`, or null. */
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

/** The grammar's tokens, but ML_COMMENT through {@link blockComment}. */
export class UintrTokenBuilder extends DefaultTokenBuilder {
    protected override buildTerminalToken(terminal: GrammarAST.TerminalRule): TokenType {
        const token = super.buildTerminalToken(terminal);
        if (terminal.name !== 'ML_COMMENT') return token;
        return { ...token, PATTERN: blockComment, LINE_BREAKS: true, START_CHARS_HINT: ['/'] };
    }
}

/** Langium's lexer, with {@link blockComment}'s memo set for the text it lexes. */
export class UintrLexer extends DefaultLexer {
    override tokenize(text: string, options?: TokenizeOptions): LexerResult {
        lexing = text;
        unclosedFrom = Number.POSITIVE_INFINITY;
        try {
            return super.tokenize(text, options);
        } finally {
            lexing = undefined;
            unclosedFrom = Number.POSITIVE_INFINITY;
        }
    }
}
