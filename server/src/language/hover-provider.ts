/**
 * Hovers (Markdown tables, narrow): on a step, what the run found there (a fault…), the CPU's
 * registers after it with the old value of what changed, and for a kernel action the
 * instructions its policy ran; on a task name, its UPID and XSAVE image there; on a value
 * written to an MSR, its fields (read from the state when it reads one); on a policy, its
 * hooks; inside a hook, the names it binds and its statements; on a declaration, the initial
 * state. Nothing here re-emulates: it reads the run's trace.
 */
import { AstUtils, CstUtils, type AstNode, type LangiumDocument, type MaybePromise } from 'langium';
import type { HoverProvider, LangiumServices } from 'langium/lsp';
import type { Hover, HoverParams } from 'vscode-languageserver';
import { hex, MASK64 } from '../machine/bits.js';
import { isMsrName } from '../machine/layout.js';
import { decodeMsr } from '../machine/msr-decode.js';
import type { Cpu, Machine, Runnable } from '../machine/state.js';
import { findHook } from '../kernel/policy.js';
import { HOOK_BINDINGS, HOOK_NAMES, isHookName } from '../syntax/hooks.js';
import * as ast from '../syntax/generated/ast.js';
import { cpuIndex } from '../syntax/paths.js';
import { constantOf, machineSettings } from '../syntax/uintr-validator.js';
import type { EmulationService } from './emulation.js';
import { evaluate, numberValue, readsMachine } from './expr-values.js';
import { netChanges } from './inlay-hint-provider.js';
import { initialState, itemOf, itemState } from './trace-lookup.js';
import type { UintrLspServices } from './uintr-lsp-module.js';
import { sourceText } from '../scenario/source-text.js';

/** Changes a hover lists: registers and the state paths of LANGUAGE.md §5. */
const STATE_PATH = /^(cpu\d+\.(uinv|uirr|uif|uihandler|uistackadjust|upidaddr|uittaddr|uittsz)|[A-Za-z_]\w*\.(upid\.(on|sn|nv|ndst|pir)|xsave\.(present|uinv|uirr|uif|uihandler|uistackadjust|uittsz|upidaddr|uittaddr)))$/;

const CPU_REGS: [keyof Cpu, string][] = [
    ['uinv', 'UINV'], ['uirr', 'UIRR'], ['uif', 'UIF'], ['uihandler', 'UIHANDLER'], ['uistackadjust', 'UISTACKADJUST'],
    ['upidaddr', 'UPIDADDR'], ['uittaddr', 'UITTADDR'], ['uittsz', 'UITTSZ'],
];

export class UintrHoverProvider implements HoverProvider {
    private readonly emulation: EmulationService;

    constructor(services: LangiumServices) {
        this.emulation = (services as UintrLspServices).uintr.Emulation;
    }

    getHoverContent(document: LangiumDocument, params: HoverParams): MaybePromise<Hover | undefined> {
        try {
            const md = this.markdown(document, params);
            return md ? { contents: { kind: 'markdown', value: md } } : undefined;
        } catch (e) {
            console.error(`uintr: hover failed: ${(e as Error)?.stack ?? e}`);
            return undefined;
        }
    }

