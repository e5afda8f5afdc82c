/**
 * The emulator inside the language server: runs a document's scenario (a validation category
 * of its own, run on open and on save), publishes the run's diagnostics with their related
 * locations, and keeps the result per document version for hovers, hints and lenses.
 *
 * Races are explored off the request path: a small race at once, a larger one in a worker
 * thread (language/background-exploration.ts; in slices of a few milliseconds between turns of
 * the event loop when the worker is not there), so hovers and completion are answered
 * meanwhile, with progress reported to the client, dropped when the document changes or closes
 * or the user cancels, and bounded in time (`uintr.raceTimeLimit`, reported as information).
 * When it ends, the document's diagnostics are published again with the races' findings.
 */
import { AstUtils, URI, type LangiumDocument, type ValidationAcceptor } from 'langium';
import type { LangiumServices } from 'langium/lsp';
import { DiagnosticSeverity, type DiagnosticRelatedInformation, type Range, type WorkDoneProgressServerReporter } from 'vscode-languageserver';
import { startCheck, type CheckResult, type PendingCheck } from '../scenario/check.js';
import type { SourceLoc } from '../scenario/diagnostics.js';
import * as ast from '../syntax/generated/ast.js';
import { isPreludeUri } from '../syntax/prelude-uri.js';
import { BUILTIN_POLICIES } from '../syntax/uintr-validator.js';
import { exploreRest, progressText, workerScript, type ExploreProgress } from './background-exploration.js';
import { treeText } from './document-builder.js';
import { policyResolver, type PreludeSource } from './prelude-documents.js';

export const EMULATION_CATEGORY = 'emulation';

/** States explored at once, before the run returns; a larger race goes on in the background. */
export const INLINE_STATES = 2_000;
/** Default of `uintr.raceTimeLimit` (seconds). */
export const DEFAULT_RACE_TIME_LIMIT_S = 60;

/** What the emulator found for one version of a document. */
export interface Emulated {
    readonly version: number;
    /**
     * The text it ran. A document read from disk has version 0 whatever its text (Langium's),
     * so a closed file changed on disk had its old run taken for the new text: its findings were
     * published again at the old offsets, as fresh.
     */
    readonly text: string;
    /** The result: complete, or, while {@link exploring}, without the races still explored. */
    result: CheckResult;
    /** How long the run took, in ms (for logs only; never part of a result). */
    readonly millis: number;
    /** While the races are explored in the background: how far it is. */
    exploring?: { progress(): ExploreProgress };
    /**
     * Whether its diagnostics are the document's (a validation that was due — open, save —
     * made or took it); a run made for a hover or a lens between saves is not (decisions #20).
     */
    published?: boolean;
    /** Its exploration was cancelled in the editor (the progress's Cancel): the next save runs it again. */
    cancelled?: boolean;
}

/** Why a race exploration cancelled in the editor stopped (said in its information diagnostic). */
const CANCELLED = 'the exploration was cancelled in the editor (saving the file explores it again)';

/** An emulator diagnostic as it was last reported for a document, kept across edits until the next run. */
interface Shown {
    readonly severity: 'error' | 'warning' | 'info';
    readonly message: string;
    readonly range: Range;
    readonly code: string;
    readonly relatedInformation: DiagnosticRelatedInformation[];
    readonly data: unknown;
}

export class EmulationService {
    private readonly cache = new Map<string, Emulated>();
    /** What the emulator last reported for each document, where (see {@link validate}), and the text its places are in. */
    private readonly shown = new Map<string, Shown[]>();
    private readonly shownIn = new Map<string, string>();
    /** Documents whose emulation is due, with the editor's version it is due for (see {@link markDue}). */
    private readonly due = new Map<string, number | undefined>();
    /**
     * Closed documents whose file was emulated (the close runs it: decisions #21): a change on
     * disk runs them again. (Not what is shown: a file with a static error shows nothing of the
     * emulator, and once fixed on disk it was never run again.)
     */
    private readonly runFromDisk = new Set<string>();
    /** The policy used when a file names none (setting `uintr.defaultPolicy`). */
    defaultPolicy = 'linux_rfc';
    /** The editor's time bound on one document's race exploration (setting `uintr.raceTimeLimit`), in s. */
    raceTimeLimit = DEFAULT_RACE_TIME_LIMIT_S;

