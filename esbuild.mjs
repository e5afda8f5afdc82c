// Bundles the CLI, the language server and the VS Code client with esbuild.
// The banner polyfills Object.groupBy/Map.groupBy so the bundles also run on Node 20
// (chevrotain, under Langium 4.4, calls them; Node 22 has them).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const polyfill = `
if (typeof Object.groupBy !== 'function') {
  Object.groupBy = function (items, key) {
    const out = Object.create(null); let i = 0;
    for (const item of items) { const k = key(item, i++); (out[k] ||= []).push(item); }
    return out;
  };
}
if (typeof Map.groupBy !== 'function') {
  Map.groupBy = function (items, key) {
    const out = new Map(); let i = 0;
    for (const item of items) { const k = key(item, i++); const list = out.get(k); if (list) list.push(item); else out.set(k, [item]); }
    return out;
  };
}`.replace(/\n\s*/g, ' ');

mkdirSync('out', { recursive: true });
copyFileSync('server/src/kernel/prelude.uintr', 'out/prelude.uintr');
const common = {
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true,
  banner: { js: polyfill }, define: { __UINTR_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning', legalComments: 'none',
};
await build({ ...common, entryPoints: ['server/src/cli/bin.ts'], outfile: 'out/cli.cjs' });
await build({ ...common, entryPoints: ['server/src/language/main.ts'], outfile: 'out/server.cjs' });
await build({ ...common, entryPoints: ['server/src/language/explore-worker.ts'], outfile: 'out/explore-worker.cjs' });
await build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'out/client.cjs', external: ['vscode'] });
