/**
 * Langium's document builder, but a request waiting for a document's state is always answered.
 *
 * Requests wait (DocumentBuilder.waitUntil) until their document has been built far enough.
 * Langium's wait missed two cases, both met when requests come right after `didOpen`:
 * - The document is not in the workspace yet: opening queues an update that adds it (after the
 *   workspace folder is read, under the workspace lock); a request that came meanwhile was
 *   answered ServerCancelled ("No document found for URI") though the editor had the text.
 * - A build cancelled by the next update (a change, the settings arriving) while it told the
 *   listeners that a document reached a state: the listeners after the cancellation were not
 *   called, the document kept that state, no later build told it again, and the request never
 *   got an answer.
 * Here a waiting request is checked again after every document phase (cancelled or not) and
 * every update, and answered once its document is in the state it needs. A document the
 * editor never opened and the workspace does not hold fails at once, as before. And a
 * document open in the editor is never dropped because its file was deleted on disk (see
 * {@link UintrDocumentBuilder.update}): requests on it would wait for an update that never comes.
 */
import { DefaultDocumentBuilder, OperationCancelled, URI, UriUtils, type DocumentState, type LangiumDocument } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import { LSPErrorCodes, ResponseError, type CancellationToken } from 'vscode-languageserver';

export class UintrDocumentBuilder extends DefaultDocumentBuilder {
    /** The waiting requests: each checks its document and answers when it can. */
    private readonly waiters = new Set<() => void>();
    private readonly openUris: () => readonly string[];

    constructor(services: LangiumSharedServices) {
        super(services);
        this.openUris = () => services.workspace.TextDocuments.keys();
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
        const document = this.langiumDocuments.getDocument(uri);
        if ((document === undefined && !this.isOpen(uri)) || (document !== undefined && (document.state >= state || (this.currentState >= state && state > document.state)))
            || cancelToken.isCancellationRequested) {
            return super.awaitDocumentState(state, uri, cancelToken);
        }
        return new Promise<URI>((resolve, reject) => {
            const done = (): void => {
                this.waiters.delete(check);
                cancelled.dispose();
            };
            const check = (): void => {
                const doc = this.langiumDocuments.getDocument(uri);
                if (doc !== undefined && doc.state >= state) {
                    done();
                    resolve(uri);
                } else if (doc === undefined && !this.isOpen(uri)) {
                    // closed (and dropped) before it was built: as if it had never been opened
                    done();
                    reject(new ResponseError(LSPErrorCodes.ServerCancelled, `No document found for URI: ${uri.toString()}`));
                }
            };
            const cancelled = cancelToken.onCancellationRequested(() => {
                done();
                reject(OperationCancelled);
            });
            this.waiters.add(check);
        });
    }

    protected override async notifyDocumentPhase(document: LangiumDocument, state: DocumentState, cancelToken: CancellationToken): Promise<void> {
        try {
            await super.notifyDocumentPhase(document, state, cancelToken);
        } finally {
            this.checkWaiters();
        }
    }

    protected override async emitUpdate(changed: URI[], deleted: URI[]): Promise<void> {
        try {
            await super.emitUpdate(changed, deleted);
        } finally {
            this.checkWaiters();
        }
    }

    private isOpen(uri: URI): boolean {
        return this.textDocuments?.get(uri.toString()) !== undefined;
    }

    private checkWaiters(): void {
        for (const check of [...this.waiters]) check();
    }
}