    /** The bundled exploration worker beside the prelude (out/explore-worker.cjs), if it is there. */
    private readonly workerScript: string | undefined;

    constructor(private readonly services: LangiumServices, private readonly prelude: PreludeSource) {
        this.workerScript = workerScript(prelude);
        // Settings: fetched once the client is initialized, then pushed on every change. Never
        // awaited by a run (without a client, as in tests, the provider is never ready).
        const config = services.shared.workspace.ConfigurationProvider;
        void config.ready.then(async () => this.applySettings({
            defaultPolicy: await config.getConfiguration('uintr', 'defaultPolicy'),
            raceTimeLimit: await config.getConfiguration('uintr', 'raceTimeLimit'),
        })).catch(() => undefined);
        services.shared.workspace.TextDocuments?.onDidClose(e => this.forget(e.document.uri));
        config.onConfigurationSectionUpdate(update => {
            if (update.section === 'uintr' && update.configuration) this.applySettings(update.configuration as Record<string, unknown>);
        });
    }

    /** The settings that change a run (`uintr.defaultPolicy`, `uintr.raceTimeLimit`). */
    applySettings(settings: Record<string, unknown>): void {
        const policy = settings.defaultPolicy;
        const limit = settings.raceTimeLimit;
        if (typeof limit === 'number' && limit > 0) this.raceTimeLimit = limit;
        if (typeof policy === 'string' && policy !== this.defaultPolicy) {
            this.defaultPolicy = policy;
            if (!(BUILTIN_POLICIES as readonly string[]).includes(policy)) {
                // said once per change, not per file: a file that defines it runs under it
                void this.services.shared.lsp.Connection?.window.showWarningMessage(
                    `uintr.defaultPolicy '${policy}' is not a built-in policy (${BUILTIN_POLICIES.join(', ')}): a file that defines it runs under it, any other under linux_rfc`);
            }
            // what was emulated and shown under the old default (a file opened before the
            // settings came) is emulated again under the new one, if its text is still the one
            // run; an edit since waits for its save (decisions #20: a run of unsaved text was
            // published as fresh)
            const stale: string[] = [];
            for (const [uri, emulated] of this.cache) {
                const doc = this.services.shared.workspace.LangiumDocuments.getDocument(URI.parse(uri));
                if (!emulated.published || !doc || !ranOn(emulated, doc)) continue;
                stale.push(uri);
                this.markDue(uri, emulated.version);
            }
            this.cache.clear();
            if (stale.length) {
                // under the workspace lock, as every other update: not interleaved with one
                const { WorkspaceLock, DocumentBuilder } = this.services.shared.workspace;
                void WorkspaceLock.write(token => DocumentBuilder.update(stale.map(u => URI.parse(u)), [], token))
                    .catch(e => console.error(`uintr: re-emulating after a settings change failed: ${(e as Error)?.stack ?? e}`));
            }
        }
    }

    /** The run for the document's current version: cached, or computed now when the file is clean. */
    resultFor(doc: LangiumDocument): Emulated | undefined {
        const key = doc.uri.toString();
        const hit = this.cache.get(key);
        if (hit && ranOn(hit, doc)) return hit;
        if (hasStaticErrors(doc)) return undefined;
        return this.run(doc);
    }

    /**
     * Asks for the emulator's diagnostics at the document's next validation: of the editor's
     * version that was opened or saved (`version`), or of whatever text the document has (a file
     * read from disk). A later edit cancels it: its build must not run the unsaved text (a save
     * whose build an edit cancelled ran the edit's text, as fresh: decisions #20).
     */
    markDue(uri: string, version?: number): void {
        this.due.set(uri, version);
    }

    /** Whether the document's emulation is due now (see {@link markDue}). */
    private isDue(doc: LangiumDocument): boolean {
        const key = doc.uri.toString();
        if (!this.due.has(key)) return false;
        const version = this.due.get(key);
        return version === undefined || version === doc.textDocument.version;
    }

