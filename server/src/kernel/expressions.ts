/**
 * Compiles expressions, state paths and conditions (LANGUAGE.md §5, §10) into closures.
 * Values are unsigned 64-bit BigInts; `<<` and `~` are masked to 64 bits.
 */
import { MASK64 } from '../machine/bits.js';
import type { Cpu, Runnable } from '../machine/state.js';
import { parseNumber } from '../syntax/numbers.js';
import { pathShape, type CpuHead, type ObjHead } from '../syntax/paths.js';
import * as ast from '../syntax/generated/ast.js';
import { RunError, type Eval, type ExecContext } from './context.js';
import { compileObject, type CompileEnv, type Resolve } from './names.js';

/** What a value means, for comparisons and for messages. */
export type ValueKind = 'number' | 'mode' | 'runnable';

export interface Compiled {
    readonly kind: ValueKind;
    readonly eval: Eval;
    /** Set when the value is a constant. */
    readonly constant?: bigint;
}

/** `cpuN.mode` and the words compared with it. */
export const MODE_USER = 1n;
export const MODE_KERNEL = 0n;
/** `cpuN.current == idle` holds for any CPU's idle thread. */
export const IDLE = -1n;

export function compileCpu(cpu: CpuHead): (ctx: ExecContext) => Cpu {
    if (cpu === 'hook') return ctx => ctx.cpu;
    return ctx => {
        const c = ctx.m.cpus[cpu];
        if (!c) throw new RunError(`cpu${cpu} does not exist`);
        return c;
    };
}

export function compileObjHead(env: CompileEnv, obj: ObjHead): Resolve {
    return compileObject(env, obj.bound, obj.ref?.ref, obj.text);
}

/** The UPID of a task, or a run-time error for one that has none. */
export function upidOf(r: Runnable) {
    if (!r.upid) throw new RunError(`${r.kind === 'idle' ? 'idle' : r.name} is not a receiver: it has no UPID`);
    return r.upid;
}

export function imageOf(r: Runnable) {
    if (!r.image) throw new RunError(`${r.kind === 'idle' ? 'idle' : r.name} is a kernel thread: it has no XSAVE image`);
    return r.image;
}

export function runnableValue(r: Runnable): bigint {
    return r.kind === 'idle' ? IDLE : BigInt(r.id);
}

export function compileExpr(env: CompileEnv, e: ast.Expr): Compiled {
    if (ast.isNumberLit(e)) {
        const v = parseNumber(e.value) ?? 0n;
        return { kind: 'number', eval: () => v, constant: v };
    }
    if (ast.isConstExpr(e)) {
        const v = e.name === 'uinv' ? env.uinv : env.kernelVector;
        return { kind: 'number', eval: () => v, constant: v };
    }
    if (ast.isWordExpr(e)) {
        if (e.word === 'idle') return { kind: 'runnable', eval: () => IDLE, constant: IDLE };
        const v = e.word === 'user' ? MODE_USER : MODE_KERNEL;
        return { kind: 'mode', eval: () => v, constant: v };
    }
    if (ast.isNotExpr(e)) {
        const a = compileExpr(env, e.operand).eval;
        return { kind: 'number', eval: ctx => ~a(ctx) & MASK64 };
    }
    if (ast.isBinExpr(e)) {
        const l = compileExpr(env, e.left).eval;
        const r = compileExpr(env, e.right).eval;
        switch (e.op) {
            case '|': return { kind: 'number', eval: ctx => l(ctx) | r(ctx) };
            case '^': return { kind: 'number', eval: ctx => l(ctx) ^ r(ctx) };
            case '&': return { kind: 'number', eval: ctx => l(ctx) & r(ctx) };
            case '<<': return { kind: 'number', eval: ctx => { const s = r(ctx); return s > 127n ? 0n : (l(ctx) << s) & MASK64; } };
            case '>>': return { kind: 'number', eval: ctx => { const s = r(ctx); return s > 127n ? 0n : l(ctx) >> s; } };
        }
    }
    if (ast.isPathExpr(e)) return compilePathRead(env, e);
    throw new Error(`cannot compile expression ${(e as ast.Expr).$type}`);
}

