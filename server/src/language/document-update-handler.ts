/**
 * Emulation on open and on save; on change only when `uintr.emulateOnChange` is set, after a
 * debounce. Parsing and static checks run after changes (Langium's default, but coalesced: see
 * {@link CHANGE_QUIET_MS}); the emulation validation category is part of every update build but
 * only works for documents marked due.
 */
import { URI } from 'langium';
import { DefaultDocumentUpdateHandler, type LangiumSharedServices } from 'langium/lsp';
import type { TextDocumentChangeEvent } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { isPreludeUri } from '../syntax/prelude-uri.js';
import type { UintrDocumentBuilder } from './document-builder.js';
import { EMULATION_CATEGORY, type EmulationService } from './emulation.js';

export const EMULATE_ON_CHANGE_DELAY_MS = 400;

/**
 * A change's update build starts once no other change to the file came for this long (or
 * {@link CHANGE_MAX_WAIT_MS} after the first change not yet built, so that steady typing still
 * gets diagnostics). Each update parses the whole file and the parse is not interrupted: with an
 * update per change, 20 changes sent back to back to a 5,000-line file were parsed one after
 * another, and a hover that followed was answered after 2.3 s (bench/lsp.mjs, typing burst).
 * Requests meanwhile wait for the tree of the editor's text (document-builder.ts).
 */
export const CHANGE_QUIET_MS = 20;
export const CHANGE_MAX_WAIT_MS = 200;

export class UintrDocumentUpdateHandler extends DefaultDocumentUpdateHandler {
    private readonly shared: LangiumSharedServices;
    private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
    /** Changes whose update has not started: the timer, and when the first of them came. */
    private readonly pendingChanges = new Map<string, { timer: ReturnType<typeof setTimeout>; since: number }>();
    /** Documents just opened: the change that opening fires is built at once. */
    private readonly opening = new Set<string>();
    /** How long a change waits for the next one, and at most (see {@link CHANGE_QUIET_MS}); tests set them. */
    quietMs = CHANGE_QUIET_MS;
    maxWaitMs = CHANGE_MAX_WAIT_MS;

    constructor(services: LangiumSharedServices) {
        super(services);
        this.shared = services;
        services.workspace.DocumentBuilder.updateBuildOptions = { validation: { categories: ['built-in', 'fast', EMULATION_CATEGORY] } };
        // a request waits for the editor's text: its build starts now, not after the pause
        (services.workspace.DocumentBuilder as Partial<UintrDocumentBuilder>).onWait?.(uri => this.updateNow(uri, true));
    }

    private emulation(uri: string): EmulationService | undefined {
        try {
            const services = this.shared.ServiceRegistry.getServices(URI.parse(uri)) as unknown as { uintr?: { Emulation: EmulationService } };
            return services.uintr?.Emulation;
        } catch {
            return undefined;
        }
    }

    /** Opening is followed by a content change, whose update build emulates (at once: see {@link opening}). */
    didOpenDocument(event: TextDocumentChangeEvent<TextDocument>): void {
        this.opening.add(event.document.uri);
        this.emulation(event.document.uri)?.markDue(event.document.uri, event.document.version);
    }

