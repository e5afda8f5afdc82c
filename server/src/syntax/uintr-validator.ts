/**
 * The static checks of LANGUAGE.md §3 and §8. Every diagnostic has the code `syntax` or
 * `semantic`; a finer kind for quick fixes travels in `data.kind`.
 */
import { AstUtils, CstUtils, GrammarUtils, type AstNode, type ValidationAcceptor, type ValidationChecks } from 'langium';
import type { Range } from 'vscode-languageserver-types';
import { isMsrName } from '../machine/layout.js';
import { UPID_FIELDS, XSAVE_FIELDS } from '../machine/fields.js';
import * as ast from './generated/ast.js';
import { TWO_64, parseNumber } from './numbers.js';
import { IDLE_PATH, pathShape, type ObjHead, type PathShape } from './paths.js';
import { isPreludeOrCopy } from './prelude-uri.js';
import { BRANCH_HOLDS_STEPS } from './message-text.js';
import { startsPart, startsPartOrStatement } from './parse-errors.js';
import { countBelow } from './nesting.js';
import { partStarts } from './cst-offsets.js';
import { CPU_NAME, reservedName } from './reserved.js';
import { HOOK_BINDINGS, HOOK_NAMES, isHookName } from './hooks.js';
import type { UintrServices } from './uintr-module.js';

export const BUILTIN_POLICIES = ['manual', 'eager', 'lazy_fpu', 'linux_rfc', 'independent', 'tglx'] as const;
export const DEFAULT_UINV = 0xecn;
export const DEFAULT_KERNEL_VECTOR = 0xebn;
export const MAX_CPUS = 64;

export function registerValidationChecks(services: UintrServices): void {
    const registry = services.validation.ValidationRegistry;
    const v = services.validation.UintrValidator;
    const checks: ValidationChecks<ast.UintrAstType> = {
        File: v.checkFile.bind(v),
        Task: v.checkTask.bind(v),
        Policy: v.checkPolicy.bind(v),
        Hook: v.checkHook.bind(v),
        Step: v.checkStep.bind(v),
        Branch: v.checkBranch.bind(v),
        PathExpr: v.checkPath.bind(v),
        WordExpr: v.checkWord.bind(v),
        NumberLit: v.checkNumberLit.bind(v),
        XsavesAction: v.checkSaveRestore.bind(v),
        XrstorsAction: v.checkSaveRestore.bind(v),
        WrmsrAction: v.checkWrmsr.bind(v),
        InterruptAction: v.checkInterrupt.bind(v),
        SetAction: v.checkSet.bind(v),
        FreeAction: v.checkFree.bind(v),
        TakeStmt: v.checkTake.bind(v),
        ObjRef: v.checkObjRef.bind(v),
        CmpExp: v.checkCompare.bind(v),
        CmpCond: v.checkCondCompare.bind(v),
        ParenCmp: v.checkParenCmp.bind(v),
        DeliveredExp: v.checkDelivered.bind(v),
        SwitchAction: v.checkSwitch.bind(v),
    };
    registry.register(checks, v);
}

type Kind = 'syntax' | 'semantic';

/** Policies whose `extends` chain is known to end (without a cycle): see checkPolicy. */
const reachesRoot = new WeakSet<ast.Policy>();

/** The hook each node was found in (null: none), for {@link hookOf}. */
const hookCache = new WeakMap<AstNode, ast.Hook | null>();

/**
 * The hook a node is in, or null. Every node passed on the way up is remembered: a condition of
 * 30,000 `and`s is a tree as deep, and each `cur` in it walked up all of it (11.6 s to check).
 */
function hookOf(node: AstNode): ast.Hook | null {
    const passed: AstNode[] = [];
    let found: ast.Hook | null = null;
    for (let n: AstNode | undefined = node; n; n = n.$container) {
        const known = hookCache.get(n);
        if (known !== undefined) {
            found = known;
            break;
        }
        if (ast.isHook(n)) {
            found = n;
            break;
        }
        passed.push(n);
    }
    for (const n of passed) hookCache.set(n, found);
    return found;
}

/** The `data.kind` of a comparison in a condition that lacks its operator (see checkCondCompare). */
export const MISSING_OPERATOR = 'missing-operator';

/**
 * Whether an expression stands where a number is needed: anywhere but directly beside a
 * comparison operator (checkCompare judges those) or as the path a `set`, `free`/`put` or
 * `take` names.
 */
