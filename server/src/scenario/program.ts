/**
 * Lowers a checked syntax tree into a program: the machine's configuration and
 * declarations, and the items in order, each compiled and tied to its source location.
 */
import type { AstNode, RootCstNode } from 'langium';
import type { TaskSpec } from '../machine/build.js';
import type { MachineConfig } from '../machine/state.js';
import type { Exec } from '../kernel/context.js';
import { RunError } from '../kernel/context.js';
import { compileInstruction } from '../kernel/instructions.js';
import type { CompileEnv } from '../kernel/names.js';
import * as ast from '../syntax/generated/ast.js';
import { scanItemStarts, startOffset, treeItemStarts } from '../syntax/cst-offsets.js';
import { parseNumber } from '../syntax/numbers.js';
import { cpuIndex } from '../syntax/paths.js';
import { isReceiver, machineSettings } from '../syntax/uintr-validator.js';
import type { SourceLoc } from './diagnostics.js';
import { compileStateCheck, type StateCheck } from './expectations.js';
import { sourceText } from './source-text.js';

export type KernelActionKind = 'switch' | 'exec' | 'exit' | 'wait';

export interface StepItem {
    readonly kind: 'step';
    readonly cause: number;
    readonly cpu: number;
    /** The kernel-level action, or null for an instruction, event or memory step. */
    readonly kernelAction: KernelActionKind | null;
    readonly run: Exec;
    readonly node: ast.Step;
}

export interface ExpectItem {
    readonly kind: 'expect';
    readonly cause: number;
    readonly node: ast.Expect;
    /** Which form: `gp`, `no lost`, or a state check (comparison, delivered, pending). */
    readonly form: 'gp' | 'no-lost' | 'state';
    /** The compiled state check of a comparison or delivered/pending expectation. */
    readonly check: StateCheck | null;
}

export interface RaceItem {
    readonly kind: 'race';
    readonly cause: number;
    readonly node: ast.Race;
    readonly branches: readonly (readonly StepItem[])[];
}

export type ProgramItem = StepItem | ExpectItem | RaceItem;

export interface Program {
    readonly config: MachineConfig;
    readonly ipiDeferred: boolean;
    readonly tasks: readonly TaskSpec[];
    readonly kthreads: readonly string[];
    readonly items: readonly ProgramItem[];
    /** Source location of a cause (step, expectation or race), computed when asked. */
    loc(cause: number): SourceLoc;
    /** Number of causes. */
    readonly causes: number;
    /** `cpuN:` items written in the file, races included. */
    readonly stepCount: number;
    readonly env: CompileEnv;
    /** The policy declared in the machine block, if any. */
    readonly policy: ast.Policy | undefined;
    /** The cause of a step, expectation or race node (an index built on first use). */
    causeOf(node: AstNode): number | undefined;
}

export function locOf(node: AstNode): SourceLoc {
    const cst = node.$cstNode;
    if (!cst) return { line: 1, column: 1, offset: 0, end: 0 };
    const start = cst.range.start;
    return { line: start.line + 1, column: start.character + 1, offset: cst.offset, end: cst.end };
}

export function lowerProgram(file: ast.File): Program {
    const s = machineSettings(file);
    let ipiDeferred = false, handlersAuto = true, xrstorsStrict = true;
    let policy: ast.Policy | undefined;
    for (const p of file.machine?.props ?? []) {
        if (ast.isModeProp(p)) {
            if (p.kind === 'ipi') ipiDeferred = p.mode === 'deferred';
            if (p.kind === 'handlers') handlersAuto = p.mode !== 'manual';
            if (p.kind === 'xrstors_init') xrstorsStrict = p.mode !== 'lenient';
        } else if (ast.isPolicyProp(p)) {
            policy = p.policy?.ref;
        }
    }
    const config: MachineConfig = { cpus: s.cpus, uinv: s.uinv, kernelVector: s.kernelVector, handlersAuto, xrstorsStrict };
    const taskDecls = file.decls.filter(ast.isTask);
    const kthreadDecls = file.decls.filter(ast.isKThread);
    const ids = new Map<AstNode, number>();
    taskDecls.forEach((t, i) => ids.set(t, s.cpus + i));
    kthreadDecls.forEach((k, i) => ids.set(k, s.cpus + taskDecls.length + i));
    const tasks: TaskSpec[] = taskDecls.map(t => taskSpec(t));
    const env: CompileEnv = {
        runnableId: decl => {
            const id = ids.get(decl);
            if (id === undefined) throw new RunError(`${decl.name} is not declared in this file`);
            return id;
        },
        slotOf: () => { throw new RunError('foreach variables exist only inside hooks'); },
        uinv: s.uinv,
        kernelVector: s.kernelVector,
    };
    const nodes: AstNode[] = [];
    const locs: (SourceLoc | undefined)[] = [];
    let index: Map<AstNode, number> | undefined;
    const causeOf = (node: AstNode): number | undefined => {
        index ??= new Map(nodes.map((n, i) => [n, i]));
        return index.get(node);
    };
    const newCause = (node: AstNode): number => nodes.push(node) - 1;
    const loc = (cause: number): SourceLoc => {
        const node = nodes[cause];
        if (!node) return { line: 1, column: 1, offset: 0, end: 0 };
        return (locs[cause] ??= locOf(node));
    };
    // Within a file every name means the same thing everywhere, so items with the same source
    // text compile to the same code: each distinct step and expectation is compiled once
    // (scenarios repeat lines a lot). An item's text runs from its start to the next item's.
    const keys = itemTexts(file);
    // a text's code, a step's or an expectation's (a race is never kept: its steps have causes of their own)
    const codes = new Map<string, StepCode | ExpectCode>();
    let stepCount = 0;
    const stepCode = (step: ast.Step): StepCode => ({ kind: 'step', cpu: cpuIndex(step.cpu), ...lowerAction(env, step.action) });
    const stepItem = (step: ast.Step, code: StepCode): StepItem => {
        stepCount++;
        return { kind: 'step', cause: newCause(step), cpu: code.cpu, kernelAction: code.kernelAction, run: code.run, node: step };
    };
    const items: ProgramItem[] = [];
    for (let i = 0; i < file.items.length; i++) {
        const item = file.items[i];
        const key = keys?.[i];
        // the memo first: most items repeat a text seen before, and then neither the item's
        // node is read nor a closure made
        let code = key !== undefined ? codes.get(key) : undefined;
        if (code === undefined) {
            if (item.$type === ast.Race.$type) {
                const cause = newCause(item);
                items.push({ kind: 'race', cause, node: item, branches: item.branches.map(b => b.steps.map(s => stepItem(s, stepCode(s)))) });
                continue;
            }
            code = item.$type === ast.Step.$type ? stepCode(item) : expectCode(env, item as ast.Expect);
            if (key !== undefined) codes.set(key, code);
        }
        if (code.kind === 'step') items.push(stepItem(item as ast.Step, code));
        else items.push({ kind: 'expect', cause: newCause(item), node: item as ast.Expect, check: code.check, form: code.form });
    }
    return { config, ipiDeferred, tasks, kthreads: kthreadDecls.map(k => k.name), items, loc, causes: nodes.length, stepCount, env, policy, causeOf };
}