    /**
     * A closed document whose file could not be read at its close (deleted meanwhile): should
     * the file come back, it is run as a closed file that changed on disk, as it is when the
     * delete comes after the close's read (a fuzzer of editor events found the two orders
     * showing different things for the same files).
     */
    runWhenBackOnDisk(uri: string): void {
        this.runFromDisk.add(uri);
    }

    /** Lets a document's run (trace, machine, exploration) go: the document was closed. */
    forget(uri: string): void {
        this.cache.delete(uri);
        this.due.delete(uri);
        this.shown.delete(uri);
        this.shownIn.delete(uri);
        this.runFromDisk.delete(uri);
    }

    private run(doc: LangiumDocument): Emulated {
        const started = performance.now();
        const file = doc.parseResult.value as ast.File;
        const pending = startCheck(file, [], policyResolver(this.services.shared.workspace.LangiumDocuments), {
            defaultPolicy: this.defaultPolicy, recordTrace: true,
        });
        pending.advance(INLINE_STATES);
        const emulated: Emulated = { version: doc.textDocument.version, text: treeText(doc) ?? doc.textDocument.getText(), result: pending.result(), millis: performance.now() - started };
        this.cache.set(doc.uri.toString(), emulated);
        if (!pending.finished) {
            emulated.exploring = pending;
            void this.exploreInBackground(doc, emulated, pending).catch(e => console.error(`uintr: race exploration failed for ${doc.uri}: ${(e as Error)?.stack ?? e}`));
        }
        if (emulated.result.internalError) console.error(`uintr: internal error while emulating ${doc.uri}:\n${emulated.result.internalError}`);
        return emulated;
    }

    /**
     * True while the run is the current one for its document: the same version of the open
     * document, or, for a closed one, of the text read from disk (decisions #21).
     */
    private current(uri: string, emulated: Emulated): boolean {
        if (this.cache.get(uri) !== emulated) return false;
        const live = this.services.shared.workspace.TextDocuments?.get(uri);
        if (live !== undefined) return live.version === emulated.version;
        const doc = this.services.shared.workspace.LangiumDocuments.getDocument(URI.parse(uri));
        return doc !== undefined && ranOn(emulated, doc);
    }

    /**
     * Explores the rest of a run's races in the background (background-exploration.ts), with
     * progress, and publishes the document's diagnostics when done. Gives up quietly when the
     * run is superseded (an edit, a close) or the user cancels.
     */
    private async exploreInBackground(doc: LangiumDocument, emulated: Emulated, pending: PendingCheck): Promise<void> {
        const uri = doc.uri.toString();
        const progress = await this.progressReporter();
        progress?.begin(`UINTR: exploring races in ${doc.uri.path.split('/').pop()}`, 0, progressText(pending.progress()), true);
        try {
            const result = await exploreRest({
                doc, emulated, pending, progress, workerScript: this.workerScript, prelude: this.prelude,
                defaultPolicy: this.defaultPolicy, timeLimitS: this.raceTimeLimit,
                isCurrent: () => this.current(uri, emulated),
                isCancelled: () => progress?.token.isCancellationRequested === true,
                cancelled: CANCELLED,
            });
            // cancelled by the user, not superseded: what was explored stands, said as a cut search
            // (it stayed as if still exploring, and a save reused it as it was); the next save
            // explores again
            const cancelled = progress?.token.isCancellationRequested === true;
            if (result) {
                emulated.result = result;
            } else if (cancelled && this.current(uri, emulated)) {
                // a worker that did not report in time: what this thread explored
                pending.stop(CANCELLED);
                emulated.result = pending.result();
            } else {
                return;
            }
            emulated.cancelled = cancelled;
            emulated.exploring = undefined;
        } finally {
            progress?.done();
        }
        // a run made for a hover between saves informs hovers only; the saved run's findings stay
        if (emulated.published && this.current(uri, emulated)) await this.publish(doc);
    }

    private async progressReporter(): Promise<WorkDoneProgressServerReporter | undefined> {
        try {
            return await this.services.shared.lsp.Connection?.window.createWorkDoneProgress();
        } catch {
            return undefined;
        }
    }