function usedAsNumber(e: ast.Expr): boolean {
    const parent = e.$container;
    if (ast.isCmpExp(parent) || ast.isCmpCond(parent)) return false;
    if (ast.isSetAction(parent) && e.$containerProperty === 'path') return false;
    return !ast.isFreeAction(parent) && !ast.isTakeStmt(parent);
}

function report(accept: ValidationAcceptor, code: Kind, message: string, node: AstNode, property?: string, index?: number, kind?: string): void {
    accept('error', message, { node, property: property as never, index, code, data: kind ? { kind } : undefined });
}

/** What starts a part of the file, or a hook (`on` alone, then `on exec { … }`: the first took the second's `on`). */
function startsPartOrHook(text: string): boolean {
    return startsPart(text) || /^on(?![A-Za-z0-9_])/.test(text);
}

/** The `kind` of an expectation in a race's branch (checkBranch). */
export const MISPLACED_EXPECT = 'misplaced-expect';

/** The `kind` of a name taken from the next line (see {@link reportTaken}). */
export const TAKEN_WORD = 'taken-word';

/**
 * A word that a declaration or a hook took for its name, or a path for its field (`index`: the
 * segment), from the start of the next line, where it starts a part of the file (or, by
 * `starts`, a statement): `task` alone, then `task rz { … }` (the first took the second's
 * keyword), `on` then a declaration, `expect cpu1.` then `expect no lost`. Reported right after
 * the word before it, on the line that ends too early, as the parser's errors are
 * (parse-errors.ts, decisions #33).
 */
function reportTaken(accept: ValidationAcceptor, node: AstNode, property: string, what: string, starts: (text: string) => boolean = startsPart, index?: number): boolean {
    const word = GrammarUtils.findNodeForProperty(node.$cstNode, property, index);
    const before = word && CstUtils.getPreviousNode(word, false);
    const text = node.$cstNode?.root.fullText;
    if (!word || !before || text === undefined || before.offset < node.$cstNode!.offset || before.range.end.line >= word.range.start.line
        || !starts(text.slice(word.offset, word.offset + 40))) return false;
    const range: Range = { start: before.range.end, end: before.range.end };
    // what the parser met from the taken word on, until the next part it found, follows from it
    // (normalizeDiagnostics): the text after the word was read as the rest of this part
    const parts = partStarts(AstUtils.findRootNode(node));
    const next = countBelow(parts.offsets, word.offset + 1);
    const until = next < parts.offsets.length ? parts.nodes[next].range.start : undefined;
    accept('error', `this line ends too early: '${word.text}', which starts the next line, was read as ${what}`,
        { node, range, code: 'syntax', data: { kind: TAKEN_WORD, takenAt: word.range.start, until } });
    return true;
}

/** Whether a path's segment is a CPU name that starts a line, with a ':' after it: the next line's step, taken into a path cut after its '.'. */
function takenStep(p: ast.PathExpr, index: number): boolean {
    const word = GrammarUtils.findNodeForProperty(p.$cstNode, 'segments', index);
    const text = p.$cstNode?.root.fullText;
    if (!word || text === undefined || !CPU_NAME.test(word.text)) return false;
    const before = CstUtils.getPreviousNode(word, false);
    return before !== undefined && before.range.end.line < word.range.start.line && /^[ \t]*:/.test(text.slice(word.end, word.end + 80));
}

/** `1 << vector` as a hexadecimal literal for a message, or `(1 << vector)` when the vector is not a user vector. */
function vectorMask(vector: string): string {
    const v = numberValue(vector);
    return v !== undefined && v <= 63n ? `0x${(1n << v).toString(16)}` : `(1 << ${vector})`;
}

/** The machine settings a file declares, with the defaults of LANGUAGE.md §3. */
export interface MachineSettings {
    cpus: number;
    uinv: bigint;
    kernelVector: bigint;
}

const settingsCache = new WeakMap<ast.File, MachineSettings>();

export function machineSettings(file: ast.File | undefined): MachineSettings {
    if (!file) return computeSettings(undefined);
    let s = settingsCache.get(file);
    if (!s) settingsCache.set(file, s = computeSettings(file));
    return s;
}

function computeSettings(file: ast.File | undefined): MachineSettings {
    const s: MachineSettings = { cpus: 1, uinv: DEFAULT_UINV, kernelVector: DEFAULT_KERNEL_VECTOR };
    for (const p of file?.machine?.props ?? []) {
        if (!ast.isNumberProp(p)) continue;
        const v = parseNumber(p.value) ?? 0n;
        if (p.kind === 'cpus') s.cpus = v >= 1n && v <= BigInt(MAX_CPUS) ? Number(v) : 1;
        else if (p.kind === 'uinv') s.uinv = v & 0xffn;
        else s.kernelVector = v & 0xffn;
    }
    return s;
}

