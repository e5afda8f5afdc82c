/**
 * Quick fixes, each re-checked by running the emulator on the edited text before it is
 * offered (it must remove its diagnostic), and preferred when it adds none; and the source
 * action "Annotate diagnostics" that writes `//! code` comments.
 */
import { GrammarUtils, type AstNode, type LangiumDocument, type MaybePromise } from 'langium';
import type { CodeActionProvider, LangiumServices } from 'langium/lsp';
import { CodeActionKind, CodeActionTriggerKind, type CodeAction, type CodeActionParams, type Command, type Diagnostic, type TextEdit } from 'vscode-languageserver';
import { hex } from '../machine/bits.js';
import type { CheckResult } from '../scenario/check.js';
import * as ast from '../syntax/generated/ast.js';
import { messageText } from '../syntax/document-validator.js';
import { cpuIndex } from '../syntax/paths.js';
import { BUILTIN_POLICIES, isReceiver } from '../syntax/uintr-validator.js';
import type { EmulationService } from './emulation.js';
import type { FixChecker } from './fix-checker.js';
import { evaluate, readsMachine } from './expr-values.js';
import { itemState } from './trace-lookup.js';
import type { UintrLspServices } from './uintr-lsp-module.js';
import { sourceText } from '../scenario/source-text.js';
import { thousands } from '../syntax/message-text.js';

export const ANNOTATE_KIND = `${CodeActionKind.Source}.uintr.annotate`;

/** A diagnostic's code, 0-based line and severity. */
interface DiagnosticAt {
    readonly code: string;
    readonly line: number;
    readonly severity: string;
}

/** An edit of whole lines, so diagnostics on later lines can be mapped after it. */
interface LineEdit {
    readonly title: string;
    /** Offered only when the edited scenario has no error or warning at all. */
    readonly requireClean?: boolean;
    readonly edit: TextEdit;
    /** Where a line of the old text is after the edit (undefined: the line is gone). */
    mapLine(line: number): number | undefined;
}

/** Items (steps, expectations, races) beyond which a candidate fix is not re-checked. */
export const RECHECK_MAX_ITEMS = 5_000;

/** A candidate fix of a file too large to re-check (see {@link RECHECK_MAX_ITEMS}). */
function unchecked(doc: LangiumDocument, d: Diagnostic, cand: LineEdit, items: number): CodeAction {
    return {
        title: `${cand.title} (not re-checked: the file has ${thousands(items)} items)`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: false,
        edit: { changes: { [doc.uri.toString()]: [cand.edit] } },
    };
}

export class UintrCodeActionProvider implements CodeActionProvider {
    private readonly emulation: EmulationService;
    private readonly checker: FixChecker;

    constructor(services: LangiumServices) {
        const s = services as UintrLspServices;
        this.emulation = s.uintr.Emulation;
        this.checker = s.uintr.FixChecker;
    }

    getCodeActions(document: LangiumDocument, params: CodeActionParams): MaybePromise<Array<Command | CodeAction> | undefined> {
        return this.actions(document, params).catch(e => {
            console.error(`uintr: code actions failed: ${(e as Error)?.stack ?? e}`);
            return undefined;
        });
    }

    private async actions(doc: LangiumDocument, params: CodeActionParams): Promise<CodeAction[]> {
        const out: CodeAction[] = [];
        const only = params.context.only;
        const wantsQuickFix = !only || only.some(k => CodeActionKind.QuickFix.startsWith(k) || k.startsWith(CodeActionKind.QuickFix));
        // the annotate action edits every line with a finding (megabytes on a file of 60,000 #GPs):
        // made when asked for, not for the light bulb's automatic request at every cursor move
        const automatic = params.context.triggerKind === CodeActionTriggerKind.Automatic;
        const wantsSource = only ? only.some(k => ANNOTATE_KIND.startsWith(k)) : !automatic;
        if (wantsQuickFix) {
            for (const d of params.context.diagnostics) {
                const before = await this.diagnosticsNow(doc, d);
                if (!before) continue;
                let preferred = false;
                const items = (doc.parseResult.value as ast.File).items.length;
                for (const cand of this.candidates(doc, d)) {
                    // a re-check runs the whole file on the server's thread (60,000 steps: about 2 s
                    // per candidate, at every cursor move): a large file's fixes are offered as they
                    // are, said so, and never preferred
                    const action = items > RECHECK_MAX_ITEMS ? unchecked(doc, d, cand, items) : await this.recheck(doc, d, cand, before);
                    if (!action) continue;
                    // one preferred fix per diagnostic (what 'fix all' and Ctrl+. apply): the first
                    if (action.isPreferred) {
                        if (preferred) action.isPreferred = false;
                        preferred = true;
                    }
                    out.push(action);
                }
            }
        }
        if (wantsSource) {
            const annotate = this.annotate(doc);
            if (annotate) out.push(annotate);
        }
        return out;
    }

