/** Source text as messages quote it. */
import type { AstNode } from 'langium';

/** Longer source texts are shortened in messages (the middle left out). */
const SOURCE_TEXT_MAX = 160;

/**
 * A node's source text on one line, for messages; a very long one with its middle left out
 * (only its ends are read: an expectation of a million operators is megabytes).
 */
export function sourceText(node: AstNode, max = SOURCE_TEXT_MAX): string {
    const cst = node.$cstNode;
    if (!cst) return '';
    const full = cst.root.fullText;
    const long = cst.end - cst.offset > 4 * max;
    const text = (long ? `${full.slice(cst.offset, cst.offset + 2 * max)} ${full.slice(cst.end - 2 * max, cst.end)}` : cst.text).replace(/\s+/g, ' ');
    return !long && text.length <= max ? text : `${text.slice(0, max - 40).trimEnd()} … ${text.slice(-36).trimStart()}`;
}