    private markdown(doc: LangiumDocument, params: HoverParams): string | undefined {
        const root = doc.parseResult.value.$cstNode;
        if (!root) return undefined;
        const offset = doc.textDocument.offsetAt(params.position);
        const leaf = CstUtils.findLeafNodeAtOffset(root, offset);
        if (!leaf) return undefined;
        const node = leaf.astNode;
        const hook = AstUtils.getContainerOfType(node, ast.isHook);
        if (hook) return hookHover(hook);
        const policy = AstUtils.getContainerOfType(node, ast.isPolicy);
        if (policy) return policyHover(policy);
        if (ast.isPolicyProp(node) && node.policy?.ref) return policyHover(node.policy.ref);
        const task = AstUtils.getContainerOfType(node, ast.isTask);
        if (task) return this.declarationHover(doc, task);
        const kthread = AstUtils.getContainerOfType(node, ast.isKThread);
        if (kthread) return `**kthread ${kthread.name}**: a kernel thread. It never enters user mode and owns no user-interrupt state.`;
        const item = itemOf(node);
        if (!item) return undefined;
        if (ast.isRace(item)) return this.raceHover(doc, item);
        const state = itemState(this.emulation, doc, item);
        if (!state) return '*Not emulated: the file has static errors (or has not been checked yet).*';
        if (state.entry < 0) return '*After a race: this item runs in every interleaving of the race; hover the race for what was found.*';
        // The value written to an MSR, hovered anywhere in it, decoded: known before the run (a
        // number, or numbers and uinv/kernel_vector), or read from the state before the step
        const wrmsr = AstUtils.getContainerOfType(node, ast.isWrmsrAction);
        if (wrmsr && wrmsr.value && isMsrName(wrmsr.msr) && node !== wrmsr) {
            const v = constantOf(wrmsr.value, machineSettings(AstUtils.getContainerOfType(wrmsr, ast.isFile)!));
            if (v !== undefined) return msrHover(wrmsr.msr, v & MASK64, oneLine(wrmsr.value));
            const env = state.emulated.result.run?.trace.program.env;
            const read = env && numberValue(env, wrmsr.value, state.before());
            if (read !== undefined) return msrHover(wrmsr.msr, read & MASK64, oneLine(wrmsr.value)) + '\n*The value as read on the state before this step.*\n';
        }
        // A task named in the step
        const named = namedRunnable(node, leaf.text);
        if (named) {
            const m = state.after();
            const r = m.runnables.find(x => x.name === named && x.kind !== 'idle');
            if (r) return runnableHover(m, r, `after line ${lineOf(item)}`);
        }
        if (ast.isExpect(item)) return this.expectHover(doc, item, state.after());
        return this.stepHover(item, state);
    }

    private stepHover(step: ast.Step, state: NonNullable<ReturnType<typeof itemState>>): string {
        const run = state.emulated.result.run!;
        const changes = netChanges(run.trace.changesOf(state.entry)).filter(c => STATE_PATH.test(c.path));
        const before = new Map<string, bigint>(changes.map(c => [c.path, c.old]));
        const cpu = cpuIndex(step.cpu);
        const m = state.after();
        const c = m.cpus[cpu];
        const cur = m.runnables[c.current];
        let s = `**${step.cpu}** after \`${oneLine(step)}\` — ${cur.kind === 'idle' ? 'idle' : cur.name}, ${c.mode} mode (policy ${run.policy})\n\n`;
        // what the run found at this step (a fault, a lost notification…): the editor may not show diagnostics beside hovers
        const start = step.$cstNode?.offset ?? -1, end = step.$cstNode?.end ?? -1;
        for (const d of state.emulated.result.diagnostics) {
            if (d.loc.offset >= start && d.loc.offset < end) s += `**${d.code}** (${d.severity}): ${d.message}\n\n`;
        }
        s += '| register | value |\n|---|---|\n';
        for (const [key, label] of CPU_REGS) {
            const path = `cpu${cpu}.${key}`;
            const v = c[key] as bigint;
            s += `| ${label} | \`${hex(v)}\`${before.has(path) ? ` (was \`${hex(before.get(path)!)}\`)` : ''} |\n`;
        }
        const others = changes.filter(ch => !ch.path.startsWith(`cpu${cpu}.`));
        if (others.length) s += '\nAlso changed: ' + others.map(o => `\`${o.path}\` ${hex(o.old)}→${hex(o.value)}`).join(', ') + '\n';
        const ran = run.trace.hookSteps(state.entry);
        if (ran.length) {
            s += `\n**${run.policy}** ran, in order:\n\n`;
            ran.forEach(([where, node], i) => { s += `${i + 1}. \`${oneLine(node as AstNode)}\` — ${where}\n`; });
        } else if (ast.isSwitchAction(step.action) || ast.isExecAction(step.action) || ast.isExitAction(step.action) || ast.isWaitAction(step.action)) {
            s += `\n**${run.policy}** ran no instruction here.\n`;
        }
        return s;
    }

