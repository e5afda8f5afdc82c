/**
 * Completion: Langium's keywords and names, plus MSR names after `wrmsr` and the fields a
 * state path can take after a `.` (registers after a CPU, upid/xsave/uitt after a task,
 * the UPID's and the image's fields after those).
 */
import { AstUtils, GrammarAST, type MaybePromise } from 'langium';
import { DefaultCompletionProvider, type CompletionAcceptor, type CompletionContext, type NextFeature } from 'langium/lsp';
import { CompletionItemKind } from 'vscode-languageserver';
import { CPU_FIELDS, UPID_FIELDS, XSAVE_FIELDS } from '../machine/fields.js';
import { MSRS } from '../machine/layout.js';

/** The fields that may follow a path prefix such as `cpu0.`, `rx.`, `rx.upid.`. */
export function pathFieldsAfter(prefix: string): { label: string; detail: string }[] {
    const parts = prefix.split('.');
    const head = parts[0];
    const rest = parts.slice(1);
    if (/^cpu\d*$/.test(head)) {
        if (rest.length > 0) return [];
        return [
            ...Object.entries(CPU_FIELDS).map(([f, w]) => ({ label: f, detail: `register, ${w} bit${w === 1 ? '' : 's'}` })),
            { label: 'mode', detail: 'user or kernel (== and != only)' },
            { label: 'current', detail: 'the task, kthread or idle running there (== and != only)' },
        ];
    }
    if (rest.length === 0) {
        return [
            { label: 'upid', detail: "the receiver's UPID (its address, or .on .sn .nv .ndst .pir)" },
            { label: 'xsave', detail: "the task's XSAVE image (.present .uinv .uirr …)" },
            { label: 'uitt', detail: "the sender's UITT (its address)" },
        ];
    }
    if (rest.length === 1 && rest[0] === 'upid') return Object.entries(UPID_FIELDS).map(([f, w]) => ({ label: f, detail: `UPID field, ${w} bit${w === 1 ? '' : 's'}` }));
    if (rest.length === 1 && rest[0] === 'xsave') return Object.entries(XSAVE_FIELDS).map(([f, w]) => ({ label: f, detail: `image field, ${w} bit${w === 1 ? '' : 's'}` }));
    return [];
}

export class UintrCompletionProvider extends DefaultCompletionProvider {
    /** Contexts for which the hook names were already offered (the rule has several features). */
    private readonly hooksOffered = new WeakSet<CompletionContext>();

    protected override completionFor(context: CompletionContext, next: NextFeature, acceptor: CompletionAcceptor): MaybePromise<void> {
        const rule = AstUtils.getContainerOfType(next.feature, GrammarAST.isParserRule);
        if (rule?.name === 'HookName' || (AstUtils.getContainerOfType(next.feature, GrammarAST.isAssignment)?.feature === 'hook')) {
            if (this.hooksOffered.has(context)) return;
            this.hooksOffered.add(context);
            for (const h of ['switch_out', 'switch_in', 'return_to_user', 'exec', 'exit', 'wait', 'wake']) {
                acceptor(context, { label: h, kind: CompletionItemKind.Event, detail: 'policy hook', sortText: '0' + h });
            }
            return;
        }
        if (rule?.name === 'Segment') {
            const before = context.textDocument.getText().slice(0, context.offset);
            const m = /([A-Za-z_]\w*(?:\.\w+)*)\.\w*$/.exec(before);
            if (!m) return;
            for (const f of pathFieldsAfter(m[1])) {
                acceptor(context, { label: f.label, kind: CompletionItemKind.Field, detail: f.detail, sortText: '0' + f.label });
            }
            return;
        }
        const assignment = AstUtils.getContainerOfType(next.feature, GrammarAST.isAssignment);
        if (assignment?.feature === 'msr') {
            for (const [name, num] of Object.entries(MSRS)) {
                acceptor(context, { label: name, kind: CompletionItemKind.Constant, detail: `MSR 0x${num.toString(16)}` });
            }
            return;
        }
        return super.completionFor(context, next, acceptor);
    }
}
