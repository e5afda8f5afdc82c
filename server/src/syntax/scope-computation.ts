/**
 * Only the built-in prelude's policies are global: a scenario sees its own declarations and
 * the prelude, never another scenario's names (several files are checked side by side).
 */
import { AstUtils, DefaultScopeComputation, MultiMap, type AstNode, type AstNodeDescription, type LangiumDocument, type LocalSymbols } from 'langium';
import type { Cancellation } from 'langium';
import { isFile, isForeachStmt, isPolicy } from './generated/ast.js';
import { isPreludeUri } from './prelude-uri.js';

export class UintrScopeComputation extends DefaultScopeComputation {
    override async collectExportedSymbols(document: LangiumDocument, cancelToken?: Cancellation.CancellationToken): Promise<AstNodeDescription[]> {
        if (!isPreludeUri(document.uri.toString())) return [];
        const all = await super.collectExportedSymbols(document, cancelToken);
        return all.filter(d => d.type === 'Policy' || (d.node !== undefined && isPolicy(d.node)));
    }

    /**
     * Named nodes are the declarations and the `foreach` variables inside policies, so only
     * those are visited — not the thousands of steps a scenario may have.
     */
    override async collectLocalSymbols(document: LangiumDocument, _cancelToken?: Cancellation.CancellationToken): Promise<LocalSymbols> {
        const root = document.parseResult.value;
        const symbols = new MultiMap<AstNode, AstNodeDescription>();
        if (!isFile(root)) return symbols;
        for (const d of root.decls ?? []) {
            this.addLocalSymbol(d, document, symbols);
            if (isPolicy(d)) for (const n of AstUtils.streamAllContents(d)) this.addLocalSymbol(n, document, symbols);
        }
        return symbols;
    }

    /** A `foreach` variable is seen in the loop's body only (Langium's default: in the whole block around it). */
    protected override addLocalSymbol(node: AstNode, document: LangiumDocument, symbols: MultiMap<AstNode, AstNodeDescription>): void {
        if (isForeachStmt(node)) {
            if (node.name) symbols.add(node, this.descriptions.createDescription(node, node.name, document));
            return;
        }
        super.addLocalSymbol(node, document, symbols);
    }
}