function fileOf(node: AstNode): ast.File | undefined {
    const root = AstUtils.findRootNode(node);
    return ast.isFile(root) ? root : undefined;
}

function numberValue(text: string | undefined): bigint | undefined {
    if (text === undefined) return undefined;
    const v = parseNumber(text);
    return v === null || v >= TWO_64 ? undefined : v;
}

export function isReceiver(t: ast.Task): boolean {
    return t.props.some(p => p.kind === 'handler');
}

export function isSender(t: ast.Task): boolean {
    return t.props.some(p => p.kind === 'target');
}

/** A constant expression's value, or undefined when it reads state. */
export function constantOf(e: ast.Expr | undefined, settings: MachineSettings): bigint | undefined {
    if (!e) return undefined;
    if (ast.isNumberLit(e)) return numberValue(e.value);
    if (ast.isConstExpr(e)) return e.name === 'uinv' ? settings.uinv : settings.kernelVector;
    if (ast.isNotExpr(e)) {
        const a = constantOf(e.operand, settings);
        return a === undefined ? undefined : ~a & (TWO_64 - 1n);
    }
    if (ast.isBinExpr(e)) {
        const l = constantOf(e.left, settings), r = constantOf(e.right, settings);
        if (l === undefined || r === undefined) return undefined;
        switch (e.op) {
            case '|': return l | r;
            case '^': return l ^ r;
            case '&': return l & r;
            case '<<': return r > 127n ? 0n : (l << r) & (TWO_64 - 1n);
            case '>>': return r > 127n ? 0n : l >> r;
        }
    }
    return undefined;
}

export class UintrValidator {
    checkFile(file: ast.File, accept: ValidationAcceptor): void {
        const doc = AstUtils.getDocument(file);
        const prelude = isPreludeOrCopy(doc.uri.toString(), doc.textDocument.getText());
        // machine properties: each once, in range
        const seen = new Map<string, ast.MachineProp>();
        for (const p of file.machine?.props ?? []) {
            if (seen.has(p.kind)) report(accept, 'semantic', `machine property '${p.kind}' is given twice`, p, 'kind', undefined, 'duplicate-property');
            seen.set(p.kind, p);
            if (ast.isNumberProp(p)) {
                this.checkLiteral(p.value, p, 'value', accept);
                const v = numberValue(p.value);
                if (v === undefined) continue;
                if (p.kind === 'cpus' && (v < 1n || v > BigInt(MAX_CPUS))) report(accept, 'semantic', `cpus must be 1..${MAX_CPUS}, not ${v}`, p, 'value', undefined, 'out-of-range');
                if (p.kind !== 'cpus' && v > 255n) report(accept, 'semantic', `${p.kind} is a vector (0..255), not ${p.value}`, p, 'value', undefined, 'too-wide');
            }
        }
        const s = machineSettings(file);
        if (s.uinv === s.kernelVector) {
            const u = seen.get('uinv'), k = seen.get('kernel_vector');
            const later = u && k ? (u.$cstNode!.offset > k.$cstNode!.offset ? u : k) : (u ?? k);
            const msg = `uinv and kernel_vector must differ (both are 0x${s.uinv.toString(16)})`;
            if (later) report(accept, 'semantic', msg, later, 'value', undefined, 'uinv-kernel-vector');
        }
        // names: one namespace for tasks, kthreads and policies
        const names = new Map<string, AstNode>();
        for (const d of file.decls) {
            const name = d.name;
            if (!name) continue;
            const what = ast.isTask(d) ? 'task' : ast.isKThread(d) ? 'kthread' : 'policy';
            const reserved = reservedName(name);
            if (reserved === 'cpu') {
                report(accept, 'syntax', `'${name}' is a CPU name and cannot name a ${what}`, d, 'name');
                continue;
            }
            // `manual` is reserved (LANGUAGE.md §2) and names the built-in policy: only the prelude may declare it
            if (reserved === 'reserved' && !(prelude && ast.isPolicy(d) && name === 'manual')) {
                if (reportTaken(accept, d, 'name', `the ${what}'s name`)) continue;
                const also = name === 'manual' ? ' (it is also the name of a built-in policy)' : '';
                report(accept, 'syntax', `'${name}' is a reserved word${also} and cannot name a ${what}`, d, 'name');
                continue;
            }
            if (names.has(name)) report(accept, 'semantic', `'${name}' is already declared`, d, 'name', undefined, 'duplicate-name');
            else names.set(name, d);
            if (ast.isPolicy(d) && !prelude && (BUILTIN_POLICIES as readonly string[]).includes(name)) {
                report(accept, 'semantic', `policy '${name}' shadows the built-in policy of that name`, d, 'name', undefined, 'shadowed-policy');
            }
        }
    }

