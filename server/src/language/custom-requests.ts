/**
 * Requests the client's commands send: `uintr/compare` (the policy table) and `uintr/trace`
 * (the trace table) for a document, both computed from the document's current text.
 */
import { URI, type LangiumSharedCoreServices } from 'langium';
import { ErrorCodes, ResponseError, type Connection } from 'vscode-languageserver';
import { isPreludeOrCopy } from '../syntax/prelude-uri.js';
import type { UintrLspServices } from './uintr-lsp-module.js';

export interface DocumentRequest {
    readonly uri: string;
}

export const COMPARE_REQUEST = 'uintr/compare';
export const TRACE_REQUEST = 'uintr/trace';

/** What the commands answer for the built-in policies' file (opened by go-to-definition). */
const NOT_A_SCENARIO = 'prelude.uintr holds the built-in policies, not a scenario: open a scenario to trace it or compare policies';

export function registerCustomRequests(connection: Connection, shared: LangiumSharedCoreServices, services: UintrLspServices): void {
    /** The editor's text (also of a document just opened, not yet in the workspace), else the workspace's. */
    const textOf = (uri: string): { text: string; path: string } | undefined => {
        const u = URI.parse(uri);
        const opened = shared.workspace.TextDocuments?.get(u.toString());
        if (opened) return { text: opened.getText(), path: u.fsPath };
        const docs = shared.workspace.LangiumDocuments;
        if (!docs.hasDocument(u)) return undefined;
        return { text: docs.getDocument(u)!.textDocument.getText(), path: u.fsPath };
    };
    /** The request's document, or why there is none (params without a `uri` string are refused as invalid). */
    const documentOf = (params: unknown): { text: string; path: string } | { error: string } => {
        const uri = (params as Partial<DocumentRequest> | null | undefined)?.uri;
        if (typeof uri !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'expected the parameters { uri: string }');
        const doc = textOf(uri);
        if (!doc) return { error: `unknown document ${uri}` };
        if (isPreludeOrCopy(uri, doc.text)) return { error: NOT_A_SCENARIO };
        return doc;
    };
    connection.onRequest(COMPARE_REQUEST, async (params: DocumentRequest) => {
        const doc = documentOf(params);
        if ('error' in doc) return doc;
        return { text: await services.uintr.FixChecker.compareTable(doc.text, doc.path, services.uintr.Emulation.defaultPolicy) };
    });
    connection.onRequest(TRACE_REQUEST, async (params: DocumentRequest) => {
        const doc = documentOf(params);
        if ('error' in doc) return doc;
        return { text: await services.uintr.FixChecker.traceTable(doc.text, doc.path, services.uintr.Emulation.defaultPolicy) };
    });
}
