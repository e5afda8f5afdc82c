/**
 * ast-walk.ts and its users (linking.ts, UintrDocumentValidator.validateAstNodes) against what
 * they replace: Langium's streams, linker, reference index and validator walk. On every example,
 * the prelude and damaged copies of the examples (recovered parses hold partial nodes), the new
 * walks must give the same nodes, references, links, index entries and diagnostics, in the
 * same order.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AstUtils, DefaultDocumentValidator, EmptyFileSystem, DefaultLinker, DefaultReferenceDescriptionProvider, URI, type AstNode, type LangiumDocument, type ReferenceInfo, type ValidationAcceptor } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { forEachReference, walkAst } from '../server/src/syntax/ast-walk.js';
import { UintrLinker, UintrReferenceDescriptionProvider } from '../server/src/syntax/linking.js';
import { UintrDocumentValidator } from '../server/src/syntax/document-validator.js';
import { UintrWorkspace } from '../server/src/syntax/workspace.js';
import { createUintrCoreServices } from '../server/src/syntax/uintr-module.js';
import { PRELUDE_PATH, ROOT } from './helpers.js';

const ws = new UintrWorkspace();
const docs = ws.shared.workspace.LangiumDocuments;
const builder = ws.shared.workspace.DocumentBuilder;
const linker = ws.services.references.Linker;
/** The language's own (a UintrWorkspace indexes no references). */
const refs = createUintrCoreServices(EmptyFileSystem).Uintr.workspace.ReferenceDescriptionProvider;
const validator = ws.services.validation.DocumentValidator;

/** Every example, the prelude, and each example cut in the middle of a line and with every third line gone. */
function inputs(): [string, string][] {
    const files = readdirSync(join(ROOT, 'examples')).filter(f => f.endsWith('.uintr')).sort();
    const out: [string, string][] = [['prelude', readFileSync(PRELUDE_PATH, 'utf8')]];
    for (const f of files) {
        const text = readFileSync(join(ROOT, 'examples', f), 'utf8');
        out.push([f, text], [`${f} (cut)`, text.slice(0, Math.floor(text.length * 0.6))]);
        out.push([`${f} (lines gone)`, text.split('\n').filter((_, i) => i % 3 !== 2).join('\n')]);
    }
    return out;
}
const INPUTS = inputs();
const built = new Map<string, LangiumDocument>();

beforeAll(async () => {
    await ws.loadPrelude(readFileSync(PRELUDE_PATH, 'utf8'), PRELUDE_PATH);
    let n = 0;
    for (const [name, text] of INPUTS) {
        const doc = ws.shared.workspace.LangiumDocumentFactory.fromString(text, URI.file(`/walk/${n++}.uintr`));
        docs.addDocument(doc);
        built.set(name, doc);
    }
    await builder.build([...built.values()], { validation: false });
});
afterAll(() => {
    for (const doc of built.values()) ws.release(doc);
});

const refKey = (r: ReferenceInfo) => [r.reference, r.container, r.property, r.index];

