/**
 * Resolving the CLI's paths into scenario files, and reading them safely: a missing path, a
 * folder without `.uintr` files, a file over 16 MiB or with a NUL byte is an input error
 * (exit status 2): a file's size as stat gives it is checked before it is read, and its bytes
 * are read to the end (stopping once they pass 16 MiB) and then checked; so is a file of more
 * tokens than a check takes (syntax/limits.ts), found before it is parsed.
 */
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { sep } from 'node:path';
import { tooLarge } from '../syntax/limits.js';

export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Bad usage or unreadable input: one clear line, exit status 2. */
export class InputError extends Error {}

function describeFsError(path: string, e: unknown): InputError {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory'
        : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
        : code === 'EISDIR' ? 'is a directory'
        : code === 'ENOTDIR' ? 'a part of the path before the last is not a directory'
        : code === 'ELOOP' ? 'too many symbolic links (a loop?)'
        : code === 'ENAMETOOLONG' ? 'the path is too long'
        // Node's message names the call ("ENOTSUP: …, open 'x'"): the code and what it means
        : ((e as Error).message ?? String(e)).replace(/, \w+ '.*'$/, '');
    return new InputError(`cannot read '${path}': ${why}`);
}

/**
 * Each file as given, each folder searched recursively for `*.uintr`, its files in path order
 * (a file given twice is checked twice, as given). Symbolic links to folders are not followed
 * inside a folder (a link may loop); a link to a file is read.
 */
export function resolveInputs(paths: readonly string[]): string[] {
    if (paths.length === 0) throw new InputError('no input: give one or more .uintr files or folders');
    const out: string[] = [];
    for (const p of paths) {
        let st;
        try {
            st = statSync(p);
        } catch (e) {
            throw describeFsError(p, e);
        }
        if (st.isDirectory()) {
            // path order: the paths found, sorted as strings (`a.uintr` before `a/x.uintr`, as `sort` does)
            const found = findScenarios(p).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
            if (found.length === 0) throw new InputError(`'${p}' contains no .uintr files`);
            for (const f of found) out.push(f);
        } else {
            out.push(p);
        }
    }
    return out;
}

function findScenarios(dir: string): string[] {
    const out: string[] = [];
    let entries;
    try {
        entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
        throw describeFsError(dir, e);
    }
    for (const e of entries) {
        // joined as written (LANGUAGE.md §9: the path as given, joined with the folder), not normalised
        const path = dir.endsWith('/') || dir.endsWith(sep) ? dir + e.name : dir + sep + e.name;
        if (e.isDirectory()) for (const f of findScenarios(path)) out.push(f);
        else if (e.name.endsWith('.uintr') && (e.isFile() || e.isSymbolicLink())) out.push(path);
    }
    return out;
}

/** Reads a scenario as UTF-8 text, refusing what is too big or binary. */
export function readScenario(path: string): string {
    let fd: number | undefined;
    try {
        const st = statSync(path);
        if (!st.isFile()) throw new InputError(`cannot read '${path}': not a regular file`);
        if (st.size > MAX_FILE_BYTES) {
            throw new InputError(`'${path}' is not a scenario: ${(st.size / 1048576).toFixed(1)} MiB is over the 16 MiB limit`);
        }
        fd = openSync(path, 'r');
        // to the end of the file, not to the size stat gave: a file that says 0 bytes (/proc) or
        // grows meanwhile is read whole, and one that outgrows the limit is refused
        const chunks: Buffer[] = [];
        let total = 0;
        for (let size = Math.max(st.size + 1, 1 << 16); ;) {
            const buf = Buffer.alloc(Math.min(size, MAX_FILE_BYTES + 1 - total));
            const n = readSync(fd, buf, 0, buf.length, null);
            if (n === 0) break;
            chunks.push(buf.subarray(0, n));
            total += n;
            if (total > MAX_FILE_BYTES) throw new InputError(`'${path}' is not a scenario: it is over the 16 MiB limit`);
            size = 1 << 16;
        }
        const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
        if (bytes.includes(0)) throw new InputError(`'${path}' is not a scenario: it contains a NUL byte (a binary file?)`);
        let text = bytes.toString('utf8');
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        const large = tooLarge(text);
        if (large !== undefined) throw new InputError(`'${path}' is ${large}`);
        return text;
    } catch (e) {
        if (e instanceof InputError) throw e;
        throw describeFsError(path, e);
    } finally {
        if (fd !== undefined) closeSync(fd);
    }
}
