/**
 * The shape of a state path (LANGUAGE.md §5), read off the syntax tree. Shared by the static
 * checks, which report a bad shape, and the compiler, which trusts a checked one.
 */
import type { Reference } from 'langium';
import { isCpuField, isUpidField, isXsaveField, type CpuField, type UpidField, type XsaveField } from '../machine/fields.js';
import type * as ast from './generated/ast.js';

/** A CPU: its index, or the CPU a hook runs on. */
export type CpuHead = number | 'hook';

/** A task or kthread: a hook-bound name or a reference. */
export interface ObjHead {
    readonly bound?: 'prev' | 'next' | 'cur';
    readonly ref?: Reference<ast.NamedElement>;
    readonly text: string;
}

export type PathShape =
    | { kind: 'cpu'; cpu: CpuHead }
    | { kind: 'cpu-reg'; cpu: CpuHead; field: CpuField }
    | { kind: 'cpu-mode'; cpu: CpuHead }
    | { kind: 'cpu-current'; cpu: CpuHead }
    | { kind: 'object'; obj: ObjHead }
    | { kind: 'upid'; obj: ObjHead }
    | { kind: 'uitt'; obj: ObjHead }
    | { kind: 'upid-field'; obj: ObjHead; field: UpidField }
    | { kind: 'xsave-field'; obj: ObjHead; field: XsaveField }
    | { kind: 'error'; message: string; segment: number };

/** The CPU index of a `cpuN` token. */
export function cpuIndex(token: string): number {
    return Number(token.slice(3));
}

export function pathText(p: ast.PathExpr): string {
    const head = p.head?.cpu ?? p.head?.bound ?? p.head?.ref?.$refText ?? '?';
    return [head, ...p.segments].join('.');
}

/** What `idle.upid` and the like are (decisions.md #23): the static check says it at `idle`. */
export const IDLE_PATH = 'idle is a kernel thread (the CPU\'s idle thread): it has no UPID, UITT or XSAVE image';

export function pathShape(p: ast.PathExpr): PathShape {
    const h = p.head;
    const segs = p.segments;
    const err = (message: string, segment: number): PathShape => ({ kind: 'error', message, segment });
    // no head: only after the parser's recovery, which reported what is missing
    if (h === undefined) return err('a path starts with a CPU, a bound name or a task', 0);
    if (h.idle) return err(IDLE_PATH, 0);
    if (h.cpu !== undefined || h.bound === 'cpu') {
        const cpu: CpuHead = h.cpu !== undefined ? cpuIndex(h.cpu) : 'hook';
        if (segs.length === 0) return { kind: 'cpu', cpu };
        const f = segs[0];
        if (segs.length > 1) return err(`'${f}' of a CPU has no fields`, 1);
        if (f === 'mode') return { kind: 'cpu-mode', cpu };
        if (f === 'current') return { kind: 'cpu-current', cpu };
        if (isCpuField(f)) return { kind: 'cpu-reg', cpu, field: f };
        return err(`a CPU has no register '${f}' (expected one of uinv, uirr, uif, uihandler, uistackadjust, uittsz, upidaddr, uittaddr, mode, current)`, 0);
    }
    const obj: ObjHead = h.bound ? { bound: h.bound as ObjHead['bound'], text: h.bound } : { ref: h.ref, text: h.ref?.$refText ?? '?' };
    if (segs.length === 0) return { kind: 'object', obj };
    const [a, b] = segs;
    if (a === 'upid') {
        if (segs.length === 1) return { kind: 'upid', obj };
        if (segs.length > 2) return err(`'${b}' has no fields`, 2);
        if (isUpidField(b)) return { kind: 'upid-field', obj, field: b };
        return err(`a UPID has no field '${b}' (expected one of on, sn, nv, ndst, pir)`, 1);
    }
    if (a === 'xsave') {
        if (segs.length === 1) return err(`'${obj.text}.xsave' needs a field (present, uinv, uirr, uif, uihandler, uistackadjust, uittsz, upidaddr, uittaddr)`, 0);
        if (segs.length > 2) return err(`'${b}' has no fields`, 2);
        if (isXsaveField(b)) return { kind: 'xsave-field', obj, field: b };
        return err(`an XSAVE image has no field '${b}' (expected one of present, uinv, uirr, uif, uihandler, uistackadjust, uittsz, upidaddr, uittaddr)`, 1);
    }
    if (a === 'uitt') {
        if (segs.length > 1) return err(`'${obj.text}.uitt' is an address and has no fields`, 1);
        return { kind: 'uitt', obj };
    }
    return err(`'${a}' is not a part of ${obj.text} (expected upid, xsave or uitt)`, 0);
}
