/**
 * Kernel memory operations on UPIDs: reference counts, `free`, `put` (SEMANTICS.md §1, §8).
 * The UPID stays at its address after a free; anything that touches it then is reported.
 */
import type { Machine, Upid } from './state.js';

/** kfree() at once, whoever still points at it. A second free is a use after free. */
export function freeUpid(m: Machine, upid: Upid, access = 'free'): void {
    if (upid.freed) {
        m.emit({ type: 'upid-use-after-free', cause: m.cause, access: `double free: ${access} of`, upidOwner: m.runnables[upid.owner].name, addr: upid.addr, freedBy: upid.freedBy });
        return;
    }
    m.w(upid, 'freed', true);
    m.meta(upid, 'freedBy', m.cause);
    m.w(upid, 'refs', 0);
}

/** Drops one reference; the UPID is freed when none is left. */
export function putUpid(m: Machine, upid: Upid): void {
    if (upid.freed) {
        freeUpid(m, upid, 'put');
        return;
    }
    const refs = upid.refs - 1;
    if (refs <= 0) freeUpid(m, upid, 'put');
    else m.w(upid, 'refs', refs);
}

/** Reports a write into a freed UPID (a `set` or `take`); the write still happens. */
export function checkUpidWrite(m: Machine, upid: Upid, access: string): void {
    if (upid.freed) {
        m.emit({ type: 'upid-use-after-free', cause: m.cause, access, upidOwner: m.runnables[upid.owner].name, addr: upid.addr, freedBy: upid.freedBy });
    }
}
