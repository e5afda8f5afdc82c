/**
 * Compiles instruction-level, event and memory actions (LANGUAGE.md §4) — the same code for a
 * `cpuN:` step and for a statement inside a policy hook.
 */
import { mask, setBits } from '../machine/bits.js';
import { UPID_FIELDS, XSAVE_FIELDS, type UpidField } from '../machine/fields.js';
import { tagBits } from '../machine/interrupt.js';
import { isMsrName } from '../machine/layout.js';
import { senduipi } from '../machine/senduipi.js';
import { uiFlag } from '../machine/ui-flag.js';
import { checkUpidWrite, freeUpid, putUpid } from '../machine/upid.js';
import { notePosted, type Machine, type Posted, type Upid } from '../machine/state.js';
import { wrmsr } from '../machine/wrmsr.js';
import { xrstors } from '../machine/xrstors.js';
import { xsaves } from '../machine/xsaves.js';
import { pathShape, pathText } from '../syntax/paths.js';
import * as ast from '../syntax/generated/ast.js';
import type { Exec, ExecContext } from './context.js';
import { compileCpu, compileExpr, compileObjHead, imageOf, upidOf } from './expressions.js';
import { compileObject, type CompileEnv } from './names.js';

export function compileInstruction(env: CompileEnv, a: ast.Instruction): Exec {
    return logged(a, compileBare(env, a));
}

/** Records, when tracing, that a hook executed `node`. */
export function logged(node: ast.Instruction | ast.TakeStmt | ast.WakeStmt, exec: Exec): Exec {
    return ctx => {
        if (ctx.ran !== null && ctx.where !== null) ctx.ran.add(ctx.where, node);
        exec(ctx);
    };
}

function compileBare(env: CompileEnv, a: ast.Instruction): Exec {
    if (ast.isXsavesAction(a)) {
        const x = compileObject(env, a.target.bound, a.target.ref?.ref, a.target.bound ?? a.target.ref?.$refText ?? '?');
        return ctx => {
            const r = x(ctx);
            imageOf(r);
            xsaves(ctx.m, ctx.cpu, r);
        };
    }
    if (ast.isXrstorsAction(a)) {
        const x = a.init || !a.target ? null : compileObject(env, a.target.bound, a.target.ref?.ref, a.target.bound ?? a.target.ref?.$refText ?? '?');
        return ctx => {
            const r = x ? x(ctx) : null;
            if (r) imageOf(r);
            const f = xrstors(ctx.m, ctx.cpu, r);
            if (f) ctx.sink.fault(f, ctx.where);
        };
    }
    if (ast.isWrmsrAction(a)) {
        const msr = a.msr;
        if (!isMsrName(msr)) throw new Error(`unknown MSR ${msr}`);
        const v = compileExpr(env, a.value).eval;
        return ctx => {
            const f = wrmsr(ctx.m, ctx.cpu, msr, v(ctx));
            if (f) ctx.sink.fault(f, ctx.where);
        };
    }
    if (ast.isSenduipiAction(a)) {
        const n = compileExpr(env, a.index).eval;
        return ctx => {
            const res = senduipi(ctx.m, ctx.cpu, n(ctx));
            if (res.fault) ctx.sink.fault(res.fault, ctx.where);
            if (res.ipi) ctx.sink.ipi(res.ipi, false);
        };
    }
    if (ast.isFlagAction(a)) {
        const op = a.op;
        return ctx => { uiFlag(ctx.m, ctx.cpu, op); };
    }
    if (ast.isInterruptAction(a)) {
        const v = compileExpr(env, a.vector).eval;
        return ctx => {
            if (ctx.inKernelAction) ctx.m.counters.selfIpis++;
            ctx.sink.ipi(ctx.m.ipi(v(ctx) & 0xffn, ctx.cpu.index, null, ctx.m.cause), true);
        };
    }
    if (ast.isSetAction(a)) return compileSet(env, a);
    if (ast.isFreeAction(a)) {
        const s = pathShape(a.path);
        if (s.kind !== 'upid') throw new Error(`${a.op} needs X.upid`);
        const x = compileObjHead(env, s.obj);
        const put = a.op === 'put';
        return ctx => {
            const u = upidOf(x(ctx));
            if (put) putUpid(ctx.m, u);
            else freeUpid(ctx.m, u);
        };
    }
    throw new Error(`cannot compile action ${(a as ast.Instruction).$type}`);
}

