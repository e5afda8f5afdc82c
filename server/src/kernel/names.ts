/**
 * How compiled code finds the machine objects that source names denote.
 */
import type { AstNode } from 'langium';
import type { Runnable } from '../machine/state.js';
import type { ExecContext } from './context.js';
import { RunError } from './context.js';
import * as ast from '../syntax/generated/ast.js';

/** Maps declarations to machine objects while compiling. */
export interface CompileEnv {
    /** The runnable index of a declared task or kthread. */
    runnableId(decl: ast.Task | ast.KThread): number;
    /** The slot of a `foreach` variable. */
    slotOf(node: ast.ForeachStmt): number;
    readonly uinv: bigint;
    readonly kernelVector: bigint;
}

export type Resolve = (ctx: ExecContext) => Runnable;

/** Compiles a reference to a task or kthread: a declared name, a foreach variable, prev/next/cur. */
export function compileObject(env: CompileEnv, bound: string | undefined, target: AstNode | undefined, text: string): Resolve {
    // one closure per name: `ctx[bound]` was a keyed access on every context switch
    if (bound === 'prev') return ctx => ctx.prev ?? unbound(bound);
    if (bound === 'next') return ctx => ctx.next ?? unbound(bound);
    if (bound === 'cur') return ctx => ctx.cur ?? unbound(bound);
    if (ast.isForeachStmt(target)) {
        const slot = env.slotOf(target);
        return ctx => {
            const r = ctx.vars[slot];
            if (!r) throw new RunError(`'${text}' is not bound here`);
            return r;
        };
    }
    if (ast.isTask(target) || ast.isKThread(target)) {
        const id = env.runnableId(target);
        return ctx => ctx.m.runnables[id];
    }
    throw new RunError(`unknown name '${text}'`);
}

function unbound(name: string): never {
    throw new RunError(`'${name}' is not bound here`);
}

/** A name as messages show it. */
export function displayName(r: Runnable): string {
    return r.kind === 'idle' ? `idle` : r.name;
}
