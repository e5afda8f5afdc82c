#!/usr/bin/env node
// The `uintr` command: the bundled CLI (built by `npm ci` / `npm run build` into out/).
try {
    require('../out/cli.cjs');
} catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('out/cli.cjs')) {
        process.stderr.write('uintr: the CLI is not built yet: run `npm run build` (or `npm ci`) in the project first\n');
        process.exit(2);
    }
    throw e;
}