/**
 * A UPID field written by name, one writer per field: hooks write SN and NDST on every context
 * switch, and Machine.w's computed key is a megamorphic access in V8 (see Machine.changed).
 */
const UPID_WRITE: Record<UpidField, (m: Machine, u: Upid, v: bigint) => void> = {
    on: (m, u, v) => m.setOn(u, v),
    pir: (m, u, v) => m.setPir(u, v),
    sn: (m, u, v) => { if (u.sn !== v) { m.changed(u, 'sn', u.sn, v); u.sn = v; } },
    nv: (m, u, v) => { if (u.nv !== v) { m.changed(u, 'nv', u.nv, v); u.nv = v; } },
    ndst: (m, u, v) => { if (u.ndst !== v) { m.changed(u, 'ndst', u.ndst, v); u.ndst = v; } },
};

function compileSet(env: CompileEnv, a: ast.SetAction): Exec {
    const s = pathShape(a.path);
    const v = compileExpr(env, a.value).eval;
    const op = a.op;
    const combine = (old: bigint, val: bigint): bigint => (op === '=' ? val : op === '|=' ? old | val : old & val);
    const text = pathText(a.path);
    if (s.kind === 'upid-field') {
        const x = compileObjHead(env, s.obj);
        const f = s.field;
        const m = mask(UPID_FIELDS[f]);
        const access = `set ${text} writes`; // made once: hooks run this on every context switch
        const write = UPID_WRITE[f];
        return ctx => {
            const u = upidOf(x(ctx));
            checkUpidWrite(ctx.m, u, access);
            const operand = v(ctx);
            const nv = combine(u[f], operand) & m;
            write(ctx.m, u, nv);
            if (f === 'pir' && op !== '&=') {
                // every vector this write sets counts as posted here (never-delivered sits on the last post)
                for (const i of setBits(operand & nv)) notePosted(ctx.m, u, i, ctx.m.cause);
            }
        };
    }
    if (s.kind === 'xsave-field') {
        const x = compileObjHead(env, s.obj);
        const f = s.field;
        const m = mask(XSAVE_FIELDS[f]);
        return ctx => {
            const img = imageOf(x(ctx));
            ctx.m.w(img, f, combine(img[f], v(ctx)) & m);
            if (f === 'uirr') ctx.m.meta(img, 'uirrTags', null);
        };
    }
    throw new Error(`set needs an X.upid.* or X.xsave.* path`);
}

/** `take X.upid.pir into (Y.xsave.uirr | cpu.uirr)`: atomic read-and-clear, OR into the target. */
export function compileTake(env: CompileEnv, t: ast.TakeStmt): Exec {
    const src = pathShape(t.source);
    const dst = pathShape(t.target);
    if (src.kind !== 'upid-field' || src.field !== 'pir') throw new Error('take needs X.upid.pir as its source');
    const x = compileObjHead(env, src.obj);
    const text = pathText(t.source);
    let write: (ctx: ExecContext, bits: bigint, owner: number, postedBy: Posted | null) => void;
    if (dst.kind === 'xsave-field' && dst.field === 'uirr') {
        const y = compileObjHead(env, dst.obj);
        write = (ctx, bits, owner, postedBy) => {
            const img = imageOf(y(ctx));
            ctx.m.w(img, 'uirr', img.uirr | bits);
            ctx.m.meta(img, 'uirrTags', tagBits(img.uirrTags, bits, owner, postedBy));
        };
    } else if (dst.kind === 'cpu-reg' && dst.field === 'uirr') {
        const cpu = compileCpu(dst.cpu);
        write = (ctx, bits, owner, postedBy) => {
            const c = cpu(ctx);
            ctx.m.w(c, 'uirr', c.uirr | bits);
            ctx.m.meta(c, 'uirrTags', tagBits(c.uirrTags, bits, owner, postedBy));
        };
    } else {
        throw new Error('take needs X.xsave.uirr or cpu.uirr as its target');
    }
    const access = `take ${text} writes`;
    return ctx => {
        const u = upidOf(x(ctx));
        checkUpidWrite(ctx.m, u, access);
        const bits = u.pir;
        if (bits === 0n) return;
        ctx.m.w(u, 'pir', 0n);
        write(ctx, bits, u.owner, u.postedBy);
    };
}
