/**
 * The language server's document builder (server/src/language/document-builder.ts): a request
 * waiting for a document's state is answered when the document is added after it asked, and
 * when the build that brought the document there was cancelled while telling the waiters; a
 * validated document's listeners (the diagnostics' publication) run even when its build is cancelled.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cancellation, DocumentState, EmptyFileSystem, EmptyFileSystemProvider, isOperationCancelled, URI, type FileSystemNode, type FileSystemProvider } from 'langium';
import { describe, expect, test } from 'vitest';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createUintrServices } from '../server/src/language/uintr-lsp-module.js';
import type { File } from '../server/src/syntax/generated/ast.js';
import { ROOT } from './helpers.js';

const PRELUDE = { path: '/prelude/prelude.uintr', text: readFileSync(join(ROOT, 'server/src/kernel/prelude.uintr'), 'utf8') };
const TEXT = readFileSync(join(ROOT, 'examples', 'xrstors-twice.uintr'), 'utf8');

/** Resolves with 'answered' or 'rejected: …' when the wait ends, 'no answer' after 2 s. */
function outcome(p: Promise<unknown>): Promise<string> {
    return Promise.race([
        p.then(() => 'answered', (e: unknown) => `rejected: ${e instanceof Error ? e.message : String(e)}`),
        new Promise<string>(r => setTimeout(() => r('no answer'), 2000)),
    ]);
}

