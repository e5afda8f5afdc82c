/**
 * Inlay hints after each step: what it changed on its CPU (`UINV 0xec→0`), on another CPU
 * (`cpu0.uirr 0x0→0x20`: an IPI it sent arrived there) and in UPIDs.
 */
import type { LangiumDocument, MaybePromise } from 'langium';
import type { InlayHintProvider, LangiumServices } from 'langium/lsp';
import { InlayHintKind, type InlayHint, type InlayHintParams } from 'vscode-languageserver';
import { hex } from '../machine/bits.js';
import type { Change } from '../scenario/trace.js';
import type { EmulationService } from './emulation.js';
import type { UintrLspServices } from './uintr-lsp-module.js';

const SHOWN = /^(cpu\d+\.(uinv|uirr|uif|upidaddr|uittaddr|uihandler)|[A-Za-z_]\w*\.upid\.(on|sn|nv|ndst|pir))$/;
const MAX_HINTS_PER_STEP = 4;

/** Net changes of a step, first old value to last new value, in the order first touched. */
export function netChanges(changes: readonly Change[]): { path: string; old: bigint; value: bigint }[] {
    const net = new Map<string, { path: string; old: bigint; value: bigint }>();
    for (const c of changes) {
        if (typeof c.value !== 'bigint' || typeof c.old !== 'bigint') continue;
        const prev = net.get(c.path);
        if (prev) prev.value = c.value;
        else net.set(c.path, { path: c.path, old: c.old, value: c.value });
    }
    return [...net.values()].filter(c => c.old !== c.value);
}

/** A register of the step's own CPU by its name alone (`UINV`); anything else by its whole path (`cpu0.uirr`). */
export function shortPath(path: string, cpu: number): string {
    const [head, ...rest] = path.split('.');
    return head === `cpu${cpu}` && rest.length === 1 ? rest[0].toUpperCase() : path;
}

export class UintrInlayHintProvider implements InlayHintProvider {
    private readonly emulation: EmulationService;

    constructor(services: LangiumServices) {
        this.emulation = (services as UintrLspServices).uintr.Emulation;
    }

    getInlayHints(document: LangiumDocument, params: InlayHintParams): MaybePromise<InlayHint[] | undefined> {
        const run = this.emulation.resultFor(document)?.result.run;
        if (!run) return undefined;
        const hints: InlayHint[] = [];
        const { start, end } = params.range;
        for (const item of run.trace.program.items) {
            if (item.kind !== 'step') continue;
            const cst = item.node.$cstNode;
            if (!cst || cst.range.end.line < start.line || cst.range.start.line > end.line) continue;
            const entry = run.trace.entryOf(item.cause);
            if (entry < 0) continue;
            const shown = netChanges(run.trace.changesOf(entry)).filter(c => SHOWN.test(c.path));
            if (!shown.length) continue;
            const label = shown.slice(0, MAX_HINTS_PER_STEP).map(c => `${shortPath(c.path, item.cpu)} ${hex(c.old)}→${hex(c.value)}`).join(', ')
                + (shown.length > MAX_HINTS_PER_STEP ? ', …' : '');
            hints.push({ position: cst.range.end, label: `  ${label}`, kind: InlayHintKind.Parameter, paddingLeft: true });
        }
        return hints;
    }
}
