/**
 * Which documents are the built-in prelude. The prelude is a real file (so that
 * go-to-definition can open it); its URI is registered when it is loaded.
 */
import { AstUtils, type AstNode } from 'langium';

const preludeUris = new Set<string>();
const preludeTexts = new Set<string>();

/** Registers the built-in prelude's URI, and its text (see {@link isPreludeCopy}). */
export function registerPreludeUri(uri: string, text?: string): void {
    preludeUris.add(uri);
    if (text !== undefined) preludeTexts.add(text);
}

export function isPreludeUri(uri: string): boolean {
    return preludeUris.has(uri);
}

/**
 * Whether a document is a copy of the prelude opened from elsewhere (the project's source
 * copy, an unpacked extension): a file named prelude.uintr with the prelude's text, word for
 * word. It declares the built-in policies, so the rules for user files do not apply to it (a
 * policy named `manual`, one that shadows a built-in); it is not the built-in one for linking.
 */
export function isPreludeCopy(uri: string, text: string): boolean {
    return uri.endsWith('/prelude.uintr') && preludeTexts.has(text);
}

/** The built-in prelude, or a copy of it (see {@link isPreludeCopy}): never edited, never held to a user file's rules. */
export function isPreludeOrCopy(uri: string, text: string): boolean {
    return isPreludeUri(uri) || isPreludeCopy(uri, text);
}

/** Whether a node belongs to the built-in prelude (a built-in policy, say). */
export function inPrelude(node: AstNode): boolean {
    const doc = AstUtils.findRootNode(node).$document;
    return doc !== undefined && isPreludeUri(doc.uri.toString());
}
