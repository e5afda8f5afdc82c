/**
 * The reserved words of LANGUAGE.md §2: none may name a task, kthread or policy (`manual`
 * only a policy, and only the built-in one).
 */
export const RESERVED_WORDS: ReadonlySet<string> = new Set(`scenario machine cpus uinv kernel_vector policy ipi immediate
deferred handlers auto xrstors_init strict lenient task handler stack_adjust uif ndst target vector kthread race with
expect delivered not pending gp no lost switch exec exit wait xsaves xrstors init wrmsr senduipi stui clui testui uiret
interrupt set free put extends on if else take into foreach waiting wake user kthread receiver sender valid and or prev
next cur cpu idle kernel manual`.split(/\s+/));

/** `cpu` and a decimal index without a leading zero. */
export const CPU_NAME = /^cpu(?:0|[1-9][0-9]*)$/;

/** Why a word cannot name a task, kthread or policy of a user file (LANGUAGE.md §2), or undefined. */
export function reservedName(name: string): 'cpu' | 'reserved' | undefined {
    return CPU_NAME.test(name) ? 'cpu' : RESERVED_WORDS.has(name) ? 'reserved' : undefined;
}