    /** The edits that might fix a diagnostic, before re-checking. */
    private candidates(doc: LangiumDocument, d: Diagnostic): LineEdit[] {
        const code = String(d.code ?? '');
        const file = doc.parseResult.value as ast.File;
        const line = d.range.start.line;
        const item = itemOnLine(file, line);
        const out: LineEdit[] = [];
        if (code === 'xrstors-gp' && ast.isStep(item) && ast.isXrstorsAction(item.action)) out.push(...this.xrstorsFixes(doc, item));
        if (code === 'xsaves-clobbers-image' && ast.isStep(item) && ast.isXsavesAction(item.action)) out.push(deleteLine(doc, line, `Delete the second XSAVES (it clobbers the saved UINV)`));
        const kernelStep = ast.isStep(item) && !isInstruction(item.action);
        if (code === 'notification-lost' || code === 'never-delivered' || (kernelStep && ['xrstors-gp', 'wrmsr-gp', 'senduipi-gp', 'ud', 'upid-use-after-free', 'xsaves-clobbers-image', 'stale-uinv'].includes(code))) {
            out.push(...policyEdits(doc, file, this.emulation.defaultPolicy));
        }
        if (code === 'expect-failed' && ast.isExpect(item)) out.push(...this.expectFixes(doc, item));
        const kind = (d.data as { kind?: string } | undefined)?.kind;
        if (code === 'semantic' && (kind === 'unknown-name' || kind === 'wrong-kind')) out.push(...declareFixes(doc, file, d, kind === 'unknown-name'));
        return out;
    }

    private xrstorsFixes(doc: LangiumDocument, step: ast.Step): LineEdit[] {
        const state = itemState(this.emulation, doc, step);
        if (!state || state.entry < 0) return [];
        const m = state.before();
        const cpu = cpuIndex(step.cpu);
        const c = m.cpus[cpu];
        const cur = m.runnables[c.current];
        const line = step.$cstNode!.range.start.line;
        const indent = lineIndent(doc, line);
        const out: LineEdit[] = [];
        if (cur.kind === 'task') {
            out.push(insertBefore(doc, line, `${indent}${step.cpu}: xsaves ${cur.name}`, `Insert 'xsaves ${cur.name}' before it (saves, then clears UINV)`));
        } else {
            const v = c.uittsz;
            out.push(insertBefore(doc, line, `${indent}${step.cpu}: wrmsr IA32_UINTR_MISC ${hex(v)}`, `Insert a WRMSR of IA32_UINTR_MISC that clears UINV (keeps UITTSZ ${v})`));
        }
        const a = step.action as ast.XrstorsAction;
        const target = a.target?.ref?.ref;
        const img = ast.isTask(target) ? m.runnables.find(r => r.name === target.name && r.kind === 'task')?.image : undefined;
        if (img && img.present && img.uinv === c.uinv && img.uirr === c.uirr && img.uif === c.uif && img.uihandler === c.uihandler
            && img.uistackadjust === c.uistackadjust && img.upidaddr === c.upidaddr && img.uittaddr === c.uittaddr && img.uittsz === c.uittsz) {
            out.push(deleteLine(doc, line, `Delete this XRSTORS: the registers already hold ${target!.name}'s image`));
        }
        return out;
    }