    /** Validates the document again (the emulator's part from the cache) and sends its diagnostics. */
    private async publish(doc: LangiumDocument): Promise<void> {
        const diagnostics = await this.services.validation.DocumentValidator.validateDocument(doc, { categories: ['built-in', 'fast', EMULATION_CATEGORY] });
        doc.diagnostics = diagnostics;
        await this.services.shared.lsp.Connection?.sendDiagnostics({ uri: doc.uri.toString(), version: doc.textDocument.version, diagnostics });
    }

    /**
     * The `emulation` validation category, part of every update build: when the document is
     * due (opened, saved), runs the scenario if it has no static error and reports the run's
     * diagnostics. Otherwise (an edit, without emulate-on-change) it keeps what the emulator
     * last reported, where it reported it, marked `data.stale`, until the next run: as an
     * on-save checker does (rust-analyzer's flycheck), so findings do not vanish on the first
     * keystroke; a file whose static errors stop the run reports none.
     */
    async validate(file: ast.File, accept: ValidationAcceptor): Promise<void> {
        const doc = AstUtils.getDocument(file);
        const key = doc.uri.toString();
        if (isPreludeUri(key)) return;
        const built = treeText(doc);
        if (built !== undefined && built !== doc.textDocument.getText()) {
            // an edit came while this build ran: the build of its text decides
            this.keep(doc, file, accept);
            return;
        }
        const cached = this.cache.get(key);
        // a closed file that was emulated, changed on disk since: its new text is the saved one,
        // run as a save's (decisions #21)
        const closed = this.services.shared.workspace.TextDocuments?.get(key) === undefined;
        const closedChanged = closed && this.runFromDisk.has(key) && !(cached && ranOn(cached, doc));
        if (!this.isDue(doc) && !closedChanged) {
            // due for a version an edit has replaced: that edit waits for its save
            this.due.delete(key);
            // A rebuild of the same text (a watched-file event, a dependency): what the
            // emulator reported for it. An edit makes a new version, which waits for a save.
            if (cached && ranOn(cached, doc) && cached.published) this.report(doc, file, cached, accept);
            else this.keep(doc, file, accept);
            return;
        }
        if (closed) this.runFromDisk.add(key);
        const statics = await this.services.validation.DocumentValidator.validateDocument(doc, { categories: ['built-in', 'fast'] });
        if (statics.some(d => d.severity === DiagnosticSeverity.Error)) {
            this.due.delete(key);
            this.shown.delete(key);
            this.shownIn.delete(key);
            return;
        }
        const emulated = cached && ranOn(cached, doc) && !cached.cancelled ? cached : this.run(doc);
        emulated.published = true;
        this.report(doc, file, emulated, accept);
        this.due.delete(key);
    }

    /** Reports a run's diagnostics, and keeps them as the document's last shown. */
    private report(doc: LangiumDocument, file: ast.File, emulated: Emulated, accept: ValidationAcceptor): void {
        const shown = emulated.result.diagnostics.map((d): Shown => ({
            severity: d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'info',
            // marked as the run's: a run-time `semantic` error is no static error (hasStaticErrors)
            message: d.message, range: rangeOf(doc, d.loc), code: d.code, data: { ...(d.data as object | undefined), run: true },
            relatedInformation: d.related.map(r => ({ location: { uri: doc.uri.toString(), range: rangeOf(doc, r.loc) }, message: r.message })),
        }));
        // while the races are explored again, what they found before stays, stale (an edit may
        // drop the exploration: the finding must not vanish with it)
        if (emulated.exploring) {
            const lines = new Set(shown.filter(d => d.code === 'race-counterexample').map(d => d.range.start.line));
            for (const d of this.shownNow(doc)) {
                if (d.code === 'race-counterexample' && d.severity !== 'info' && !lines.has(d.range.start.line)) shown.push({ ...d, data: { ...(d.data as object | undefined), stale: true } });
            }
        }
        this.shown.set(doc.uri.toString(), shown);
        this.shownIn.set(doc.uri.toString(), doc.textDocument.getText());
        for (const d of shown) accept(d.severity, d.message, { node: file, range: d.range, code: d.code, relatedInformation: d.relatedInformation, data: d.data });
    }

