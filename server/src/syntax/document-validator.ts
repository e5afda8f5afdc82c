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
        return normalizeDiagnostics(await super.validateDocument(document, options, cancelToken));
    }
}

export function normalizeDiagnostics(ds: Diagnostic[]): Diagnostic[] {
    const out = ds.map(normalize);
    const syntaxLines = new Set(out.filter(d => d.code === 'syntax' && d.severity === 1).map(d => d.range.start.line));
    return out.filter(d => d.code !== 'semantic' || !syntaxLines.has(d.range.start.line));
}

function normalize(d: Diagnostic): Diagnostic {
    const data = d.data as { code?: string; kind?: string } | undefined;
    const message = friendlyMessage(typeof d.message === 'string' ? d.message : String(d.message));
    if (d.code === 'syntax' || d.code === 'semantic') return { ...d, message };
    if (data?.code === 'lexing-error' || data?.code === 'parsing-error') return { ...d, code: 'syntax', message };
    if (data?.code === 'linking-error') return { ...d, code: 'semantic', message, data: { ...data, kind: 'unknown-name' } };
    return d;
}

/** Chevrotain's and Langium's wording, made shorter where it says the same thing. */
export function friendlyMessage(m: string): string {
    const unresolved = /^Could not resolve reference to (\w+) named '([^']*)'\.?$/.exec(m);
    if (unresolved) return `unknown name '${unresolved[2]}' (no ${unresolved[1].toLowerCase()} of that name is declared)`;
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
