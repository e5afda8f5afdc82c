/**
 * Langium's document builder, but a request waiting for a document's state is always answered,
 * and from the editor's text.
 *
 * Requests wait (DocumentBuilder.waitUntil) until their document has been built far enough.
 * Langium's wait missed these cases, met when requests come right after `didOpen` or an edit:
 * - The document is not in the workspace yet: opening queues an update that adds it (after the
 *   workspace folder is read, under the workspace lock); a request that came meanwhile was
 *   answered ServerCancelled ("No document found for URI") though the editor had the text.
 * - The document is in the workspace, built from another text than the editor's: its file's
 *   (read when the workspace was loaded) or the text before an edit whose update has not
 *   started; a request answered from it (symbols, folding, formatting edits placed for a text
 *   the editor does not have).
 * - A build cancelled by the next update (a change, the settings arriving) while it told the
 *   listeners that a document reached a state: the listeners after the cancellation were not
 *   called, the document kept that state, no later build told it again, and the request never
 *   got an answer.
 * - A closed document that the workspace's build leaves short of the state (the first build
 *   does not validate): checked only when the request came, so one that came during the build
 *   never got an answer.
 * Here a waiting request is checked again after every document phase (cancelled or not), every
 * build phase and every update ({@link UintrDocumentBuilder.outcome}), and answered as Langium
 * would once nothing more is to come. A document open in the editor is never dropped because
 * its file was deleted on disk ({@link UintrDocumentBuilder.update}): requests on it would wait
 * for an update that never comes.
 */
import { Cancellation, DefaultDocumentBuilder, DocumentState, isOperationCancelled, OperationCancelled, URI, UriUtils, type LangiumDocument, type MaybePromise, type RootCstNode, type WorkspaceLock } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import type { CancellationToken } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';

/** The text a document's tree was parsed from (undefined: no tree yet); the editor's may have moved on since. */
export function treeText(document: LangiumDocument): string | undefined {
    return (document.parseResult?.value?.$cstNode as RootCstNode | undefined)?.fullText;
}

export class UintrDocumentBuilder extends DefaultDocumentBuilder {
    /** The waiting requests: each checks its document and answers when it can. */
    private readonly waiters = new Set<() => void>();
    private readonly openUris: () => readonly string[];
    /** The editor's document and version each document was last parsed from (none: from a file). */
    private readonly parsedFrom = new WeakMap<LangiumDocument, { readonly text: TextDocument; readonly version: number }>();

    private readonly lock: WorkspaceLock;

    constructor(services: LangiumSharedServices) {
        super(services);
        this.openUris = () => services.workspace.TextDocuments.keys();
        this.lock = services.workspace.WorkspaceLock;
    }

    /**
     * A document open in the editor is the editor's (LSP: while it is open, its content is
     * managed by the client): a deletion on disk (a watched-file event, the file or its folder)
     * does not drop it, it is built again from the editor's text. Dropped, it would leave every
     * request on it waiting for an update that never comes.
     */
    override update(changed: URI[], deleted: URI[], cancelToken?: CancellationToken): Promise<void> {
        const kept = deleted.length === 0 ? [] : this.openUris().filter(open => deleted.some(d => UriUtils.equals(d, open) || UriUtils.contains(d, open)));
        if (kept.length === 0) return super.update(changed, deleted, cancelToken);
        const keep = new Set(kept.map(u => UriUtils.normalize(u)));
        return super.update([...changed, ...kept.map(u => URI.parse(u))], deleted.filter(d => !keep.has(UriUtils.normalize(d))), cancelToken);
    }

    protected override awaitDocumentState(state: DocumentState, uri: URI, cancelToken: CancellationToken): Promise<URI> {
        // the editor's text as the request came (a later one does too: typing must not starve it)
        const asked = this.textDocuments?.get(uri.toString())?.version ?? 0;
        // cancelled already: said so (Langium's wait looks the document up first, and one still
        // being loaded was answered "No document found")
        if (cancelToken.isCancellationRequested) return Promise.reject(OperationCancelled);
        if (this.outcome(state, uri, asked) !== 'wait') return super.awaitDocumentState(state, uri, cancelToken);
        // a build that waits to start (edits are built once they stop coming) is wanted now
        for (const listener of this.waitListeners) listener(uri.toString());
        return new Promise<URI>((resolve, reject) => {
            const done = (): void => {
                this.waiters.delete(check);
                cancelled.dispose();
            };
            const check = (): void => {
                const outcome = this.outcome(state, uri, asked);
                if (outcome === 'wait') return;
                done();
                // Langium's answer for the others: the document as it is, or its error
                super.awaitDocumentState(state, uri, cancelToken).then(resolve, reject);
            };
            const cancelled = cancelToken.onCancellationRequested(() => {
                done();
                reject(OperationCancelled);
            });
            this.waiters.add(check);
        });
    }

