/**
 * The editor's validator: the core one (syntax/document-validator.ts), with its static errors
 * at most one per (code, line) as the CLI reports them (LANGUAGE.md §8; scenario/check.ts
 * mergedStatic): the first on a line stays, the others join its related information (a lexer
 * error and the parser errors it leads to, say).
 */
import type { Cancellation, LangiumDocument, ValidationOptions } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import { UintrDocumentValidator } from '../syntax/document-validator.js';

export class UintrLspDocumentValidator extends UintrDocumentValidator {
    override async validateDocument(document: LangiumDocument, options: ValidationOptions = {}, cancelToken?: Cancellation.CancellationToken): Promise<Diagnostic[]> {
        return onePerLine(await super.validateDocument(document, options, cancelToken), document.uri.toString());
    }
}

/** Static errors (`syntax`, `semantic`) merged per (code, line); every other diagnostic as it is. */
export function onePerLine(ds: readonly Diagnostic[], uri: string): Diagnostic[] {
    const isStatic = (d: Diagnostic) => d.severity === 1 && (d.code === 'syntax' || d.code === 'semantic');
    const statics = ds.filter(isStatic).sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    const first = new Map<string, Diagnostic>();
    const kept: Diagnostic[] = [];
    for (const d of statics) {
        const key = `${d.code}@${d.range.start.line}`;
        const head = first.get(key);
        if (!head) {
            const copy = { ...d, relatedInformation: [...(d.relatedInformation ?? [])] };
            first.set(key, copy);
            kept.push(copy);
        } else {
            head.relatedInformation!.push({ location: { uri, range: d.range }, message: typeof d.message === 'string' ? d.message : String(d.message) });
        }
    }
    return [...kept, ...ds.filter(d => !isStatic(d))];
}