    checkTask(t: ast.Task, accept: ValidationAcceptor): void {
        const s = machineSettings(fileOf(t));
        const receiver = isReceiver(t);
        const seen = new Set<string>();
        for (const p of t.props) {
            if (p.kind !== 'target') {
                if (seen.has(p.kind)) report(accept, 'semantic', `task property '${p.kind}' is given twice`, p, 'kind', undefined, 'duplicate-property');
                seen.add(p.kind);
            }
            if ((p.kind === 'uif' || p.kind === 'stack_adjust' || p.kind === 'ndst') && !receiver) {
                report(accept, 'semantic', `'${p.kind}' needs a receiver: ${t.name} has no handler`, p, 'kind', undefined, 'not-receiver');
            }
            this.checkLiteral(p.value, p, 'value', accept);
            const v = numberValue(p.value);
            if (v === undefined) continue;
            if (p.kind === 'uif' && v > 1n) report(accept, 'semantic', `uif is one bit (0 or 1), not ${p.value}`, p, 'value', undefined, 'too-wide');
            if (p.kind === 'ndst' && v >= BigInt(s.cpus)) report(accept, 'semantic', `ndst ${p.value} names no CPU (the machine has ${s.cpus})`, p, 'value', undefined, 'too-wide');
            if (p.kind === 'target') {
                if (v > 63n) report(accept, 'semantic', `a user vector is 0..63, not ${p.value}`, p, 'value', undefined, 'too-wide');
                const target = p.target?.ref;
                if (target && !isReceiver(target)) report(accept, 'semantic', `target ${target.name} is not a receiver (it has no handler)`, p, 'target', undefined, 'not-receiver');
            }
        }
    }

    checkPolicy(p: ast.Policy, accept: ValidationAcceptor): void {
        const seen = new Set<string>();
        for (const h of p.hooks) {
            if (seen.has(h.hook)) report(accept, 'semantic', `hook '${h.hook}' is defined twice in policy ${p.name}`, h, 'hook', undefined, 'duplicate-hook');
            seen.add(h.hook);
        }
        // the `extends` chain: one walk per policy, ended at a policy already known to reach a root
        // (a chain of 10,000 policies took 49 s when every policy walked it all, testing each
        // step against the chain so far)
        const chain: ast.Policy[] = [p];
        const onChain = new Set<ast.Policy>(chain);
        let q = p.parent?.ref;
        for (; q && !reachesRoot.has(q); q = q.parent?.ref) {
            if (q === p) {
                // a long cycle is named by its ends (each of its policies says it: a cycle of
                // 3,000 wrote 78 MB)
                const names = [...chain.map(c => c.name), p.name];
                const shown = names.length > 12 ? [...names.slice(0, 10), '…', ...names.slice(-2)] : names;
                report(accept, 'semantic', `policy ${p.name} extends itself through ${shown.join(' -> ')}${names.length > 12 ? ` (${names.length - 1} policies)` : ''}`, p, 'parent', undefined, 'extends-cycle');
                return;
            }
            if (onChain.has(q)) return; // into a cycle that its own policies report
            chain.push(q);
            onChain.add(q);
        }
        for (const c of chain) reachesRoot.add(c);
    }

    checkHook(h: ast.Hook, accept: ValidationAcceptor): void {
        // no word at all (`on {`, `on 42`): the parser's error says what is missing
        if (h.hook !== undefined && !isHookName(h.hook) && !reportTaken(accept, h, 'hook', 'the hook\'s name', startsPartOrHook)) {
            report(accept, 'syntax', `unknown hook '${h.hook}' (expected one of ${HOOK_NAMES.join(', ')})`, h, 'hook');
        }
    }

