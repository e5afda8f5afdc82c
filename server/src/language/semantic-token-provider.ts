/**
 * Semantic highlighting: CPUs, tasks and kthreads (declared and used), policies, hooks,
 * MSR names, hook-bound names, numbers.
 */
import type { AstNode } from 'langium';
import { AbstractSemanticTokenProvider, type SemanticTokenAcceptor } from 'langium/lsp';
import { SemanticTokenModifiers, SemanticTokenTypes } from 'vscode-languageserver';
import * as ast from '../syntax/generated/ast.js';

export class UintrSemanticTokenProvider extends AbstractSemanticTokenProvider {
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
            else acceptor({ node, property: 'ref', type: SemanticTokenTypes.variable });
        } else if (ast.isPathHead(node)) {
            if (node.cpu) acceptor({ node, property: 'cpu', type: SemanticTokenTypes.namespace });
            else if (node.bound) acceptor({ node, property: 'bound', type: SemanticTokenTypes.parameter });
            else acceptor({ node, property: 'ref', type: SemanticTokenTypes.variable });
        } else if (ast.isPathExpr(node) && node.segments.length) {
            acceptor({ node, property: 'segments', type: SemanticTokenTypes.property });
        } else if (ast.isSwitchAction(node) && node.target) acceptor({ node, property: 'target', type: SemanticTokenTypes.variable });
        else if (ast.isTaskProp(node) && node.target) acceptor({ node, property: 'target', type: SemanticTokenTypes.variable });
        else if (ast.isDeliveredExp(node)) acceptor({ node, property: 'task', type: SemanticTokenTypes.variable });
        else if (ast.isForeachStmt(node)) acceptor({ node, property: 'name', type: SemanticTokenTypes.parameter, modifier: SemanticTokenModifiers.declaration });
    }
}
