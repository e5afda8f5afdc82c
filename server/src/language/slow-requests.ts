/**
 * Logs every request or notification handler of the language server that takes longer than
 * {@link SLOW_MS} (as rust-analyzer does), so that a slow hover or code action shows up in the
 * editor's output channel with its method and time, without the user turning tracing on.
 */
import { performance } from 'node:perf_hooks';

/** A handler slower than this (milliseconds) is logged. */
export const SLOW_MS = 50;

/**
 * The connection as Langium's services see it, with every `onX(handler)` registration (and
 * `onRequest`/`onNotification(type, handler)`) timing the handler it registers: sync handlers to
 * their return, async ones to their settling. Everything else is the connection itself.
 */
export function timingHandlers<C extends object>(connection: C, log: (line: string) => void, clock: () => number = () => performance.now()): C {
    const timed = (what: string, handler: (...args: unknown[]) => unknown) => (...args: unknown[]): unknown => {
        const start = clock();
        const done = (): void => {
            const ms = clock() - start;
            if (ms > SLOW_MS) log(`uintr: slow ${what}: ${Math.round(ms)} ms`);
        };
        let result: unknown;
        try {
            result = handler(...args);
        } catch (e) {
            done();
            throw e;
        }
        if (result instanceof Promise) return result.finally(done);
        done();
        return result;
    };
    return new Proxy(connection, {
        get(target, prop, receiver) {
            const value: unknown = Reflect.get(target, prop, receiver);
            if (typeof value !== 'function') return value;
            if (typeof prop !== 'string' || !/^on[A-Z]/.test(prop)) return value.bind(target);
            return (...args: unknown[]) => {
                const at = args.findIndex(a => typeof a === 'function');
                if (at < 0) return value.apply(target, args);
                const method = at > 0 ? methodName(args[0]) : prop.slice(2, 3).toLowerCase() + prop.slice(3);
                const wrapped = [...args];
                wrapped[at] = timed(method, args[at] as (...a: unknown[]) => unknown);
                return value.apply(target, wrapped);
            };
        },
    });
}

/** The method of `onRequest(type, …)`: a string, or a message type's `method`. */
function methodName(type: unknown): string {
    if (typeof type === 'string') return type;
    const method = (type as { method?: unknown } | null)?.method;
    return typeof method === 'string' ? method : 'request';
}
