/**
 * Document symbols: tasks, kthreads, policies (with their hooks) and races.
 */
import { GrammarUtils, type LangiumDocument, type MaybePromise } from 'langium';
import type { DocumentSymbolProvider } from 'langium/lsp';
import { SymbolKind, type DocumentSymbol, type DocumentSymbolParams } from 'vscode-languageserver';
import * as ast from '../syntax/generated/ast.js';

export class UintrDocumentSymbolProvider implements DocumentSymbolProvider {
    getSymbols(document: LangiumDocument, _params: DocumentSymbolParams): MaybePromise<DocumentSymbol[]> {
        const file = document.parseResult.value as ast.File;
        const out: DocumentSymbol[] = [];
        const sym = (name: string, detail: string, kind: SymbolKind, node: ast.File['decls'][number] | ast.Item | ast.Hook, children?: DocumentSymbol[]): DocumentSymbol | undefined => {
            const cst = node.$cstNode;
            if (!cst || !name) return undefined;
            const nameNode = GrammarUtils.findNodeForProperty(cst, ast.isHook(node) ? 'hook' : 'name') ?? GrammarUtils.findNodeForKeyword(cst, 'race');
            return { name, detail, kind, range: cst.range, selectionRange: nameNode?.range ?? cst.range, children };
        };
        for (const d of file.decls ?? []) {
            let s: DocumentSymbol | undefined;
            if (ast.isTask(d)) s = sym(d.name, d.props.some(p => p.kind === 'handler') ? 'receiver task' : d.props.some(p => p.kind === 'target') ? 'sender task' : 'task', SymbolKind.Class, d);
            else if (ast.isKThread(d)) s = sym(d.name, 'kthread', SymbolKind.Object, d);
            else if (ast.isPolicy(d)) {
                const hooks = d.hooks.map(h => sym(h.hook, 'hook', SymbolKind.Method, h)).filter((x): x is DocumentSymbol => !!x);
                s = sym(d.name, d.parent ? `policy extends ${d.parent.$refText}` : 'policy', SymbolKind.Module, d, hooks);
            }
            if (s) out.push(s);
        }
        for (const item of file.items ?? []) {
            if (!ast.isRace(item)) continue;
            const line = (item.$cstNode?.range.start.line ?? 0) + 1;
            const s = sym(`race (line ${line})`, `${item.branches.length} branches`, SymbolKind.Event, item);
            if (s) out.push(s);
        }
        return out;
    }
}