    private expectFixes(doc: LangiumDocument, e: ast.Expect): LineEdit[] {
        const body = e.body;
        const line = e.$cstNode!.range.start.line;
        // `not` stands only before `delivered` (LANGUAGE §6): a failed `expect pending` gets no such fix
        if (ast.isDeliveredExp(body) && body.kind === 'delivered') {
            const cst = body.$cstNode!;
            const text = cst.text;
            const replaced = body.negated ? text.replace(/^not\s+/, '') : `not ${text}`;
            return [replaceRange(doc, cst.offset, cst.end, replaced, body.negated ? `Drop 'not': write 'expect ${replaced}'` : `Add 'not': write 'expect ${replaced}'`, line)];
        }
        if (ast.isCmpExp(body) && body.right.$cstNode) {
            const state = itemState(this.emulation, doc, e);
            const run = state?.emulated.result.run;
            if (!state || !run || state.entry < 0) return [];
            // the side that reads the machine is observed; the other (a value written down) is replaced
            const leftReads = readsMachine(body.left), rightReads = readsMachine(body.right);
            if (leftReads === rightReads) return []; // nothing written down to replace, or nothing read
            const [read, written] = leftReads ? [body.left, body.right] : [body.right, body.left];
            const observed = evaluate(run.trace.program.env, read, state.after());
            const w = written.$cstNode;
            if (observed === undefined || !w) return [];
            const equal = leftReads ? `${oneLine(read)} == ${observed}` : `${observed} == ${oneLine(read)}`;
            if (body.op === '==') return [replaceRange(doc, w.offset, w.end, observed, `Expect the observed value: ${equal}`, line)];
            // an order or `!=`: the observed value put in the written one's place would hold always
            // (`>= 0x0`) or never; the comparison becomes an equality with it
            const cst = body.$cstNode!;
            return [replaceRange(doc, cst.offset, cst.end, equal, `Expect the observed value: ${equal}`, line)];
        }
        return [];
    }

    /** Applies a candidate to the text, re-runs the emulator and builds the action if it fixes. */
    private async recheck(doc: LangiumDocument, d: Diagnostic, cand: LineEdit, before: readonly DiagnosticAt[]): Promise<CodeAction | undefined> {
        const text = applyEdit(doc, cand.edit);
        let after: CheckResult;
        try {
            after = await this.checker.check(text, { defaultPolicy: this.emulation.defaultPolicy });
        } catch {
            return undefined;
        }
        const key = (code: string, line: number) => `${code}@${line}`;
        const newLine = cand.mapLine(d.range.start.line);
        const afterKeys = new Set(after.diagnostics.filter(x => x.severity !== 'information').map(x => key(x.code, x.loc.line - 1)));
        if (newLine !== undefined && afterKeys.has(key(String(d.code), newLine))) {
            // a static error shares its (code, line) with the others there (merged, LANGUAGE.md §8):
            // it is fixed when its own message is gone from the line and no other took its place
            // (a name changed to a kthread's where a UPID is needed: "kworker is a kernel thread")
            const isStatic = d.code === 'syntax' || d.code === 'semantic';
            const left = after.diagnostics.filter(x => x.code === d.code && x.loc.line - 1 === newLine).flatMap(x => [x.message, ...x.related.map(r => r.message)]);
            if (!isStatic || left.includes(messageText(d.message))) return undefined; // does not fix it
            const there = staticMessages(doc, String(d.code), d.range.start.line);
            if (left.some(m => !there.has(m))) return undefined; // trades it for another
        }
        if (after.diagnostics.some(x => x.code === 'internal')) return undefined;
        // a race explored only in part cannot show that the edit adds nothing
        const cut = after.run?.races.some(r => r.truncated) ?? false;
        if (cand.requireClean && (cut || after.diagnostics.some(x => x.severity !== 'information'))) return undefined;
        const beforeKeys = new Set<string>();
        for (const x of before) {
            if (x.severity === 'information') continue;
            const l = cand.mapLine(x.line);
            if (l !== undefined) beforeKeys.add(key(x.code, l));
        }
        const added = [...afterKeys].filter(k => !beforeKeys.has(k));
        // what it leaves in its place is said in the title (deleting a clobbering XSAVES can make
        // an expectation written for the bug fail): not preferred, and not silent either
        const leaves = added.map(k => {
            const at = k.lastIndexOf('@');
            return `${k.slice(0, at)} at line ${Number(k.slice(at + 1)) + 1}`;
        });
        return {
            title: leaves.length === 0 ? cand.title : `${cand.title} — then ${leaves.slice(0, 3).join(', ')}${leaves.length > 3 ? ` and ${leaves.length - 3} more` : ''}`,
            kind: CodeActionKind.QuickFix,
            diagnostics: [d],
            isPreferred: added.length === 0 && !cut,
            edit: { changes: { [doc.uri.toString()]: [cand.edit] } },
        };
    }

