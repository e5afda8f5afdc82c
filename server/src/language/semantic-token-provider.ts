/**
 * Semantic highlighting: CPUs, tasks and kthreads (declared and used), policies, hooks,
 * MSR names, hook-bound names, numbers.
 */
import type { AstNode, LangiumDocument } from 'langium';
import { AbstractSemanticTokenProvider, SemanticTokensBuilder, type SemanticTokenAcceptor } from 'langium/lsp';
import { CancellationToken, SemanticTokenModifiers, SemanticTokenTypes, type SemanticTokens, type SemanticTokensParams, type SemanticTokensRangeParams } from 'vscode-languageserver';
import * as ast from '../syntax/generated/ast.js';

export class UintrSemanticTokenProvider extends AbstractSemanticTokenProvider {
    /** The request being answered, then the next: see {@link oneAtATime}. */
    private queue: Promise<unknown> = Promise.resolve();

    /**
     * Langium's provider keeps the request it answers in fields (the document, the range, the
     * builder of tokens, one per document kept between requests) and yields while it walks the
     * tree: two requests at once wrote into each other's answers, and one cancelled half way left
     * its tokens in the document's builder, returned with the next answer (a 20,000-step file:
     * 434,220 to 531,620 numbers instead of 400,010 after a cancelled request, 10 times in 10).
     * Here requests run one after another, each with a builder of its own.
     */
    override semanticHighlight(document: LangiumDocument, _params: SemanticTokensParams, cancelToken = CancellationToken.None): Promise<SemanticTokens> {
        return this.oneAtATime(document, undefined, cancelToken);
    }

    override semanticHighlightRange(document: LangiumDocument, params: SemanticTokensRangeParams, cancelToken = CancellationToken.None): Promise<SemanticTokens> {
        return this.oneAtATime(document, params.range, cancelToken);
    }

    private oneAtATime(document: LangiumDocument, range: SemanticTokensRangeParams['range'] | undefined, cancelToken: CancellationToken): Promise<SemanticTokens> {
        const run = async () => {
            const builder = new SemanticTokensBuilder();
            this.currentDocument = document;
            this.currentRange = range;
            this.currentTokensBuilder = builder;
            try {
                await this.computeHighlighting(document, this.createAcceptor(), cancelToken);
                return builder.build();
            } finally {
                this.currentDocument = undefined;
                this.currentRange = undefined;
                this.currentTokensBuilder = undefined;
            }
        };
        const answer = this.queue.then(run, run);
        this.queue = answer.catch(() => undefined);
        return answer;
    }

    protected highlightElement(node: AstNode, acceptor: SemanticTokenAcceptor): void | 'prune' {
        if (ast.isStep(node)) acceptor({ node, property: 'cpu', type: SemanticTokenTypes.namespace });
        else if (ast.isTask(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.class, modifier: SemanticTokenModifiers.declaration });
        else if (ast.isKThread(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.struct, modifier: SemanticTokenModifiers.declaration });
        else if (ast.isPolicy(node)) {
            acceptor({ node, property: 'name', type: SemanticTokenTypes.type, modifier: SemanticTokenModifiers.declaration });
            if (node.parent) acceptor({ node, property: 'parent', type: SemanticTokenTypes.type });
        } else if (ast.isPolicyProp(node)) acceptor({ node, property: 'policy', type: SemanticTokenTypes.type });
        else if (ast.isHook(node)) acceptor({ node, property: 'hook', type: SemanticTokenTypes.function, modifier: SemanticTokenModifiers.declaration });
        else if (ast.isWrmsrAction(node)) acceptor({ node, property: 'msr', type: SemanticTokenTypes.enumMember });
        else if (ast.isObjRef(node)) {
            if (node.bound) acceptor({ node, property: 'bound', type: SemanticTokenTypes.parameter });
            else if (node.ref) acceptor({ node, property: 'ref', type: SemanticTokenTypes.variable });
        } else if (ast.isPathHead(node)) {
            if (node.cpu) acceptor({ node, property: 'cpu', type: SemanticTokenTypes.namespace });
            else if (node.bound) acceptor({ node, property: 'bound', type: SemanticTokenTypes.parameter });
            else acceptor({ node, property: 'ref', type: SemanticTokenTypes.variable });
        } else if (ast.isPathExpr(node) && node.segments.length) {
            acceptor({ node, property: 'segments', type: SemanticTokenTypes.property });
        } else if (ast.isSwitchAction(node) && node.target) acceptor({ node, property: 'target', type: SemanticTokenTypes.variable });
        else if (ast.isTaskProp(node)) {
            if (node.target) acceptor({ node, property: 'target', type: SemanticTokenTypes.variable });
            if (node.value !== undefined) acceptor({ node, property: 'value', type: SemanticTokenTypes.number });
        } else if (ast.isDeliveredExp(node)) {
            acceptor({ node, property: 'task', type: SemanticTokenTypes.variable });
            if (node.vector !== undefined) acceptor({ node, property: 'vector', type: SemanticTokenTypes.number });
        } else if (ast.isNumberLit(node) || (ast.isNumberProp(node) && node.value !== undefined)) acceptor({ node, property: 'value', type: SemanticTokenTypes.number });
        else if (ast.isForeachStmt(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.parameter, modifier: SemanticTokenModifiers.declaration });
    }
}
