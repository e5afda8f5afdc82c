/**
 * Loads scenarios into Langium without an editor: the built-in prelude as a second
 * document, then each scenario, parsed, linked and statically checked.
 */
import { EmptyFileSystem, URI, type LangiumDocument } from 'langium';
import * as ast from './generated/ast.js';
import { registerPreludeUri } from './prelude-uri.js';
import { createUintrCoreServices, type UintrServices } from './uintr-module.js';
import type { LangiumSharedCoreServices, ReferenceDescriptionProvider } from 'langium';

/**
 * The index of references (which node refers to which, across documents) serves the editor's
 * find-references and rename; nothing that uses a UintrWorkspace (the CLI, the exploration and
 * fix-checking workers, the benches) reads it, and building it took about 50 ms of a 10,000-step
 * check in the CLI. So a UintrWorkspace indexes none.
 */
const NO_REFERENCE_INDEX: ReferenceDescriptionProvider = { createDescriptions: async () => [] };

export class UintrWorkspace {
    readonly shared: LangiumSharedCoreServices;
    readonly services: UintrServices;
    private prelude: LangiumDocument<ast.File> | undefined;
    private counter = 0;

    constructor() {
        const { shared, Uintr } = createUintrCoreServices(EmptyFileSystem, { workspace: { ReferenceDescriptionProvider: () => NO_REFERENCE_INDEX } });
        this.shared = shared;
        this.services = Uintr;
    }

    /** Loads the prelude (its text and the path it ships at); call once, before any scenario. */
    async loadPrelude(text: string, path: string): Promise<LangiumDocument<ast.File>> {
        const uri = URI.file(path);
        registerPreludeUri(uri.toString(), text);
        const doc = this.shared.workspace.LangiumDocumentFactory.fromString<ast.File>(text, uri);
        this.shared.workspace.LangiumDocuments.addDocument(doc);
        await this.shared.workspace.DocumentBuilder.build([doc], { validation: true });
        this.prelude = doc;
        return doc;
    }

    get preludeDocument(): LangiumDocument<ast.File> | undefined {
        return this.prelude;
    }

    /** Parses, links and validates one scenario. Release it with {@link release} when done. */
    async load(text: string, path: string): Promise<LangiumDocument<ast.File>> {
        // A unique URI per load: the same path may be checked twice (compare, tests). A file named
        // directly is a scenario whatever its name: Langium picks the language by the URI's
        // extension, so one without `.uintr` is given it.
        const uri = URI.file(path.endsWith('.uintr') ? path : `${path}.uintr`).with({ query: String(this.counter++) });
        const doc = this.shared.workspace.LangiumDocumentFactory.fromString<ast.File>(text, uri);
        this.shared.workspace.LangiumDocuments.addDocument(doc);
        await this.shared.workspace.DocumentBuilder.build([doc], { validation: true });
        return doc;
    }

    release(doc: LangiumDocument): void {
        this.shared.workspace.LangiumDocuments.deleteDocument(doc.uri);
        this.shared.workspace.IndexManager.remove(doc.uri);
    }

    /** A policy by name: the scenario's own first, then the built-in ones. */
    findPolicy(name: string, file?: ast.File): ast.Policy | undefined {
        const own = file?.decls.find((d): d is ast.Policy => ast.isPolicy(d) && d.name === name);
        return own ?? this.prelude?.parseResult.value.decls.find((d): d is ast.Policy => ast.isPolicy(d) && d.name === name);
    }

    /** The built-in policies, in the prelude's order. */
    builtinPolicies(): ast.Policy[] {
        return this.prelude?.parseResult.value.decls.filter(ast.isPolicy) ?? [];
    }
}