    /**
     * Whether a request about `uri` that needs `state` waits, or can be answered now (Langium's
     * wait then answers it: at once, or with its error). It waits while a build may still bring
     * the document there: a document open in the editor that the workspace does not hold yet, or
     * that was not parsed from the editor's text at version `asked` or later (it was built from
     * its file's text, read when the workspace was loaded, or from the text before an edit whose
     * update has not started; or reopened since), or that is not in that state yet; a closed one
     * while it is not there and the workspace's build has not gone past that state (once it
     * has, no build will take it further: Langium's error).
     */
    private outcome(state: DocumentState, uri: URI, asked: number): 'wait' | 'answer' {
        const doc = this.langiumDocuments.getDocument(uri);
        // open in the editor in a language no service takes: no build will ever hold it
        const open = this.textDocuments?.get(uri.toString());
        if (open !== undefined && !this.serviceRegistry.hasServices(uri)) return 'answer';
        if (open !== undefined) {
            const parsed = doc && this.parsedFrom.get(doc);
            return doc !== undefined && doc.state >= state && parsed !== undefined && parsed.text === open && parsed.version >= asked ? 'answer' : 'wait';
        }
        if (doc === undefined || doc.state >= state) return 'answer';
        return this.currentState >= state ? 'answer' : 'wait';
    }

    protected override async notifyDocumentPhase(document: LangiumDocument, state: DocumentState, cancelToken: CancellationToken): Promise<void> {
        if (state === DocumentState.Parsed) {
            // parsed just now: from the editor's text if it was open then (Langium's factory reads
            // it there) and that is what the tree holds; not when the parse read the file, for a
            // document closed then and opened again while the file was read
            const open = this.textDocuments?.get(document.uri.toString());
            const built = treeText(document);
            if (open !== undefined && (built === undefined || built === open.getText())) this.parsedFrom.set(document, { text: open, version: open.version });
            else this.parsedFrom.delete(document);
        }
        try {
            // A validated document's listeners (the diagnostics' publication) run even when the
            // build is cancelled just then: Langium checks the token before each listener, and
            // skipped them while the document, already marked validated and complete, was never
            // validated again, so its diagnostics were never published (a build cancelled by the
            // next change, at a moment that a slow validation made likely)
            await super.notifyDocumentPhase(document, state, state === DocumentState.Validated ? Cancellation.CancellationToken.None : cancelToken);
        } finally {
            this.checkWaiters();
        }
    }

    /**
     * One document that fails a phase no longer fails the build of every document: it stayed
     * short of the phase, so every later build tried it again and failed too, and no document got
     * diagnostics any more (a workspace file deleted or made unreadable, then reported changed:
     * its read throws). The failure is logged and the build goes on; a document whose file cannot
     * be read (not open in the editor) is then taken out of the workspace, as a deleted one is.
     */
    protected override async runCancelable(documents: LangiumDocument[], targetState: DocumentState, cancelToken: CancellationToken,
        callback: (document: LangiumDocument) => MaybePromise<unknown>): Promise<void> {
        const guarded = async (document: LangiumDocument) => {
            try {
                await callback(document);
            } catch (e) {
                if (isOperationCancelled(e)) throw e;
                console.error(`uintr: ${document.uri.toString()} failed to reach the state ${DocumentState[targetState]}: ${(e as Error)?.stack ?? e}`);
                if (targetState === DocumentState.Parsed && !this.textDocuments?.get(document.uri.toString())) {
                    void this.lock.write(token => this.update([], [document.uri], token))
                        .catch(err => console.error(`uintr: dropping ${document.uri.toString()} failed: ${(err as Error)?.stack ?? err}`));
                }
            }
        };
        try {
            await super.runCancelable(documents, targetState, cancelToken, guarded);
        } finally {
            this.checkWaiters(); // the workspace's state has moved: a closed document it left behind is answered
        }
    }

    protected override async emitUpdate(changed: URI[], deleted: URI[]): Promise<void> {
        try {
            await super.emitUpdate(changed, deleted);
        } finally {
            this.checkWaiters();
        }
    }

    private readonly waitListeners: ((uri: string) => void)[] = [];

    /** Calls `listener` with a document's URI whenever a request starts waiting for a build of it (document-update-handler.ts). */
    onWait(listener: (uri: string) => void): void {
        this.waitListeners.push(listener);
    }

    private checkWaiters(): void {
        for (const check of [...this.waiters]) check();
    }
}

