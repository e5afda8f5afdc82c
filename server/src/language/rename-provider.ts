/**
 * Rename of tasks, kthreads and user policies: Langium's, refused where it would break the
 * file or touch the built-in prelude. A built-in policy cannot be renamed (the prelude ships
 * word for word); a new name must be a name the language accepts for a declaration (LANGUAGE.md
 * §2: an identifier, not a reserved word, not a CPU name) and must not be taken.
 */
import { AstUtils, CstUtils, type AstNode, type LangiumDocument } from 'langium';
import { DefaultRenameProvider, type LangiumServices } from 'langium/lsp';
import { ErrorCodes, ResponseError, type CancellationToken, type Range, type RenameParams, type TextDocumentPositionParams, type WorkspaceEdit } from 'vscode-languageserver';
import * as ast from '../syntax/generated/ast.js';
import { isPreludeOrCopy, isPreludeUri } from '../syntax/prelude-uri.js';
import { reservedName } from '../syntax/reserved.js';

const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `name` cannot name a declaration of this kind, or undefined when it can. */
export function badDeclarationName(name: string): string | undefined {
    if (!ID.test(name)) return `'${name}' is not a name: a letter or '_', then letters, digits or '_'`;
    const reserved = reservedName(name);
    if (reserved === 'cpu') return `'${name}' names a CPU`;
    if (reserved === 'reserved') return `'${name}' is a reserved word`;
    return undefined;
}

export class UintrRenameProvider extends DefaultRenameProvider {
    private readonly services: LangiumServices;

    constructor(services: LangiumServices) {
        super(services);
        this.services = services;
    }

    override async rename(document: LangiumDocument, params: RenameParams, cancelToken?: CancellationToken): Promise<WorkspaceEdit | undefined> {
        const target = this.target(document, params);
        if (target === null) throw new ResponseError(ErrorCodes.InvalidRequest, 'a built-in policy cannot be renamed: the prelude ships as it is (declare your own policy that extends it)');
        if (!target) return undefined;
        // LSP: newName is a string; a client that sends anything else gets no edit (the check
        // below would test its String(), and "null" or "true" are names)
        if (typeof params.newName !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, `cannot rename ${target.name}: newName must be a string`);
        const bad = badDeclarationName(params.newName);
        if (bad) throw new ResponseError(ErrorCodes.InvalidParams, `cannot rename ${target.name} to ${params.newName}: ${bad}`);
        const taken = this.takenBy(target, params.newName);
        if (taken) throw new ResponseError(ErrorCodes.InvalidParams, `cannot rename ${target.name} to ${params.newName}: ${taken}`);
        return super.rename(document, params, cancelToken);
    }

    override prepareRename(document: LangiumDocument, params: TextDocumentPositionParams, cancelToken?: CancellationToken): Range | undefined {
        const target = this.target(document, params);
        if (target === null) throw new ResponseError(ErrorCodes.InvalidRequest, 'a built-in policy cannot be renamed: the prelude ships as it is (declare your own policy that extends it)');
        // only what rename renames: a task, a kthread or a user policy (not a foreach variable)
        if (target === undefined) return undefined;
        return super.prepareRename(document, params, cancelToken) as Range | undefined;
    }

    /**
     * The task, kthread or policy at the position (declared or referred to); null when it is a
     * built-in policy (refused: the prelude is never edited), undefined when there is none.
     */
    private target(document: LangiumDocument, params: TextDocumentPositionParams): (ast.Task | ast.KThread | ast.Policy) | null | undefined {
        const root = document.parseResult.value.$cstNode;
        if (!root) return undefined;
        const leaf = CstUtils.findDeclarationNodeAtOffset(root, document.textDocument.offsetAt(params.position), this.grammarConfig.nameRegexp);
        if (!leaf) return undefined;
        const decl: AstNode | undefined = this.references.findDeclarations(leaf)[0] ?? (this.isNameNode(leaf) ? leaf.astNode : undefined);
        if (!decl || !(ast.isTask(decl) || ast.isKThread(decl) || ast.isPolicy(decl))) return undefined;
        const home = AstUtils.getDocument(decl);
        if (isPreludeOrCopy(home.uri.toString(), home.textDocument.getText())) return null;
        return decl;
    }

    /** What already has the name in the declaration's file (or among the built-in policies). */
    private takenBy(target: ast.Task | ast.KThread | ast.Policy, name: string): string | undefined {
        const file = AstUtils.getContainerOfType(target, ast.isFile);
        // a foreach variable of that name would capture a reference inside its loop
        for (const node of file ? AstUtils.streamAllContents(file) : []) {
            if (ast.isForeachStmt(node) && node.name === name) return `a foreach variable of that name is declared at line ${(node.$cstNode?.range.start.line ?? 0) + 1}`;
        }
        for (const d of file?.decls ?? []) {
            if (d !== target && (ast.isTask(d) || ast.isKThread(d) || ast.isPolicy(d)) && d.name === name) {
                return `a ${ast.isPolicy(d) ? 'policy' : ast.isKThread(d) ? 'kthread' : 'task'} of that name is declared at line ${(d.$cstNode?.range.start.line ?? 0) + 1}`;
            }
        }
        if (ast.isPolicy(target)) {
            const builtin = this.services.shared.workspace.LangiumDocuments.all
                .filter(doc => isPreludeUri(doc.uri.toString()))
                .flatMap(doc => (doc.parseResult.value as ast.File).decls)
                .some(d => ast.isPolicy(d) && d.name === name);
            if (builtin) return `'${name}' is a built-in policy`;
        }
        return undefined;
    }
}
