// Bundles the CLI, the language server (and its race-exploration worker) and the VS Code
// client with esbuild; the shared options and the Node 20 banner are in scripts/bundle-options.mjs.
import { build } from 'esbuild';
import { bundleOptions } from './scripts/bundle-options.mjs';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
mkdirSync('out', { recursive: true });
copyFileSync('server/src/kernel/prelude.uintr', 'out/prelude.uintr');
const common = bundleOptions(pkg.version);
await build({ ...common, entryPoints: ['server/src/cli/bin.ts'], outfile: 'out/cli.cjs' });
await build({ ...common, entryPoints: ['server/src/language/main.ts'], outfile: 'out/server.cjs' });
await build({ ...common, entryPoints: ['server/src/language/explore-worker.ts'], outfile: 'out/explore-worker.cjs' });
await build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'out/client.cjs', external: ['vscode'] });
