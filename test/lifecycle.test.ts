/**
 * The LSP lifecycle rules of the language server (server/src/language/lifecycle.ts), message by
 * message, with the check of a request's parameters (params-check.ts), and the watch on the
 * framing of its input (framing.ts); test/lsp.test.ts checks them over stdio.
 */
import { describe, expect, test } from 'vitest';
import type { Message } from 'vscode-languageserver';
import { FramingWatch } from '../server/src/language/framing.js';
import { Lifecycle, REFUSED_METHOD } from '../server/src/language/lifecycle.js';

/** A request; by default with the parameters a hover must have. */
const request = (id: number, method: string, ...params: [unknown?]): Message =>
    ({ jsonrpc: '2.0', id, method, params: params.length ? params[0] : { textDocument: { uri: 'file:///w/a.uintr' }, position: { line: 0, character: 0 } } } as Message);
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

describe('parameters a request must have (params-check.ts)', () => {
    const running = () => {
        const l = new Lifecycle();
        l.admit(request(1, 'initialize', { capabilities: {} }));
        return l;
    };
    const td = { uri: 'file:///w/a.uintr' };
    const pos = { line: 3, character: 7 };
    const range = { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } };
    const options = { tabSize: 4, insertSpaces: true };

    test.each([
        ['textDocument/hover', {}, 'textDocument.uri must be a string'],
        ['textDocument/hover', undefined, 'textDocument.uri must be a string'],
        ['textDocument/hover', { textDocument: { uri: 5 }, position: pos }, 'textDocument.uri must be a string'],
        ['textDocument/hover', { textDocument: td }, 'position must be an object { line, character }'],
        ['textDocument/hover', { textDocument: td, position: { line: -1, character: 0 } }, 'position.line must be a non-negative integer'],
        ['textDocument/completion', { textDocument: td, position: { line: 1, character: 0.5 } }, 'position.character must be a non-negative integer'],
        ['textDocument/references', { textDocument: td, position: pos }, 'context must be an object { includeDeclaration: boolean }'],
        ['textDocument/rename', { textDocument: td, position: pos }, 'newName must be a string'],
        ['textDocument/formatting', { textDocument: td }, 'options must be an object { tabSize: number, insertSpaces: boolean }'],
        ['textDocument/rangeFormatting', { textDocument: td, options }, 'range must be an object { start, end }'],
        ['textDocument/rangeFormatting', { textDocument: td, options, range: { start: pos, end: {} } }, 'range.end.line must be a non-negative integer'],
        ['textDocument/codeAction', { textDocument: td, range }, 'context must be an object { diagnostics: Diagnostic[] }'],
        ['textDocument/inlayHint', { textDocument: td }, 'range must be an object { start, end }'],
        ['textDocument/documentSymbol', { textDocument: {} }, 'textDocument.uri must be a string'],
        ['textDocument/hover', null, 'textDocument.uri must be a string'], // it was -32603 (reading 'workDoneToken' of null)
        ['workspace/symbol', {}, 'query must be a string'],
    ])('%s with %j: refused with -32602 under its own id, saying what is wrong', (method, params, problem) => {
        expect(running().admit(request(9, method, params))).toEqual({
            jsonrpc: '2.0', id: 9, method: REFUSED_METHOD, params: { code: -32602, message: `invalid parameters of '${method}': ${problem}` },
        });
    });

    test.each([
        ['textDocument/hover', { textDocument: td, position: { line: 10_000, character: 10_000 } }], // past the end: LSP says the end is taken
        ['textDocument/references', { textDocument: td, position: pos, context: { includeDeclaration: false } }],
        ['textDocument/codeAction', { textDocument: td, range, context: { diagnostics: [] } }],
        ['textDocument/formatting', { textDocument: td, options: { ...options, trimFinalNewlines: true } }],
        ['workspace/symbol', { query: '' }],
        ['uintr/trace', {}], // the server's own requests check their parameters themselves (custom-requests.ts)
        ['textDocument/moniker', {}], // not served: the connection answers -32601
        ['textDocument/selectionRange', {}], // nor these (they were refused -32602 for their parameters)
        ['textDocument/linkedEditingRange', {}],
        ['textDocument/prepareTypeHierarchy', {}],
    ])('%s with %j passes', (method, params) => {
        const m = request(9, method, params);
        expect(running().admit(m)).toBe(m);
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
