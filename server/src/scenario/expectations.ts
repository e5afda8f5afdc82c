/**
 * Expectations (LANGUAGE.md §6), checked on the settled state. Each returns null when it
 * holds, or what was found instead.
 */
import { hex } from '../machine/bits.js';
import type { Machine } from '../machine/state.js';
import type { ExecContext } from '../kernel/context.js';
import { RunError } from '../kernel/context.js';
import { IDLE, MODE_USER, comparator, compileExpr, type Compiled } from '../kernel/expressions.js';
import type { CompileEnv } from '../kernel/names.js';
import * as ast from '../syntax/generated/ast.js';
import { parseNumber } from '../syntax/numbers.js';
import { sourceText } from './source-text.js';

export type StateCheck = (ctx: ExecContext) => string | null;

/** Compiles a comparison or a delivered/pending expectation; `gp` and `no lost` are the runner's. */
export function compileStateCheck(env: CompileEnv, e: ast.CmpExp | ast.DeliveredExp, textOf: () => string): StateCheck {
    if (ast.isCmpExp(e)) {
        const l = compileExpr(env, e.left), r = compileExpr(env, e.right);
        const cmp = comparator(e.op);
        return ctx => {
            const lv = l.eval(ctx), rv = r.eval(ctx);
            if (cmp(lv, rv)) return null;
            const text = textOf();
            const left = describe(l, lv, ctx.m), right = describe(r, rv, ctx.m);
            const leftText = sourceText(e.left), rightText = sourceText(e.right);
            const found = [leftText !== left ? `${leftText} is ${left}` : '', rightText !== right && r.constant === undefined ? `${rightText} is ${right}` : '']
                .filter(Boolean).join(', ');
            return `${text} does not hold: ${found || `${left} ${e.op} ${right} is false`}`;
        };
    }
    const vector = Number(parseNumber(e.vector) ?? 0n);
    const target = e.task?.ref;
    if (!target) throw new RunError(`unknown task ${e.task?.$refText}`);
    const id = env.runnableId(target);
    const bit = 1n << BigInt(vector);
    const negated = e.negated;
    if (e.kind === 'delivered') {
        return ctx => {
            const r = ctx.m.runnables[id];
            const yes = (r.delivered & bit) !== 0n;
            if (yes !== negated) return null;
            const text = textOf();
            return negated
                ? `${text} does not hold: vector ${vector} was delivered to ${r.name}`
                : `${text} does not hold: vector ${vector} was never delivered to ${r.name}${whereIs(ctx.m, id, bit, vector)}`;
        };
    }
    return ctx => {
        const yes = isPending(ctx.m, id, bit);
        if (yes !== negated) return null;
        const text = textOf();
        return negated
            ? `${text} does not hold: vector ${vector} is pending for ${ctx.m.runnables[id].name}${whereIs(ctx.m, id, bit, vector)}`
            : `${text} does not hold: vector ${vector} is not pending for ${ctx.m.runnables[id].name}` +
              ((ctx.m.runnables[id].delivered & bit) !== 0n ? ' (it was delivered)' : ' (it is in no PIR or UIRR)');
    };
}

/** In X's PIR, in the UIRR of the CPU where X is current, or in X's saved image when X runs nowhere. */
export function isPending(m: Machine, id: number, bit: bigint): boolean {
    const r = m.runnables[id];
    if (r.upid && (r.upid.pir & bit) !== 0n) return true;
    if (r.runningOn >= 0) return (m.cpus[r.runningOn].uirr & bit) !== 0n;
    return r.image !== null && r.image.present === 1n && (r.image.uirr & bit) !== 0n;
}

function whereIs(m: Machine, id: number, bit: bigint, v: number): string {
    const r = m.runnables[id];
    if (r.upid && (r.upid.pir & bit) !== 0n) return ` (it is still in ${r.name}'s PIR)`;
    if (r.runningOn >= 0 && (m.cpus[r.runningOn].uirr & bit) !== 0n) return ` (it is in cpu${r.runningOn}'s UIRR)`;
    if (r.image && r.image.present === 1n && (r.image.uirr & bit) !== 0n) return ` (it is in ${r.name}'s saved UIRR)`;
    void v;
    return '';
}

function describe(c: Compiled, v: bigint, m: Machine): string {
    if (c.kind === 'mode') return v === MODE_USER ? 'user' : 'kernel';
    if (c.kind === 'runnable') return v === IDLE ? 'idle' : m.runnables[Number(v)]?.name ?? String(v);
    return hex(v);
}
