/**
 * A watch on the framing of the client's messages over stdio. vscode-jsonrpc's stream reader,
 * given a header it cannot use (no Content-Length, a length that is not a number or is
 * negative, a line without ':'), reports it and goes on reading the body that follows as the
 * next header: from then on every message is read wrong and the server answers nothing again,
 * `shutdown` and `exit` included, while its process stays alive. The watch reads the same bytes
 * (a second 'data' listener on stdin), finds the headers as the reader does, and says when one
 * is broken, so that the server can say why and exit: a client sees it gone and may start it
 * again (main.ts).
 */

/** A header block longer than this without its blank line is broken (a real one is ~50 bytes). */
const MAX_HEADER = 8192;

const CR = 13;
const LF = 10;

export class FramingWatch {
    /** Bytes of the body still to come; 0 while in a header. */
    private body = 0;
    /** The header read so far (ASCII), and where in "\r\n\r\n" its end the last bytes are. */
    private header = '';
    private state = 0;
    /** Set once a header was broken: everything after it is unreadable. */
    broken: string | undefined;

    /** Reads the next bytes; returns why the framing is broken, once it is. */
    scan(chunk: Uint8Array): string | undefined {
        let i = 0;
        while (i < chunk.length && this.broken === undefined) {
            if (this.body > 0) {
                const take = Math.min(this.body, chunk.length - i);
                this.body -= take;
                i += take;
                continue;
            }
            const start = i;
            while (i < chunk.length && this.state < 4) this.state = next(this.state, chunk[i++]);
            this.header += String.fromCharCode(...chunk.subarray(start, Math.min(i, start + MAX_HEADER + 1)));
            if (this.state === 4) {
                const length = contentLength(this.header);
                this.header = '';
                this.state = 0;
                if (typeof length === 'string') this.broken = length;
                else this.body = length;
            } else if (this.header.length > MAX_HEADER) {
                this.broken = `a header of over ${MAX_HEADER} bytes without the blank line that ends it`;
            }
        }
        return this.broken;
    }
}

/** The step through "\r\n\r\n" (state 4: the header's end), as vscode-jsonrpc's MessageBuffer. */
function next(state: number, byte: number): number {
    if (byte === CR) return state === 0 ? 1 : state === 2 ? 3 : 0;
    if (byte === LF) return state === 1 ? 2 : state === 3 ? 4 : 0;
    return 0;
}

/**
 * The body's length a header block (its blank line included) gives, as vscode-jsonrpc reads it
 * (the value's leading integer, like parseInt), or why the block is unusable.
 */
export function contentLength(header: string): number | string {
    const lines = header.split('\r\n').slice(0, -2);
    let length: number | string = 'a header without Content-Length';
    for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon < 0) return `a header line without ':' (${JSON.stringify(line.slice(0, 40))})`;
        if (line.slice(0, colon).toLowerCase() !== 'content-length') continue;
        const value = line.slice(colon + 1).trim();
        const n = parseInt(value); // no radix, as the reader: "0x10" is 16
        length = Number.isNaN(n) || n < 0 ? `a Content-Length that is not a length (${JSON.stringify(value.slice(0, 40))})` : n;
    }
    return length;
}
