/**
 * Re-checks candidate edits before a quick fix is offered: the edited text is parsed and run
 * in a private workspace (core services only), never in the editor's own.
 */
import { comparePolicies, formatCompareText } from '../cli/compare-command.js';
import { checkFile } from '../cli/run-files.js';
import { traceTable } from '../cli/trace-command.js';
import { checkDocument, type CheckResult } from '../scenario/check.js';
import { UintrWorkspace } from '../syntax/workspace.js';
import { tableInWorker } from './background-exploration.js';
import { preludeText, type PreludeSource } from './prelude-documents.js';

/**
 * The bound on states per race when a candidate fix is re-checked. Code actions are asked for
 * whenever the cursor rests on a diagnostic, and run on the server's thread: a large race is
 * explored only this far, and a fix whose check was cut is offered but never preferred.
 */
export const FIX_CHECK_MAX_STATES = 5_000;

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

    /** Checks a whole scenario text as the CLI would, races bounded by {@link FIX_CHECK_MAX_STATES}. */
    async check(text: string, options: { policy?: string; defaultPolicy?: string } = {}): Promise<CheckResult> {
        const ws = await this.open();
        const doc = await ws.load(text, '/uintr-fix-check.uintr');
        try {
            return checkDocument(doc, ws, { ...options, recordTrace: false, explore: { maxStates: FIX_CHECK_MAX_STATES } });
        } finally {
            ws.release(doc);
        }
    }

    /** The `uintr compare` table for a text (in the worker when there is one); `defaultPolicy` for a file that names none. */
    async compareTable(text: string, path: string, defaultPolicy: string): Promise<string> {
        return await tableInWorker(this.prelude, 'compare', text, path, defaultPolicy)
            ?? formatCompareText(path, await comparePolicies(await this.open(), path, text, { defaultPolicy }));
    }

    /** The `uintr trace` table for a text (in the worker when there is one); `defaultPolicy` for a file that names none. */
    async traceTable(text: string, path: string, defaultPolicy: string): Promise<string> {
        const inWorker = await tableInWorker(this.prelude, 'trace', text, path, defaultPolicy);
        if (inWorker !== undefined) return inWorker;
        const report = await checkFile(await this.open(), path, text, { recordTrace: true, defaultPolicy });
        return traceTable(report);
    }

    async builtinPolicyNames(): Promise<string[]> {
        return (await this.open()).builtinPolicies().map(p => p.name);
    }
}
