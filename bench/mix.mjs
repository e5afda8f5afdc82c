// What bench/emulator.mjs and bench/lsp.mjs generate their scenarios from: a seeded random
// source and one machine (4 CPUs; receivers, senders with their UITT targets, kthreads).

/** A deterministic random source in [0, 1) (mulberry32): the benchmarks use no Math.random. */
export function mulberry32(seed) {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export const CPUS = 4;
export const RECEIVERS = 6;
export const SENDERS = 6;
export const TARGETS_PER_SENDER = 4;
export const KTHREADS = 2;

/**
 * Appends the declarations to `out` (receivers r0.., each with its handler; senders s0.., each
 * with TARGETS_PER_SENDER receivers and vectors; kthreads k0..) and returns the names, with
 * each sender's targets as [receiver, vector] pairs in UITT order.
 */
export function declare(out) {
    const receivers = [], senders = [], kthreads = [];
    for (let i = 0; i < RECEIVERS; i++) {
        receivers.push(`r${i}`);
        out.push(`task r${i} { handler 0x${(0x401000 + 0x100 * i).toString(16)} stack_adjust 128 }`);
    }
    const targets = new Map();
    for (let j = 0; j < SENDERS; j++) {
        const list = [];
        for (let k = 0; k < TARGETS_PER_SENDER; k++) list.push([`r${(j + k) % RECEIVERS}`, (j * TARGETS_PER_SENDER + k * 7) % 64]);
        targets.set(`s${j}`, list);
        senders.push(`s${j}`);
        out.push(`task s${j} { ${list.map(([r, v]) => `target ${r} vector ${v}`).join('  ')} }`);
    }
    for (let k = 0; k < KTHREADS; k++) {
        kthreads.push(`k${k}`);
        out.push(`kthread k${k}`);
    }
    out.push('');
    return { receivers, senders, kthreads, targets };
}
