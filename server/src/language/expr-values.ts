/**
 * The values of expressions on an emulated state, for editor features (the value an
 * expectation saw, a quick fix that writes it down).
 */
import type { CompileEnv } from '../kernel/names.js';
import type { ExecContext, RunSink } from '../kernel/context.js';
import { compileExpr, IDLE, MODE_USER } from '../kernel/expressions.js';
import { Kernel } from '../kernel/kernel.js';
import { hex } from '../machine/bits.js';
import type { Machine } from '../machine/state.js';
import * as ast from '../syntax/generated/ast.js';
import { pathShape } from '../syntax/paths.js';

/** Evaluating an expression runs no kernel action. */
const NO_KERNEL = new Kernel({ name: 'none', hooks: {}, slots: 0 });

const NOTHING_SINKS: RunSink = { fault() { /* reads only */ }, error() { /* reads only */ }, ipi() { /* reads only */ } };

/** Whether an expression reads the machine's state (a register, a UPID or image field, mode, current), not only values written down. */
export function readsMachine(e: ast.Expr): boolean {
    if (ast.isBinExpr(e)) return readsMachine(e.left) || readsMachine(e.right);
    if (ast.isNotExpr(e)) return readsMachine(e.operand);
    if (!ast.isPathExpr(e) || !e.head) return false;
    const kind = pathShape(e).kind;
    return kind === 'cpu-reg' || kind === 'cpu-mode' || kind === 'cpu-current' || kind === 'upid-field' || kind === 'xsave-field';
}

/** The value of an expression on a state, as the source would write it (undefined: it cannot be read there). */
export function evaluate(env: CompileEnv, e: ast.Expr, m: Machine): string | undefined {
    const read = readValue(env, e, m);
    if (!read) return undefined;
    const { kind, value: v } = read;
    if (kind === 'mode') return v === MODE_USER ? 'user' : 'kernel';
    if (kind === 'runnable') return v === IDLE ? 'idle' : m.runnables[Number(v)]?.name;
    return hex(v);
}

/** The number an expression gives on a state (undefined: it cannot be read there, or it is a mode or a runnable). */
export function numberValue(env: CompileEnv, e: ast.Expr, m: Machine): bigint | undefined {
    const read = readValue(env, e, m);
    return read?.kind === 'number' ? read.value : undefined;
}

function readValue(env: CompileEnv, e: ast.Expr, m: Machine): { kind: string; value: bigint } | undefined {
    try {
        const c = compileExpr(env, e);
        const ctx: ExecContext = { m, kernel: NO_KERNEL, sink: NOTHING_SINKS, cpu: m.cpus[0], prev: null, next: null, cur: null, vars: [], where: null, inKernelAction: false, ran: null };
        return { kind: c.kind, value: c.eval(ctx) };
    } catch {
        return undefined;
    }
}