    private expectHover(doc: LangiumDocument, e: ast.Expect, m: Machine): string {
        const em = this.emulation.resultFor(doc);
        const line = lineOf(e);
        const d = em?.result.diagnostics.find(x => x.loc.line === line && x.code === 'expect-failed');
        let s = d ? `**fails**: ${d.message}\n` : '**holds** on the settled state\n';
        // the values it compares, as they were
        if (ast.isCmpExp(e.body)) {
            const env = this.emulation.resultFor(doc)?.result.run?.trace.program.env;
            const shown = env ? [e.body.left, e.body.right].filter(readsMachine).map(x => `\`${oneLine(x)}\` = \`${evaluate(env, x, m) ?? '?'}\``) : [];
            if (shown.length) s += `\n${shown.join(', ')}\n`;
        }
        const body = e.body;
        if (ast.isDeliveredExp(body) && body.task?.ref) {
            const r = m.runnables.find(x => x.name === body.task?.ref?.name);
            if (r) s += '\n' + runnableHover(m, r, `at line ${line}`);
        }
        return s;
    }

    private raceHover(doc: LangiumDocument, race: ast.Race): string {
        const em = this.emulation.resultFor(doc);
        const run = em?.result.run;
        const head = `**race** with ${race.branches.length} branches (${race.branches.map(b => b.steps.length).join(' + ')} steps)`;
        if (!run) return `${head}\n\n*Not explored: the file has static errors.*`;
        const cause = run.trace.program.causeOf(race);
        const report = run.races.find(r => r.cause === cause);
        if (!report && em?.exploring) {
            const p = em.exploring.progress();
            return `${head}\n\n*Exploring in the background: race ${p.race} of ${p.races}, ${p.states} distinct states so far.*`;
        }
        if (!report) return `${head}\n\n*Not explored.*`;
        const cut = report.cutBy === 'depth' ? 'the bound on events per interleaving' : report.cutBy === 'time' ? "the editor's time bound" : 'the bound on states';
        let s = `${head}: ${report.interleavings} interleaving${report.interleavings === 1 ? '' : 's'} explored (equal states merged), ${report.states} distinct states` +
            (report.reducedStates || report.sleptEvents ? ` (partial-order reduction at ${report.reducedStates} states, ${report.sleptEvents} events left asleep)` : '') +
            (report.truncated ? ` — **${cut} cut the search**` : '') + '\n\n';
        if (!report.counterexample) return s + (report.truncated ? 'Nothing found in the part explored; interleavings beyond it were not explored.' : 'Clean in every interleaving.');
        s += `Found: ${report.codes.join(', ')}. A shortest counterexample:\n\n`;
        report.counterexample.forEach((st, i) => { s += `${i + 1}. line ${run.trace.program.loc(st.cause).line}: \`${st.text}\`\n`; });
        if (report.finding) s += `\n→ ${report.finding.code}: ${report.finding.message}\n`;
        if (report.leadIn.length) {
            const lines = report.leadIn.map(l => run.trace.program.loc(l.race).line);
            const events = report.leadIn.reduce((n, l) => n + l.steps.length, 0);
            s += `\n*Counted from this race, which starts where ${lines.length === 1 ? 'an interleaving of the race' : 'interleavings of the races'} at line ${lines.join(' and ')} ended ` +
                `(${events} event${events === 1 ? '' : 's'}, with the items after ${lines.length === 1 ? 'it' : 'them'}; \`uintr trace\` replays them first).*\n`;
        }
        return s;
    }

    private declarationHover(doc: LangiumDocument, task: ast.Task): string {
        const m = initialState(this.emulation, doc);
        const r = m?.runnables.find(x => x.name === task.name && x.kind === 'task');
        if (!m || !r) return `**task ${task.name}** (not emulated: the file has static errors)`;
        return runnableHover(m, r, 'initial state');
    }
}

function lineOf(node: AstNode): number {
    return (node.$cstNode?.range.start.line ?? 0) + 1;
}

function oneLine(node: AstNode): string {
    return sourceText(node).trim();
}

/** The task or kthread name under the cursor inside a step, if any. */
function namedRunnable(node: AstNode, text: string): string | undefined {
    if (ast.isObjRef(node) && node.ref?.ref && (ast.isTask(node.ref.ref) || ast.isKThread(node.ref.ref))) return node.ref.ref.name;
    if (ast.isSwitchAction(node) && node.target?.ref && node.target.$refText === text) return node.target.ref.name;
    if (ast.isPathHead(node) && node.ref?.ref && (ast.isTask(node.ref.ref) || ast.isKThread(node.ref.ref))) return node.ref.ref.name;
    if (ast.isDeliveredExp(node) && node.task?.ref && node.task.$refText === text) return node.task.ref.name;
    return undefined;
}