describe('ast-walk.ts', () => {
    test('the services are the ones under test', () => {
        expect(linker).toBeInstanceOf(UintrLinker);
        expect(refs).toBeInstanceOf(UintrReferenceDescriptionProvider);
        expect(validator).toBeInstanceOf(UintrDocumentValidator);
    });

    test('a UintrWorkspace (the CLI\'s) keeps no index of references; the language\'s services do', async () => {
        const doc = built.get(INPUTS[1][0])!;
        expect(await ws.services.workspace.ReferenceDescriptionProvider.createDescriptions(doc)).toEqual([]);
        expect((await refs.createDescriptions(doc)).length).toBeGreaterThan(0);
    });

    test.each(INPUTS.map(([name]) => [name]))('%s: the nodes and references of streamAst and streamReferences, in their order', name => {
        const root = built.get(name)!.parseResult.value;
        const walked: AstNode[] = [];
        walkAst(root, n => {
            walked.push(n);
        });
        const streamed = AstUtils.streamAst(root).toArray();
        expect(walked.length).toBe(streamed.length);
        walked.forEach((n, i) => expect(n).toBe(streamed[i]));
        let count = 0;
        for (const node of streamed) {
            const mine: ReferenceInfo[] = [];
            forEachReference(node, r => mine.push(r));
            const theirs = AstUtils.streamReferences(node).toArray();
            expect(mine.map(refKey)).toEqual(theirs.map(refKey));
            mine.forEach((r, i) => expect(r.reference).toBe(theirs[i].reference));
            count += mine.length;
        }
        if (!name.includes('(')) expect(count).toBeGreaterThan(0);
    });

    test('references held in arrays and multi-references count, with their index (the grammar has none, Langium does)', () => {
        const ref = (t: string) => ({ $refText: t, ref: undefined });
        const multi = { $refText: 'm', items: [] };
        const node = { $type: 'X', a: ref('a'), list: [ref('b'), 3, ref('c')], m: multi, $own: ref('own'), plain: { x: 1 } } as unknown as AstNode;
        const mine: ReferenceInfo[] = [];
        forEachReference(node, r => mine.push(r));
        expect(mine.map(refKey)).toEqual(AstUtils.streamReferences(node).toArray().map(refKey));
        expect(mine.map(r => [r.property, r.index])).toEqual([['a', undefined], ['list', 0], ['list', 2], ['m', undefined]]);
    });

    test('a visit that returns false skips the node\'s children, as prune does', () => {
        const root = built.get(INPUTS[1][0])!.parseResult.value;
        const skip = (n: AstNode) => n.$type === 'Step' || n.$type === 'Policy';
        const walked: AstNode[] = [];
        walkAst(root, n => {
            walked.push(n);
            return !skip(n);
        });
        const pruned: AstNode[] = [];
        const it = AstUtils.streamAst(root).iterator();
        for (const n of it) {
            pruned.push(n);
            if (skip(n)) it.prune();
        }
        expect(walked.some(skip)).toBe(true);
        expect(walked).toEqual(pruned);
        expect(walked.length).toBeLessThan(AstUtils.streamAst(root).count());
    });
});

describe('the linker, the reference index and the validator walk as Langium\'s did', () => {
    test.each(INPUTS.map(([name]) => [name]))('%s', async name => {
        const doc = built.get(name)!;
        // links: unlink and link again with Langium's own walk, compare each reference's outcome
        const outcome = () => AstUtils.streamAst(doc.parseResult.value).flatMap(n => AstUtils.streamReferences(n))
            .map(r => [r.reference.$refText, (r.reference as { ref?: AstNode }).ref, r.reference.error?.message]).toArray();
        const ours = outcome();
        linker.unlink(doc);
        await DefaultLinker.prototype.link.call(linker, doc);
        const theirs = outcome();
        expect(ours).toEqual(theirs);
        ours.forEach((o, i) => expect(o[1]).toBe(theirs[i][1]));
        linker.unlink(doc);
        await linker.link(doc);
        expect(outcome()).toEqual(theirs);

        expect(await refs.createDescriptions(doc)).toEqual(await DefaultReferenceDescriptionProvider.prototype.createDescriptions.call(refs, doc));

        const collect = async (walk: (root: AstNode, accept: ValidationAcceptor) => Promise<void>) => {
            const out: Diagnostic[] = [];
            const accept: ValidationAcceptor = (severity, message, info) => {
                out.push({ severity: severity === 'error' ? 1 : 2, message, range: info.node.$cstNode?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, code: info.code as string | undefined });
            };
            await walk(doc.parseResult.value, accept);
            return out;
        };
        const v = validator as unknown as { validateAstNodes(root: AstNode, o: object, a: ValidationAcceptor): Promise<void> };
        const mine = await collect((root, accept) => v.validateAstNodes(root, {}, accept));
        const langium = await collect((root, accept) => (DefaultDocumentValidator.prototype as unknown as typeof v).validateAstNodes.call(validator, root, {}, accept));
        expect(mine).toEqual(langium);
    });

    test('some inputs have checks that report, links that fail and index entries (the comparison has something to compare)', async () => {
        let reported = 0, failed = 0, entries = 0;
        for (const doc of built.values()) {
            reported += (await validator.validateDocument(doc)).length;
            failed += AstUtils.streamAst(doc.parseResult.value).flatMap(n => AstUtils.streamReferences(n)).filter(r => r.reference.error !== undefined).count();
            entries += (await refs.createDescriptions(doc)).length;
        }
        expect(reported).toBeGreaterThan(0);
        expect(failed).toBeGreaterThan(0);
        expect(entries).toBeGreaterThan(100);
    });
});
