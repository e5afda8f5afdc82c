/**
 * The editor's validator: the core one (syntax/document-validator.ts), with its static errors
 * at most one per (code, line) as the CLI reports them (LANGUAGE.md §8; onePerLine, which the
 * CLI's scenario/check.ts staticDiagnostics uses too).
 */
import type { Cancellation, LangiumDocument, ValidationOptions } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import { onePerLine, UintrDocumentValidator } from '../syntax/document-validator.js';

export class UintrLspDocumentValidator extends UintrDocumentValidator {
    override async validateDocument(document: LangiumDocument, options: ValidationOptions = {}, cancelToken?: Cancellation.CancellationToken): Promise<Diagnostic[]> {
        return onePerLine(await super.validateDocument(document, options, cancelToken), document.uri.toString());
    }
}
