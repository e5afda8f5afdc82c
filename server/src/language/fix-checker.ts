/**
 * Re-checks candidate edits before a quick fix is offered: the edited text is parsed and run
 * in a private workspace (core services only), never in the editor's own.
 */
import { comparePolicies, formatCompareText } from '../cli/compare-command.js';
import { checkFile } from '../cli/run-files.js';
import { formatTraceText, traceRows } from '../cli/trace-command.js';
import { checkDocument, type CheckResult } from '../scenario/check.js';
import { UintrWorkspace } from '../syntax/workspace.js';
import { preludeText, type PreludeSource } from './prelude-documents.js';

export class FixChecker {
    private workspace: Promise<UintrWorkspace> | undefined;

    constructor(private readonly prelude: PreludeSource) {}

    private open(): Promise<UintrWorkspace> {
        this.workspace ??= (async () => {
            const ws = new UintrWorkspace();
            await ws.loadPrelude(preludeText(this.prelude), this.prelude.path);
            return ws;
        })();
        return this.workspace;
    }

    /** Checks a whole scenario text as the CLI would. */
    async check(text: string, options: { policy?: string; defaultPolicy?: string } = {}): Promise<CheckResult> {
        const ws = await this.open();
        const doc = await ws.load(text, '/uintr-fix-check.uintr');
        try {
            return checkDocument(doc, ws, { ...options, recordTrace: false });
        } finally {
            ws.release(doc);
        }
    }

    /** The `uintr compare` table for a text. */
    async compareTable(text: string, path: string): Promise<string> {
        return formatCompareText(path, await comparePolicies(await this.open(), path, text));
    }

    /** The `uintr trace` table for a text. */
    async traceTable(text: string, path: string): Promise<string> {
        const report = await checkFile(await this.open(), path, text, { recordTrace: true });
        return formatTraceText(report, traceRows(report));
    }

    async builtinPolicyNames(): Promise<string[]> {
        return (await this.open()).builtinPolicies().map(p => p.name);
    }
}
