/**
 * The language server's log of slow handlers (server/src/language/slow-requests.ts), on a
 * stand-in connection with a clock the test moves.
 */
import { describe, expect, test } from 'vitest';
import { SLOW_MS, timingHandlers } from '../server/src/language/slow-requests.js';

type Handler = (...args: unknown[]) => unknown;

/** A connection that keeps what is registered on it, by method. */
function standIn() {
    const handlers = new Map<string, Handler>();
    return {
        handlers,
        console: { log: (_: string) => undefined },
        onHover(h: Handler) { handlers.set('hover', h); },
        onCodeAction(h: Handler) { handlers.set('codeAction', h); },
        onRequest(type: string | { method: string }, h: Handler) { handlers.set(typeof type === 'string' ? type : type.method, h); },
        sendNotification(method: string) { return method; },
    };
}

describe('timingHandlers', () => {
    test('a handler slower than 50 ms is logged with its method and time; a fast one is not', async () => {
        let now = 0;
        const logs: string[] = [];
        const c = standIn();
        const timed = timingHandlers(c, l => logs.push(l), () => now);
        timed.onHover(() => { now += SLOW_MS + 23; return 'hover result'; });
        timed.onCodeAction(() => { now += 10; return []; });
        timed.onRequest('uintr/compare', async () => { now += 400; return { text: 't' }; });
        timed.onRequest({ method: 'textDocument/inlayHint' }, () => { now += 51; return []; });
        expect(c.handlers.get('hover')!()).toBe('hover result');
        expect(c.handlers.get('codeAction')!()).toEqual([]);
        await expect(c.handlers.get('uintr/compare')!()).resolves.toEqual({ text: 't' });
        c.handlers.get('textDocument/inlayHint')!();
        expect(logs).toEqual(['uintr: slow hover: 73 ms', 'uintr: slow uintr/compare: 400 ms', 'uintr: slow textDocument/inlayHint: 51 ms']);
    });

    test('a handler that throws is timed and the error goes on; other members are the connection\'s own', () => {
        let now = 0;
        const logs: string[] = [];
        const c = standIn();
        const timed = timingHandlers(c, l => logs.push(l), () => now);
        timed.onHover(() => { now += 80; throw new Error('boom'); });
        expect(() => c.handlers.get('hover')!()).toThrow('boom');
        expect(logs).toEqual(['uintr: slow hover: 80 ms']);
        expect(timed.console).toBe(c.console);
        expect(timed.sendNotification('x')).toBe('x');
    });
});