/** What a step's text compiles to. */
interface StepCode extends Pick<StepItem, 'cpu' | 'kernelAction' | 'run'> {
    readonly kind: 'step';
}

/** What an expectation's text compiles to. */
interface ExpectCode extends Pick<ExpectItem, 'check' | 'form'> {
    readonly kind: 'expect';
}

function expectCode(env: CompileEnv, e: ast.Expect): ExpectCode {
    return { kind: 'expect', check: compileExpect(env, e), form: ast.isGpExp(e.body) ? 'gp' : ast.isNoLostExp(e.body) ? 'no-lost' : 'state' };
}

/**
 * The source text of each item, from its first token to the next item's (the last: to the end
 * of the file); undefined when the tree has no text to go by.
 * Declarations all come before the items (the grammar's `File`), so a text holds items only.
 */
function itemTexts(file: ast.File): string[] | undefined {
    const full = (file.$cstNode as RootCstNode | undefined)?.fullText;
    const items = file.items;
    if (full === undefined) return undefined;
    if (items.length === 0) return [];
    const first = items[0].$cstNode;
    if (!first) return undefined;
    const starts = scanItemStarts(full, startOffset(first), items.length) ?? treeItemStarts(items);
    if (!starts) return undefined;
    const texts: string[] = new Array<string>(items.length);
    for (let i = 0; i < items.length; i++) texts[i] = full.slice(starts[i], i + 1 < items.length ? starts[i + 1] : full.length);
    return texts;
}

function taskSpec(t: ast.Task): TaskSpec {
    const num = (kind: string): bigint | undefined => {
        const p = t.props.find(q => q.kind === kind);
        return p ? parseNumber(p.value) ?? 0n : undefined;
    };
    return {
        name: t.name,
        handler: isReceiver(t) ? num('handler') : undefined,
        stackAdjust: num('stack_adjust'),
        uif: num('uif'),
        ndst: num('ndst'),
        targets: t.props.filter(p => p.kind === 'target').map(p => ({ task: p.target?.ref?.name ?? p.target?.$refText ?? '?', vector: parseNumber(p.value) ?? 0n })),
    };
}

function lowerAction(env: CompileEnv, a: ast.Action): Pick<StepItem, 'kernelAction' | 'run'> {
    if (ast.isSwitchAction(a)) {
        const target = a.target?.ref;
        const id = a.idle || !target ? -1 : env.runnableId(target);
        return {
            kernelAction: 'switch',
            run: ctx => ctx.kernel.switchTo(ctx, id < 0 ? ctx.m.idleOf(ctx.cpu.index) : ctx.m.runnables[id]),
        };
    }
    if (ast.isExecAction(a)) return { kernelAction: 'exec', run: ctx => ctx.kernel.exec(ctx) };
    if (ast.isExitAction(a)) return { kernelAction: 'exit', run: ctx => ctx.kernel.exit(ctx) };
    if (ast.isWaitAction(a)) return { kernelAction: 'wait', run: ctx => ctx.kernel.wait(ctx) };
    return { kernelAction: null, run: compileInstruction(env, a) };
}

function compileExpect(env: CompileEnv, e: ast.Expect): StateCheck | null {
    const body = e.body;
    if (ast.isCmpExp(body) || ast.isDeliveredExp(body)) return compileStateCheck(env, body, () => expectText(e));
    return null;
}

/** The expectation as written, on one line, for messages (see {@link sourceText}). */
export function expectText(e: ast.Expect): string {
    return e.$cstNode ? sourceText(e) : 'expect';
}
