/**
 * The LSP lifecycle rules of the language server (server/src/language/lifecycle.ts), message by
 * message; test/lsp.test.ts checks them over stdio.
 */
import { describe, expect, test } from 'vitest';
import type { Message } from 'vscode-languageserver';
import { Lifecycle, REFUSED_METHOD } from '../server/src/language/lifecycle.js';

const request = (id: number, method: string): Message => ({ jsonrpc: '2.0', id, method, params: {} } as Message);
const notification = (method: string): Message => ({ jsonrpc: '2.0', method, params: {} } as Message);

describe('Lifecycle.admit', () => {
    test('before initialize: requests are refused with -32002 under their own id, notifications dropped but exit', () => {
        const l = new Lifecycle();
        expect(l.admit(request(7, 'textDocument/hover'))).toEqual({ jsonrpc: '2.0', id: 7, method: REFUSED_METHOD, params: { code: -32002, message: expect.stringContaining("'textDocument/hover' must come after 'initialize'") } });
        expect(l.admit(notification('textDocument/didOpen'))).toBeUndefined();
        expect(l.admit(notification('$/cancelRequest'))).toBeUndefined();
        const exit = notification('exit');
        expect(l.admit(exit)).toBe(exit);
        // a response to a request the server sent is not the client's request: it passes
        const response = { jsonrpc: '2.0', id: 1, result: null } as Message;
        expect(l.admit(response)).toBe(response);
    });

    test('initialize opens it; shutdown passes and closes it: later requests are refused with -32600, notifications pass', () => {
        const l = new Lifecycle();
        const init = request(1, 'initialize');
        expect(l.admit(init)).toBe(init);
        for (const m of [notification('initialized'), request(2, 'textDocument/hover'), notification('textDocument/didOpen'), request(3, 'shutdown')]) expect(l.admit(m)).toBe(m);
        expect(l.admit(request(4, 'textDocument/hover'))).toMatchObject({ id: 4, method: REFUSED_METHOD, params: { code: -32600 } });
        expect(l.admit(request(5, 'shutdown'))).toMatchObject({ id: 5, params: { code: -32600 } });
        const exit = notification('exit');
        expect(l.admit(exit)).toBe(exit);
    });
});
