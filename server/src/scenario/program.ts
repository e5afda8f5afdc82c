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

/** What a step's text compiles to: the same for every step written the same way (see {@link lowerProgram}). */
export interface StepCode {
    readonly kind: 'step';
    readonly cpu: number;
    /** The kernel-level action, or null for an instruction, event or memory step. */
    readonly kernelAction: KernelActionKind | null;
    readonly run: Exec;
}

/** What an expectation's text compiles to. */
export interface ExpectCode {
    readonly kind: 'expect';
    /** Which form: `gp`, `no lost`, or a state check (comparison, delivered, pending). */
    readonly form: 'gp' | 'no-lost' | 'state';
    /** The compiled state check of a comparison or delivered/pending expectation. */
    readonly check: StateCheck | null;
}

export type ItemCode = StepCode | ExpectCode;

export interface StepItem extends StepCode {
    readonly cause: number;
    readonly node: ast.Step;
}

export interface ExpectItem extends ExpectCode {
    readonly cause: number;
    readonly node: ast.Expect;
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
    /**
     * The items in file order, as objects (a race's steps have causes of their own, right
     * after the race's): made on first read. A run reads {@link codes} and {@link itemCodes}.
     */
    readonly items: readonly ProgramItem[];
    /** The distinct codes of the file's steps and expectations. */
    readonly codes: readonly ItemCode[];
    /**
     * Per item in file order, the index of its code in {@link codes}, or -1 for a race. The
     * items before the first race have their index as their cause.
     */
    readonly itemCodes: Int32Array;
    /** Source location of a cause (step, expectation or race), computed when asked. */
    loc(cause: number): SourceLoc;
    /** The node of a cause. */
    node(cause: number): AstNode | undefined;
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
    // Within a file every name means the same thing everywhere, so items with the same source
    // text compile to the same code: each distinct step and expectation is compiled once
    // (scenarios repeat lines a lot), and an item is the index of its code, not an object
    // (lowering a fresh 10k-step file allocated one per item). An item's text runs from its
    // start to the next item's.
    const fileItems = file.items;
    const n = fileItems.length;
    const starts = itemStarts(file);
    const full = starts && (file.$cstNode as RootCstNode).fullText;
    const memo = new Map<string, number>();
    const codes: ItemCode[] = [];
    const itemCodes = new Int32Array(n);
    const stepCode = (step: ast.Step): StepCode => ({ kind: 'step', cpu: cpuIndex(step.cpu), ...lowerAction(env, step.action) });
    let steps = 0;
    // causes: an item's index, but a race's steps take the causes right after their race's
    let shift = 0;
    const races = new Map<number, RaceItem>();
    for (let i = 0; i < n; i++) {
        // the memo first: most items repeat a text seen before, and then the item's node is not read
        const key = starts !== undefined ? full!.slice(starts[i], i + 1 < n ? starts[i + 1] : full!.length) : undefined;
        let c = key !== undefined ? memo.get(key) : undefined;
        if (c === undefined) {
            const item = fileItems[i];
            if (item.$type === ast.Race.$type) {
                const race = item as ast.Race;
                const cause = i + shift;
                let next = cause + 1;
                const branches = race.branches.map(b => b.steps.map((step): StepItem => ({ ...stepCode(step), cause: next++, node: step })));
                races.set(i, { kind: 'race', cause, node: race, branches });
                shift += next - cause - 1;
                steps += next - cause - 1;
                itemCodes[i] = -1;
                continue;
            }
            c = codes.push(item.$type === ast.Step.$type ? stepCode(item as ast.Step) : expectCode(env, item as ast.Expect)) - 1;
            if (key !== undefined) memo.set(key, c);
        }
        itemCodes[i] = c;
    }
    for (let i = 0; i < n; i++) if (itemCodes[i] >= 0 && codes[itemCodes[i]].kind === 'step') steps++;
    // the node of each cause: the items' own list when there is no race
    const nodes: readonly AstNode[] = races.size === 0 ? fileItems : fileItems.flatMap((item, i) => {
        const race = races.get(i);
        return race ? [item, ...race.branches.flatMap(b => b.map(s => s.node))] : [item];
    });
    let items: ProgramItem[] | undefined;
    const materialise = (): ProgramItem[] => {
        const out: ProgramItem[] = [];
        let shift = 0;
        for (let i = 0; i < n; i++) {
            const race = races.get(i);
            if (race) {
                out.push(race);
                shift += race.branches.reduce((k, b) => k + b.length, 0);
                continue;
            }
            const code = codes[itemCodes[i]];
            const cause = i + shift;
            out.push(code.kind === 'step' ? { ...code, cause, node: fileItems[i] as ast.Step } : { ...code, cause, node: fileItems[i] as ast.Expect });
        }
        return out;
    };
    let index: Map<AstNode, number> | undefined;
    const locs: (SourceLoc | undefined)[] = [];
    return {
        config, ipiDeferred, tasks, kthreads: kthreadDecls.map(k => k.name), codes, itemCodes, causes: nodes.length, stepCount: steps, env, policy,
        get items() {
            return (items ??= materialise());
        },
        node: cause => nodes[cause],
        loc: cause => {
            const node = nodes[cause];
            if (!node) return { line: 1, column: 1, offset: 0, end: 0 };
            return (locs[cause] ??= locOf(node));
        },
        causeOf: node => (index ??= new Map(nodes.map((x, i) => [x, i]))).get(node),
    };
}

function expectCode(env: CompileEnv, e: ast.Expect): ExpectCode {
    return { kind: 'expect', check: compileExpect(env, e), form: ast.isGpExp(e.body) ? 'gp' : ast.isNoLostExp(e.body) ? 'no-lost' : 'state' };
}

/**
 * Where each item starts, in the file's text (an item's text runs to the next item's start;
 * the last one's to the end of the file); undefined when the tree has no text to go by.
 * Declarations all come before the items (the grammar's `File`), so a text holds items only.
 */
function itemStarts(file: ast.File): number[] | undefined {
    const full = (file.$cstNode as RootCstNode | undefined)?.fullText;
    const items = file.items;
    if (full === undefined) return undefined;
    if (items.length === 0) return [];
    const first = items[0].$cstNode;
    if (!first) return undefined;
    return scanItemStarts(full, startOffset(first), items.length) ?? treeItemStarts(items);
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

function lowerAction(env: CompileEnv, a: ast.Action): Pick<StepCode, 'kernelAction' | 'run'> {
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
