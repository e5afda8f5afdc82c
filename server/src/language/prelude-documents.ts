/**
 * The built-in prelude inside the language server: loaded as a real document (so go to
 * definition opens it), and the policy lookup that the emulator uses.
 */
import { readFileSync } from 'node:fs';
import { DefaultWorkspaceManager, URI, type LangiumDocument, type LangiumDocuments, type LangiumSharedCoreServices, type Stream } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import type { WorkspaceFolder } from 'vscode-languageserver';
import type { PolicyResolver } from '../scenario/check.js';
import * as ast from '../syntax/generated/ast.js';
import { isPreludeUri, registerPreludeUri } from '../syntax/prelude-uri.js';

/** Where the prelude ships, and optionally its text (tests pass it in). */
export interface PreludeSource {
    readonly path: string;
    readonly text?: string;
}

export function preludeText(source: PreludeSource): string {
    return source.text ?? readFileSync(source.path, 'utf8');
}

/** Creates the prelude document and registers it as the built-in one. */
export function createPreludeDocument(shared: LangiumSharedCoreServices, source: PreludeSource): LangiumDocument<ast.File> {
    const uri = URI.file(source.path);
    const text = preludeText(source);
    registerPreludeUri(uri.toString(), text);
    return shared.workspace.LangiumDocumentFactory.fromString<ast.File>(text, uri);
}

/** Loads the prelude with the workspace, so it is linked like any other document. */
export class UintrWorkspaceManager extends DefaultWorkspaceManager {
    private readonly shared: LangiumSharedServices;

    constructor(services: LangiumSharedServices, private readonly prelude: PreludeSource) {
        super(services);
        this.shared = services;
    }

    protected override async loadAdditionalDocuments(_folders: WorkspaceFolder[], collector: (document: LangiumDocument) => void): Promise<void> {
        collector(createPreludeDocument(this.shared, this.prelude));
    }

    /**
     * The folder's files, each on its own: one that cannot be read (no permission, gone since
     * the folder was listed) is logged and left out. Langium read them all at once, and one
     * failure left the workspace never ready: no document got diagnostics, no request an answer.
     */
    protected override async loadWorkspaceDocuments(uris: Stream<URI>, collector: (document: LangiumDocument) => void): Promise<void> {
        await Promise.all(uris.map(async uri => {
            try {
                collector(await this.shared.workspace.LangiumDocuments.getOrCreateDocument(uri));
            } catch (e) {
                console.error(`uintr: ${uri.toString()} is left out of the workspace: ${(e as Error)?.message ?? e}`);
            }
        }));
    }
}

/** Policies by name: the file's own, then the prelude's. */
export function policyResolver(documents: LangiumDocuments): PolicyResolver {
    return {
        findPolicy(name: string, file?: ast.File) {
            const own = file?.decls.find((d): d is ast.Policy => ast.isPolicy(d) && d.name === name);
            if (own) return own;
            const prelude = documents.all.find(d => isPreludeUri(d.uri.toString()));
            const root = prelude?.parseResult.value as ast.File | undefined;
            return root?.decls.find((d): d is ast.Policy => ast.isPolicy(d) && d.name === name);
        },
    };
}