    /** A race's branch holds steps only (LANGUAGE.md §7): an expectation in it is a `syntax` error at its keyword (a race in it, a parser error: parse-errors.ts). */
    checkBranch(b: ast.Branch, accept: ValidationAcceptor): void {
        for (const m of b.misplaced) {
            accept('error', BRANCH_HOLDS_STEPS + 'no expectations (one may follow the race)', { node: m, keyword: 'expect', code: 'syntax', data: { kind: MISPLACED_EXPECT } });
        }
    }

    checkStep(step: ast.Step, accept: ValidationAcceptor): void {
        const s = machineSettings(fileOf(step));
        const n = Number(step.cpu.slice(3));
        if (n >= s.cpus) report(accept, 'semantic', `${step.cpu} does not exist: the machine has ${s.cpus} CPU${s.cpus === 1 ? '' : 's'}`, step, 'cpu', undefined, 'no-such-cpu');
    }

    checkNumberLit(n: ast.NumberLit, accept: ValidationAcceptor): void {
        this.checkLiteral(n.value, n, 'value', accept);
    }

    checkLiteral(text: string | undefined, node: AstNode, property: string, accept: ValidationAcceptor): void {
        if (text === undefined) return;
        const v = parseNumber(text);
        if (v !== null && v >= TWO_64) report(accept, 'semantic', `${text} does not fit in 64 bits`, node, property, undefined, 'too-wide');
    }

    checkPath(p: ast.PathExpr, accept: ValidationAcceptor): void {
        if (!p.head) return; // the parser's recovery made it: its syntax error says what is missing
        if (p.head.idle) {
            // §8's error of a kthread's state, as `free k.upid` of a declared one (decisions.md #23)
            report(accept, 'semantic', IDLE_PATH, p.head, 'idle', undefined, 'kthread-state');
            return;
        }
        const shape = pathShape(p);
        if (shape.kind === 'error') {
            const at = Math.min(shape.segment, p.segments.length - 1);
            // the next line's `cpuN:` taken as a segment: the parser's error at the ':' says it (parse-errors.ts)
            if (p.segments.length > 0 && takenStep(p, at)) return;
            // a path cut after its '.' that took the next line's first word (`expect cpu1.`, then
            // `expect no lost`): the cut line is what is wrong (the parser saw nothing amiss)
            if (p.segments.length > 0 && reportTaken(accept, p, 'segments', 'part of it', startsPartOrStatement, at)) return;
            if (p.segments.length > 0) report(accept, 'semantic', shape.message, p, 'segments', at, 'bad-path');
            else report(accept, 'semantic', shape.message, p);
            return;
        }
        const cpu = 'cpu' in shape ? shape.cpu : undefined;
        if (typeof cpu === 'number') {
            const s = machineSettings(fileOf(p));
            if (cpu >= s.cpus) report(accept, 'semantic', `cpu${cpu} does not exist: the machine has ${s.cpus} CPU${s.cpus === 1 ? '' : 's'}`, p.head, 'cpu', undefined, 'no-such-cpu');
        }
        if (cpu === 'hook') this.checkBound('cpu', p.head, 'bound', accept);
        if ('obj' in shape) this.checkObjectPart(shape, p, accept);
        // a task, a kthread or a bound runnable alone is a value only beside `current` (LANGUAGE.md §5)
        if (shape.kind === 'object' && usedAsNumber(p)) {
            const decl = shape.obj.ref?.ref;
            const what = shape.obj.bound ? `'${shape.obj.bound}' is a runnable` : `'${shape.obj.text}' is a ${ast.isKThread(decl) ? 'kthread' : 'task'}`;
            const address = ast.isTask(decl) && isReceiver(decl) ? ` (its UPID's address is ${shape.obj.text}.upid)`
                : ast.isTask(decl) && isSender(decl) ? ` (its UITT's address is ${shape.obj.text}.uitt)` : '';
            report(accept, 'semantic', `${what}, not a number${address}: a name is compared with cpuN.current only`, p, undefined, undefined, 'not-a-number');
        }
        // mode and current only compare, with == and !=
        if (shape.kind === 'cpu-mode' || shape.kind === 'cpu-current') {
            const parent = p.$container;
            if (!(ast.isCmpExp(parent) || ast.isCmpCond(parent))) {
                report(accept, 'semantic', `'${shape.kind === 'cpu-mode' ? 'mode' : 'current'}' can only be compared with == or !=`, p, undefined, undefined, 'bad-path');
            }
        }
    }

