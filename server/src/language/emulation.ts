/**
 * The emulator inside the language server: runs a document's scenario (a validation category
 * of its own, run on open and on save), publishes the run's diagnostics with their related
 * locations, and keeps the result per document version for hovers, hints and lenses.
 */
import { AstUtils, type LangiumDocument, type ValidationAcceptor } from 'langium';
import type { LangiumServices } from 'langium/lsp';
import { DiagnosticSeverity, type DiagnosticRelatedInformation, type Range } from 'vscode-languageserver';
import { checkParsed, type CheckResult } from '../scenario/check.js';
import type { ScenarioDiagnostic, SourceLoc } from '../scenario/diagnostics.js';
import * as ast from '../syntax/generated/ast.js';
import { isPreludeUri } from '../syntax/prelude-uri.js';
import { policyResolver } from './prelude-documents.js';

export const EMULATION_CATEGORY = 'emulation';

/** What the emulator found for one version of a document. */
export interface Emulated {
    readonly version: number;
    readonly result: CheckResult;
    /** How long the run took, in ms (for logs only; never part of a result). */
    readonly millis: number;
}

export class EmulationService {
    private readonly cache = new Map<string, Emulated>();
    /** Documents to emulate at their next validation (opened, saved, or changed with emulate-on-change). */
    private readonly due = new Set<string>();
    /** The policy used when a file names none (setting `uintr.defaultPolicy`). */
    defaultPolicy = 'linux_rfc';

    constructor(private readonly services: LangiumServices) {}

    /** The run for the document's current version: cached, or computed now when the file is clean. */
    resultFor(doc: LangiumDocument): Emulated | undefined {
        const version = doc.textDocument.version;
        const key = doc.uri.toString();
        const hit = this.cache.get(key);
        if (hit && hit.version === version) return hit;
        if (hasStaticErrors(doc)) return undefined;
        return this.run(doc);
    }

    /** The cached run, even for an older version (for views that may lag an edit). */
    lastResult(doc: LangiumDocument): Emulated | undefined {
        return this.cache.get(doc.uri.toString());
    }

    /** Asks for the emulator's diagnostics at the document's next validation. */
    markDue(uri: string): void {
        this.due.add(uri);
    }

    forget(uri: string): void {
        this.cache.delete(uri);
    }

    private run(doc: LangiumDocument): Emulated {
        const started = performance.now();
        const file = doc.parseResult.value as ast.File;
        const result = checkParsed(file, [], policyResolver(this.services.shared.workspace.LangiumDocuments), {
            defaultPolicy: this.defaultPolicy, recordTrace: true,
        });
        const emulated = { version: doc.textDocument.version, result, millis: performance.now() - started };
        this.cache.set(doc.uri.toString(), emulated);
        if (result.internalError) console.error(`uintr: internal error while emulating ${doc.uri}:\n${result.internalError}`);
        return emulated;
    }

    /**
     * The `emulation` validation category, part of every update build: when the document is
     * due (opened, saved), runs the scenario if it has no static error and reports the run's
     * diagnostics. Otherwise it reports nothing, so an edit clears them until the next save.
     */
    async validate(file: ast.File, accept: ValidationAcceptor): Promise<void> {
        const doc = AstUtils.getDocument(file);
        const key = doc.uri.toString();
        if (isPreludeUri(key)) return;
        if (!this.due.has(key)) {
            // A rebuild of the same version (a watched-file event, a dependency): keep what the
            // emulator reported for it. An edit makes a new version, which waits for a save.
            const cached = this.cache.get(key);
            if (cached && cached.version === doc.textDocument.version) {
                for (const d of cached.result.diagnostics) this.accept(doc, file, d, accept);
            }
            return;
        }
        const statics = await this.services.validation.DocumentValidator.validateDocument(doc, { categories: ['built-in', 'fast'] });
        if (statics.some(d => d.severity === DiagnosticSeverity.Error)) {
            this.due.delete(key);
            return;
        }
        const cached = this.cache.get(doc.uri.toString());
        const emulated = cached && cached.version === doc.textDocument.version ? cached : this.run(doc);
        for (const d of emulated.result.diagnostics) this.accept(doc, file, d, accept);
        this.due.delete(key);
    }

    private accept(doc: LangiumDocument, file: ast.File, d: ScenarioDiagnostic, accept: ValidationAcceptor): void {
        const severity = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'info';
        const relatedInformation: DiagnosticRelatedInformation[] = d.related.map(r => ({
            location: { uri: doc.uri.toString(), range: rangeOf(doc, r.loc) }, message: r.message,
        }));
        accept(severity, d.message, { node: file, range: rangeOf(doc, d.loc), code: d.code, relatedInformation, data: d.data });
    }
}

/** The source range of a location: the whole item, or its first line when it spans several. */
export function rangeOf(doc: LangiumDocument, loc: SourceLoc): Range {
    const start = doc.textDocument.positionAt(loc.offset);
    let end = doc.textDocument.positionAt(Math.max(loc.end, loc.offset));
    if (end.line !== start.line) end = { line: start.line, character: Number.MAX_SAFE_INTEGER };
    if (loc.end <= loc.offset) end = { line: start.line, character: start.character + 1 };
    return { start, end };
}

/** Lexer, parser or linking errors, or any error-level diagnostic already computed. */
export function hasStaticErrors(doc: LangiumDocument): boolean {
    const pr = doc.parseResult;
    if (pr.lexerErrors.length > 0 || pr.parserErrors.length > 0) return true;
    if (doc.references.some(r => r.error !== undefined)) return true;
    return (doc.diagnostics ?? []).some(d => d.severity === DiagnosticSeverity.Error && typeof d.code === 'string' && (d.code === 'syntax' || d.code === 'semantic'));
}
