/**
 * Shared test helpers: a workspace with the prelude loaded, and checking scenario text.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { UintrWorkspace } from '../server/src/syntax/workspace.js';
import { checkDocument, type CheckOptions, type CheckResult } from '../server/src/scenario/check.js';
import { readAnnotations } from '../server/src/cli/annotations.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PRELUDE_PATH = join(ROOT, 'server/src/kernel/prelude.uintr');

let shared: Promise<UintrWorkspace> | undefined;

export function workspace(): Promise<UintrWorkspace> {
    shared ??= (async () => {
        const ws = new UintrWorkspace();
        await ws.loadPrelude(readFileSync(PRELUDE_PATH, 'utf8'), PRELUDE_PATH);
        return ws;
    })();
    return shared;
}

/** Checks scenario text; returns the result and a compact `code@line` list of diagnostics. */
export async function check(text: string, options: CheckOptions = {}): Promise<CheckResult & { codes: string[] }> {
    const ws = await workspace();
    const doc = await ws.load(text, '/test/scenario.uintr');
    try {
        const result = checkDocument(doc, ws, { recordTrace: true, ...options });
        return { ...result, codes: result.diagnostics.filter(d => d.severity !== 'information').map(d => `${d.code}@${d.loc.line}`) };
    } finally {
        ws.release(doc);
    }
}

/** The `//! code` annotations of a text, as `code@line` (LANGUAGE.md §11); a `//!` that is not one throws. */
export function annotations(text: string): string[] {
    const { annotations: read, unread } = readAnnotations(text);
    if (unread.length) throw new Error(`//! on line ${unread.join(', ')} is not an annotation`);
    return read.map(a => `${a.code}@${a.line}`).sort();
}
