/**
 * Workspace symbols: the tasks, kthreads and policies of every loaded document (the built-in
 * policies of the prelude included). Names are local to their file (only the prelude exports
 * any, syntax/scope-computation.ts), so Langium's index, which lists exported names, would
 * find the built-in policies only.
 */
import { GrammarUtils, type LangiumDocuments } from 'langium';
import type { FuzzyMatcher, LangiumSharedServices, WorkspaceSymbolProvider } from 'langium/lsp';
import { SymbolKind, type WorkspaceSymbol, type WorkspaceSymbolParams } from 'vscode-languageserver';
import * as ast from '../syntax/generated/ast.js';

export class UintrWorkspaceSymbolProvider implements WorkspaceSymbolProvider {
    private readonly documents: LangiumDocuments;
    private readonly fuzzy: FuzzyMatcher;

    constructor(services: LangiumSharedServices) {
        this.documents = services.workspace.LangiumDocuments;
        this.fuzzy = services.lsp.FuzzyMatcher;
    }

    getSymbols(params: WorkspaceSymbolParams): WorkspaceSymbol[] {
        const out: WorkspaceSymbol[] = [];
        for (const doc of this.documents.all) {
            const file = doc.parseResult.value as ast.File;
            for (const d of file.decls ?? []) {
                if (!d.name || !this.fuzzy.match(params.query, d.name)) continue;
                const node = GrammarUtils.findNodeForProperty(d.$cstNode, 'name') ?? d.$cstNode;
                if (!node) continue;
                const kind = ast.isTask(d) ? SymbolKind.Class : ast.isKThread(d) ? SymbolKind.Object : SymbolKind.Module;
                const what = ast.isTask(d) ? 'task' : ast.isKThread(d) ? 'kthread' : 'policy';
                out.push({ name: d.name, kind, containerName: `${what}, ${doc.uri.path.split('/').pop()}`, location: { uri: doc.uri.toString(), range: node.range } });
            }
        }
        return out;
    }
}
