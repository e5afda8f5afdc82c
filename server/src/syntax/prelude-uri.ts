/**
 * Which documents are the built-in prelude. The prelude is a real file (so that
 * go-to-definition can open it); its URI is registered when it is loaded.
 */
const preludeUris = new Set<string>();

export function registerPreludeUri(uri: string): void {
    preludeUris.add(uri);
}

export function isPreludeUri(uri: string): boolean {
    return preludeUris.has(uri);
}