describe('waiting for a document state', () => {
    test('a document open in the editor but not yet added: the wait ends when an update adds and builds it', async () => {
        const { shared } = createUintrServices(EmptyFileSystem, PRELUDE);
        const uri = URI.parse('file:///w/opened.uintr');
        shared.workspace.TextDocuments.set(TextDocument.create(uri.toString(), 'uintr', 1, TEXT));
        const waiting = outcome(shared.workspace.DocumentBuilder.waitUntil(DocumentState.IndexedReferences, uri));
        await shared.workspace.DocumentBuilder.update([uri], []);
        expect(await waiting).toBe('answered');
        expect(shared.workspace.LangiumDocuments.getDocument(uri)!.state).toBeGreaterThanOrEqual(DocumentState.IndexedReferences);
    });

    test('a document neither open nor in the workspace: the wait fails at once, as Langium does', async () => {
        const { shared } = createUintrServices(EmptyFileSystem, PRELUDE);
        expect(await outcome(shared.workspace.DocumentBuilder.waitUntil(DocumentState.Linked, URI.parse('file:///w/nowhere.uintr'))))
            .toMatch(/^rejected: No document found for URI/);
    });

    test('a build cancelled while it tells the waiters that the document is linked: the wait still ends', async () => {
        const { shared } = createUintrServices(EmptyFileSystem, PRELUDE);
        const builder = shared.workspace.DocumentBuilder;
        const uri = URI.parse('file:///w/cancelled.uintr');
        shared.workspace.TextDocuments.set(TextDocument.create(uri.toString(), 'uintr', 1, TEXT));
        // the next update's cancellation, as it comes while the first build tells its listeners
        const source = new Cancellation.CancellationTokenSource();
        builder.onDocumentPhase(DocumentState.Linked, () => source.cancel());
        const waiting = outcome(builder.waitUntil(DocumentState.Linked, uri));
        await builder.update([uri], [], source.token).catch(() => undefined);
        expect(shared.workspace.LangiumDocuments.getDocument(uri)!.state).toBe(DocumentState.Linked);
        expect(await waiting).toBe('answered');
    });

    test('a build cancelled as a document reaches Validated still tells its listeners: the diagnostics are published', async () => {
        // Langium checked the token before each listener: cancelled then (by the next change, as
        // the first listener ran), the diagnostics' publication was skipped, while the document,
        // marked validated and complete, was never validated again by the next build
        const { shared } = createUintrServices(EmptyFileSystem, PRELUDE);
        const builder = shared.workspace.DocumentBuilder;
        const uri = URI.parse('file:///w/validated.uintr');
        shared.workspace.TextDocuments.set(TextDocument.create(uri.toString(), 'uintr', 1, TEXT));
        const source = new Cancellation.CancellationTokenSource();
        const published: string[] = [];
        builder.onDocumentPhase(DocumentState.Validated, () => source.cancel());
        builder.onDocumentPhase(DocumentState.Validated, doc => { published.push(doc.uri.toString()); });
        await builder.update([uri], [], source.token).catch(e => {
            if (!isOperationCancelled(e)) throw e;
        });
        expect(shared.workspace.LangiumDocuments.getDocument(uri)!.state).toBe(DocumentState.Validated);
        expect(published).toEqual([uri.toString()]);
    });

    test('a document closed before an update added it: the wait fails as for a document never opened', async () => {
        const { shared } = createUintrServices(EmptyFileSystem, PRELUDE);
        const uri = URI.parse('file:///w/closed-early.uintr');
        shared.workspace.TextDocuments.set(TextDocument.create(uri.toString(), 'uintr', 1, TEXT));
        const waiting = outcome(shared.workspace.DocumentBuilder.waitUntil(DocumentState.Linked, uri));
        shared.workspace.TextDocuments.delete(uri.toString());
        await shared.workspace.DocumentBuilder.update([], [uri]);
        expect(await waiting).toMatch(/^rejected: No document found for URI/);
    });

    test('a file deleted on disk (or its folder) while open in the editor stays, built from the editor\'s text; one not open goes', async () => {
        const { shared } = createUintrServices(EmptyFileSystem, PRELUDE);
        const builder = shared.workspace.DocumentBuilder, documents = shared.workspace.LangiumDocuments;
        const open = URI.parse('file:///w/open.uintr'), closed = URI.parse('file:///w/closed.uintr');
        shared.workspace.TextDocuments.set(TextDocument.create(open.toString(), 'uintr', 1, TEXT));
        documents.addDocument(shared.workspace.LangiumDocumentFactory.fromString(TEXT, closed));
        await builder.update([open], []);
        await builder.update([], [open]);
        expect(documents.getDocument(open)?.state).toBeGreaterThanOrEqual(DocumentState.Validated);
        expect(await outcome(builder.waitUntil(DocumentState.IndexedReferences, open))).toBe('answered');
        await builder.update([], [URI.parse('file:///w')]);
        expect(documents.hasDocument(closed)).toBe(false);
        expect(documents.getDocument(open)?.state).toBeGreaterThanOrEqual(DocumentState.Validated);
        expect(documents.getDocument(open)?.parseResult.value.$type).toBe('File');
    });

    test('a document open in the editor but built from another text (its file\'s; before an edit): the wait ends when it is built from the editor\'s', async () => {
        const { shared } = createUintrServices(EmptyFileSystem, PRELUDE);
        const builder = shared.workspace.DocumentBuilder, documents = shared.workspace.LangiumDocuments;
        const uri = URI.parse('file:///w/edited.uintr');
        // the workspace read the file from disk and built it
        const onDisk = 'task fromDisk { handler 1 }\n';
        documents.addDocument(shared.workspace.LangiumDocumentFactory.fromString(onDisk, uri));
        await builder.build([documents.getDocument(uri)!], {});
        const symbols = () => (documents.getDocument(uri)!.parseResult.value as File).decls.map(d => d.name);
        for (const inEditor of ['task inEditor { handler 1 }\n', 'task edited { handler 1 }\ntask inEditor { handler 1 }\n']) {
            // the editor opens it with other text (or the text changes): its update is still queued
            shared.workspace.TextDocuments.set(TextDocument.create(uri.toString(), 'uintr', 1, inEditor));
            let answeredEarly = false;
            const waiting = outcome(builder.waitUntil(DocumentState.Parsed, uri).then(u => {
                answeredEarly = documents.getDocument(uri)!.textDocument.getText() !== inEditor;
                return u;
            }));
            await new Promise(r => setTimeout(r, 50));
            await builder.update([uri], []);
            expect(await waiting).toBe('answered');
            expect(answeredEarly, 'answered from the text built before').toBe(false);
            expect(documents.getDocument(uri)!.textDocument.getText()).toBe(inEditor);
        }
        expect(symbols()).toEqual(['edited', 'inEditor']);
    });

    test('while the user types on, a request is answered from a text at least as new as when it came (typing does not starve it)', async () => {
        const { shared } = createUintrServices(EmptyFileSystem, PRELUDE);
        const builder = shared.workspace.DocumentBuilder;
        const uri = URI.parse('file:///w/typing.uintr');
        const editor = TextDocument.create(uri.toString(), 'uintr', 1, 'task a { handler 1 }\n');
        shared.workspace.TextDocuments.set(editor);
        await builder.update([uri], []);
        // a keystroke, then the request (it needs version 2)
        TextDocument.update(editor, [{ text: 'task ab { handler 1 }\n' }], 2);
        const waiting = outcome(builder.waitUntil(DocumentState.Parsed, uri));
        // the next keystroke lands while version 2 is being parsed
        const typed = builder.onDocumentPhase(DocumentState.Parsed, () => {
            if (editor.version === 2) TextDocument.update(editor, [{ text: 'task abc { handler 1 }\n' }], 3);
        });
        await builder.update([uri], []);
        typed.dispose();
        expect(await waiting).toBe('answered');
    });

    test('closed and opened again while its file is read: the file\'s text does not pass for the editor\'s', async () => {
        const uri = URI.parse('file:///w/reopened.uintr');
        const onDisk = 'task onDisk { handler 1 }\n', inEditor = 'task inEditor { handler 1 }\n';
        let reading: (() => void) | undefined;
        // a file system whose read of the file waits until the test lets it go on
        const fileSystemProvider = () => ({
            ...EmptyFileSystem.fileSystemProvider(),
            readFile: (u: URI) => (u.toString() === uri.toString() ? new Promise<string>(r => { reading = () => r(onDisk); }) : Promise.resolve('')),
        });
        const { shared } = createUintrServices({ fileSystemProvider } as unknown as typeof EmptyFileSystem, PRELUDE);
        const builder = shared.workspace.DocumentBuilder, documents = shared.workspace.LangiumDocuments;
        documents.addDocument(shared.workspace.LangiumDocumentFactory.fromString(onDisk, uri));
        // closed: the update that follows reads the file; the editor opens it again meanwhile
        const closing = builder.update([uri], []);
        await new Promise(r => setTimeout(r, 20));
        shared.workspace.TextDocuments.set(TextDocument.create(uri.toString(), 'uintr', 2, inEditor));
        let answeredWith: string[] = [];
        const waiting = outcome(builder.waitUntil(DocumentState.Parsed, uri).then(() => {
            answeredWith = (documents.getDocument(uri)!.parseResult.value as File).decls.map(d => d.name);
        }));
        reading!();
        await closing;
        expect((documents.getDocument(uri)!.parseResult.value as File).decls.map(d => d.name)).toEqual(['onDisk']);
        // the update that opening queued parses the editor's text: answered from it
        await builder.update([uri], []);
        expect(await waiting).toBe('answered');
        expect(answeredWith).toEqual(['inEditor']);
    });

    test('a closed document the workspace\'s build left short of the state: the wait ends with Langium\'s error once the build is past it', async () => {
        const { shared } = createUintrServices(EmptyFileSystem, PRELUDE);
        const builder = shared.workspace.DocumentBuilder, documents = shared.workspace.LangiumDocuments;
        const closed = URI.parse('file:///w/closed-never-validated.uintr'), other = URI.parse('file:///w/other.uintr');
        documents.addDocument(shared.workspace.LangiumDocumentFactory.fromString(TEXT, closed));
        documents.addDocument(shared.workspace.LangiumDocumentFactory.fromString(TEXT, other));
        // a request while the workspace is loaded (built without validation, as Langium's first build)
        const building = builder.build([documents.getDocument(closed)!, documents.getDocument(other)!], { validation: false });
        const waiting = outcome(builder.waitUntil(DocumentState.Validated, closed));
        await building;
        expect(documents.getDocument(closed)!.state).toBeLessThan(DocumentState.Validated);
        expect(await waiting).toMatch(/^rejected: Document state of .* requiring Validated/);
    });

    test('a wait asked with a token cancelled already ends with the cancellation, also for a document open in the editor that the workspace does not hold yet (it was answered "No document found")', async () => {
        const { shared } = createUintrServices(EmptyFileSystem, PRELUDE);
        const uri = URI.parse('file:///w/opened-cancelled.uintr');
        shared.workspace.TextDocuments.set(TextDocument.create(uri.toString(), 'uintr', 1, TEXT));
        const source = new Cancellation.CancellationTokenSource();
        source.cancel();
        let error: unknown;
        await shared.workspace.DocumentBuilder.waitUntil(DocumentState.Validated, uri, source.token).catch(e => { error = e; });
        expect(isOperationCancelled(error)).toBe(true);
    });

    test('a wait cancelled by its request ends with the cancellation', async () => {
        const { shared } = createUintrServices(EmptyFileSystem, PRELUDE);
        const uri = URI.parse('file:///w/asked-then-cancelled.uintr');
        shared.workspace.TextDocuments.set(TextDocument.create(uri.toString(), 'uintr', 1, TEXT));
        const source = new Cancellation.CancellationTokenSource();
        const waiting = outcome(shared.workspace.DocumentBuilder.waitUntil(DocumentState.Validated, uri, source.token));
        source.cancel();
        expect(await waiting).toMatch(/^rejected: /);
    });
});

