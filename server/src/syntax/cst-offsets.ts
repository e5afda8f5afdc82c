/** Offsets in the concrete syntax tree, read without Langium's getters where they cost. */
import type { CompositeCstNode, CstNode } from 'langium';

/**
 * Where a node's text starts: the offset of its first token that is not hidden, as
 * `CstNode.offset` gives it, without that getter's iterator at every level (a quarter of
 * lowering went there).
 */
export function startOffset(cst: CstNode): number {
    let n = cst;
    for (;;) {
        const content = (n as Partial<CompositeCstNode>).content;
        if (content === undefined) return n.offset;
        let first: CstNode | undefined = content[0];
        if (first === undefined) return 0; // an empty node, as CstNode.offset says
        for (let i = 0; i < content.length; i++) {
            if (!content[i].hidden) {
                first = content[i];
                break;
            }
        }
        n = first;
    }
}
