/**
 * Entry point of the bundled CLI (out/cli.cjs); the prelude ships beside the bundle.
 */
import { join } from 'node:path';
import { main } from './main.js';
import { processIO } from './output.js';

declare const __dirname: string;

main(process.argv.slice(2), processIO(), { preludePath: join(__dirname, 'prelude.uintr') }).then(
    status => { process.exitCode = status; },
    e => {
        process.stderr.write(`uintr: internal error: ${(e as Error)?.message ?? e}\n`);
        process.exitCode = 2;
    },
);
