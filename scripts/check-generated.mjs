// Regenerates the Langium output from grammar/uintr.langium and fails when the committed
// files were stale (CI runs this first). The fresh files are left in place to commit.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const targets = ['server/src/syntax/generated', 'client/syntaxes/uintr.tmLanguage.json'];
const files = () => targets.flatMap(t => (existsSync(t) && !t.endsWith('.json') ? readdirSync(t).map(f => join(t, f)) : [t]));
const read = f => (existsSync(f) ? readFileSync(f, 'utf8') : null);
const before = new Map(files().map(f => [f, read(f)]));
// langium-cli needs Node 22 (Object.groupBy): use the node devDependency's binary when present.
const node22 = join('node_modules', '.bin', 'node');
const cli = join('node_modules', 'langium-cli', 'bin', 'langium.js');
execFileSync(existsSync(node22) ? node22 : process.execPath, [cli, 'generate'], { stdio: ['ignore', 'ignore', 'inherit'] });
const stale = files().filter(f => before.get(f) !== read(f));
if (stale.length) {
  console.error(`generated code is stale (regenerated now, commit it): ${stale.join(', ')}`);
  process.exit(1);
}
console.log('generated code is up to date');