    /**
     * The document's diagnostics, against which a fix of `d` is judged: static ones from Langium,
     * the run's from the emulator. A stale diagnostic (`data.stale`: the emulator's, from a run of
     * an earlier text, shown where it was) is judged against a run of the text as it is now; if
     * that run does not report it on its line, there is nothing there to fix: undefined.
     */
    private async diagnosticsNow(doc: LangiumDocument, d: Diagnostic): Promise<DiagnosticAt[] | undefined> {
        if ((d.data as { stale?: unknown } | undefined)?.stale === true) {
            let now: CheckResult;
            try {
                now = await this.checker.check(doc.textDocument.getText(), { defaultPolicy: this.emulation.defaultPolicy });
            } catch {
                return undefined;
            }
            const at = diagnosticsAt(now);
            return at.some(x => x.code === String(d.code) && x.line === d.range.start.line) ? at : undefined;
        }
        const em = this.emulation.resultFor(doc);
        if (em) return diagnosticsAt(em.result);
        return (doc.diagnostics ?? []).map(x => ({ code: String(x.code ?? ''), line: x.range.start.line, severity: x.severity === 1 ? 'error' : 'warning' }));
    }

    private annotate(doc: LangiumDocument): CodeAction | undefined {
        const em = this.emulation.resultFor(doc);
        const diags = em ? diagnosticsAt(em.result)
            : (doc.diagnostics ?? []).filter(x => x.severity === 1).map(x => ({ code: String(x.code ?? 'syntax'), line: x.range.start.line, severity: 'error' }));
        const byLine = new Map<number, Set<string>>();
        for (const x of diags) {
            if (x.severity === 'information') continue;
            const code = x.code === 'syntax' || x.code === 'semantic' ? x.code : x.code;
            (byLine.get(x.line) ?? byLine.set(x.line, new Set()).get(x.line)!).add(code);
        }
        const lines = doc.textDocument.getText().split('\n');
        const edits: TextEdit[] = [];
        lines.forEach((raw, i) => {
            const text = raw.replace(/\r$/, '');
            const existing = /\s*\/\/!\s*[a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*\s*$/.exec(text);
            const base = existing ? text.slice(0, existing.index) : text;
            const codes = byLine.get(i);
            const have = existing ? existing[0].replace(/^\s*\/\/!\s*/, '').split(',').map(c => c.trim()).sort().join(',') : '';
            if (codes && codes.size && have === [...codes].sort().join(',')) return;
            const wanted = codes && codes.size ? `${base}${base.length ? ' ' : ''}//! ${[...codes].sort().join(', ')}` : base;
            if (wanted !== text) edits.push({ range: { start: { line: i, character: 0 }, end: { line: i, character: text.length } }, newText: wanted });
        });
        if (!edits.length) return undefined;
        return { title: 'Annotate diagnostics (//! comments)', kind: ANNOTATE_KIND, edit: { changes: { [doc.uri.toString()]: edits } } };
    }
}

function isInstruction(a: ast.Action): a is ast.Instruction {
    return !(ast.isSwitchAction(a) || ast.isExecAction(a) || ast.isExitAction(a) || ast.isWaitAction(a));
}

function oneLine(node: AstNode): string {
    return sourceText(node).trim();
}

/** The item whose first token is on a line. */
function itemOnLine(file: ast.File, line: number): ast.Item | undefined {
    for (const item of file.items) {
        if (item.$cstNode?.range.start.line === line) return item;
        if (ast.isRace(item)) for (const b of item.branches) for (const s of b.steps) if (s.$cstNode?.range.start.line === line) return s;
    }
    return undefined;
}

function lineIndent(doc: LangiumDocument, line: number): string {
    const text = doc.textDocument.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
    return /^[ \t]*/.exec(text)?.[0] ?? '';
}

/** The names a reference in this place may take: policies for a policy, tasks and kthreads for a runnable, receivers for a target. */
function namesOfKind(doc: LangiumDocument, file: ast.File, ctype: string | undefined): string[] {
    if (ctype === 'PolicyProp' || ctype === 'Policy') {
        return [...BUILTIN_POLICIES, ...file.decls.filter(ast.isPolicy).map(p => p.name)];
    }
    const tasks = file.decls.filter(ast.isTask);
    if (ctype === 'TaskProp' || ctype === 'DeliveredExp') return tasks.filter(isReceiver).map(t => t.name);
    if (ctype === 'XsavesAction' || ctype === 'XrstorsAction' || ctype === 'ObjRef') return tasks.map(t => t.name);
    return [...tasks.map(t => t.name), ...file.decls.filter(ast.isKThread).map(k => k.name)];
}

/** Of `names`, those within a small edit distance of `name` (at most 2, and under a third of its length + 1), closest first. */
export function nearNames(name: string, names: readonly string[]): string[] {
    const bound = Math.min(2, Math.floor(name.length / 3) + 1);
    return [...new Set(names)]
        .map(n => ({ n, d: editDistance(name, n) }))
        .filter(x => x.n !== name && x.d <= bound)
        .sort((a, b) => a.d - b.d || (a.n < b.n ? -1 : 1))
        .slice(0, 3)
        .map(x => x.n);
}

/** Levenshtein distance, an adjacent swap counting as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
    const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.length][b.length];
}

/** The line break the document uses (CRLF or LF). */
function eolOf(doc: LangiumDocument): string {
    return doc.textDocument.getText().includes('\r\n') ? '\r\n' : '\n';
}

function insertBefore(doc: LangiumDocument, line: number, text: string, title: string): LineEdit {
    const eol = eolOf(doc);
    const td = doc.textDocument;
    if (line >= td.lineCount) {
        // past the last line: at the end, on a line of its own
        const end = td.positionAt(td.getText().length);
        const lead = td.getText().length === 0 || /\n$/.test(td.getText()) ? '' : eol;
        return { title, edit: { range: { start: end, end }, newText: lead + text + eol }, mapLine: l => l };
    }
    return {
        title, edit: { range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: text + eol },
        mapLine: l => (l >= line ? l + 1 : l),
    };
}

function deleteLine(_doc: LangiumDocument, line: number, title: string): LineEdit {
    return {
        title, edit: { range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '' },
        mapLine: l => (l === line ? undefined : l > line ? l - 1 : l),
    };
}

function replaceRange(doc: LangiumDocument, from: number, to: number, text: string, title: string, _line: number): LineEdit {
    const added = text.split('\n').length - doc.textDocument.getText().slice(from, to).split('\n').length;
    const at = doc.textDocument.positionAt(from).line;
    return {
        title, edit: { range: { start: doc.textDocument.positionAt(from), end: doc.textDocument.positionAt(to) }, newText: text },
        mapLine: l => (l > at ? l + added : l),
    };
}

function applyEdit(doc: LangiumDocument, edit: TextEdit): string {
    const text = doc.textDocument.getText();
    const from = doc.textDocument.offsetAt(edit.range.start);
    const to = doc.textDocument.offsetAt(edit.range.end);
    return text.slice(0, from) + edit.newText + text.slice(to);
}

/** Every built-in policy as the file's policy: edit the machine block, or add one (`fallback`: the policy of a file that names none). */
function policyEdits(doc: LangiumDocument, file: ast.File, fallback: string): LineEdit[] {
    const prop = file.machine?.props.find(ast.isPolicyProp);
    const current = prop?.policy?.$refText ?? fallback;
    const out: LineEdit[] = [];
    for (const p of BUILTIN_POLICIES) {
        if (p === current) continue;
        const title = `Use policy ${p} (the scenario is clean under it)`;
        if (prop) {
            const ref = GrammarUtils.findNodeForProperty(prop.$cstNode, 'policy');
            if (!ref) continue;
            out.push(replaceRange(doc, ref.offset, ref.end, p, title, ref.range.start.line));
        } else if (file.machine?.$cstNode) {
            const open = GrammarUtils.findNodeForKeyword(file.machine.$cstNode, '{')!;
            out.push(replaceRange(doc, open.end, open.end, ` policy ${p}`, title, open.range.start.line));
        } else {
            const anchor = file.title !== undefined ? GrammarUtils.findNodeForProperty(file.$cstNode, 'title') : undefined;
            if (anchor) out.push(replaceRange(doc, anchor.end, anchor.end, `${eolOf(doc)}machine { policy ${p} }`, title, anchor.range.start.line));
            else out.push(insertBefore(doc, firstCodeLine(file), `machine { policy ${p} }`, title));
        }
    }
    return out.map(e => ({ ...e, requireClean: true }));
}

function firstCodeLine(file: ast.File): number {
    const first = file.decls[0] ?? file.items[0];
    return first?.$cstNode?.range.start.line ?? 0;
}

/**
 * A name of the right kind close to it; and, when it is declared nowhere (`declare`), its
 * declaration: a kthread when it is switched to, a receiver when targeted, else a task.
 */
function declareFixes(doc: LangiumDocument, file: ast.File, d: Diagnostic, declare: boolean): LineEdit[] {
    const data = d.data as { refText?: string; containerType?: string; property?: string } | undefined;
    const name = data?.refText ?? doc.textDocument.getText(d.range);
    if (!/^[A-Za-z_]\w*$/.test(name)) return [];
    const at = (() => {
        const first = file.items[0]?.$cstNode;
        return first ? first.range.start.line : doc.textDocument.lineCount;
    })();
    const out: LineEdit[] = [];
    const ctype = data?.containerType;
    // a name written a little wrong: the declared (or built-in) ones of the right kind, closest first
    for (const near of nearNames(name, namesOfKind(doc, file, ctype))) {
        out.push(replaceRange(doc, doc.textDocument.offsetAt(d.range.start), doc.textDocument.offsetAt(d.range.end), near, `Change to '${near}'`, d.range.start.line));
    }
    if (!declare) return out;
    if (ctype === 'PolicyProp' || (ctype === 'Policy' && data?.property === 'parent')) {
        out.push(insertBefore(doc, at, `policy ${name} extends linux_rfc { }`, `Declare 'policy ${name} extends linux_rfc'`));
        return out;
    }
    if (ctype === 'TaskProp' || ctype === 'DeliveredExp') {
        out.push(insertBefore(doc, at, `task ${name} { handler 0x401000 }`, `Declare receiver 'task ${name} { handler 0x401000 }'`));
        return out;
    }
    out.push(insertBefore(doc, at, `task ${name} { }`, `Declare 'task ${name} { }'`));
    if (ctype === 'SwitchAction' || ctype === 'PathHead') out.push(insertBefore(doc, at, `kthread ${name}`, `Declare 'kthread ${name}'`));
    out.push(insertBefore(doc, at, `task ${name} { handler 0x401000 }`, `Declare receiver 'task ${name} { handler 0x401000 }'`));
    return out;
}

/** A check's diagnostics by code, 0-based line and severity. */
function diagnosticsAt(result: CheckResult): DiagnosticAt[] {
    return result.diagnostics.map(x => ({ code: x.code, line: x.loc.line - 1, severity: x.severity }));
}

/** The messages of the document's static diagnostics with that code on that line (merged ones' related messages too). */
function staticMessages(doc: LangiumDocument, code: string, line: number): Set<string> {
    const out = new Set<string>();
    for (const x of doc.diagnostics ?? []) {
        if (String(x.code) !== code || x.range.start.line !== line) continue;
        out.add(messageText(x.message));
        for (const r of x.relatedInformation ?? []) out.add(r.message);
    }
    return out;
}
