/**
 * Langium's linker and reference index, walking the AST with ast-walk.ts instead of Langium's
 * streams (which cost more than the linking itself: see ast-walk.ts). What they do with each
 * reference is Langium's own (`doLink`, `createInfoDescriptions`); a build still yields to the
 * event loop and sees a cancellation between nodes, a few dozen nodes apart rather than at each.
 */
import { Cancellation, DefaultLinker, DefaultReferenceDescriptionProvider, interruptAndCheck, type AstNode, type LangiumDocument, type ReferenceDescription } from 'langium';
import { forEachReference, NODES_PER_CHECK, walkAst } from './ast-walk.js';

/** The nodes of `document`'s AST in `streamAst`'s order. */
export function astNodes(document: LangiumDocument): AstNode[] {
    const nodes: AstNode[] = [];
    walkAst(document.parseResult.value, node => {
        nodes.push(node);
    });
    return nodes;
}

export class UintrLinker extends DefaultLinker {
    override async link(document: LangiumDocument, cancelToken = Cancellation.CancellationToken.None): Promise<void> {
        if (this.profiler?.isActive('linking')) return super.link(document, cancelToken);
        const nodes = astNodes(document);
        for (let i = 0; i < nodes.length; i++) {
            if (i % NODES_PER_CHECK === 0) await interruptAndCheck(cancelToken);
            forEachReference(nodes[i], ref => this.doLink(ref, document));
        }
    }
}

export class UintrReferenceDescriptionProvider extends DefaultReferenceDescriptionProvider {
    override async createDescriptions(document: LangiumDocument, cancelToken = Cancellation.CancellationToken.None): Promise<ReferenceDescription[]> {
        const out: ReferenceDescription[] = [];
        const nodes = astNodes(document);
        for (let i = 0; i < nodes.length; i++) {
            if (i % NODES_PER_CHECK === 0) await interruptAndCheck(cancelToken);
            forEachReference(nodes[i], ref => {
                if (ref.reference.error) return;
                for (const d of this.createInfoDescriptions(ref)) out.push(d);
            });
        }
        return out;
    }
}
