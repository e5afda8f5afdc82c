// The esbuild options every bundle of this project shares (esbuild.mjs, the benchmarks).
// The banner polyfills Object.groupBy/Map.groupBy so the bundles also run on Node 20
// (chevrotain, under Langium 4.4, calls them; Node 22 has them).
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';

const POLYFILL = `
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

/** Options for a Node bundle that reports `version` as its own. */
export function bundleOptions(version) {
    return {
        bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true,
        banner: { js: POLYFILL }, define: { __UINTR_VERSION__: JSON.stringify(version) },
        logLevel: 'warning', legalComments: 'none',
    };
}

/** Bundles bench/bench-entry.ts (the pieces the benchmarks time) into out/bench-entry.cjs. */
export async function buildBenchEntry() {
    mkdirSync('out', { recursive: true });
    await build({ ...bundleOptions('bench'), entryPoints: ['bench/bench-entry.ts'], outfile: 'out/bench-entry.cjs' });
}
