/**
 * Formatting that only normalises spacing and indentation: every item and every comment stays
 * on its line (annotations and diagnostics point at lines). Indentation is two spaces per open
 * brace; tokens on a line are separated by one space (none around `.`, before `:` `,` `)`,
 * after `(` `~`); the space before a trailing comment is kept as written (aligned comments);
 * lines inside block comments are left alone.
 */
import type { LangiumDocument, MaybePromise } from 'langium';
import type { Formatter } from 'langium/lsp';
import type { DocumentFormattingParams, DocumentOnTypeFormattingOptions, DocumentRangeFormattingParams, FormattingOptions, TextEdit } from 'vscode-languageserver';
import { isPreludeOrCopy } from '../syntax/prelude-uri.js';

/** Condition predicates, written like calls: `user(prev)`. */
const PREDICATES = new Set(['user', 'kthread', 'receiver', 'sender', 'valid', 'waiting']);

// a string not closed on its line runs to the line's end, as written (typing `"n` must not become `" n`)
const TOKEN = /\s*("(?:\\.|[^"\\])*"?|\/\/.*|\/\*.*?\*\/|\/\*.*|[A-Za-z_0-9]+|\|=|&=|==|!=|<=|>=|<<|>>|\S)/gy;

/** Formats one line's code (no leading indentation); returns it and the brace depth change. */
export function formatLine(code: string): { text: string; opens: number; closes: number; leadingCloses: number; endsInBlockComment: boolean } {
    const tokens: { t: string; ws: string }[] = [];
    TOKEN.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = TOKEN.exec(code)) !== null) tokens.push({ t: m[1], ws: m[0].slice(0, m[0].length - m[1].length) });
    let out = '';
    let opens = 0, closes = 0, leadingCloses = 0, seenOther = false, endsInBlockComment = false;
    tokens.forEach((tok, i) => {
        const t = tok.t;
        const isComment = t.startsWith('//') || t.startsWith('/*');
        if (t.startsWith('/*') && !t.endsWith('*/')) endsInBlockComment = true;
        if (!isComment && !t.startsWith('"')) {
            if (t === '{') opens++;
            if (t === '}') { if (!seenOther && opens === 0) leadingCloses++; else closes++; }
        }
        if (t !== '}') seenOther = true;
        if (i === 0) { out = t; return; }
        const prev = tokens[i - 1].t;
        let sep = ' ';
        if (isComment && t.startsWith('//')) sep = tok.ws.length > 0 ? tok.ws : ' ';
        else if (t === ':' || t === ',' || t === ')' || t === '.' || prev === '.' || prev === '(' || prev === '~') sep = '';
        else if (t === '(' && PREDICATES.has(prev)) sep = '';
        out += sep + t;
    });
    return { text: out, opens, closes, leadingCloses, endsInBlockComment };
}

export function formatText(text: string, indentUnit = '  '): string {
    const lines = text.split('\n');
    let depth = 0;
    let inBlock = false;
    const out = lines.map(raw => {
        const cr = raw.endsWith('\r') ? '\r' : '';
        const line = cr ? raw.slice(0, -1) : raw;
        if (inBlock) {
            if (line.includes('*/')) inBlock = false;
            return raw;
        }
        const code = line.trim();
        if (code === '') return cr;
        const f = formatLine(code);
        depth = Math.max(0, depth - f.leadingCloses);
        const result = indentUnit.repeat(depth) + f.text + cr;
        depth = Math.max(0, depth + f.opens - f.closes);
        if (f.endsInBlockComment) inBlock = true;
        return result;
    });
    return out.join('\n');
}

/** One level of indentation as the editor asks for it (tabs, or 1 to 8 spaces; 2 by default). */
function indentUnit(options: FormattingOptions): string {
    return options.insertSpaces === false ? '\t' : ' '.repeat(Math.min(8, Math.max(1, options.tabSize ?? 2)));
}

export class UintrFormatter implements Formatter {
    formatDocument(document: LangiumDocument, params: DocumentFormattingParams): MaybePromise<TextEdit[]> {
        return this.edits(document, indentUnit(params.options));
    }

    formatDocumentRange(document: LangiumDocument, params: DocumentRangeFormattingParams): MaybePromise<TextEdit[]> {
        // the lines the range touches (a range that ends at a line's start leaves that line out)
        const { start, end } = params.range;
        const last = end.character === 0 && end.line > start.line ? end.line - 1 : end.line;
        return this.edits(document, indentUnit(params.options)).filter(e => e.range.start.line >= start.line && e.range.start.line <= last);
    }

    formatDocumentOnType(): MaybePromise<TextEdit[]> {
        return [];
    }

    get formatOnTypeOptions(): DocumentOnTypeFormattingOptions | undefined {
        return undefined;
    }

    private edits(document: LangiumDocument, unit: string): TextEdit[] {
        const text = document.textDocument.getText();
        // the prelude ships word for word (LANGUAGE.md): never reformatted, nor a copy of it
        const uri = document.uri.toString();
        if (isPreludeOrCopy(uri, text)) return [];
        const formatted = formatText(text, unit);
        const a = text.split('\n'), b = formatted.split('\n');
        const edits: TextEdit[] = [];
        for (let i = 0; i < a.length; i++) {
            if (a[i] !== b[i]) edits.push({ range: { start: { line: i, character: 0 }, end: { line: i, character: a[i].length } }, newText: b[i] });
        }
        return edits;
    }
}
