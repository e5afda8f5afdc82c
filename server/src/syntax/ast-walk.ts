/**
 * Walks over an AST the way Langium's `streamAst` and `streamReferences` do (the same nodes, the
 * same references, in the same order: a node before what it contains, properties in their
 * order, array elements in theirs), without their cost. Langium's streams build an iterator,
 * two closures and an `Object.keys` array per node, and the linker, the reference index and the
 * validator each walk the whole tree that way: on a file of 10,000 steps the three walks took
 * about 350 ms of a CLI run of about 1.2 s, almost all of it in the streams (bench/emulator.mjs
 * and a CPU profile, decisions.md). These walks take a few milliseconds.
 */
import type { AstNode, Reference, ReferenceInfo } from 'langium';

/** How many nodes the walks' users (linking.ts, the validator) visit between two calls of `interruptAndCheck` (an `await` each). */
export const NODES_PER_CHECK = 64;

type Fields = Record<string, unknown>;

function isNode(value: unknown): value is AstNode {
    return typeof value === 'object' && value !== null && typeof (value as AstNode).$type === 'string';
}

/** Langium's `isReference || isMultiReference`: an object with `$refText` and `ref` or `items`. */
function isAnyReference(value: unknown): value is Reference {
    return typeof value === 'object' && value !== null && typeof (value as Reference).$refText === 'string'
        && ('ref' in value || 'items' in value);
}

/** `$type`, `$container`, `$cstNode`…: Langium's own properties, never children. */
function isOwn(key: string): boolean {
    return key.charCodeAt(0) === 36; // '$'
}

/**
 * Calls `visit` on `root` and then on every node it contains, depth first, each node before its
 * children. Where `visit` returns false, the node's children are skipped (Langium's `prune`).
 */
export function walkAst(root: AstNode, visit: (node: AstNode) => boolean | void): void {
    const stack: AstNode[] = [root];
    while (stack.length > 0) {
        const node = stack.pop()!;
        if (visit(node) === false) continue;
        const from = stack.length;
        const fields = node as unknown as Fields;
        for (const key in fields) {
            if (isOwn(key)) continue;
            const value = fields[key];
            if (Array.isArray(value)) {
                for (const element of value) if (isNode(element)) stack.push(element);
            } else if (isNode(value)) {
                stack.push(value);
            }
        }
        // children were pushed in document order: the first must come off the stack first
        for (let i = from, j = stack.length - 1; i < j; i++, j--) {
            const t = stack[i];
            stack[i] = stack[j];
            stack[j] = t;
        }
    }
}

/** Calls `each` on every cross-reference that `node` itself holds (not its children's), as `streamReferences` gives them. */
export function forEachReference(node: AstNode, each: (info: ReferenceInfo) => void): void {
    const fields = node as unknown as Fields;
    for (const key in fields) {
        if (isOwn(key)) continue;
        const value = fields[key];
        if (isAnyReference(value)) {
            each({ reference: value, container: node, property: key });
        } else if (Array.isArray(value)) {
            for (let index = 0; index < value.length; index++) {
                const element: unknown = value[index];
                if (isAnyReference(element)) each({ reference: element, container: node, property: key, index });
            }
        }
    }
}
