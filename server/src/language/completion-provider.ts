/**
 * Completion: Langium's keywords and names, plus the machine's CPUs (`cpu0:` where a step
 * starts, `cpu0` where a path does), MSR names after `wrmsr` and the fields a state path can
 * take after a `.` (registers after a CPU, upid/xsave/uitt after a task, the UPID's and the
 * image's fields after those). Hook-bound names are offered inside the hooks that bind them
 * only, and kthreads are not offered where a task must stand (xsaves, xrstors); beside
 * `X.mode ==`, `X.current ==` and at the head of a `set`, `free` or `put` path only what can
 * stand there ({@link namePlace}).
 */
import { AstUtils, GrammarAST, type AstNodeDescription, type LangiumDocument, type MaybePromise, type ReferenceInfo, type Stream } from 'langium';
import { DefaultCompletionProvider, type CompletionAcceptor, type CompletionContext, type CompletionProviderOptions, type NextFeature } from 'langium/lsp';
import { CompletionItemKind, type CancellationToken, type CompletionList, type CompletionParams } from 'vscode-languageserver';
import { CPU_FIELDS, UPID_FIELDS, XSAVE_FIELDS } from '../machine/fields.js';
import { MSRS } from '../machine/layout.js';
import { inComment } from '../syntax/cst-offsets.js';
import { BOUND_NAMES, HOOK_BINDINGS, HOOK_NAMES, isHookName } from '../syntax/hooks.js';
import * as ast from '../syntax/generated/ast.js';
import { isReceiver, isSender, machineSettings } from '../syntax/uintr-validator.js';

/**
 * Whether the text before the cursor puts it where a number must stand (LANGUAGE.md §5): the
 * operand of SENDUIPI, `interrupt` or `wrmsr MSR`, a `set`'s value, or after an arithmetic or
 * ordering operator. There `idle`, `user`, `kernel` and a kthread cannot stand (decisions.md
 * #19); beside `==` and `!=` they can.
 */