function runnableHover(m: Machine, r: Runnable, when: string): string {
    if (r.kind !== 'task') return `**${r.name}** (kthread, ${when}): ${r.state}${r.runningOn >= 0 ? ` on cpu${r.runningOn}` : ''}; no user-interrupt state.`;
    let s = `**${r.name}** (${when}): ${r.state}${r.runningOn >= 0 ? ` on cpu${r.runningOn}` : ''}\n\n`;
    if (r.upid) {
        const u = r.upid;
        s += `UPID at \`${hex(u.addr)}\`${u.freed ? ' — **freed**' : ''} (refs ${u.refs})\n\n| ON | SN | NV | NDST | PIR |\n|---|---|---|---|---|\n`;
        s += `| ${u.on} | ${u.sn} | \`${hex(u.nv)}\` | ${u.ndst} | \`${hex(u.pir)}\` |\n\n`;
    }
    const x = r.image;
    if (x) {
        s += `XSAVE image: ${x.present ? 'present' : '**init** (not present)'}\n\n| field | value |\n|---|---|\n`;
        for (const [k, label] of [['uinv', 'UINV'], ['uirr', 'UIRR'], ['uif', 'UIF'], ['uihandler', 'UIHANDLER'], ['uistackadjust', 'UISTACKADJUST'], ['upidaddr', 'UPIDADDR'], ['uittaddr', 'UITTADDR'], ['uittsz', 'UITTSZ']] as const) {
            s += `| ${label} | \`${hex(x[k])}\` |\n`;
        }
    }
    if (r.delivered) {
        const vs: number[] = [];
        for (let v = 0; v < 64; v++) if ((r.delivered >> BigInt(v)) & 1n) vs.push(v);
        s += `\nDelivered so far: vector${vs.length > 1 ? 's' : ''} ${vs.join(', ')}\n`;
    }
    return s;
}

function msrHover(msr: Parameters<typeof decodeMsr>[0], v: bigint, written: string): string {
    let s = `**${msr}** ← \`${written}\`${written === hex(v) ? '' : ` = \`${hex(v)}\``}\n\n| field | bits | value |\n|---|---|---|\n`;
    for (const f of decodeMsr(msr, v)) s += `| ${f.field} | ${f.bits} | \`${f.value}\`${f.fault ? ` — #GP: ${f.fault}` : ''} |\n`;
    return s;
}

function policyHover(p: ast.Policy): string {
    let s = `**policy ${p.name}**${p.parent?.ref ? ` extends ${p.parent.ref.name}` : ''}\n\n| hook | from |\n|---|---|\n`;
    let any = false;
    for (const name of HOOK_NAMES) {
        const found = findHook(p, name);
        if (!found) continue;
        any = true;
        s += `| ${name} | ${found.owner === p ? 'own' : found.owner.name} |\n`;
    }
    return any ? s : `**policy ${p.name}**: defines no hooks — only the instructions the scenario writes run.`;
}

/** A node's text as written, its lines after the first dedented by their common indentation. */
function asWritten(node: AstNode): string {
    const lines = (node.$cstNode?.text ?? '').split(/\r?\n/);
    const rest = lines.slice(1).filter(l => l.trim() !== '');
    // the first line starts at the node's first token; the others (the closing brace the least
    // indented) lose the indentation they share
    const cut = rest.length ? rest.reduce((m, l) => Math.min(m, /^[ \t]*/.exec(l)![0].length), Infinity) : 0;
    return [lines[0], ...lines.slice(1).map(l => l.slice(Math.min(cut, /^[ \t]*/.exec(l)![0].length)))].join('\n');
}

function hookHover(h: ast.Hook): string {
    const policy = AstUtils.getContainerOfType(h, ast.isPolicy);
    const bound = isHookName(h.hook) ? HOOK_BINDINGS[h.hook].join(', ') : '(unknown hook)';
    return `**${policy?.name ?? '?'}.${h.hook}** — binds ${bound}\n\n\`\`\`uintr\n${asWritten(h)}\n\`\`\``;
}

