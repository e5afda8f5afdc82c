/**
 * Policies are code (LANGUAGE.md §10): a policy's hooks, with those it inherits through
 * `extends`, compiled into closures that run against the machine.
 */
import * as ast from '../syntax/generated/ast.js';
import { inPrelude } from '../syntax/prelude-uri.js';
import type { Exec } from './context.js';
import { compileCond } from './expressions.js';
import { compileInstruction, compileTake, logged } from './instructions.js';
import { compileObject, type CompileEnv } from './names.js';
import { HOOK_NAMES, type HookName } from '../syntax/hooks.js';

export interface CompiledHook {
    readonly run: Exec;
    /** For messages: "lazy_fpu.return_to_user", or "linux_rfc.exit (inherited by tglx)". */
    readonly where: string;
    /** The hook's source, for hovers and traces. */
    readonly node: ast.Hook;
}

export interface CompiledPolicy {
    readonly name: string;
    readonly hooks: Partial<Record<HookName, CompiledHook>>;
    /** Number of `foreach` variable slots the hooks need. */
    readonly slots: number;
}

/** The chain from a policy up through what it extends (stops at a cycle). */
export function policyChain(p: ast.Policy): ast.Policy[] {
    const chain: ast.Policy[] = [];
    for (let q: ast.Policy | undefined = p; q && !chain.includes(q); q = q.parent?.ref) chain.push(q);
    return chain;
}

/** The hook a policy runs for `name`: its own, or the nearest inherited one. */
export function findHook(p: ast.Policy, name: HookName): { hook: ast.Hook; owner: ast.Policy } | undefined {
    for (const q of policyChain(p)) {
        const hook = q.hooks.find(h => h.hook === name);
        if (hook) return { hook, owner: q };
    }
    return undefined;
}

/** What a hook's `where` adds when the policy run inherits it: "linux_rfc.exit (inherited by tglx)". */
const INHERITED = ' (inherited by ';

/**
 * A hook's `where` split for a message: the hook itself, and a note for the message's end when
 * it is inherited — "lazy_fpu.exec (inherited by linux_rfc)" gives "lazy_fpu.exec" and
 * "lazy_fpu.exec is inherited by linux_rfc", so that a message reads "XRSTORS init in
 * lazy_fpu.exec would #GP: …" as SEMANTICS.md §6 writes it.
 */
export function hookPlace(where: string | null): [string | null, string] {
    if (!where) return [null, ''];
    const at = where.indexOf(INHERITED);
    if (at < 0) return [where, ''];
    const hook = where.slice(0, at);
    return [hook, `${hook} is inherited by ${where.slice(at + INHERITED.length, -1)}`];
}

/** Built-in policies compiled for a UINV and kernel vector ("uinv:kv"), per policy node. */
const builtins = new WeakMap<ast.Policy, Map<string, CompiledPolicy>>();

/**
 * A policy compiled for a run: a built-in one once per UINV and kernel vector (its hooks name
 * no task of the file, so that is all its code depends on; a small scenario's run spent a tenth
 * of its time compiling it again), any other one afresh.
 */
export function compilePolicyForRun(base: Omit<CompileEnv, 'slotOf'>, p: ast.Policy): CompiledPolicy {
    if (!inPrelude(p)) return compilePolicy(base, p);
    let byConfig = builtins.get(p);
    if (!byConfig) builtins.set(p, byConfig = new Map());
    const key = `${base.uinv}:${base.kernelVector}`;
    let compiled = byConfig.get(key);
    if (!compiled) byConfig.set(key, compiled = compilePolicy(base, p));
    return compiled;
}

export function compilePolicy(base: Omit<CompileEnv, 'slotOf'>, p: ast.Policy): CompiledPolicy {
    const slots = new Map<ast.ForeachStmt, number>();
    const env: CompileEnv = {
        ...base,
        runnableId: base.runnableId,
        slotOf: node => {
            let s = slots.get(node);
            if (s === undefined) slots.set(node, s = slots.size);
            return s;
        },
    };
    const hooks: Partial<Record<HookName, CompiledHook>> = {};
    for (const name of HOOK_NAMES) {
        const found = findHook(p, name);
        if (!found) continue;
        const where = `${found.owner.name}.${name}` + (found.owner !== p ? `${INHERITED}${p.name})` : '');
        hooks[name] = { run: compileBlock(env, found.hook.body), where, node: found.hook };
    }
    return { name: p.name, hooks, slots: slots.size };
}

function compileBlock(env: CompileEnv, stmts: readonly ast.Stmt[]): Exec {
    const parts = stmts.map(s => compileStmt(env, s));
    if (parts.length === 1) return parts[0];
    return ctx => {
        for (const p of parts) p(ctx);
    };
}

function compileStmt(env: CompileEnv, s: ast.Stmt): Exec {
    if (ast.isIfStmt(s)) {
        const cond = compileCond(env, s.cond);
        const then = compileBlock(env, s.then);
        const otherwise = compileBlock(env, s.else);
        return ctx => (cond(ctx) ? then(ctx) : otherwise(ctx));
    }
    if (ast.isTakeStmt(s)) return logged(s, compileTake(env, s));
    if (ast.isForeachStmt(s)) {
        const slot = env.slotOf(s);
        const body = compileBlock(env, s.body);
        return ctx => {
            const waiting = ctx.m.runnables.filter(r => r.state === 'waiting');
            for (const r of waiting) {
                ctx.vars[slot] = r;
                body(ctx);
            }
            ctx.vars[slot] = null;
        };
    }
    if (ast.isWakeStmt(s)) {
        const x = compileObject(env, s.target.bound, s.target.ref?.ref, s.target.bound ?? s.target.ref?.$refText ?? '?');
        return logged(s, ctx => {
            const r = x(ctx);
            if (r.state === 'waiting') ctx.m.setRunState(r, 'runnable');
        });
    }
    return compileInstruction(env, s);
}