    /** `idle`, `user` and `kernel` are values only beside `current` and `mode` (LANGUAGE.md §5). */
    checkWord(w: ast.WordExpr, accept: ValidationAcceptor): void {
        if (!usedAsNumber(w)) return;
        const beside = w.word === 'idle' ? 'cpuN.current' : 'cpuN.mode';
        report(accept, 'semantic', `'${w.word}' is not a number: it is compared with ${beside} only`, w, undefined, undefined, 'not-a-number');
    }

    /** X.upid needs a receiver, X.uitt a sender, X.xsave a task: an error at X, the offending token (LANGUAGE.md §9), as for `xsaves k`. */
    private checkObjectPart(shape: Extract<PathShape, { obj: ObjHead }>, p: ast.PathExpr, accept: ValidationAcceptor): void {
        if (shape.obj.bound) {
            this.checkBound(shape.obj.bound, p.head, 'bound', accept);
            return;
        }
        const target = shape.obj.ref?.ref;
        if (ast.isKThread(target) && shape.kind !== 'object') {
            report(accept, 'semantic', `${target.name} is a kernel thread: it has no ${shape.kind === 'xsave-field' ? 'XSAVE image' : shape.kind === 'uitt' ? 'UITT' : 'UPID'}`, p.head, 'ref', undefined, 'kthread-state');
        } else if (ast.isTask(target)) {
            if ((shape.kind === 'upid' || shape.kind === 'upid-field') && !isReceiver(target)) {
                report(accept, 'semantic', `${target.name} is not a receiver: it has no UPID`, p.head, 'ref', undefined, 'not-receiver');
            }
            if (shape.kind === 'uitt' && !isSender(target)) {
                report(accept, 'semantic', `${target.name} is not a sender: it has no UITT`, p.head, 'ref', undefined, 'not-sender');
            }
        }
    }

    /** prev, next, cur and cpu exist only inside hooks that bind them. */
    checkBound(name: string, node: AstNode, property: string, accept: ValidationAcceptor): void {
        const hook = hookOf(node);
        if (!hook) {
            report(accept, 'semantic', `'${name}' is bound only inside a policy hook`, node, property, undefined, 'unbound-name');
            return;
        }
        const bound = isHookName(hook.hook) ? HOOK_BINDINGS[hook.hook] : undefined;
        if (bound && !bound.includes(name)) {
            report(accept, 'semantic', `'${name}' is not bound in hook '${hook.hook}' (it binds ${bound.join(', ')})`, node, property, undefined, 'unbound-name');
        }
    }

    checkObjRef(r: ast.ObjRef, accept: ValidationAcceptor): void {
        if (r.bound) {
            this.checkBound(r.bound, r, 'bound', accept);
            // bound in every hook, but to the CPU: where a task or kthread must stand it is no object
            if (r.bound === 'cpu' && hookOf(r)) {
                report(accept, 'semantic', `'cpu' names the CPU the hook runs on, not a task: here a task, a kthread or a bound task (prev, next, cur) is needed`, r, 'bound', undefined, 'cpu-object');
            }
        }
        if (!r.idle) return;
        // `idle` names the CPU's idle kthread in `switch idle` and `cpuN.current == idle` only
        // (decisions.md #23): of an XSAVES or XRSTORS it is §8's error of a kthread
        if (ast.isXsavesAction(r.$container) || ast.isXrstorsAction(r.$container)) {
            report(accept, 'semantic', 'idle is a kernel thread (the CPU\'s idle thread): it has no XSAVE image', r, 'idle', undefined, 'kthread-state');
        } else {
            report(accept, 'semantic', '\'idle\' names the CPU\'s idle thread only in `switch idle` and `cpuN.current == idle`: here a task, a kthread or a bound name is needed', r, 'idle', undefined, 'idle-object');
        }
    }

    checkSaveRestore(a: ast.XsavesAction | ast.XrstorsAction, accept: ValidationAcceptor): void {
        const target = a.target?.ref?.ref;
        if (ast.isKThread(target)) {
            report(accept, 'semantic', `${target.name} is a kernel thread: it has no XSAVE image`, a.target!, 'ref', undefined, 'kthread-state');
        }
    }

    checkWrmsr(a: ast.WrmsrAction, accept: ValidationAcceptor): void {
        if (a.msr === undefined) return;
        if (!isMsrName(a.msr)) {
            report(accept, 'semantic', `unknown MSR '${a.msr}' (expected IA32_UINTR_RR, _HANDLER, _STACKADJUST, _MISC, _PD or _TT)`, a, 'msr', undefined, 'unknown-msr');
        }
    }

