/**
 * Builds the initial machine from declarations (LANGUAGE.md §3 "Tasks"): UPIDs for
 * receivers, UITTs for senders, XSAVE images, all at their fixed addresses.
 */
import { UITT_SIZE_VALUE, upidAddress, uittAddress } from './layout.js';
import { Machine, NO_CAUSE, type MachineConfig, type Runnable, type UittEntry, type XsaveImage } from './state.js';

export interface TaskSpec {
    readonly name: string;
    /** Present for a receiver. */
    readonly handler?: bigint;
    readonly stackAdjust?: bigint;
    readonly uif?: bigint;
    readonly ndst?: bigint;
    /** UITT entries in index order: the receiver's name and the user vector. */
    readonly targets: readonly { readonly task: string; readonly vector: bigint }[];
}

/** Creates the machine with its idle threads, then the tasks and kthreads in order. */
export function buildMachine(config: MachineConfig, tasks: readonly TaskSpec[], kthreads: readonly string[]): Machine {
    const m = new Machine(config);
    const byName = new Map<string, Runnable>();
    let receivers = 0;
    const refs = new Map<string, number>();
    for (const t of tasks) for (const e of t.targets) refs.set(e.task, (refs.get(e.task) ?? 0) + 1);
    for (const t of tasks) {
        let upid = null;
        if (t.handler !== undefined) {
            const addr = upidAddress(receivers++);
            upid = {
                id: m.upids.length, addr, owner: m.runnables.length,
                on: 0n, sn: 0n, nv: config.uinv, ndst: t.ndst ?? 0n, pir: 0n, reserved: 0n,
                freed: false, refs: 1 + (refs.get(t.name) ?? 0), freedBy: NO_CAUSE, postedBy: null, kid: -1, kgen: 0, serial: -1,
            };
            m.upids.push(upid);
            m.upidIndex.set(addr, upid.id);
        }
        const image: XsaveImage = {
            id: m.images.length, owner: m.runnables.length, present: 0n,
            uihandler: 0n, uistackadjust: 0n, uittsz: 0n, uinv: 0n, uif: 0n, upidaddr: 0n, uirr: 0n, uittaddr: 0n,
            miscReserved: 0n, uirrTags: null, savedBy: NO_CAUSE, kid: -1, kgen: 0, serial: -1,
        };
        m.images.push(image);
        const r = m.addRunnable(t.name, 'task', upid, null, image);
        byName.set(t.name, r);
        if (upid) {
            image.present = 1n;
            image.uihandler = t.handler!;
            image.uistackadjust = t.stackAdjust ?? 0n;
            image.uinv = config.uinv;
            image.upidaddr = upid.addr;
            image.uif = t.uif ?? 1n;
        }
    }
    let senders = 0;
    for (const t of tasks) {
        if (t.targets.length === 0) continue;
        const r = byName.get(t.name)!;
        const addr = uittAddress(senders++);
        const entries: UittEntry[] = t.targets.map(e => {
            const target = byName.get(e.task)?.upid;
            if (!target) throw new Error(`target ${e.task} of ${t.name} is not a receiver`);
            return { valid: true, uv: e.vector, upidaddr: target.addr, reserved: 0n };
        });
        const uitt = { addr, owner: r.id, entries };
        m.uittsByAddr.set(addr, uitt);
        r.uitt = uitt;
        const img = r.image!;
        img.present = 1n;
        img.uittaddr = addr | 1n;
        img.uittsz = UITT_SIZE_VALUE;
        if (!r.upid) img.uif = t.uif ?? 0n;
    }
    for (const k of kthreads) m.addRunnable(k, 'kthread', null, null, null);
    return m;
}
