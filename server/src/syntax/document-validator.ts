/**
 * Langium's validator, with its diagnostics in the terms of LANGUAGE.md §8: lexer and parser
 * errors get the code `syntax`, linking errors the code `semantic` (their finer kind,
 * `unknown-name`, goes in `data.kind` for quick fixes), messages are shortened, and a
 * `semantic` error on a line that already has a `syntax` error (a consequence of it) is dropped.
 */
import { DefaultDocumentValidator, type LangiumDocument, type ValidationOptions } from 'langium';
import type { Cancellation } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';

export class UintrDocumentValidator extends DefaultDocumentValidator {
    override async validateDocument(document: LangiumDocument, options: ValidationOptions = {}, cancelToken?: Cancellation.CancellationToken): Promise<Diagnostic[]> {
        return normalizeDiagnostics(await super.validateDocument(document, options, cancelToken), document.textDocument.getText());
    }
}

/** `text`, when given, is the document's: a lexer error is then described by what it stopped at. */
export function normalizeDiagnostics(ds: Diagnostic[], text?: string): Diagnostic[] {
    const out = ds.map(d => normalize(d, text));
    const syntaxLines = new Set(out.filter(d => d.code === 'syntax' && d.severity === 1).map(d => d.range.start.line));
    return out.filter(d => d.code !== 'semantic' || !syntaxLines.has(d.range.start.line));
}

function normalize(d: Diagnostic, text: string | undefined): Diagnostic {
    const data = d.data as { code?: string; kind?: string } | undefined;
    const raw = typeof d.message === 'string' ? d.message : String(d.message);
    const message = (data?.code === 'lexing-error' && text !== undefined ? lexingMessage(raw, text) : undefined) ?? friendlyMessage(raw);
    if (d.code === 'syntax' || d.code === 'semantic') return { ...d, message };
    if (data?.code === 'lexing-error' || data?.code === 'parsing-error') return { ...d, code: 'syntax', message };
    if (data?.code === 'linking-error') return { ...d, code: 'semantic', message, data: { ...data, kind: 'unknown-name' } };
    return d;
}

/**
 * A lexer error ("unexpected character: ->0<- at offset: 15, …") said in the terms of
 * LANGUAGE.md §2, from the text at that offset: a malformed number (one that runs into a name,
 * or with a misplaced `_`), a comment or string left open, or the character itself.
 */
function lexingMessage(raw: string, text: string): string | undefined {
    const at = /at offset: (\d+)/.exec(raw);
    if (!at) return undefined;
    const offset = Number(at[1]);
    const rest = text.slice(offset, offset + 200);
    const word = /^[0-9][A-Za-z0-9_]*/.exec(rest);
    if (word) {
        return `malformed number '${word[0]}': a number is decimal or 0x hexadecimal, '_' may stand only between two digits, and it must not run into a name`;
    }
    if (rest.startsWith('/*')) return 'a /* comment is never closed';
    if (rest.startsWith('"')) return 'a string is not closed on its line';
    const ch = String.fromCodePoint(rest.codePointAt(0) ?? 0x3f);
    return `unexpected character '${ch}'`;
}

/** How a reference's target type reads in a message. */
const TYPE_WORDS: Record<string, string> = {
    NamedElement: 'task, kthread or foreach variable in scope',
    Runnable: 'task or kthread',
};

/** Chevrotain's and Langium's wording, made shorter where it says the same thing. */
export function friendlyMessage(m: string): string {
    const unresolved = /^Could not resolve reference to (\w+) named '([^']*)'\.?$/.exec(m);
    if (unresolved) {
        const kind = TYPE_WORDS[unresolved[1]] ?? unresolved[1].toLowerCase();
        return `unknown name '${unresolved[2]}' (no ${kind} of that name is declared)`;
    }
    const eof = /^Expecting (?:end of file|token of type 'EOF') but found `([^`]*)`\.?$/.exec(m);
    if (eof) return `unexpected '${eof[1]}' where the file should end (the parts of a file come in a fixed order: scenario, machine, declarations, then steps, expectations and races)`;
    const expecting = /^Expecting token of type '([^']+)' but found `([^`]*)`\.?$/.exec(m);
    if (expecting) {
        const [, want, found] = expecting;
        if (want === 'ID' && /^[a-z_]+$/.test(found)) return `'${found}' is a reserved word and cannot be used as a name here`;
        return `expected ${want === 'ID' ? 'a name' : want === 'NUMBER' ? 'a number' : `'${want}'`} but found '${found}'`;
    }
    const sequences = /^Expecting: one of these possible Token sequences:([\s\S]*?)but found: '([^']*)'/.exec(m);
    if (sequences) {
        const options = [...sequences[1].matchAll(/\[([^\]]+)\]/g)].map(x => x[1].replace(/'/g, ''));
        const unique = [...new Set(options)];
        const shown = unique.length > 8 ? [...unique.slice(0, 8), '…'] : unique;
        return `unexpected ${sequences[2] === '<EOF>' ? 'end of file' : `'${sequences[2]}'`}: expected ${shown.join(', ')}`;
    }
    const single = /^Expecting (?:token of type )?'?([^'\s]+)'? but found '([^']*)'/.exec(m);
    if (single) return `expected '${single[1]}' but found ${single[2] === '<EOF>' || single[2] === '' ? 'end of file' : `'${single[2]}'`}`;
    return m.split('\n')[0];
}