    checkInterrupt(a: ast.InterruptAction, accept: ValidationAcceptor): void {
        const v = constantOf(a.vector, machineSettings(fileOf(a)));
        if (v !== undefined && v > 255n) report(accept, 'semantic', `an interrupt vector is 0..255, not ${v}`, a, 'vector', undefined, 'too-wide');
    }

    checkSet(a: ast.SetAction, accept: ValidationAcceptor): void {
        if (!a.path) return;
        const shape = pathShape(a.path);
        if (shape.kind === 'error') return;
        if (shape.kind !== 'upid-field' && shape.kind !== 'xsave-field') {
            const why = shape.kind === 'cpu-reg' || shape.kind === 'cpu-mode' || shape.kind === 'cpu-current'
                ? 'registers change only through instructions (wrmsr, xrstors)'
                : 'set writes an X.upid.* or X.xsave.* field';
            report(accept, 'semantic', `cannot set ${shape.kind.startsWith('cpu') ? 'a CPU register' : 'this path'}: ${why}`, a, 'path', undefined, 'bad-set');
            return;
        }
        const s = machineSettings(fileOf(a));
        const v = constantOf(a.value, s);
        if (v === undefined) return;
        const width = shape.kind === 'upid-field' ? UPID_FIELDS[shape.field] : XSAVE_FIELDS[shape.field];
        if (width < 64 && v >= 1n << BigInt(width)) {
            report(accept, 'semantic', `${v} does not fit in ${shape.field} (${width} bit${width === 1 ? '' : 's'})`, a, 'value', undefined, 'too-wide');
        } else if (shape.kind === 'upid-field' && shape.field === 'ndst' && v >= BigInt(s.cpus)) {
            report(accept, 'semantic', `ndst ${v} names no CPU (the machine has ${s.cpus})`, a, 'value', undefined, 'too-wide');
        }
    }

    checkFree(a: ast.FreeAction, accept: ValidationAcceptor): void {
        if (!a.path) return;
        const shape = pathShape(a.path);
        if (shape.kind === 'error') return;
        if (shape.kind !== 'upid') {
            report(accept, 'semantic', `${a.op} takes a UPID: write ${a.op} X.upid`, a, 'path', undefined, 'bad-free');
        }
    }

    checkTake(t: ast.TakeStmt, accept: ValidationAcceptor): void {
        if (!t.source || !t.target) return;
        const src = pathShape(t.source);
        if (src.kind !== 'error' && !(src.kind === 'upid-field' && src.field === 'pir')) {
            report(accept, 'semantic', `take moves the vectors posted to a UPID: its source is X.upid.pir, not ${t.source.$cstNode?.text ?? 'this'}`, t, 'source', undefined, 'bad-take');
        }
        const dst = pathShape(t.target);
        const ok = (dst.kind === 'xsave-field' && dst.field === 'uirr') || (dst.kind === 'cpu-reg' && dst.cpu === 'hook' && dst.field === 'uirr');
        if (dst.kind !== 'error' && !ok) report(accept, 'semantic', `take moves posted vectors into a UIRR: its target is X.xsave.uirr or cpu.uirr, not ${t.target.$cstNode?.text ?? 'this'}`, t, 'target', undefined, 'bad-take');
    }

    /**
     * A comparison in a condition. Its operator may be missing only in the tree (the grammar
     * lets an operand alone parse, for ParenCmp): said as the parser said it, at the token after
     * the operand; inside a ParenCmp that one reports.
     */
    checkCondCompare(c: ast.CmpCond, accept: ValidationAcceptor): void {
        if (c.op !== undefined) return this.checkCompare(c, accept);
        if (ast.isParenCmp(c.$container) || !c.$cstNode) return;
        // the next token from the text, not the tree: the parser's recovery may have left it out
        const doc = AstUtils.getDocument(c);
        const text = doc.textDocument.getText();
        let at = c.$cstNode.end;
        for (;;) {
            const rest = text.slice(at, at + 2);
            if (/^\s/.test(rest)) at++;
            else if (rest === '//') at = text.slice(at).search(/[\r\n]|$/) + at;
            else if (rest === '/*') { const close = text.indexOf('*/', at + 2); at = close < 0 ? text.length : close + 2; }
            else break;
        }
        const token = /^(?:[A-Za-z_]\w*|\d\w*|[=!<>]=|<<|>>|\S)/.exec(text.slice(at))?.[0];
        const next = doc.textDocument.positionAt(at);
        // the parser, done with the condition, stops at that token too: its error there
        // ("expected '{'") is this one's consequence (dropped, see document-validator.ts)
        const data = { kind: MISSING_OPERATOR, next };
        if (ast.isWordExpr(c.left) && c.left.word === 'user') {
            // `user` is a predicate too: `user(prev)`
            accept('error', `after 'user' expected (, <<, >>, &, ^, |, ==, !=, <, <=, >, >=`, { node: c.left, code: 'syntax', data });
        } else {
            const range = { start: next, end: doc.textDocument.positionAt(at + (token?.length ?? 0)) };
            accept('error', `unexpected ${token ? `'${token}'` : 'end of file'}: expected ==, !=, <, <=, >, >=`, { node: c, range, code: 'syntax', data });
        }
    }

