/**
 * Entry point of the bundled language server (out/server.cjs), started as
 * `node out/server.cjs --stdio`. The prelude ships beside the bundle.
 */
import { join } from 'node:path';
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { createUintrServices } from './uintr-lsp-module.js';
import { registerCustomRequests } from './custom-requests.js';
import { timingHandlers } from './slow-requests.js';
import { Lifecycle } from './lifecycle.js';
import { FramingWatch } from './framing.js';

declare const __dirname: string;

// requests before `initialize` and after `shutdown` are refused as LSP says (lifecycle.ts)
const lifecycle = new Lifecycle();
const connection = createConnection(ProposedFeatures.all, { messageStrategy: lifecycle.strategy });
Lifecycle.register(connection);
// A crash inside a feature must never kill the server: log it and keep serving.
process.on('uncaughtException', e => connection.console.error(`uintr: uncaught exception: ${e?.stack ?? e}`));
process.on('unhandledRejection', e => connection.console.error(`uintr: unhandled rejection: ${(e as Error)?.stack ?? e}`));

// every handler Langium registers is timed; one slower than 50 ms is logged (slow-requests.ts)
const timed = timingHandlers(connection, line => connection.console.log(line));
const { shared, Uintr } = createUintrServices({ connection: timed, ...NodeFileSystem }, { path: join(__dirname, 'prelude.uintr') });
registerCustomRequests(timed, shared, Uintr);
startLanguageServer(shared);

// Over stdio, a broken message header would leave the server deaf for good (framing.ts): say why
// and exit, so that the client sees the server gone. Listening starts in the same tick as the
// connection's own listener, so both read every byte.
if (process.argv.includes('--stdio')) {
    const watch = new FramingWatch();
    process.stdin.on('data', (chunk: Buffer) => {
        const broken = watch.scan(chunk);
        if (broken === undefined) return;
        process.stderr.write(`uintr: the client sent ${broken}; no later message can be read, so the server exits\n`);
        process.exit(1);
    });
}
