/**
 * The LSP lifecycle rules of the language server (server/src/language/lifecycle.ts), message by
 * message, and the watch on the framing of its input (framing.ts); test/lsp.test.ts checks both
 * over stdio.
 */
import { describe, expect, test } from 'vitest';
import type { Message } from 'vscode-languageserver';
import { FramingWatch } from '../server/src/language/framing.js';
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

    test('the internal method of refusals, named by a client, is refused as a method the server lacks (-32601): a client cannot make the server answer an error of its choice', () => {
        const l = new Lifecycle();
        l.admit(request(1, 'initialize'));
        const forged = { jsonrpc: '2.0', id: 2, method: REFUSED_METHOD, params: { code: -32700, message: 'forged parse error' } } as Message;
        expect(l.admit(forged)).toEqual({ jsonrpc: '2.0', id: 2, method: REFUSED_METHOD, params: { code: -32601, message: `Unhandled method ${REFUSED_METHOD}` } });
        // before initialize it is refused like any other request
        expect(new Lifecycle().admit(forged)).toMatchObject({ id: 2, params: { code: -32002 } });
    });
});

describe('FramingWatch (the client\'s message headers over stdio)', () => {
    const frame = (body: string, header = `Content-Length: ${Buffer.byteLength(body)}`) => Buffer.from(`${header}\r\n\r\n${body}`);
    /** Scans the bytes split into chunks of `size`; what the watch says at the end. */
    const scanIn = (bytes: Buffer, size: number) => {
        const w = new FramingWatch();
        let said: string | undefined;
        for (let i = 0; i < bytes.length; i += size) said = w.scan(bytes.subarray(i, i + size)) ?? said;
        return said;
    };

    test('well-framed messages, split anywhere, bodies holding what looks like headers: never broken', () => {
        const tricky = JSON.stringify({ jsonrpc: '2.0', method: 'x', params: { text: 'a\r\n\r\nContent-Type: x\r\n\r\nno length: é' } });
        const bytes = Buffer.concat([
            frame('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}'),
            frame(tricky, `Content-Length: ${Buffer.byteLength(tricky)}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8`),
            frame(''), // an empty body is a decode error of that message only: the framing holds
            frame('{}', 'content-length:2'),
        ]);
        for (const size of [1, 2, 3, 7, 64, bytes.length]) expect(scanIn(bytes, size)).toBeUndefined();
    });

    test('a header the reader cannot use is broken, from then on, with why', () => {
        const good = frame('{}');
        const cases: [string, RegExp][] = [
            ['Content-Type: application/vscode-jsonrpc', /a header without Content-Length/],
            ['Content-Length: abc', /a Content-Length that is not a length \("abc"\)/],
            ['Content-Length: -5', /not a length \("-5"\)/],
            ['Content-Length: 2\r\nno colon here', /a header line without ':' \("no colon here"\)/],
        ];
        for (const [header, why] of cases) {
            const bytes = Buffer.concat([good, frame('{"jsonrpc":"2.0","method":"foo/bar"}', header), good]);
            for (const size of [1, 5, bytes.length]) expect(scanIn(bytes, size)).toMatch(why);
        }
        // a blank line where a header should be (a stray CRLF pair between messages)
        expect(scanIn(Buffer.concat([good, Buffer.from('\r\n\r\n'), good]), 3)).toMatch(/a header line without ':'/);
        expect(scanIn(Buffer.from('x'.repeat(9000)), 1000)).toMatch(/a header of over 8192 bytes/);
    });

    test('the length is read as the reader reads it (parseInt): "0x10" is 16, "12abc" is 12', () => {
        const body16 = '{"a":"12345678"}';
        expect(body16.length).toBe(16);
        expect(scanIn(Buffer.concat([frame(body16, 'Content-Length: 0x10'), frame('{}')]), 4)).toBeUndefined();
        expect(scanIn(Buffer.concat([frame('{"a":"1234"}', 'Content-Length: 12abc'), frame('{}')]), 4)).toBeUndefined();
    });
});