    /**
     * The editor's text is gone. A file on disk is read and emulated again, so its diagnostics
     * are those of the saved file (closed without saving, or with stale ones from an edit that
     * was undone); one that is not on disk (untitled, deleted) is dropped, and its diagnostics
     * are cleared (decisions.md #21). The prelude is read again from its shipped file. A file of
     * another name that the editor showed as a scenario is dropped.
     */
    didCloseDocument(event: TextDocumentChangeEvent<TextDocument>): void {
        const key = event.document.uri;
        const timer = this.timers.get(key);
        if (timer) clearTimeout(timer);
        this.timers.delete(key);
        this.dropPendingChange(key);
        const uri = URI.parse(key);
        // the built-in policies: read again from the shipped file (an unsaved edit in the editor is gone)
        if (isPreludeUri(key)) {
            this.fireDocumentUpdate([uri], []);
            return;
        }
        // a file the editor showed as a scenario under another name (X.UINTR, notes.txt): without
        // the editor's language no service takes it, and left in the workspace it would fail
        // every later build: dropped
        if (!this.shared.ServiceRegistry.hasServices(uri)) {
            this.fireDocumentUpdate([], [uri]);
            return;
        }
        // (opened again while the file was read: the open is due, not the file's text; marked
        // due for any text, the reopened document's unsaved edit was run as fresh)
        const reopened = () => this.shared.workspace.TextDocuments.get(key) !== undefined;
        // (a provider that throws, not rejects, as Langium's EmptyFileSystemProvider: a read that failed)
        void Promise.resolve().then(() => this.shared.workspace.FileSystemProvider.readFile(uri)).then(
            () => { if (!reopened()) this.emulateNow(key); },
            () => {
                if (reopened()) return;
                this.emulation(key)?.runWhenBackOnDisk(key);
                this.fireDocumentUpdate([], [uri]);
            });
    }

    didSaveDocument(event: TextDocumentChangeEvent<TextDocument>): void {
        this.emulateNow(event.document.uri, event.document.version);
    }

    override didChangeContent(change: TextDocumentChangeEvent<TextDocument>): void {
        const uri = change.document.uri;
        // a document of another language (a client that sends every open file): no service takes
        // it, and in the workspace it would fail every build
        if (!this.shared.ServiceRegistry.hasServices(URI.parse(uri))) {
            this.opening.delete(uri);
            return;
        }
        if (this.opening.delete(uri)) this.updateNow(uri);
        else this.updateAfterQuiet(uri);
        const old = this.timers.get(uri);
        if (old) clearTimeout(old);
        void this.emulateOnChange().then(on => {
            if (!on) return;
            this.timers.set(uri, setTimeout(() => {
                this.timers.delete(uri);
                this.emulateNow(uri, this.shared.workspace.TextDocuments.get(uri)?.version);
            }, EMULATE_ON_CHANGE_DELAY_MS));
        });
    }

    /** The update for a change to `uri`, once changes stop coming (see {@link CHANGE_QUIET_MS}). */
    private updateAfterQuiet(uri: string): void {
        const now = Date.now();
        const pending = this.pendingChanges.get(uri);
        if (pending) clearTimeout(pending.timer);
        const since = pending?.since ?? now;
        const wait = Math.max(0, Math.min(this.quietMs, since + this.maxWaitMs - now));
        const timer = setTimeout(() => this.updateNow(uri), wait);
        this.pendingChanges.set(uri, { timer, since });
    }

    /** The update for `uri` now (`pendingOnly`: only when changes wait for it). */
    private updateNow(uri: string, pendingOnly = false): void {
        if (pendingOnly && !this.pendingChanges.has(uri)) return;
        this.dropPendingChange(uri);
        this.fireDocumentUpdate([URI.parse(uri)], []);
    }

    /** Forgets a change's pending update: an update of the document comes now anyway (it reads the editor's latest text), or the document was closed. */
    private dropPendingChange(uri: string): void {
        const pending = this.pendingChanges.get(uri);
        if (!pending) return;
        clearTimeout(pending.timer);
        this.pendingChanges.delete(uri);
    }

    private async emulateOnChange(): Promise<boolean> {
        try {
            return Boolean(await this.shared.workspace.ConfigurationProvider.getConfiguration('uintr', 'emulateOnChange'));
        } catch {
            return false;
        }
    }

    /** Marks the document due (for the editor's `version`, or whatever text it has) and rebuilds it. */
    emulateNow(uri: string, version?: number): void {
        const emulation = this.emulation(uri);
        if (!emulation) return;
        emulation.markDue(uri, version);
        this.dropPendingChange(uri);
        this.fireDocumentUpdate([URI.parse(uri)], []);
    }
}
