/**
 * The language server's handling of edits (server/src/language/document-update-handler.ts):
 * changes that come one after another are built once they stop, so that a burst of them is
 * parsed once, not once per change; steady typing still gets a build; an open, a request on
 * the document or a save builds at once; a close drops the wait.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DocumentState, EmptyFileSystem, URI, type AstNode, type LangiumDocument } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import { expect, test } from 'vitest';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CHANGE_QUIET_MS, type UintrDocumentUpdateHandler } from '../server/src/language/document-update-handler.js';
import { createUintrServices } from '../server/src/language/uintr-lsp-module.js';
import { ROOT } from './helpers.js';

const PRELUDE = { path: '/prelude/prelude.uintr', text: readFileSync(join(ROOT, 'server/src/kernel/prelude.uintr'), 'utf8') };
const TEXT = readFileSync(join(ROOT, 'examples', 'xrstors-twice.uintr'), 'utf8');

const tick = () => new Promise(r => setImmediate(r));
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Services with the workspace ready, an open document, and a count of the parses of it. */
async function setup(name: string) {
    const { shared } = createUintrServices(EmptyFileSystem, PRELUDE);
    await shared.workspace.WorkspaceManager.initializeWorkspace([]);
    const handler = shared.lsp.DocumentUpdateHandler as UintrDocumentUpdateHandler;
    const uri = URI.parse(`file:///w/${name}.uintr`);
    const editor = TextDocument.create(uri.toString(), 'uintr', 1, TEXT);
    shared.workspace.TextDocuments.set(editor);
    const factory = shared.workspace.LangiumDocumentFactory;
    const parse = factory.update.bind(factory);
    const parses: string[] = [];
    factory.update = async <T extends AstNode>(doc: LangiumDocument<T>, token: CancellationToken) => {
        const parsed = await parse(doc, token);
        if (doc.uri.toString() === uri.toString()) parses.push(parsed.textDocument.getText());
        return parsed;
    };
    let version = 1;
    /** An edit as the editor sends it: the text changes, then the handler hears of it. */
    const edit = (text: string) => {
        TextDocument.update(editor, [{ text }], ++version);
        handler.didChangeContent({ document: editor });
    };
    return { shared, handler, uri, editor, parses, edit };
}

test('changes that come one after another, as the connection delivers them, are parsed once, from the last text', async () => {
    const { shared, handler, uri, parses, edit } = await setup('burst');
    handler.quietMs = 10_000; // (a slow turn of a loaded machine must not end the pause)
    handler.maxWaitMs = 10_000;
    for (let k = 0; k < 20; k++) {
        edit(`${TEXT}// edit ${k}\n`);
        await tick(); // the connection handles one message per turn of the event loop
    }
    await sleep(50);
    expect(parses).toEqual([]); // still waiting for the next change
    // a request for the document starts its build at once
    await shared.workspace.DocumentBuilder.waitUntil(DocumentState.Validated, uri);
    // before: an update per change, each parsed before the next change was handled (20 parses)
    expect(parses).toEqual([`${TEXT}// edit 19\n`]);
});

test('steady typing still gets a build before it stops, at most the longest wait after the first change', async () => {
    const { handler, parses, edit } = await setup('typing');
    handler.quietMs = 10_000; // only the longest wait starts a build
    handler.maxWaitMs = 100;
    const start = Date.now();
    let k = 0;
    while (Date.now() - start < 500) {
        edit(`${TEXT}// edit ${k++}\n`);
        await sleep(5);
    }
    const elapsed = Date.now() - start;
    await sleep(50); // a build started at the end is parsed
    expect(parses.length).toBeGreaterThanOrEqual(1);
    // one build per longest wait at most, whatever the timer's slack
    expect(parses.length).toBeLessThanOrEqual(Math.ceil(elapsed / handler.maxWaitMs) + 1);
});

test('opening a document builds it at once; a request on an edited one starts its build without waiting for the pause', async () => {
    const { shared, handler, uri, editor, parses, edit } = await setup('opened');
    handler.quietMs = 60_000;
    handler.maxWaitMs = 60_000;
    // as vscode-languageserver tells of an open: the open, then a content change
    handler.didOpenDocument({ document: editor });
    handler.didChangeContent({ document: editor });
    for (let i = 0; i < 100 && parses.length === 0; i++) await sleep(20);
    expect(parses).toEqual([TEXT]);
    edit(`${TEXT}// typed\n`);
    const answered = await Promise.race([
        shared.workspace.DocumentBuilder.waitUntil(DocumentState.IndexedReferences, uri).then(() => 'answered'),
        sleep(5_000).then(() => 'no answer'),
    ]);
    expect(answered).toBe('answered');
    expect(parses).toEqual([TEXT, `${TEXT}// typed\n`]);
});

test('a save while a change waits builds at once, once; a close drops the wait', async () => {
    const { shared, handler, uri, editor, parses, edit } = await setup('saved');
    edit(`${TEXT}// saved\n`);
    handler.didSaveDocument({ document: editor });
    await shared.workspace.DocumentBuilder.waitUntil(DocumentState.Validated, uri);
    await sleep(CHANGE_QUIET_MS * 3);
    expect(parses).toEqual([`${TEXT}// saved\n`]);

    edit(`${TEXT}// closed\n`);
    shared.workspace.TextDocuments.delete(uri.toString());
    handler.didCloseDocument({ document: editor });
    await sleep(CHANGE_QUIET_MS * 3);
    expect(parses.filter(t => t.endsWith('// closed\n'))).toEqual([]);
});
