/**
 * The hooks a policy may define and the names each binds (LANGUAGE.md §10): one table for the
 * static checks, the policy compiler, hovers and completion.
 */
export const HOOK_NAMES = ['switch_out', 'switch_in', 'return_to_user', 'exec', 'exit', 'wait', 'wake'] as const;
export type HookName = typeof HOOK_NAMES[number];

export function isHookName(s: string): s is HookName {
    return (HOOK_NAMES as readonly string[]).includes(s);
}

/** The names each hook binds; `cpu` is bound in every hook. */
export const HOOK_BINDINGS: Record<HookName, readonly string[]> = {
    switch_out: ['prev', 'next', 'cpu'],
    switch_in: ['prev', 'next', 'cpu'],
    return_to_user: ['cur', 'cpu'],
    exec: ['cur', 'cpu'],
    exit: ['cur', 'cpu'],
    wait: ['cur', 'cpu'],
    wake: ['cpu'],
};

/** Every name some hook binds: prev, next, cur, cpu. */
export const BOUND_NAMES: ReadonlySet<string> = new Set(Object.values(HOOK_BINDINGS).flat());