    /** LANGUAGE.md §10: in a condition a '(' always opens a condition, never an expression. */
    checkParenCmp(c: ast.ParenCmp, accept: ValidationAcceptor): void {
        report(accept, 'syntax', `in a condition '(' opens a condition, not an expression: write the comparison without these parentheses (it binds loosest)`, c);
    }

    checkCompare(c: ast.CmpExp | ast.CmpCond, accept: ValidationAcceptor): void {
        if (!c.left || !c.right) return;
        const kindOf = (e: ast.Expr): 'mode' | 'current' | 'number' | 'word-mode' | 'word-runnable' | 'name' => {
            if (ast.isWordExpr(e)) return e.word === 'idle' ? 'word-runnable' : 'word-mode';
            if (ast.isPathExpr(e)) {
                const s = pathShape(e);
                if (s.kind === 'cpu-mode') return 'mode';
                if (s.kind === 'cpu-current') return 'current';
                if (s.kind === 'object') return 'name';
            }
            return 'number';
        };
        const l = kindOf(c.left), r = kindOf(c.right);
        const special = (k: string) => k !== 'number';
        if (!special(l) && !special(r)) return;
        const ok = (l === 'mode' && r === 'word-mode') || (r === 'mode' && l === 'word-mode')
            || (l === 'current' && (r === 'name' || r === 'word-runnable')) || (r === 'current' && (l === 'name' || l === 'word-runnable'))
            || (l === 'mode' && r === 'mode') || (l === 'current' && r === 'current');
        if (!ok) {
            // at the offending operand (LANGUAGE §9: the offending token): the one beside a mode or
            // current that does not fit it (the right one of mode and current); with neither, the
            // name or word that is not a number
            const selector = (k: string) => k === 'mode' || k === 'current';
            const at = selector(l) !== selector(r) ? (selector(l) ? c.right : c.left) : selector(l) || !special(l) ? c.right : c.left;
            report(accept, 'semantic', `cannot compare these: mode compares with user or kernel, current with a task, kthread or idle`, at, undefined, undefined, 'bad-compare');
            return;
        }
        if ((l === 'mode' || l === 'current' || r === 'mode' || r === 'current') && c.op !== '==' && c.op !== '!=') {
            report(accept, 'semantic', `'${l === 'mode' || r === 'mode' ? 'mode' : 'current'}' can only be compared with == or !=`, c, 'op', undefined, 'bad-compare');
        }
    }

    /** `switch prev` (or next, cur, cpu): a bound name outside a hook (a switch is never in one). */
    checkSwitch(a: ast.SwitchAction, accept: ValidationAcceptor): void {
        if (a.bound) this.checkBound(a.bound, a, 'bound', accept);
    }

    checkDelivered(e: ast.DeliveredExp, accept: ValidationAcceptor): void {
        if (e.bound) this.checkBound(e.bound, e, 'bound', accept);
        // LANGUAGE §6: "`not` stands only here" (before `delivered`); the grammar takes it before
        // `pending` too, for this message (decisions #2)
        if (e.negated && e.kind === 'pending') {
            report(accept, 'syntax', `'not' stands only before 'delivered' (LANGUAGE §6): 'expect not pending' is not an expectation; that ${e.task?.$refText ?? 'X'} has no vector ${e.vector} pending is a comparison, e.g. 'expect ${e.task?.$refText ?? 'X'}.upid.pir & ${vectorMask(e.vector)} == 0'`, e, 'negated', undefined, 'not-pending');
        }
        this.checkLiteral(e.vector, e, 'vector', accept);
        const v = numberValue(e.vector);
        if (v !== undefined && v > 63n) report(accept, 'semantic', `a user vector is 0..63, not ${e.vector}`, e, 'vector', undefined, 'too-wide');
    }
}
