/**
 * Where things start in a file: offsets in the concrete syntax tree, read without Langium's
 * getters where they cost, and where the file's parts and items start.
 */
import type { AstNode, CompositeCstNode, CstNode } from 'langium';

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

/** Where a file's parts (declarations and items) start, ascending: their offsets, and their nodes in that order. */
export interface PartStarts {
    readonly offsets: readonly number[];
    readonly nodes: readonly CstNode[];
}

const partStartsCache = new WeakMap<AstNode, PartStarts>();

/** The {@link PartStarts} of a file (made once per file: the parser's errors and the static checks both ask). */
export function partStarts(file: AstNode & { decls?: readonly AstNode[]; items?: readonly AstNode[] }): PartStarts {
    let parts = partStartsCache.get(file);
    if (parts === undefined) {
        const nodes = [...(file.decls ?? []), ...(file.items ?? [])].flatMap(p => (p.$cstNode ? [p.$cstNode] : []));
        const offsets = nodes.map(startOffset);
        const order = offsets.map((_, i) => i).sort((a, b) => offsets[a] - offsets[b]);
        partStartsCache.set(file, parts = { offsets: order.map(i => offsets[i]), nodes: order.map(i => nodes[i]) });
    }
    return parts;
}

/** Where each item starts, read from the tree. */
export function treeItemStarts(items: readonly AstNode[]): number[] | undefined {
    const starts: number[] = new Array<number>(items.length);
    for (let i = 0; i < items.length; i++) {
        const cst = items[i].$cstNode;
        if (!cst) return undefined;
        starts[i] = startOffset(cst);
    }
    return starts;
}

/** A comment or a string, in the lexer's terms, but that a block comment or a string may be left open. */
const COMMENT_OR_STRING = String.raw`\/\/[^\n\r]*|\/\*[\s\S]*?(?:\*\/|$)|"(?:\\[^\n\r]|[^"\\\n\r])*"?`;

/**
 * What can start an item outside brackets, and what to step over: a comment, a string, a
 * bracket. An item starts with a CPU name and its `:`, `expect` or `race` (reserved words: no
 * name or path of an item is one), so in a file that parsed without an error these are where
 * the items start.
 */
const ITEM_SCAN = new RegExp(String.raw`${COMMENT_OR_STRING}|[{}()]|(?<![A-Za-z0-9_])(?:cpu\d+[ \t]*:|(?:expect|race)(?![A-Za-z0-9_]))`, 'g');

const COMMENT_SCAN = new RegExp(COMMENT_OR_STRING, 'g');

/** Whether `offset` lies inside a comment of `text`: after its opening, up to a line comment's end or before a block comment's close. */
export function inComment(text: string, offset: number): boolean {
    COMMENT_SCAN.lastIndex = 0;
    for (let m: RegExpExecArray | null; (m = COMMENT_SCAN.exec(text)) !== null && m.index < offset;) {
        const end = m.index + m[0].length;
        if (m[0].startsWith('//') && offset <= end) return true;
        if (m[0].startsWith('/*') && (offset < end || !m[0].endsWith('*/') || m[0].length < 4)) return true;
    }
    return false;
}

/**
 * Where each item starts, found by one scan of the text from the first item's start (a regular
 * expression: several times faster than reading each item's first token from a freshly parsed
 * tree); undefined when it does not find as many as the tree has.
 */
export function scanItemStarts(full: string, first: number, count: number): number[] | undefined {
    const starts: number[] = new Array<number>(count);
    starts[0] = first;
    let n = 1, depth = 0;
    ITEM_SCAN.lastIndex = first + 1;
    for (let m: RegExpExecArray | null; n < count && (m = ITEM_SCAN.exec(full)) !== null;) {
        const c = full.charCodeAt(m.index);
        if (c === 0x7b || c === 0x28) depth++;
        else if (c === 0x7d || c === 0x29) depth--;
        else if (c !== 0x2f && c !== 0x22 && depth === 0) starts[n++] = m.index;
    }
    return n === count ? starts : undefined;
}
