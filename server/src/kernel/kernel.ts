/**
 * Kernel-level actions (SEMANTICS.md §4): switch, exec, exit, wait, and the kernel vector's
 * wake, each running the policy's hooks with interrupts off.
 */
import type { Runnable } from '../machine/state.js';
import { RunError, type ExecContext } from './context.js';
import type { CompiledHook, CompiledPolicy } from './policy.js';

export class Kernel {
    // each call site reads its hook by name (`hooks.switch_out`): looked up as `hooks[name]` on
    // every context switch, it was a megamorphic access in V8 (a twentieth of a switch)
    private readonly hooks: CompiledPolicy['hooks'];

    constructor(readonly policy: CompiledPolicy) {
        this.hooks = policy.hooks;
    }

    /** Runs one hook, if the policy has it, with the names it binds. */
    private runHook(ctx: ExecContext, hook: CompiledHook | undefined, prev: Runnable | null, next: Runnable | null, cur: Runnable | null): void {
        if (hook === undefined) return;
        const savedPrev = ctx.prev, savedNext = ctx.next, savedCur = ctx.cur, savedWhere = ctx.where, savedKernel = ctx.inKernelAction;
        ctx.prev = prev;
        ctx.next = next;
        ctx.cur = cur;
        ctx.where = hook.where;
        ctx.m.where = hook.where;
        ctx.inKernelAction = true;
        try {
            hook.run(ctx);
        } catch (e) {
            if (e instanceof RunError) throw new RunError(`in ${hook.where}: ${e.message}`);
            throw e;
        } finally {
            ctx.prev = savedPrev;
            ctx.next = savedNext;
            ctx.cur = savedCur;
            ctx.where = savedWhere;
            ctx.m.where = savedWhere;
            ctx.inKernelAction = savedKernel;
        }
    }

    /** `switch X` (§4.1). Throws RunError, changing nothing, when X cannot run here. */
    switchTo(ctx: ExecContext, x: Runnable): void {
        const c = ctx.cpu;
        if (x.kind === 'idle' && x.cpu !== c.index) throw new RunError(`idle of cpu${x.cpu} cannot run on cpu${c.index}`);
        if (x.state === 'waiting') throw new RunError(`cannot switch to ${x.name}: it is waiting in uintr_wait()`);
        if (x.state === 'dead') throw new RunError(`cannot switch to ${x.name}: it has exited`);
        if (x.runningOn !== -1 && x.runningOn !== c.index) throw new RunError(`cannot switch to ${x.name}: it is current on cpu${x.runningOn}`);
        this.contextSwitch(ctx, x);
    }

    /** `exec` (§4.2): the exec hook, then return_to_user. */
    exec(ctx: ExecContext): void {
        const cur = this.runningTask(ctx, 'exec');
        ctx.m.setMode(ctx.cpu, 'kernel');
        this.runHook(ctx, this.hooks.exec, null, null, cur);
        this.runHook(ctx, this.hooks.return_to_user, null, null, cur);
        ctx.m.setMode(ctx.cpu, 'user');
    }

    /** `exit` (§4.3): the exit hook; the task is dead; the CPU switches to idle. */
    exit(ctx: ExecContext): void {
        const cur = this.runningTask(ctx, 'exit');
        ctx.m.setMode(ctx.cpu, 'kernel');
        this.runHook(ctx, this.hooks.exit, null, null, cur);
        ctx.m.setRunState(cur, 'dead');
        this.contextSwitch(ctx, ctx.m.idleOf(ctx.cpu.index));
    }

    /** `wait` (§4.4): the wait hook; the task blocks; the CPU switches to idle. */
    wait(ctx: ExecContext): void {
        const cur = this.runningTask(ctx, 'wait');
        ctx.m.setMode(ctx.cpu, 'kernel');
        this.runHook(ctx, this.hooks.wait, null, null, cur);
        ctx.m.setRunState(cur, 'waiting');
        this.contextSwitch(ctx, ctx.m.idleOf(ctx.cpu.index));
    }

    /** The kernel vector arrived: the wake hook runs on that CPU. */
    wake(ctx: ExecContext): void {
        this.runHook(ctx, this.hooks.wake, null, null, null);
    }

    private runningTask(ctx: ExecContext, what: string): Runnable {
        const cur = ctx.m.currentOf(ctx.cpu);
        if (cur.kind !== 'task') {
            throw new RunError(`${what} needs a task, but ${cur.kind === 'idle' ? 'idle' : 'kthread ' + cur.name} runs on cpu${ctx.cpu.index}`);
        }
        return cur;
    }

    private contextSwitch(ctx: ExecContext, x: Runnable): void {
        const m = ctx.m;
        const c = ctx.cpu;
        const prev = m.currentOf(c);
        m.setMode(c, 'kernel');
        this.runHook(ctx, this.hooks.switch_out, prev, x, null);
        if (prev.state === 'running') m.setRunState(prev, 'runnable');
        m.setRunningOn(prev, -1);
        m.setCurrent(c, x.id);
        m.setRunState(x, 'running');
        m.setRunningOn(x, c.index);
        this.runHook(ctx, this.hooks.switch_in, prev, x, null);
        if (x.kind === 'task') {
            this.runHook(ctx, this.hooks.return_to_user, null, null, x);
            m.setMode(c, 'user');
        }
    }
}
