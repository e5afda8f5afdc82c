/**
 * Where the CLI writes, and colour only on a terminal (and never with NO_COLOR).
 */
export interface CliIO {
    out(text: string): void;
    err(text: string): void;
    /** Colour the output (stdout is a TTY and NO_COLOR is unset). */
    readonly color: boolean;
    /** Show the progress of long explorations on stderr (a terminal; never in a pipe or a log). */
    readonly progress?: boolean;
}

export function processIO(): CliIO {
    // a reader that stops early (`uintr trace … | head`) closes the pipe: the rest of the output
    // has nowhere to go, which is no error of the command (it was an unhandled EPIPE, a stack
    // trace); the command runs to its end and exits with its own status
    const writer = (stream: NodeJS.WriteStream): ((text: string) => void) => {
        let closed = false;
        stream.on('error', (e: NodeJS.ErrnoException) => {
            if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
            closed = true;
        });
        return text => { if (!closed && stream.writable) stream.write(text); };
    };
    return {
        out: writer(process.stdout),
        err: writer(process.stderr),
        color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb',
        progress: Boolean(process.stderr.isTTY) && process.env.TERM !== 'dumb',
    };
}

const CODES = { red: [31, 39], yellow: [33, 39], cyan: [36, 39], bold: [1, 22], dim: [2, 22], green: [32, 39] } as const;
export type Style = keyof typeof CODES;

export function paint(io: CliIO, style: Style, text: string): string {
    if (!io.color) return text;
    const [a, b] = CODES[style];
    return `\u001b[${a}m${text}\u001b[${b}m`;
}