/**
 * A file system of a few files in memory, some of which cannot be read (as a file without
 * permission, or deleted since it was listed).
 */
class FilesInMemory implements FileSystemProvider {
    private readonly none = new EmptyFileSystemProvider();
    constructor(readonly files: Map<string, string>, readonly unreadable: Set<string>) {}
    stat(uri: URI): Promise<FileSystemNode> { return this.none.stat(uri); }
    statSync(uri: URI): FileSystemNode { return this.none.statSync(uri); }
    async exists(uri: URI): Promise<boolean> { return this.files.has(uri.path); }
    existsSync(uri: URI): boolean { return this.files.has(uri.path); }
    readBinary(): Promise<Uint8Array> { return this.none.readBinary(); }
    readBinarySync(): Uint8Array { return this.none.readBinarySync(); }
    readFileSync(): string { return this.none.readFileSync(); }
    readDirectorySync(): FileSystemNode[] { return []; }
    readFile(uri: URI): Promise<string> {
        const path = uri.path;
        if (this.unreadable.has(path) || !this.files.has(path)) return Promise.reject(Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' }));
        return Promise.resolve(this.files.get(path)!);
    }
    async readDirectory(uri: URI): Promise<FileSystemNode[]> {
        const dir = uri.path.endsWith('/') ? uri.path : `${uri.path}/`;
        return [...this.files.keys()].filter(p => p.startsWith(dir)).map(p => ({ uri: URI.file(p), isFile: true, isDirectory: false }));
    }
}

describe('a file that cannot be read', () => {
    const CLEAN = 'machine { policy manual }\nexpect 1 == 1\n';
    const FAILS = 'machine { policy manual }\nexpect nobody.upid.on == 1\n';

    function servicesOn(fs: FilesInMemory) {
        const published: { uri: string; codes: string[] }[] = [];
        const { shared } = createUintrServices({ fileSystemProvider: () => fs }, PRELUDE);
        shared.workspace.DocumentBuilder.onBuildPhase(DocumentState.Validated, docs => {
            for (const d of docs) published.push({ uri: d.uri.path, codes: (d.diagnostics ?? []).map(x => String(x.code)) });
        });
        return { shared, published };
    }

    test('in the workspace folder when it is loaded: left out, the others are loaded and the workspace gets ready (it never did)', async () => {
        const fs = new FilesInMemory(new Map([['/w/good.uintr', CLEAN], ['/w/secret.uintr', CLEAN]]), new Set(['/w/secret.uintr']));
        const { shared } = servicesOn(fs);
        const manager = shared.workspace.WorkspaceManager;
        await manager.initializeWorkspace([{ uri: URI.file('/w').toString(), name: 'w' }]);
        expect(await outcome(manager.ready)).toBe('answered');
        const paths = shared.workspace.LangiumDocuments.all.map(d => d.uri.path).filter(p => p.startsWith('/w/')).toArray();
        expect(paths).toEqual(['/w/good.uintr']);
    });

    test('a workspace file reported changed that can no longer be read: dropped, and later builds go on (every one failed)', async () => {
        const fs = new FilesInMemory(new Map([['/w/old.uintr', CLEAN]]), new Set());
        const { shared, published } = servicesOn(fs);
        const builder = shared.workspace.DocumentBuilder, documents = shared.workspace.LangiumDocuments;
        await shared.workspace.WorkspaceManager.initializeWorkspace([{ uri: URI.file('/w').toString(), name: 'w' }]);
        const old = URI.file('/w/old.uintr');
        expect(documents.hasDocument(old)).toBe(true);
        // deleted on disk, reported as changed (a client that merged the delete into a change)
        fs.files.delete('/w/old.uintr');
        await builder.update([old], []);
        // an editor document built after that gets its diagnostics, and the file is gone from the workspace
        const opened = URI.parse('file:///w/opened.uintr');
        shared.workspace.TextDocuments.set(TextDocument.create(opened.toString(), 'uintr', 1, FAILS));
        await shared.workspace.WorkspaceLock.write(token => builder.update([opened], [], token));
        expect(published.filter(p => p.uri === '/w/opened.uintr').at(-1)?.codes).toEqual(['semantic']);
        expect(documents.hasDocument(old)).toBe(false);
    });
});

describe('closing a document', () => {
    test('opened again while its file is read for the close: the close does not make the reopened document\'s text due (its unsaved edit was run as fresh)', async () => {
        const uri = URI.parse('file:///w/closed-reopened.uintr');
        let reading: (() => void) | undefined;
        const fileSystemProvider = () => ({
            ...EmptyFileSystem.fileSystemProvider(),
            readFile: (u: URI) => (u.toString() === uri.toString() ? new Promise<string>(r => { reading = () => r(TEXT); }) : Promise.resolve('')),
        });
        const { shared } = createUintrServices({ fileSystemProvider } as unknown as typeof EmptyFileSystem, PRELUDE);
        const handler = shared.lsp.DocumentUpdateHandler as unknown as { didCloseDocument(e: { document: TextDocument }): void; emulateNow(uri: string, version?: number): void };
        const emulated: string[] = [];
        handler.emulateNow = (u: string) => { emulated.push(u); };
        handler.didCloseDocument({ document: TextDocument.create(uri.toString(), 'uintr', 1, TEXT) });
        await new Promise(r => setTimeout(r, 10));
        // reopened and edited while the file is read
        shared.workspace.TextDocuments.set(TextDocument.create(uri.toString(), 'uintr', 2, `// edited\n${TEXT}`));
        reading!();
        await new Promise(r => setTimeout(r, 10));
        expect(emulated).toEqual([]);
        // closed for good: the file's text is due
        shared.workspace.TextDocuments.delete(uri.toString());
        handler.didCloseDocument({ document: TextDocument.create(uri.toString(), 'uintr', 2, `// edited\n${TEXT}`) });
        await new Promise(r => setTimeout(r, 10));
        reading!();
        await new Promise(r => setTimeout(r, 10));
        expect(emulated).toEqual([uri.toString()]);
    });
});