/** Reads a state path's value. */
export function compilePathRead(env: CompileEnv, p: ast.PathExpr): Compiled {
    const s = pathShape(p);
    switch (s.kind) {
        case 'cpu': {
            if (s.cpu === 'hook') return { kind: 'number', eval: ctx => BigInt(ctx.cpu.index) };
            const v = BigInt(s.cpu);
            return { kind: 'number', eval: () => v, constant: v };
        }
        case 'cpu-reg': {
            const cpu = compileCpu(s.cpu);
            const f = s.field;
            return { kind: 'number', eval: ctx => cpu(ctx)[f] };
        }
        case 'cpu-mode': {
            const cpu = compileCpu(s.cpu);
            return { kind: 'mode', eval: ctx => (cpu(ctx).mode === 'user' ? MODE_USER : MODE_KERNEL) };
        }
        case 'cpu-current': {
            const cpu = compileCpu(s.cpu);
            return { kind: 'runnable', eval: ctx => runnableValue(ctx.m.runnables[cpu(ctx).current]) };
        }
        case 'object': {
            const obj = compileObjHead(env, s.obj);
            return { kind: 'runnable', eval: ctx => runnableValue(obj(ctx)) };
        }
        case 'upid': {
            const obj = compileObjHead(env, s.obj);
            return { kind: 'number', eval: ctx => upidOf(obj(ctx)).addr };
        }
        case 'uitt': {
            const obj = compileObjHead(env, s.obj);
            return {
                kind: 'number', eval: ctx => {
                    const r = obj(ctx);
                    if (!r.uitt) throw new RunError(`${r.name} is not a sender: it has no UITT`);
                    return r.uitt.addr;
                },
            };
        }
        case 'upid-field': {
            const obj = compileObjHead(env, s.obj);
            const f = s.field;
            return { kind: 'number', eval: ctx => upidOf(obj(ctx))[f] };
        }
        case 'xsave-field': {
            const obj = compileObjHead(env, s.obj);
            const f = s.field;
            return { kind: 'number', eval: ctx => imageOf(obj(ctx))[f] };
        }
        case 'error':
            throw new Error(s.message);
    }
}

export type Compare = (l: bigint, r: bigint) => boolean;

export function comparator(op: string): Compare {
    switch (op) {
        case '==': return (l, r) => l === r;
        case '!=': return (l, r) => l !== r;
        case '<': return (l, r) => l < r;
        case '<=': return (l, r) => l <= r;
        case '>': return (l, r) => l > r;
        case '>=': return (l, r) => l >= r;
    }
    throw new Error(`unknown comparison ${op}`);
}

export type Test = (ctx: ExecContext) => boolean;

/** Compiles a hook condition (LANGUAGE.md §10). */
export function compileCond(env: CompileEnv, c: ast.Cond): Test {
    if (ast.isOrCond(c)) {
        const l = compileCond(env, c.left), r = compileCond(env, c.right);
        return ctx => l(ctx) || r(ctx);
    }
    if (ast.isAndCond(c)) {
        const l = compileCond(env, c.left), r = compileCond(env, c.right);
        return ctx => l(ctx) && r(ctx);
    }
    if (ast.isNotCond(c)) {
        const a = compileCond(env, c.operand);
        return ctx => !a(ctx);
    }
    // a comparison without its operator, or one after a parenthesized condition (ParenCmp), is a
    // static error (uintr-validator.ts): never run
    if (ast.isCmpCond(c) && c.op !== undefined && c.right !== undefined) {
        const l = compileExpr(env, c.left).eval, r = compileExpr(env, c.right).eval;
        const cmp = comparator(c.op);
        return ctx => cmp(l(ctx), r(ctx));
    }
    if (ast.isPredCond(c)) {
        const x = compileObject(env, c.arg.bound, c.arg.ref?.ref, c.arg.bound ?? c.arg.ref?.$refText ?? '?');
        switch (c.pred) {
            case 'user': return ctx => x(ctx).kind === 'task';
            case 'kthread': return ctx => x(ctx).kind !== 'task';
            case 'receiver': return ctx => { const r = x(ctx); return r.upid !== null && r.state !== 'dead'; };
            case 'sender': return ctx => { const r = x(ctx); return r.uitt !== null && r.state !== 'dead'; };
            case 'waiting': return ctx => x(ctx).state === 'waiting';
            case 'valid': return ctx => { const r = x(ctx); return ctx.cpu.fpregsOwner === r.id && r.lastCpu === ctx.cpu.index; };
        }
    }
    throw new Error(`cannot compile condition ${(c as ast.Cond).$type}`);
}
