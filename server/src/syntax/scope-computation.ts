/**
 * Only the built-in prelude's policies are global: a scenario sees its own declarations and
 * the prelude, never another scenario's names (several files are checked side by side).
 */
import { DefaultScopeComputation, type AstNodeDescription, type LangiumDocument } from 'langium';
import type { Cancellation } from 'langium';
import { isPolicy } from './generated/ast.js';
import { isPreludeUri } from './prelude-uri.js';

export class UintrScopeComputation extends DefaultScopeComputation {
    override async collectExportedSymbols(document: LangiumDocument, cancelToken?: Cancellation.CancellationToken): Promise<AstNodeDescription[]> {
        if (!isPreludeUri(document.uri.toString())) return [];
        const all = await super.collectExportedSymbols(document, cancelToken);
        return all.filter(d => d.type === 'Policy' || (d.node !== undefined && isPolicy(d.node)));
    }
}