    /** Reports again what was last shown for the document, where it now is (see {@link shownNow}), as stale. */
    private keep(doc: LangiumDocument, file: ast.File, accept: ValidationAcceptor): void {
        for (const d of this.shownNow(doc)) {
            accept(d.severity, d.message, { node: file, range: d.range, code: d.code, relatedInformation: d.relatedInformation, data: { ...(d.data as object | undefined), stale: true } });
        }
    }

    /**
     * What was last shown for the document, its places moved into the text as it is now: a
     * line above or below the lines an edit changed is where that line now is (lines typed above
     * a fault move its diagnostic down with it; it stayed on its old line number, on another
     * step), a line among them stays (clamped to the text).
     */
    private shownNow(doc: LangiumDocument): Shown[] {
        const key = doc.uri.toString();
        const shown = this.shown.get(key) ?? [];
        const td = doc.textDocument;
        const now = td.getText();
        const then = this.shownIn.get(key);
        const line = then === undefined || then === now ? (l: number) => l : lineMapping(then, now);
        const move = (r: Range): Range => {
            const start = { line: line(r.start.line), character: r.start.character };
            const end = { line: start.line + (r.end.line - r.start.line), character: r.end.character };
            return { start: td.positionAt(td.offsetAt(start)), end: td.positionAt(td.offsetAt(end)) };
        };
        return shown.map(d => ({
            ...d, range: move(d.range),
            relatedInformation: d.relatedInformation.map(r => ({ ...r, location: { ...r.location, range: move(r.location.range) } })),
        }));
    }
}

/**
 * Where each line of `before` is in `after`, for an edit of one stretch of lines: the lines
 * before the first one that differs keep their number, those after the last one that differs
 * move by the count of lines added or removed, and those between stay.
 */
export function lineMapping(before: string, after: string): (line: number) => number {
    const a = before.split(/\r\n|\r|\n/), b = after.split(/\r\n|\r|\n/);
    let head = 0;
    while (head < a.length && head < b.length && a[head] === b[head]) head++;
    let tail = 0;
    while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
    const shift = b.length - a.length;
    return l => (l < head ? l : l >= a.length - tail ? l + shift : l);
}

/** The source range of a location: the whole item, or its first line when it spans several. */
export function rangeOf(doc: LangiumDocument, loc: SourceLoc): Range {
    const start = doc.textDocument.positionAt(loc.offset);
    let end = doc.textDocument.positionAt(Math.max(loc.end, loc.offset));
    // a multi-line item (a race) is marked on its first line, to that line's end (a position
    // the protocol allows: a uinteger, not beyond the line)
    if (end.line !== start.line) {
        const lineEnd = doc.textDocument.offsetAt({ line: start.line + 1, character: 0 });
        const text = doc.textDocument.getText({ start, end: doc.textDocument.positionAt(lineEnd) });
        end = { line: start.line, character: start.character + text.replace(/\r?\n$|\r$/, '').length };
    }
    if (loc.end <= loc.offset) end = { line: start.line, character: start.character + 1 };
    return { start, end };
}

/** Lexer, parser or linking errors, or any error-level static diagnostic already computed. */
export function hasStaticErrors(doc: LangiumDocument): boolean {
    const pr = doc.parseResult;
    if (pr.lexerErrors.length > 0 || pr.parserErrors.length > 0) return true;
    if (doc.references.some(r => r.error !== undefined)) return true;
    // not the emulator's own (`data.run`): a run-time `semantic` error, shown stale after an edit,
    // kept hovers, inlay hints and the code lens from running the edited text
    return (doc.diagnostics ?? []).some(d => d.severity === DiagnosticSeverity.Error && typeof d.code === 'string' && (d.code === 'syntax' || d.code === 'semantic')
        && (d.data as { run?: unknown } | undefined)?.run !== true);
}

/** Whether the run was made on the document's text as it is: the same version and the same text. */
function ranOn(emulated: Emulated, doc: LangiumDocument): boolean {
    return emulated.version === doc.textDocument.version && emulated.text === doc.textDocument.getText();
}
