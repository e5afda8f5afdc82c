/**
 * Langium's linker and reference index, walking the AST with ast-walk.ts instead of Langium's
 * streams (which cost more than the linking itself: see ast-walk.ts). What they do with each
 * reference is Langium's own (`doLink`, `createInfoDescriptions`); a build still yields to the
 * event loop and sees a cancellation between nodes, a few dozen nodes apart rather than at each.
 */
import { AstUtils, Cancellation, DefaultLinker, DefaultReferenceDescriptionProvider, interruptAndCheck, type AstNode, type AstNodeDescription, type LangiumDocument, type LinkingError, type ReferenceDescription, type ReferenceInfo } from 'langium';
import { forEachReference, NODES_PER_CHECK, walkAst } from './ast-walk.js';
import * as ast from './generated/ast.js';

/** How a declaration's kind reads in a message. */
function kindOf(d: ast.Decl): string {
    return ast.isKThread(d) ? 'kthread' : ast.isPolicy(d) ? 'policy' : 'task';
}

/** The message of a name declared as something that cannot stand where it is written (see {@link UintrLinker.createLinkingError}). */
export const WRONG_KIND = /^'[^']*' is a (?:task|kthread|policy), not /;

/** Each file's declarations by name (the first of a name), made once per tree: a file of 20,000 unresolved names looked each up in all its declarations. */
const DECLS = new WeakMap<ast.File, Map<string, ast.Decl>>();

function declsByName(file: ast.File): Map<string, ast.Decl> {
    let byName = DECLS.get(file);
    if (!byName) {
        byName = new Map();
        for (const d of file.decls) if (d.name !== undefined && !byName.has(d.name)) byName.set(d.name, d);
        DECLS.set(file, byName);
    }
    return byName;
}

/** What a reference of each type must name, in a message. */
const WANTED: Record<string, string> = {
    Task: 'a task',
    Policy: 'a policy',
    Runnable: 'a task or a kthread',
};

/** The nodes of `document`'s AST in `streamAst`'s order. */
export function astNodes(document: LangiumDocument): AstNode[] {
    const nodes: AstNode[] = [];
    walkAst(document.parseResult.value, node => {
        nodes.push(node);
    });
    return nodes;
}

export class UintrLinker extends DefaultLinker {
    /**
     * A name the file declares as something that cannot stand there is said to be that, not
     * unknown (`target kworker`, a kthread, was "unknown name 'kworker' (no task of that name is
     * declared)"); a name declared nowhere keeps Langium's error (document-validator.ts words it).
     */
    protected override createLinkingError(refInfo: ReferenceInfo, targetDescription?: AstNodeDescription): LinkingError {
        const error = super.createLinkingError(refInfo, targetDescription);
        const name = refInfo.reference.$refText;
        const root = AstUtils.findRootNode(refInfo.container);
        const wanted = WANTED[this.reflection.getReferenceType(refInfo)];
        const other = ast.isFile(root) && wanted ? declsByName(root).get(name) : undefined;
        if (!other) return error;
        const why = ast.isTaskProp(refInfo.container) && ast.isKThread(other) ? ': a UITT target is a receiver, a task with a handler' : '';
        return { ...error, message: `'${name}' is a ${kindOf(other)}, not ${wanted}${why}` };
    }

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