export function inNumberPlace(before: string): boolean {
    // the word being typed and any opening parentheses before it (`senduipi (`) say nothing
    const t = before.replace(/\w*$/, '').replace(/(?:\(\s*)+$/, '');
    return /(?:\bsenduipi|\binterrupt|\bwrmsr\s+[A-Za-z_]\w*|(?<![=!<>|&])=|[|&]=|[|^&~]|<<|>>|<=|>=|<|>)\s*$/.test(t);
}

/** Whether the cursor, after `before` (its line up to it), is in or right after a number: a word that starts with a digit. */
export function inNumber(before: string): boolean {
    return /(?:^|[^\w.])\d\w*$/.test(before);
}

/**
 * Where only some names can stand, by the text before the cursor: beside `X.mode ==` only
 * `user` and `kernel`; beside `X.current ==` a task, a kthread or `idle` (LANGUAGE.md §5); the
 * head of a `set` path a task (a UPID or an image: no CPU register, no kthread); the head of a
 * `free`/`put` path a receiver (LANGUAGE.md §4, §8).
 */
export type NamePlace = 'mode' | 'current' | 'set' | 'upid' | undefined;

export function namePlace(before: string): NamePlace {
    const t = before.replace(/\w*$/, '');
    if (/\.mode\s*(?:==|!=)\s*$/.test(t)) return 'mode';
    if (/\.current\s*(?:==|!=)\s*$/.test(t)) return 'current';
    if (/\bset\s+$/.test(t)) return 'set';
    if (/\b(?:free|put)\s+$/.test(t)) return 'upid';
    return undefined;
}

/** The names hooks bind (LANGUAGE.md §10), offered as keywords only inside a hook that binds them. */

/** What a path's head names, when the file says: a CPU's count, a declared task's parts. */
export interface PathHeadInfo {
    readonly cpus?: number;
    /** The declaration the head names: a kthread has no parts; a task has xsave, upid if a receiver, uitt if a sender. */
    readonly decl?: { readonly kthread: boolean; readonly receiver: boolean; readonly sender: boolean };
}

/** The fields that may follow a path prefix such as `cpu0.`, `rx.`, `rx.upid.`. */
export function pathFieldsAfter(prefix: string, info: PathHeadInfo = {}): { label: string; detail: string }[] {
    const parts = prefix.split('.');
    const head = parts[0];
    const rest = parts.slice(1);
    if (/^cpu(?:0|[1-9]\d*)?$/.test(head)) { // `cpu` (in a hook) or a CPU name; cpu01 is an ordinary name
        if (rest.length > 0) return [];
        if (head !== 'cpu' && info.cpus !== undefined && Number(head.slice(3)) >= info.cpus) return [];
        return [
            ...Object.entries(CPU_FIELDS).map(([f, w]) => ({ label: f, detail: `register, ${w} bit${w === 1 ? '' : 's'}` })),
            { label: 'mode', detail: 'user or kernel (== and != only)' },
            { label: 'current', detail: 'the task, kthread or idle running there (== and != only)' },
        ];
    }
    if (rest.length === 0) {
        const d = info.decl;
        if (d?.kthread) return [];
        return [
            ...(!d || d.receiver ? [{ label: 'upid', detail: "the receiver's UPID (its address, or .on .sn .nv .ndst .pir)" }] : []),
            { label: 'xsave', detail: "the task's XSAVE image (.present .uinv .uirr …)" },
            ...(!d || d.sender ? [{ label: 'uitt', detail: "the sender's UITT (its address)" }] : []),
        ];
    }
    if (rest.length === 1 && rest[0] === 'upid') return Object.entries(UPID_FIELDS).map(([f, w]) => ({ label: f, detail: `UPID field, ${w} bit${w === 1 ? '' : 's'}` }));
    if (rest.length === 1 && rest[0] === 'xsave') return Object.entries(XSAVE_FIELDS).map(([f, w]) => ({ label: f, detail: `image field, ${w} bit${w === 1 ? '' : 's'}` }));
    return [];
}

export class UintrCompletionProvider extends DefaultCompletionProvider {
    /** Contexts for which the hook names were already offered (the rule has several features). */
    private readonly hooksOffered = new WeakSet<CompletionContext>();
    /** Contexts for which the CPUs were already offered. */
    private readonly cpusOffered = new WeakSet<CompletionContext>();

    /** A `.` opens the fields of a state path. */
    override readonly completionOptions: CompletionProviderOptions = { triggerCharacters: ['.'] };

    /**
     * Nothing inside a comment (a block comment never closed included): what is written there is
     * prose. Nothing right after a number either (`senduipi 0x10|`): no name or keyword continues
     * one, and an item offered there was written onto it (`0x10cpu0:`).
     */
    override async getCompletion(document: LangiumDocument, params: CompletionParams, cancelToken?: CancellationToken): Promise<CompletionList | undefined> {
        const td = document.textDocument;
        const offset = td.offsetAt(params.position);
        if (inComment(td.getText(), offset) || inNumber(td.getText({ start: { line: params.position.line, character: 0 }, end: params.position })))
            return { isIncomplete: false, items: [] };
        return super.getCompletion(document, params, cancelToken);
    }

    /** Hook-bound names only inside a hook that binds them; everything else as Langium offers it. */
    protected override filterKeyword(context: CompletionContext, keyword: GrammarAST.Keyword): boolean {
        if (!super.filterKeyword(context, keyword)) return false;
        const place = namePlace(textBefore(context));
        if (place === 'mode') return keyword.value === 'user' || keyword.value === 'kernel';
        if (place === 'current') return keyword.value === 'idle';
        // `not` stands only before `delivered` (LANGUAGE §6; the grammar takes `pending` for a message)
        if (keyword.value === 'pending' && /\bexpect\s+not\s+$/.test(textBefore(context))) return false;
        const rule = AstUtils.getContainerOfType(keyword, GrammarAST.isParserRule)?.name;
        // the grammar takes `idle` for an object or a path's head only to report it (decisions.md #23)
        if (keyword.value === 'idle' && (rule === 'ObjRef' || rule === 'IdlePathHead')) return false;
        // nor `cpu` for an object: a bound name that names the CPU, not a task
        if (keyword.value === 'cpu' && rule === 'ObjRef') return false;
        if ((place === 'set' || place === 'upid') && keyword.value === 'cpu') return false; // a CPU's registers change only through instructions
        if (rule === 'WordExpr' && inNumberPlace(textBefore(context))) return false;
        // a race's branches hold steps only (LANGUAGE §7: the grammar reads an expectation there to report it)
        if ((keyword.value === 'expect' || keyword.value === 'race') && context.node && AstUtils.getContainerOfType(context.node, ast.isBranch)) return false;
        if (!BOUND_NAMES.has(keyword.value)) return true;
        const hook = context.node && AstUtils.getContainerOfType(context.node, ast.isHook);
        if (!hook || !isHookName(hook.hook)) return false;
        return HOOK_BINDINGS[hook.hook].includes(keyword.value);
    }

    /** Where a task must stand (xsaves, xrstors, a target, delivered/pending), no kthread. */
    protected override getReferenceCandidates(refInfo: ReferenceInfo, context: CompletionContext): Stream<AstNodeDescription> {
        const all = super.getReferenceCandidates(refInfo, context);
        const c = refInfo.container;
        // a kthread has no path that gives a number (upid, uitt, xsave are a task's)
        const place = namePlace(textBefore(context));
        if (place === 'mode') return all.filter(() => false);
        if (place === 'current') return all.filter(d => d.type === ast.Task.$type || d.type === ast.KThread.$type);
        const receivers = () => all.filter(d => d.type === ast.Task.$type && d.node !== undefined && ast.isTask(d.node) && isReceiver(d.node));
        if (place === 'upid') return receivers();
        // a target is a receiver (LANGUAGE §3); a policy extends another one
        if (ast.isTaskProp(c) && refInfo.property === 'target') return receivers();
        if (ast.isPolicy(c) && refInfo.property === 'parent') return all.filter(d => !(d.name === c.name && d.documentUri.toString() === AstUtils.getDocument(c).uri.toString()));
        const tasksOnly = place === 'set' || ast.isXsavesAction(c.$container) || ast.isXrstorsAction(c.$container) || ast.isTaskProp(c) || ast.isDeliveredExp(c.$container) || ast.isDeliveredExp(c)
            || (refInfo.property === 'ref' && !ast.isObjRef(c) && inNumberPlace(textBefore(context)));
        return tasksOnly ? all.filter(d => d.type !== ast.KThread.$type) : all;
    }

    protected override completionFor(context: CompletionContext, next: NextFeature, acceptor: CompletionAcceptor): MaybePromise<void> {
        const rule = AstUtils.getContainerOfType(next.feature, GrammarAST.isParserRule);
        // a hook's name and a path's segment are both any word (the grammar's Word): told apart by what comes before
        const word = rule?.name === 'Word';
        if ((word && /\bon\s+\w*$/.test(textBefore(context))) || AstUtils.getContainerOfType(next.feature, GrammarAST.isAssignment)?.feature === 'hook') {
            if (this.hooksOffered.has(context)) return;
            this.hooksOffered.add(context);
            for (const h of HOOK_NAMES) {
                acceptor(context, { label: h, kind: CompletionItemKind.Event, detail: 'policy hook', sortText: '0' + h });
            }
            return;
        }
        if (word) {
            const before = textBefore(context);
            const m = /([A-Za-z_]\w*(?:\.\w+)*)\.\w*$/.exec(before);
            if (!m) return;
            const file = context.document.parseResult.value as ast.File;
            const head = m[1].split('.')[0];
            const decl = file.decls.find(d => (ast.isTask(d) || ast.isKThread(d)) && d.name === head);
            const info: PathHeadInfo = {
                cpus: machineSettings(file).cpus,
                decl: ast.isKThread(decl) ? { kthread: true, receiver: false, sender: false }
                    : ast.isTask(decl) ? { kthread: false, receiver: isReceiver(decl), sender: isSender(decl) } : undefined,
            };
            for (const f of pathFieldsAfter(m[1], info)) {
                acceptor(context, { label: f.label, kind: CompletionItemKind.Field, detail: f.detail, sortText: '0' + f.label });
            }
            return;
        }
        const assignment = AstUtils.getContainerOfType(next.feature, GrammarAST.isAssignment);
        if (assignment?.feature === 'cpu' && (rule?.name === 'Step' || rule?.name === 'PathHead')) {
            // the CPU terminal: the machine's CPUs, once per context (not where a CPU cannot stand)
            if (rule.name === 'PathHead' && namePlace(textBefore(context)) !== undefined) return;
            if (this.cpusOffered.has(context)) return;
            this.cpusOffered.add(context);
            const step = rule.name === 'Step';
            const cpus = machineSettings(context.document.parseResult.value as ast.File).cpus;
            for (let i = 0; i < cpus; i++) {
                const label = step ? `cpu${i}:` : `cpu${i}`;
                acceptor(context, { label, insertText: step ? `cpu${i}: ` : label, kind: CompletionItemKind.Variable, detail: step ? `a step on CPU ${i}` : `CPU ${i}`, sortText: `1${String(i).padStart(2, '0')}` });
            }
            return;
        }
        if (assignment?.feature === 'msr') {
            for (const [name, num] of Object.entries(MSRS)) {
                acceptor(context, { label: name, kind: CompletionItemKind.Constant, detail: `MSR 0x${num.toString(16)}` });
            }
            return;
        }
        return super.completionFor(context, next, acceptor);
    }
}

/** The text before the cursor: its line and the one above (an item or an expression rarely spans more). */
function textBefore(context: CompletionContext): string {
    return context.textDocument.getText({ start: { line: Math.max(0, context.position.line - 1), character: 0 }, end: context.position });
}

