/**
 * The bundled CLI, run as a user runs it: exit codes, formats, bad input, Node 20.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, existsSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { ROOT } from './helpers.js';
import { ring } from '../bench/ring.mjs';
import { main } from '../server/src/cli/main.js';
import { comparePolicies } from '../server/src/cli/compare-command.js';
import { checkFile } from '../server/src/cli/run-files.js';
import { UintrWorkspace } from '../server/src/syntax/workspace.js';
import { MAX_TOKENS } from '../server/src/syntax/limits.js';
import { formatTraceText, type TraceRow } from '../server/src/cli/trace-command.js';

const CLI = join(ROOT, 'out', 'cli.cjs');
const tmp = mkdtempSync(join(tmpdir(), 'uintr-cli-'));

function run(args: string[], node = process.execPath) {
    const r = spawnSync(node, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, text: string | Buffer): string {
    const p = join(tmp, name);
    writeFileSync(p, text);
    return p;
}

const XRSTORS_TWICE = `machine { policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: xrstors rx
`;

beforeAll(() => {
    expect(existsSync(CLI), 'out/cli.cjs is built by `node esbuild.mjs` (npm test does it first)').toBe(true);
});

describe('uintr check', () => {
    test('json: one document, diagnostics with 1-based line/column and related locations', () => {
        const f = write('twice.uintr', XRSTORS_TWICE);
        const r = run(['check', '--format', 'json', f]);
        expect(r.status).toBe(1);
        const doc = JSON.parse(r.stdout);
        expect(doc.files).toHaveLength(1);
        expect(doc.files[0].file).toBe(f);
        expect(doc.files[0].steps).toBe(2);
        const [d] = doc.files[0].diagnostics;
        expect(d).toMatchObject({ code: 'xrstors-gp', severity: 'error', line: 4, column: 1 });
        expect(d.related).toEqual([expect.objectContaining({ line: 3, column: 1 })]);
    });

    test('static errors: one per (code, line), the others as related locations, a second of the same message too', () => {
        const f = write('same-twice.uintr', 'task rx { handler 1 }\nexpect nope.upid.pir == nope.upid.on\n');
        const r = run(['check', '--format', 'json', f]);
        expect(r.status).toBe(1);
        const ds = JSON.parse(r.stdout).files[0].diagnostics;
        expect(ds).toHaveLength(1);
        expect(ds[0]).toMatchObject({ code: 'semantic', line: 2, column: 8, message: expect.stringMatching(/^unknown name 'nope'/) });
        expect(ds[0].related).toEqual([{ line: 2, column: 25, message: ds[0].message }]);
    });

    test('text: compiler style with notes, no colour when not a TTY', () => {
        const f = write('twice2.uintr', XRSTORS_TWICE);
        const r = run(['check', f]);
        expect(r.status).toBe(1);
        expect(r.stdout).toContain(`${f}:4:1: error[xrstors-gp]: XRSTORS rx would #GP: UINV is 0xec`);
        expect(r.stdout).toContain(`  ${f}:3:1: note:`);
        expect(r.stdout).not.toContain('\u001b[');
    });

    test('exit 0 on a clean file, warnings alone do not fail', () => {
        const f = write('clean.uintr', 'machine { policy manual }\ntask rx { handler 1 }\nkthread k\ncpu0: xrstors rx\ncpu0: switch k\n');
        const r = run(['check', '--format', 'json', f]);
        expect(JSON.parse(r.stdout).files[0].diagnostics.map((d: { code: string }) => d.code)).toEqual(['stale-uinv']);
        expect(r.status).toBe(0);
    });

    test('sarif 2.1.0 with rules, results and related locations', () => {
        const f = write('twice3.uintr', XRSTORS_TWICE);
        const r = run(['check', '--format', 'sarif', f]);
        const log = JSON.parse(r.stdout);
        expect(log.version).toBe('2.1.0');
        const run0 = log.runs[0];
        expect(run0.tool.driver.name).toBe('uintr');
        const res = run0.results[0];
        expect(res.ruleId).toBe('xrstors-gp');
        expect(run0.tool.driver.rules[res.ruleIndex].id).toBe('xrstors-gp');
        expect(res.level).toBe('error');
        expect(res.locations[0].physicalLocation.region).toEqual({ startLine: 4, startColumn: 1 });
        expect(res.relatedLocations[0].physicalLocation.region.startLine).toBe(3);
        // an absolute path is a file: URI; columns are UTF-16 code units; no placeholder link
        expect(res.locations[0].physicalLocation.artifactLocation.uri).toBe(pathToFileURL(f).href);
        expect(run0.artifacts).toEqual([{ location: { uri: pathToFileURL(f).href } }]);
        expect(run0.columnKind).toBe('utf16CodeUnits');
        expect(run0.tool.driver.informationUri).toBeUndefined();
    });

    test('sarif: a relative path is a relative URI of the same file: a backslash is part of a Linux name, // and ./ are normalised', () => {
        const dir = join(tmp, 'sarif-uris');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'back\\slash.uintr'), XRSTORS_TWICE);
        writeFileSync(join(dir, 'a b#1.uintr'), XRSTORS_TWICE);
        const rel = relative(ROOT, dir);
        const uris = (path: string) => JSON.parse(run(['check', '--format', 'sarif', path]).stdout).runs[0].artifacts.map((a: { location: { uri: string } }) => a.location.uri);
        // it was cases/back/slash.uintr: another file
        expect(uris(`${rel}/back\\slash.uintr`)).toEqual([`${rel.split('/').map(encodeURIComponent).join('/')}/back%5Cslash.uintr`]);
        expect(uris(`./${rel}//a b#1.uintr`)).toEqual([`${rel.split('/').map(encodeURIComponent).join('/')}/a%20b%231.uintr`]);
    });

    test('folders recurse into *.uintr in path order, file paths joined with the folder', () => {
        const dir = join(tmp, 'tree');
        mkdirSync(join(dir, 'sub'), { recursive: true });
        writeFileSync(join(dir, 'b.uintr'), 'cpu0: stui\n');
        writeFileSync(join(dir, 'a.uintr'), 'cpu0: clui\n');
        writeFileSync(join(dir, 'sub', 'c.uintr'), 'cpu0: testui\n');
        writeFileSync(join(dir, 'notes.txt'), 'not a scenario');
        const r = run(['check', '--format', 'json', dir]);
        expect(r.status).toBe(0);
        expect(JSON.parse(r.stdout).files.map((f: { file: string }) => f.file)).toEqual([join(dir, 'a.uintr'), join(dir, 'b.uintr'), join(dir, 'sub', 'c.uintr')]);
    });

    test('a folder\'s files in path order: sorted as path strings, a file before a folder of the same name', () => {
        const dir = join(tmp, 'order');
        mkdirSync(join(dir, 'races'), { recursive: true });
        for (const f of ['races.uintr', 'races/one.uintr', 'a-b.uintr', 'b.uintr']) writeFileSync(join(dir, f), 'cpu0: stui\n');
        const files = JSON.parse(run(['check', '--format', 'json', dir]).stdout).files.map((f: { file: string }) => f.file.slice(dir.length + 1));
        expect(files).toEqual(['a-b.uintr', 'b.uintr', 'races.uintr', 'races/one.uintr']);
    });

    test('sarif with --stats: the counts per file in the run\'s property bag', () => {
        const f = write('sarif-stats.uintr', XRSTORS_TWICE);
        const run0 = JSON.parse(run(['check', '--format', 'sarif', '--stats', f]).stdout).runs[0];
        expect(run0.properties.stats).toEqual([expect.objectContaining({ policy: 'manual', xrstors: 2, xsaves: 0, bufferBytesPerTask: 48 })]);
        expect(JSON.parse(run(['check', '--format', 'sarif', f]).stdout).runs[0].properties).toBeUndefined();
    });

    test('sarif: a file given twice is one artifact (the schema wants them unique), its results twice', () => {
        const f = write('twice.uintr', XRSTORS_TWICE);
        const log = JSON.parse(run(['check', '--format', 'sarif', f, f]).stdout);
        expect(log.runs[0].artifacts).toHaveLength(1);
        expect(log.runs[0].results).toHaveLength(2);
    });

    test('text: an information diagnostic says "information", as the JSON does', () => {
        const f = write('info.uintr', 'machine { policy manual }\ntask rx { handler 1 }\ncpu0: xrstors rx\ncpu0: xrstors rx\nexpect gp\n');
        const r = run(['check', f]);
        expect(r.stdout).toContain(`${f}:4:1: information[xrstors-gp]: expected: `);
        expect(r.status).toBe(0);
    });

    test('a folder given as ./dir or dir/ keeps its spelling in each file path (joined, not normalised)', () => {
        const dir = join(tmp, 'spelled');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'a.uintr'), 'cpu0: stui\n');
        const files = (arg: string) => JSON.parse(spawnSync(process.execPath, [CLI, 'check', '--format', 'json', arg], { cwd: tmp, encoding: 'utf8' }).stdout)
            .files.map((f: { file: string }) => f.file);
        expect(files('./spelled')).toEqual(['./spelled/a.uintr']);
        expect(files('spelled/')).toEqual(['spelled/a.uintr']);
        expect(files('spelled/../spelled')).toEqual(['spelled/../spelled/a.uintr']);
    });

    test('a file named directly is checked whatever its extension (trace and compare too)', () => {
        const plain = write('scenario.txt', XRSTORS_TWICE);
        const bare = write('scenario-without-extension', 'cpu0: stui\n');
        const r = run(['check', '--format', 'json', plain, bare]);
        expect(r.stderr).toBe('');
        const files = JSON.parse(r.stdout).files;
        expect(files.map((f: { file: string }) => f.file)).toEqual([plain, bare]);
        expect(files[0].diagnostics.map((d: { code: string; line: number }) => `${d.code}@${d.line}`)).toEqual(['xrstors-gp@4']);
        expect(files[1].diagnostics).toEqual([]);
        expect(r.status).toBe(1);
        expect(run(['trace', bare]).status).toBe(0);
        expect(run(['compare', bare]).status).toBe(0);
    });

    test('steps counts the cpuN: items written: a step without its colon, made by the parser\'s recovery, does not count', () => {
        const steps = (text: string) => JSON.parse(run(['check', '--format', 'json', write('steps.uintr', text)]).stdout).files[0].steps;
        expect(steps('cpu0 stui\n')).toBe(0);
        expect(steps('cpu0: stui\ncpu0: bogus\ncpu0: stui\n')).toBe(3);
        expect(steps('race { cpu0: stui cpu1 clui } with { cpu1: stui }\n')).toBe(2);
        expect(steps('race { cpu0: stui cpu1: clui } with { cpu1: stui }\ncpu0: stui\n')).toBe(4);
    });

    test('--policy overrides the file policy; an unknown one is exit 2', () => {
        const f = write('lazy.uintr', 'machine { policy manual }\ntask rx { handler 1 }\ncpu0: switch rx\ncpu0: exec\n');
        expect(run(['check', '--format', 'json', f]).status).toBe(0);
        const eager = run(['check', '--format', 'json', '--policy', 'lazy_fpu', f]);
        expect(JSON.parse(eager.stdout).files[0].diagnostics[0].code).toBe('xrstors-gp');
        const bad = run(['check', '--policy', 'nope', f]);
        expect(bad.status).toBe(2);
        expect(bad.stderr).toMatch(/unknown policy 'nope'/);
        // an empty name is no policy either (it was taken for no --policy at all)
        for (const cmd of ['check', 'trace']) {
            const empty = run([cmd, '--policy', '', f]);
            expect(empty.status, cmd).toBe(2);
            expect(empty.stderr).toMatch(/unknown policy ''/);
        }
        // a policy one file defines: a file that does not is named
        const mine = write('mine.uintr', 'policy mine extends linux_rfc { }\ntask rx { handler 1 }\ncpu0: switch rx\n');
        expect(run(['check', '--policy', 'mine', mine]).status).toBe(0);
        const other = run(['check', '--policy', 'mine', mine, f]);
        expect(other.status).toBe(2);
        expect(other.stderr).toMatch(/unknown policy 'mine': neither built-in \(manual, .*\) nor defined in .*lazy\.uintr/);
    });

    test('--stats adds the cost counts', () => {
        const f = write('stats.uintr', 'task rx { handler 1 }\nkthread k\ncpu0: switch rx\ncpu0: switch k\ncpu0: switch rx\n');
        const r = run(['check', '--format', 'json', '--stats', f]);
        expect(JSON.parse(r.stdout).files[0].stats).toMatchObject({ policy: 'linux_rfc', xsaves: 1, xrstors: 1, wrmsr: 1, bufferBytesPerTask: 48 });
        const text = run(['check', '--stats', f]);
        expect(text.stdout).toMatch(/stats under linux_rfc: 3 steps, 1 XSAVES, 1 XRSTORS, 1 WRMSR, 0 self-IPIs, 0 spurious kernel interrupts, 0 deliveries/);
        // one of each, in the singular (it said "1 deliveries")
        const one = write('stats-one.uintr', 'machine { cpus 2 policy manual }\ntask rx { handler 0x401000 }\ntask tx { target rx vector 3 }\ncpu0: xrstors rx\ncpu0: switch rx\ncpu1: switch tx\ncpu1: wrmsr IA32_UINTR_TT tx.uitt | 1\ncpu1: wrmsr IA32_UINTR_MISC 0\ncpu1: senduipi 0\n');
        expect(run(['check', '--stats', one]).stdout).toMatch(/: 6 steps, 0 XSAVES, 1 XRSTORS, 2 WRMSR, 0 self-IPIs, 0 spurious kernel interrupts, 1 delivery, /);
        expect(JSON.parse(r.stdout).files[0].stats.races).toEqual([]);
    });

    test('--stats of a scenario with a race counts the file as written, each race\'s branches one after another', () => {
        const body = 'machine { cpus 2 policy linux_rfc }\ntask rx { handler 0x401000 }\ntask tx { target rx vector 3 }\ncpu0: switch rx\n';
        const tail = 'cpu0: xsaves rx\ncpu0: xrstors rx\ncpu1: senduipi 0\n';
        const stats = (text: string, name: string) => {
            const { xsaves, xrstors, wrmsr, selfIpis, spurious, deliveries } = JSON.parse(run(['check', '--stats', '--format', 'json', write(name, text)]).stdout).files[0].stats;
            return { xsaves, xrstors, wrmsr, selfIpis, spurious, deliveries };
        };
        const raced = stats(`${body}race { cpu1: switch tx } with { cpu0: stui }\n${tail}`, 'stats-race.uintr');
        const plain = stats(`${body}cpu1: switch tx\ncpu0: stui\n${tail}`, 'stats-plain.uintr');
        expect(raced).toEqual(plain);
        expect(raced).toMatchObject({ xsaves: 1, xrstors: 3, deliveries: 1 });
        // ipi deferred: an IPI sent before the race arrives at it (SEMANTICS §3), while rx still
        // runs on cpu0; it waited for the end, when kw ran there (spurious 1, deliveries 0)
        const deferred = 'machine { cpus 2 policy linux_rfc ipi deferred }\ntask rx { handler 0x401000 }\ntask tx { target rx vector 3 }\nkthread kw\n'
            + 'cpu0: switch rx\ncpu1: switch tx\ncpu1: senduipi 0\nrace { cpu0: switch kw } with { cpu1: stui }\n';
        expect(stats(deferred, 'stats-race-deferred.uintr')).toMatchObject({ spurious: 0, deliveries: 1 });
    });

    test('--stats gives what each race\'s exploration cost', () => {
        const f = join(ROOT, 'examples', 'race-kthread-roundtrip-rfc.uintr');
        const json = JSON.parse(run(['check', '--format', 'json', '--stats', f]).stdout).files[0].stats.races;
        expect(json).toHaveLength(1);
        expect(json[0]).toMatchObject({ line: 14, cutBy: null });
        expect(json[0].states).toBeGreaterThan(json[0].interleavings);
        const text = run(['check', '--stats', f]).stdout;
        expect(text).toContain(`${f}:14: race explored: ${json[0].interleavings} interleaving`);
        expect(text).toMatch(new RegExp(`, ${json[0].states} distinct states`));
    });

    test('--annotations passes on agreeing files and lists every difference otherwise', () => {
        const good = write('ann-good.uintr', 'machine { policy manual }\ntask rx { handler 1 }\ncpu0: xrstors rx\ncpu0: xrstors rx //! xrstors-gp\n');
        expect(run(['check', '--annotations', good]).status).toBe(0);
        const bad = write('ann-bad.uintr', 'machine { policy manual }\ntask rx { handler 1 }\ncpu0: xrstors rx //! ud\ncpu0: xrstors rx\n');
        const r = run(['check', '--annotations', bad]);
        expect(r.status).toBe(1);
        expect(r.stdout).toContain(`${bad}:3: missing ud`);
        expect(r.stdout).toContain(`${bad}:4: unexpected xrstors-gp`);
        expect(r.stdout).toContain('0/1 files agree');
    });

    test('--annotations with JSON: the differences go to stderr, coloured only when stderr is a terminal', async () => {
        const bad = write('ann-bad-color.uintr', 'machine { policy manual }\ntask rx { handler 1 }\ncpu0: xrstors rx //! ud\ncpu0: xrstors rx\n');
        const preludePath = join(ROOT, 'server', 'src', 'kernel', 'prelude.uintr');
        const ESC = '\u001b[';
        const plain = (t: string) => t.split(ESC).map((part, i) => (i === 0 ? part : part.replace(/^\d+m/, ''))).join('');
        for (const errColor of [false, true]) {
            let out = '', err = '';
            const status = await main(['check', '--annotations', '--format', 'json', bad], { out: t => { out += t; }, err: t => { err += t; }, color: true, errColor }, { preludePath });
            expect(status).toBe(1);
            expect(JSON.parse(out).files).toHaveLength(1);
            expect(plain(err)).toContain(`${bad}:3: missing ud`);
            expect(err.includes(ESC), `errColor ${errColor}`).toBe(errColor);
        }
    });
    test('--annotations: a //! comment that is not an annotation is named by line but not counted, as accept.py does not count it (text and JSON)', () => {
        const f = write('ann-unread.uintr', [
            'machine { policy manual }', 'task rx { handler 1 }', 'cpu0: xrstors rx',
            'cpu0: xrstors rx //! xrstors-gp // because UINV is armed', 'cpu0: xrstors rx //! xrstors-gp ud', 'cpu0: stui //! xrstors-gp,', '',
        ].join('\n'));
        const r = run(['check', '--annotations', f]);
        expect(r.status).toBe(1);
        for (const line of [4, 5, 6]) expect(r.stdout).toContain(`${f}:${line}: unread //! comment: not an annotation, not counted`);
        // not read, so the #GPs on lines 4 and 5 are reported but not annotated
        expect(r.stdout).toContain(`${f}:4: unexpected xrstors-gp`);
        expect(r.stdout).toContain(`${f}:5: unexpected xrstors-gp`);
        expect(r.stdout).toContain('0/1 files agree');
        const j = run(['check', '--annotations', '--format', 'json', f]);
        expect(j.status).toBe(1);
        expect(JSON.parse(j.stdout).files[0].annotations.unread).toEqual([4, 5, 6]);
        // a file whose diagnostics are exactly its annotations agrees, prose after //! or not (LANGUAGE §11)
        const prose = write('ann-prose.uintr', 'machine { policy manual }\ncpu0: stui   //! (no diagnostic expected here)\ncpu0: clui //!\n');
        const p = run(['check', '--annotations', prose]);
        expect(p.stdout).toContain(`${prose}:2: unread //! comment`);
        expect(p.stdout).toContain('1/1 files agree');
        expect(p.status).toBe(0);
        const good = write('ann-read.uintr', 'machine { policy manual }\ntask rx { handler 1 }\ncpu0: xrstors rx\ncpu0: xrstors rx //!xrstors-gp ,  ud \n');
        const g = run(['check', '--annotations', '--format', 'json', good]);
        expect(JSON.parse(g.stdout).files[0].annotations).toEqual({ missing: [{ code: 'ud', line: 4 }], extra: [], unread: [] });
    });
    test('--annotations reads white space as accept.py (Python\'s \\s): U+0085 and U+001C count, U+FEFF does not', async () => {
        const { readAnnotations } = await import('../server/src/cli/annotations.js');
        const lines = [
            'cpu0: stui //! xrstors-gp\u0085', // NEL: Python's \s, not JavaScript's
            'cpu0: stui //!\u001cud\u001f,\u001dwrmsr-gp',
            'cpu0: stui //! senduipi-gp\ufeff', // BOM: JavaScript's \s, not Python's
            'cpu0: stui //! expect-failed\u00a0\u3000',
        ];
        // what python3 prints for these lines with accept.py's MARK and its strip()
        expect(readAnnotations(lines.join('\n'))).toEqual({
            annotations: [
                { code: 'xrstors-gp', line: 1 }, { code: 'ud', line: 2 }, { code: 'wrmsr-gp', line: 2 }, { code: 'expect-failed', line: 4 },
            ],
            unread: [3],
        });
    });
    test('--annotations counts lines as the parser does: a file with lone CR line ends', () => {
        const cr = write('ann-cr.uintr', 'machine { policy manual }\rtask rx { handler 1 }\rcpu0: xrstors rx\rcpu0: xrstors rx //! xrstors-gp\r');
        const r = run(['check', '--annotations', cr]);
        expect(r.stdout).toContain('1/1 files agree');
        expect(r.status).toBe(0);
    });
});

describe('bad input: one clear line, exit 2, no stack trace', () => {
    const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at /);
    test('missing path', () => {
        const r = run(['check', join(tmp, 'missing.uintr')]);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/cannot read .*missing\.uintr.*no such file/);
        noStack(r.stderr);
    });
    test('a missing path beside a good file: no JSON or SARIF document for the good one (decisions #36)', () => {
        const good = join(ROOT, 'examples', 'double-xsaves.uintr');
        for (const format of ['json', 'sarif']) {
            const r = run(['check', '--format', format, good, join(tmp, 'missing.uintr')]);
            expect(r.status, format).toBe(2);
            expect(r.stdout, format).toBe('');
            expect(r.stderr.trim().split('\n'), format).toEqual([expect.stringMatching(/cannot read .*missing\.uintr/)]);
        }
    });
    test('output that cannot be written (a full disk): one line on stderr, exit 2, whatever the check found', () => {
        const full = '/dev/full';
        if (!existsSync(full)) return;
        const good = join(ROOT, 'examples', 'double-xsaves.uintr');
        const bad = write('twice-full.uintr', XRSTORS_TWICE);
        for (const f of [good, bad]) {
            const r = spawnSync(process.execPath, [CLI, 'check', f], { cwd: ROOT, encoding: 'utf8', timeout: 60000, stdio: ['ignore', openSync(full, 'w'), 'pipe'] });
            expect(r.status, f).toBe(2);
            expect(r.stderr.trim().split('\n')).toEqual(['uintr: cannot write to standard output: ENOSPC (no space left on the device)']);
        }
        // nowhere to say it: the status says it
        const r = spawnSync(process.execPath, [CLI, 'check', join(tmp, 'missing.uintr')], { cwd: ROOT, encoding: 'utf8', timeout: 60000, stdio: ['ignore', 'pipe', openSync(full, 'w')] });
        expect(r.status).toBe(2);
        expect(r.stdout).toBe('');
    });
    test('help for a command that does not exist is bad usage', () => {
        const r = run(['help', 'bogus']);
        expect(r.status).toBe(2);
        expect(r.stderr.trim().split('\n').at(-1)).toBe("uintr: unknown command 'bogus' (the commands are check, trace, compare)");
        expect(run(['help', 'check']).status).toBe(0);
        expect(run(['help']).status).toBe(0);
    });
    test('a path through a file: what is wrong, in words', () => {
        const f = write('plain.uintr', 'cpu0: stui\n');
        const r = run(['check', join(f, 'x.uintr')]);
        expect(r.status).toBe(2);
        expect(r.stderr.trim()).toBe(`uintr: cannot read '${join(f, 'x.uintr')}': a part of the path before the last is not a directory`);
    });
    test('folder without scenarios', () => {
        const d = join(tmp, 'empty');
        mkdirSync(d, { recursive: true });
        const r = run(['check', d]);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/contains no \.uintr files/);
    });
    test('bad flags and commands', () => {
        expect(run(['check', '--format', 'xml', 'x']).status).toBe(2);
        expect(run(['check', '--bogus', 'x']).status).toBe(2);
        expect(run(['frobnicate']).status).toBe(2);
        expect(run(['check']).status).toBe(2);
        // no command at all: the help goes to stderr, as for any bad usage; asked for, it is no error
        const none = run([]);
        expect(none.status).toBe(2);
        expect(none.stderr).toContain('Usage: uintr');
        expect(run(['--help']).status).toBe(0);
    });
    test('a binary file is not a scenario', () => {
        const f = write('bin.uintr', Buffer.from([0x63, 0x70, 0x75, 0, 1, 2, 3]));
        const r = run(['check', f]);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/not a scenario.*NUL/);
    });
    test('a 50 MB file is refused at once, without reading it', () => {
        const f = join(tmp, 'huge.uintr');
        execFileSync('truncate', ['-s', '50M', f]);
        const started = Date.now();
        const r = run(['check', f]);
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/over the 16 MiB limit/);
        expect(Date.now() - started).toBeLessThan(20000);
    });
    test.runIf(existsSync('/proc/version'))('a file whose size says 0 (/proc/version) is read to its end, not taken for an empty scenario', () => {
        const r = run(['check', '--format', 'json', '/proc/version']);
        expect(r.status, r.stderr).toBe(1);
        const d = JSON.parse(r.stdout).files[0].diagnostics;
        expect(d.length).toBeGreaterThan(0);
        expect(d[0]).toMatchObject({ code: 'syntax', line: 1 });
    });
    test('a file of more tokens than a check takes (15 MiB of short expectations ran out of a 4 GB heap) is refused before it is parsed, exit 2; a long file of few tokens is checked', () => {
        const line = 'expect 1 | 1 == 1\n'; // 6 tokens
        const over = write('too-many-tokens.uintr', 'machine { policy manual }\n' + line.repeat(Math.ceil(MAX_TOKENS / 6) + 1));
        const r = run(['check', over]);
        expect(r.status).toBe(2);
        expect(r.stderr).toBe(`uintr: '${over}' is too large to check: over 1,000,000 tokens (a limit that keeps a check within memory; split the scenario)\n`);
        // tokens, not bytes: 3 MB of comment around a small scenario is checked
        const long = write('long-comment.uintr', `machine { policy manual }\n/* ${'x '.repeat(1_500_000)}*/\n${line}// ${'y'.repeat(100_000)}\n`);
        const ok = run(['check', '--format', 'json', long]);
        expect(ok.status, ok.stderr).toBe(0);
        expect(JSON.parse(ok.stdout).files[0].diagnostics).toEqual([]);
    });
    test('garbage text gets syntax diagnostics at the right place, exit 1', () => {
        const f = write('garbage.uintr', 'machine {\n  cpus 2\n}\ncpu0: xsaves\n@@@ ###\n');
        const r = run(['check', '--format', 'json', f]);
        expect(r.status).toBe(1);
        const ds = JSON.parse(r.stdout).files[0].diagnostics;
        expect(ds.length).toBeGreaterThan(0);
        expect(ds.every((d: { code: string }) => d.code === 'syntax')).toBe(true);
        expect(ds[0].line).toBeGreaterThanOrEqual(4);
        noStack(r.stderr);
    });
    test('input nested deeper than 1000 levels gets one syntax error at the bracket that goes too deep, at once', () => {
        const f = write('deep.uintr', `cpu0: stui\ncpu0: wrmsr IA32_UINTR_RR ${'('.repeat(200000)}1${')'.repeat(200000)}\n`);
        const r = run(['check', '--format', 'json', f]);
        expect(r.status).toBe(1);
        const ds = JSON.parse(r.stdout).files[0].diagnostics;
        expect(ds).toEqual([expect.objectContaining({ code: 'syntax', line: 2, column: 27 + 1000, message: expect.stringContaining('nested too deeply') })]);
        noStack(r.stderr);
    });

    test('a chain of more than 1000 prefix operators (~, not) gets one syntax error where it starts, at once (100,000 took the parser 95 s); in a comment it is no chain', () => {
        const tilde = write('chain.uintr', `machine { policy manual }\ntask rx { handler 1 }\ncpu0: set rx.upid.pir = ${'~ '.repeat(100_000)}1\n`);
        const r = run(['check', '--format', 'json', tilde]);
        expect(r.status).toBe(1);
        expect(JSON.parse(r.stdout).files[0].diagnostics).toEqual([expect.objectContaining({ code: 'syntax', line: 3, column: 25,
            message: 'nested too deeply: a chain of 100000 prefix operators (~, not) starts here (at most 1000)' })]);
        const nots = write('chain-not.uintr', `// ${'not '.repeat(5000)}\nmachine { policy p }\npolicy p { on exec { if ${'not '.repeat(1001)}user(cur) { stui } } }\n`);
        const n = JSON.parse(run(['check', '--format', 'json', nots]).stdout).files[0].diagnostics;
        expect(n.map((d: { line: number; column: number; message: string }) => [d.line, d.column, d.message]))
            .toEqual([[3, 25, 'nested too deeply: a chain of 1001 prefix operators (~, not) starts here (at most 1000)']]);
        // with any whitespace of the lexer's between them (\v, \f, no-break space), still one chain
        for (const ws of ['\v', '\f', '\u00a0', '\u2003']) {
            const f = write('chain-ws.uintr', `machine { policy manual }\ntask rx { handler 1 }\ncpu0: set rx.upid.pir = ${`~${ws}`.repeat(2_000)}1\n`);
            const d = JSON.parse(run(['check', '--format', 'json', f]).stdout).files[0].diagnostics;
            expect(d.map((x: { message: string }) => x.message), JSON.stringify(ws)).toEqual(['nested too deeply: a chain of 2000 prefix operators (~, not) starts here (at most 1000)']);
        }
        // 1000 are taken (and a `not` inside a name is no operator)
        const ok = write('chain-1000.uintr', `machine { policy p }\ntask nothing { handler 1 }\npolicy p { on exec { if ${'not '.repeat(1000)}user(cur) { stui } } }\ncpu0: switch nothing\n`);
        expect(run(['check', ok]).status).toBe(0);
    });

    test('nesting that overflows the main thread\'s stack is checked on a deep one: the same output and exit status', () => {
        // 300 parentheses overflow the parser on a default stack; the command runs again in a
        // worker with a deep stack (bin.ts) and its output is the one written
        const parens = write('deep-ok.uintr', `machine { policy manual }\nexpect ${'('.repeat(300)}1${')'.repeat(300)} == 2\n`);
        const r = run(['check', '--format', 'json', parens]);
        expect(r.status).toBe(1);
        expect(JSON.parse(r.stdout).files[0].diagnostics.map((d: { code: string; line: number }) => `${d.code}@${d.line}`)).toEqual(['expect-failed@2']);
        noStack(r.stderr);
        let body = 'stui';
        for (let i = 0; i < 400; i++) body = `if cpu.uif == 0 { ${body} }`;
        const ifs = write('deep-ifs.uintr', `machine { policy p }\npolicy p { on switch_in { ${body} } }\ntask rx { handler 1 }\ncpu0: switch rx\nexpect cpu0.uif == 1\n`);
        const t = run(['check', ifs]);
        expect(t.stdout).toContain('1 file checked: 0 errors, 0 warnings');
        expect(t.status).toBe(0);
        noStack(t.stderr);
        const tr = run(['trace', '--format', 'json', parens]);
        expect(tr.status).toBe(1);
        JSON.parse(tr.stdout);
    });
});

describe('bounds and progress of race exploration', () => {
    test('--max-states and --max-depth bound the search (check, trace, compare); a bad bound is bad usage', () => {
        const f = write('ring-2-3.uintr', ring(2, 3));
        const full = JSON.parse(run(['check', '--format', 'json', '--stats', f]).stdout).files[0];
        expect(full.diagnostics).toEqual([]);
        expect(full.stats.races[0].states).toBeGreaterThan(1000);
        expect(Object.keys(full.stats.races[0]).sort()).toEqual(['cutBy', 'interleavings', 'line', 'reducedStates', 'sleptEvents', 'states']);
        const cut = JSON.parse(run(['check', '--format', 'json', '--stats', '--max-states', '1_000', f]).stdout).files[0];
        expect(cut.stats.races[0].states).toBe(1000);
        expect(cut.diagnostics.map((d: { severity: string; message: string }) => [d.severity, d.message])).toEqual([
            ['information', expect.stringMatching(/^the search stopped at 1000 states: .*--max-states N/)]]);
        const deep = JSON.parse(run(['check', '--format', 'json', '--max-depth', '3', f]).stdout).files[0];
        expect(deep.diagnostics[0].message).toMatch(/bound of events per interleaving.*--max-depth N/);
        const tr = JSON.parse(run(['trace', '--format', 'json', '--max-states', '1000', f]).stdout);
        expect(tr.diagnostics.map((d: { message: string }) => d.message)).toEqual([expect.stringMatching(/^the search stopped at 1000 states/)]);
        const compared = run(['compare', '--max-states', '1000', f]);
        expect(compared.status).toBe(0);
        // the table's verdict says that the search was cut short (its information diagnostic is not listed)
        const rows = compared.stdout.trim().split('\n').slice(2);
        expect(rows.filter(row => /\(the search of the race at line \d+ was cut short by a bound/.test(row)).length).toBeGreaterThan(3);
        expect(rows.filter(row => / clean$/.test(row))).toEqual([]);
        // the interleavings drawn at random when the bound cut it found what the whole search finds
        // (with only the first interleaving run, eager, lazy_fpu and tglx were clean here)
        const verdicts = (out: string) => out.trim().split('\n').slice(2).map(row => row.replace(/ \(the search .*$/, '').split(/\s+/)).map(c => `${c[0]} ${c[c.length - 1]}`);
        expect(verdicts(compared.stdout)).toEqual(verdicts(run(['compare', f]).stdout));
        expect(run(['compare', f]).stdout).not.toMatch(/cut short/);
        for (const bad of ['0', '-3', 'many', '1e6', '2.5']) {
            const r = run(['check', '--max-states', bad, f]);
            expect(r.status, bad).toBe(2);
            expect(r.stderr).toContain('Expected a whole number of at least 1.');
            expect(r.stdout).toBe('');
        }
    });

    test('on a terminal, a long exploration shows its progress on stderr and clears it; in a pipe, nothing', async () => {
        const f = write('ring-2-3-progress.uintr', ring(2, 3));
        const preludePath = join(ROOT, 'server', 'src', 'kernel', 'prelude.uintr');
        const capture = async (progress: boolean) => {
            let out = '', err = '';
            const status = await main(['check', '--format', 'json', f], { out: t => { out += t; }, err: t => { err += t; }, color: false, progress }, { preludePath });
            return { status, out, err };
        };
        const tty = await capture(true);
        expect(tty.status).toBe(0);
        const clear = '\r\u001b[K';
        expect(tty.err.startsWith(clear)).toBe(true);
        expect(tty.err.slice(clear.length)).toMatch(/^uintr: .*ring-2-3-progress\.uintr: exploring race 1 of 1, [\d,]+ distinct states so far/);
        expect(tty.err.endsWith(clear)).toBe(true);
        const pipe = await capture(false);
        expect(pipe.err).toBe('');
        expect(pipe.out).toBe(tty.out); // the same result, explored in slices or at once
    });
});

describe('trace and compare', () => {
    test('compare\'s table lists at most 12 diagnostics per policy and says how many more; its JSON lists them all', () => {
        const f = write('many-gp.uintr', `machine { cpus 1 policy manual }\ntask rx { handler 0x401000 }\ncpu0: switch rx\ncpu0: xrstors rx\n${'cpu0: xrstors rx\n'.repeat(20)}`);
        const table = run(['compare', f]).stdout.split('\n').find(l => l.startsWith('manual'))!;
        expect(table).toMatch(/xrstors-gp@5 .* xrstors-gp@16 … and 8 more \(--format json lists them all\)$/);
        const json = JSON.parse(run(['compare', '--format', 'json', f]).stdout) as { policies: { policy: string; diagnostics: unknown[] }[] };
        expect(json.policies.find(p => p.policy === 'manual')!.diagnostics).toHaveLength(20);
    });

    test('trace prints the state after every item', () => {
        const f = write('trace.uintr', XRSTORS_TWICE);
        const r = run(['trace', f]);
        expect(r.status).toBe(1);
        expect(r.stdout).toMatch(/cpu0\.uinv 0x0→0xec/);
        expect(r.stdout).toContain('error[xrstors-gp]');
        const j = JSON.parse(run(['trace', '--format', 'json', f]).stdout);
        expect(j.rows).toHaveLength(2);
        expect(j.rows[0].state.cpus[0].uinv).toBe('0xec');
        expect(j.rows[1].diagnostics[0].code).toBe('xrstors-gp');
    });
    test('trace shows the end of the scenario where deferred IPIs arrive: the last row is the state the end checks see', () => {
        const f = write('trace-deferred-end.uintr', [
            'machine { cpus 2 policy linux_rfc ipi deferred }', 'task rx { handler 0x401000 }', 'task tx { target rx vector 3 }',
            'cpu0: switch rx', 'cpu1: switch tx', 'cpu1: senduipi 0', '',
        ].join('\n'));
        const j = JSON.parse(run(['trace', '--format', 'json', f]).stdout);
        expect(j.rows.map((r: { kind: string }) => r.kind)).toEqual(['step', 'step', 'step', 'end']);
        const [send, end] = j.rows.slice(2);
        expect(send.state.upids[0]).toMatchObject({ on: '0x1', pir: '0x8' });
        expect(end.line).toBe(6);
        expect(end.changes).toContainEqual({ path: 'rx.delivered', old: '0x0', new: '0x8' });
        expect(end.state.upids[0]).toMatchObject({ on: '0x0', pir: '0x0' });
        expect(end.state.tasks.find((t: { name: string }) => t.name === 'rx').delivered).toBe('0x8');
        expect(run(['trace', f]).stdout).toMatch(/end of scenario: deferred IPIs arrive .*rx\.delivered 0x0→0x8/);
        // nothing arrives at the end: no such row
        const g = write('trace-deferred-expect.uintr', [
            'machine { cpus 2 policy linux_rfc ipi deferred }', 'task rx { handler 0x401000 }', 'task tx { target rx vector 3 }',
            'cpu0: switch rx', 'cpu1: switch tx', 'cpu1: senduipi 0', 'expect delivered rx 3', '',
        ].join('\n'));
        expect(JSON.parse(run(['trace', '--format', 'json', g]).stdout).rows.map((r: { kind: string }) => r.kind)).toEqual(['step', 'step', 'step', 'expect']);
    });
    test('trace replays each race\'s counterexample with what every event changed, a later race after its lead-in', () => {
        const f = write('trace-races.uintr', [
            'machine { cpus 2 policy linux_rfc }', 'task rx { handler 0x401000 }', 'task tx { target rx vector 3 }', 'kthread kw',
            'race {', '  cpu0: switch tx', '} with {', '  cpu0: switch rx', '}', 'expect no lost',
            'race {', '  cpu0: xrstors rx', '} with {', '  cpu1: switch kw', '}', '',
        ].join('\n'));
        const j = JSON.parse(run(['trace', '--format', 'json', f]).stdout);
        const all = j.rows.map((r: { kind: string; line: number; item: string }) => [r.kind, r.line, r.item]);
        // (the file as written comes first: see the test below)
        expect(all[0]).toEqual(['race', 5, 'race { … }']);
        const replayed = j.rows.filter((r: { kind: string }) => r.kind === 'lead-in' || r.kind === 'counterexample');
        expect(replayed.map((r: { kind: string; line: number; item: string }) => [r.kind, r.line, r.item])).toEqual([
            ['lead-in', 6, 'race@5 (to race@11): cpu0: switch tx'],
            ['lead-in', 8, 'race@5 (to race@11): cpu0: switch rx'],
            ['lead-in', 10, 'race@5 (to race@11): expect no lost'],
            ['counterexample', 12, 'race@11: cpu0: xrstors rx'],
        ]);
        expect(all.slice(-4)).toEqual(replayed.map((r: { kind: string; line: number; item: string }) => [r.kind, r.line, r.item]));
        expect(replayed[1].changes).toContainEqual({ path: 'cpu0.uinv', old: '0x0', new: '0xec' });
        expect(replayed[1].changes).toContainEqual({ path: 'cpu0.current', old: 'tx', new: 'rx' });
        expect(replayed[1].state.cpus[0].current).toBe('rx');
        // the row where the counterexample's finding arises carries it
        expect(replayed[3].diagnostics.map((d: { code: string; line: number }) => [d.code, d.line])).toEqual([['xrstors-gp', 12]]);
        expect(replayed.slice(0, 3).every((r: { diagnostics: unknown[] }) => r.diagnostics.length === 0)).toBe(true);
        const text = run(['trace', f]).stdout;
        expect(text).toMatch(/race@5 \(to race@11\): cpu0: switch rx .*cpu0\.uinv 0x0→0xec/);
    });
    test('trace: from the first race on, the file as written (each race\'s branches one after another), each row with what that interleaving raised; a clean race\'s steps and the items after it had no row', () => {
        const clean = write('trace-after-clean-race.uintr', [
            'machine { cpus 2 policy linux_rfc }', 'task rx { handler 0x401000 }', 'task tx { target rx vector 3 }',
            'cpu0: switch rx', 'race { cpu1: switch tx } with { cpu0: stui }', 'cpu1: senduipi 0', 'expect delivered rx 3', '',
        ].join('\n'));
        const j = JSON.parse(run(['trace', '--format', 'json', clean]).stdout);
        expect(j.rows.map((r: { kind: string; line: number; item: string }) => [r.kind, r.line, r.item])).toEqual([
            ['step', 4, 'cpu0: switch rx'],
            ['race', 5, 'race { … }'],
            ['as-written', 5, 'as written: race@5: cpu1: switch tx'],
            ['as-written', 5, 'as written: race@5: cpu0: stui'],
            ['as-written', 6, 'as written: cpu1: senduipi 0'],
            ['as-written', 7, 'as written: expect delivered rx 3'],
        ]);
        expect(j.rows[4].changes).toContainEqual({ path: 'rx.delivered', old: '0x0', new: '0x8' });
        expect(j.rows[5].state.tasks.find((t: { name: string }) => t.name === 'rx').delivered).toBe('0x8');
        expect(j.rows.every((r: { diagnostics: unknown[] }) => r.diagnostics.length === 0)).toBe(true);

        // a race with a counterexample: as written, then the counterexample; the as-written rows
        // carry what that one interleaving raised, at the lines of its steps
        const rows = JSON.parse(run(['trace', '--format', 'json', join(ROOT, 'examples', 'race-kthread-roundtrip-lazy.uintr')]).stdout).rows;
        const kinds = rows.map((r: { kind: string }) => r.kind);
        expect(kinds.indexOf('counterexample')).toBeGreaterThan(kinds.lastIndexOf('as-written'));
        const codes = (kind: string) => rows.filter((r: { kind: string }) => r.kind === kind).flatMap((r: { diagnostics: { code: string }[] }) => r.diagnostics.map(d => d.code));
        expect(codes('as-written')).toEqual(expect.arrayContaining(['never-delivered', 'expect-failed']));

        // branches on one line: each row carries what its own step raised (they all carried the line's)
        const oneLine = write('trace-one-line-race.uintr', 'machine { cpus 2 policy manual }\ntask rx { handler 0x401000 }\nrace { cpu0: xrstors rx } with { cpu1: xrstors rx  cpu1: xrstors rx }\n');
        const written = JSON.parse(run(['trace', '--format', 'json', oneLine]).stdout).rows.filter((r: { kind: string }) => r.kind === 'as-written');
        expect(written.map((r: { diagnostics: { code: string }[] }) => r.diagnostics.map(d => d.code))).toEqual([[], [], ['xrstors-gp']]);
    });

    test('trace\'s table shows a task going to wait, woken and exiting (rx.state), not each switch\'s running and runnable', () => {
        const f = write('trace-wait-wake.uintr', [
            'machine { cpus 2 policy linux_rfc }', 'task rx { handler 0x401000 }', 'task tx { target rx vector 3 }',
            'cpu0: switch rx', 'cpu1: switch tx', 'cpu0: wait', 'cpu1: senduipi 0', 'cpu0: switch rx', 'cpu0: exit', '',
        ].join('\n'));
        const rows = run(['trace', f]).stdout.split('\n');
        const row = (item: string) => rows.find(r => r.includes(item))!;
        expect(row('cpu0: wait')).toContain('rx.state running→waiting');
        expect(row('cpu1: senduipi 0')).toContain('rx.state waiting→runnable');
        expect(row('cpu0: exit')).toContain('rx.state running→dead');
        expect(row('cpu0: switch rx')).not.toMatch(/\.state /); // in the current column already
    });

    test('trace: in a later race\'s lead-in, a deferred IPI arrives as a row of its own, before the expectation it arrives at', () => {
        const f = write('trace-lead-deferred.uintr', [
            'machine { cpus 2 policy linux_rfc ipi deferred }', 'task rx { handler 0x401000 }', 'task tx { target rx vector 3 }',
            'cpu0: switch rx', 'cpu1: switch tx',
            'race {', '  cpu0: stui', '} with {', '  cpu1: stui', '}',
            'cpu1: senduipi 0', 'expect no lost',
            'race {', '  cpu0: xrstors rx', '} with {', '  cpu1: stui', '}', '',
        ].join('\n'));
        const j = JSON.parse(run(['trace', '--format', 'json', f]).stdout);
        const rows = j.rows.filter((r: { kind: string }) => r.kind === 'lead-in' || r.kind === 'counterexample');
        expect(rows.map((r: { kind: string; line: number; item: string }) => [r.kind, r.line, r.item])).toEqual([
            ['lead-in', 7, 'race@6 (to race@13): cpu0: stui'],
            ['lead-in', 9, 'race@6 (to race@13): cpu1: stui'],
            ['lead-in', 11, 'race@6 (to race@13): cpu1: senduipi 0'],
            ['lead-in', 11, 'race@6 (to race@13): IPI 0xec arrives at cpu0'],
            ['lead-in', 12, 'race@6 (to race@13): expect no lost'],
            ['counterexample', 14, 'race@13: cpu0: xrstors rx'],
        ]);
        // what the arrival does is on its own row; the expectation changes nothing
        expect(rows[3].changes).toContainEqual({ path: 'rx.delivered', old: '0x0', new: '0x8' });
        expect(rows[4].changes).toEqual([]);
    });
    test('compare runs every built-in policy', () => {
        const f = write('cmp.uintr', 'machine { cpus 2 policy lazy_fpu }\ntask rx { handler 1 }\ntask tx { target rx vector 3 }\nkthread k\ncpu0: switch rx\ncpu1: switch tx\ncpu0: switch k\ncpu0: switch rx\ncpu1: senduipi 0\n');
        const r = run(['compare', '--format', 'json', f]);
        expect(r.status).toBe(0);
        const rows = JSON.parse(r.stdout).policies;
        expect(rows.map((p: { policy: string }) => p.policy)).toEqual(['manual', 'eager', 'lazy_fpu', 'linux_rfc', 'independent', 'tglx']);
        const lazy = rows.find((p: { policy: string }) => p.policy === 'lazy_fpu');
        expect(lazy.own).toBe(true);
        expect(lazy.diagnostics.map((d: { code: string }) => d.code)).toContain('notification-lost');
        expect(rows.find((p: { policy: string }) => p.policy === 'linux_rfc').diagnostics).toEqual([]);
        expect(run(['compare', f]).stdout).toMatch(/lazy_fpu \*/);
        expect(rows.every((p: { builtin: boolean }) => p.builtin)).toBe(true);
    });

    test('compare of a file with static errors says nothing ran (its header said "verdicts under every built-in policy (* = the file\'s own)", and its own policy, broken, had no row)', () => {
        const f = write('cmp-static.uintr', 'machine { policy mine }\npolicy mine extends linux_rfc { on exec { xsaves prev } }\ntask rx { handler 0x401000 }\ncpu0: switch rx\ncpu0: exec\n');
        const r = run(['compare', f]);
        expect(r.status).toBe(0);
        expect(r.stdout.split('\n')[0]).toBe(`${f}: not run under any policy: the file has static errors (each row lists them)`);
        expect(r.stdout).toMatch(/\nlinux_rfc\s+1\s+0\s+-\s+-\s+-\s+-\s+-\s+semantic@2\n/);
    });

    test('compare of a file with a policy of its own: its row first, beside the built-in ones (it had none, and no row was marked the file\'s own)', () => {
        // a policy that leaves exec out: UINV stays armed over the exec, so the built-in ones #GP there
        const f = write('cmp-own.uintr', 'machine { policy mine }\npolicy mine extends linux_rfc { on exec { } }\ntask rx { handler 0x401000 }\ncpu0: switch rx\ncpu0: exec\nexpect cpu0.uinv == 0xec\n');
        const rows = JSON.parse(run(['compare', '--format', 'json', f]).stdout).policies;
        expect(rows.map((p: { policy: string }) => p.policy)).toEqual(['mine', 'manual', 'eager', 'lazy_fpu', 'linux_rfc', 'independent', 'tglx']);
        expect(rows[0]).toMatchObject({ own: true, builtin: false, diagnostics: [] });
        expect(rows.slice(1).every((p: { own: boolean; builtin: boolean }) => p.builtin && !p.own)).toBe(true);
        expect(rows.find((p: { policy: string }) => p.policy === 'linux_rfc').diagnostics.map((d: { code: string; line: number }) => `${d.code}@${d.line}`)).toEqual(['xrstors-gp@5']);
        const text = run(['compare', f]).stdout;
        expect(text).toMatch(/verdicts under the file's own policy and every built-in one \(\* = the file's own\)\n/);
        expect(text).toMatch(/\nmine \*\s+0\s+0 .* clean\n/);
    });

    test('compare parses and checks the file once for all its policies, with the verdicts of a check under each', async () => {
        const text = 'machine { cpus 2 policy lazy_fpu }\ntask rx { handler 1 }\ntask tx { target rx vector 3 }\nkthread k\ncpu0: switch rx\ncpu1: switch tx\ncpu0: switch k\ncpu0: switch rx\ncpu1: senduipi 0\n';
        const preludePath = join(ROOT, 'server', 'src', 'kernel', 'prelude.uintr');
        const ws = new UintrWorkspace();
        await ws.loadPrelude(readFileSync(preludePath, 'utf8'), preludePath);
        const load = ws.load.bind(ws);
        let loads = 0;
        ws.load = (t, path) => { loads++; return load(t, path); };
        const rows = await comparePolicies(ws, '/test/cmp.uintr', text);
        expect(loads).toBe(1);
        expect(rows.map(r => [r.policy, r.own])).toEqual([['manual', false], ['eager', false], ['lazy_fpu', true], ['linux_rfc', false], ['independent', false], ['tglx', false]]);
        for (const row of rows) {
            const alone = await checkFile(ws, '/test/cmp.uintr', text, { policy: row.policy });
            expect(row.report.diagnostics, row.policy).toEqual(alone.diagnostics);
            expect(row.report.stats, row.policy).toEqual(alone.stats);
        }
    });
});

describe('runs where users run it', () => {
    test('under the Node on PATH outside the project (Node 20 here), e.g. a global install', () => {
        const dirs = (process.env.PATH ?? '').split(delimiter).filter(d => d && !d.includes('node_modules'));
        const node = dirs.map(d => join(d, 'node')).find(p => existsSync(p));
        expect(node, 'a system node on PATH').toBeTruthy();
        const version = execFileSync(node!, ['--version'], { encoding: 'utf8' }).trim();
        const f = write('node20.uintr', XRSTORS_TWICE);
        const r = run(['check', '--format', 'json', f], node);
        expect(r.stderr, `node ${version}`).toBe('');
        expect(JSON.parse(r.stdout).files[0].diagnostics[0].code).toBe('xrstors-gp');
        // a file deep enough to overflow the parser there (where the overflow may surface as
        // another error inside its recovery) is checked on the deep stack all the same
        const deep = write('node20-deep.uintr', `machine { policy manual }\nexpect ${'('.repeat(300)}1${')'.repeat(300)} == 2\n`);
        for (let i = 0; i < 3; i++) {
            const d = run(['check', '--format', 'json', deep], node);
            expect(d.stderr, `node ${version}`).toBe('');
            expect(JSON.parse(d.stdout).files[0].diagnostics.map((x: { code: string }) => x.code)).toEqual(['expect-failed']);
        }
    });
    test('the npm package (npm pack, then npm install -g of the tarball) holds the bundles the command runs from', () => {
        // --ignore-scripts: list what is built already (npm test builds it first), not rebuild it under running tests
        const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
        const packed = JSON.parse(execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }));
        const files = (packed[0].files as { path: string }[]).map(f => f.path).sort();
        expect(files).toEqual(['LICENSE', 'README.md', 'bin/uintr.cjs', 'out/cli.cjs', 'out/explore-worker.cjs', 'out/prelude.uintr', 'out/server.cjs', 'package.json']);
        const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
        expect(pkg.bin.uintr).toBe('bin/uintr.cjs');
    });
    test('on a runtime without Object.groupBy (the polyfill in the banner)', () => {
        const wrapper = write('no-groupby.cjs', `delete Object.groupBy; delete Map.groupBy; require(${JSON.stringify(CLI)});`);
        const f = write('nogroupby.uintr', XRSTORS_TWICE);
        const r = spawnSync(process.execPath, [wrapper, 'check', '--format', 'json', f], { encoding: 'utf8' });
        expect(r.stderr).toBe('');
        expect(JSON.parse(r.stdout).files[0].diagnostics[0].code).toBe('xrstors-gp');
    });
});

describe('long outputs', () => {
    /** 64 CPUs, 1,000 tasks, 500 switches: a trace --format json of about 400 MB (each row holds the whole machine). */
    const wideTrace = (): string[] => ['machine { cpus 64 }', ...Array.from({ length: 1000 }, (_, i) => `task r${i} { handler 0x1000 }`), ...Array.from({ length: 500 }, (_, i) => `cpu${i % 64}: switch r${i}`)];

    /** `uintr trace --format json FILE` in a child process, its stdout piped and paused (not read). */
    const unreadTrace = (file: string, nodeArgs: string[] = []) => {
        const child = spawn(process.execPath, [...nodeArgs, CLI, 'trace', '--format', 'json', file], { stdio: ['ignore', 'pipe', 'pipe'] });
        const got = { stderr: '', bytes: 0 };
        child.stderr.on('data', d => { got.stderr += String(d); });
        child.stdout.on('data', d => { got.bytes += d.length; });
        child.stdout.pause();
        const closed = new Promise<number | null>(resolve => child.on('close', code => resolve(code)));
        return { child, got, closed };
    };

    test('a reader that stops early (`| head`) ends the output, not the command: no EPIPE stack trace, the command\'s own exit status', async () => {
        const lines = ['machine { cpus 1 policy manual }', 'task rx { handler 0x401000 }', 'cpu0: switch rx', 'cpu0: xrstors rx'];
        const f = write('long-trace.uintr', [...lines, ...Array(3000).fill('cpu0: xrstors rx')].join('\n') + '\n');
        const child = spawn(process.execPath, [CLI, 'trace', '--format', 'json', f], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', d => { stderr += String(d); });
        // read the first chunk, then close the pipe as `head -c` does
        await new Promise<void>(resolve => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
        const status = await new Promise<number | null>(resolve => child.on('close', code => resolve(code)));
        expect(stderr).toBe('');
        expect(status).toBe(1); // the file has #GPs
    });

    test('trace --format json is written a row at a time, in JSON.stringify\'s layout (one string of a trace of 64 CPUs, 700 tasks and 1,000 steps was over V8\'s longest: "internal error: Invalid string length")', async () => {
        const preludePath = join(ROOT, 'server', 'src', 'kernel', 'prelude.uintr');
        const f = join(ROOT, 'examples', 'xrstors-twice.uintr');
        const chunks: string[] = [];
        const status = await main(['trace', '--format', 'json', f], { out: t => { chunks.push(t); }, err: () => undefined, color: false }, { preludePath });
        expect(status).toBe(1);
        const text = chunks.join('');
        const doc = JSON.parse(text) as { rows: unknown[] };
        expect(text).toBe(JSON.stringify(doc, null, 2) + '\n');
        expect(doc.rows.length).toBeGreaterThan(3);
        // the head, one chunk per row, the end of the rows, the diagnostics
        expect(chunks).toHaveLength(doc.rows.length + 3);
        // a file with static errors has no rows: `[]` as JSON.stringify writes it
        const broken = write('trace-static.uintr', 'machine { cpus 1 }\ncpu0: xrstors nobody\n');
        const none = run(['trace', '--format', 'json', broken]);
        expect(JSON.parse(none.stdout).rows).toEqual([]);
        expect(none.stdout).toBe(JSON.stringify(JSON.parse(none.stdout), null, 2) + '\n');
    });

    test('trace --format json waits for a slow reader between rows: while stdout has not drained, no next row is made (piped to `wc`, a trace of 1,000 tasks queued 1.4 GB and ran out of memory)', async () => {
        const preludePath = join(ROOT, 'server', 'src', 'kernel', 'prelude.uintr');
        const f = join(ROOT, 'examples', 'xrstors-twice.uintr');
        const chunks: string[] = [];
        let release: (() => void) | undefined;
        let waits = 0;
        const io = {
            out: (t: string) => { chunks.push(t); }, err: () => undefined, color: false,
            // after the third piece the reader is slow: the command must wait
            drained: () => (chunks.length === 3 ? new Promise<void>(r => { waits++; release = r; }) : undefined),
        };
        const done = main(['trace', '--format', 'json', f], io, { preludePath });
        await new Promise(r => setTimeout(r, 50));
        expect(waits).toBe(1);
        expect(chunks).toHaveLength(3);
        release!();
        expect(await done).toBe(1);
        const text = chunks.join('');
        expect(text).toBe(JSON.stringify(JSON.parse(text), null, 2) + '\n');
        expect(chunks.length).toBeGreaterThan(5);
    });

    test('the process\'s stdout says when it has drained: a pipe that nobody reads holds the command, and it goes on once read', async () => {
        const lines = wideTrace();
        const f = write('wide-trace.uintr', lines.join('\n') + '\n');
        // not read for a while: the command waits instead of queuing the rest in memory
        const { child, got, closed } = unreadTrace(f, ['--max-old-space-size=200']);
        await new Promise(r => setTimeout(r, 1500));
        expect(child.exitCode).toBeNull();
        child.stdout.resume();
        expect(await closed).toBe(0);
        expect(got.stderr).toBe('');
        expect(got.bytes).toBeGreaterThan(200 * 1024 * 1024);
    }, 60_000);

    test('on the deep stack too (files nested beyond ~90 parentheses run in a worker): a pipe nobody reads holds the worker, instead of its whole output queuing in memory', async () => {
        const lines = wideTrace();
        const f = write('wide-deep-trace.uintr', [...lines, `expect ${'('.repeat(300)}1${')'.repeat(300)} == 1`].join('\n') + '\n');
        const { child, got, closed } = unreadTrace(f);
        // its memory while unread: about 180 MB here; without the wait, 640 MB (400 MB of output queued)
        let peak = 0;
        for (let i = 0; i < 24; i++) {
            await new Promise(r => setTimeout(r, 250));
            const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            peak = Math.max(peak, Number(m?.[1] ?? 0) * 1024);
        }
        expect(child.exitCode).toBeNull();
        expect(peak).toBeGreaterThan(0);
        expect(peak).toBeLessThan(350 * 1024 * 1024);
        child.stdout.resume();
        expect(await closed).toBe(0);
        expect(got.stderr).toBe('');
        expect(got.bytes).toBeGreaterThan(350 * 1024 * 1024);
    }, 90_000);

    test('a reader that leaves early does not change the exit status: the command runs to its end (it stalled waiting for a drain that never comes, and exited 0 on a file with an error, or hung on the deep stack)', async () => {
        const lines = wideTrace();
        const failing = write('leave-early.uintr', [...lines, 'expect cpu0.uinv == 5'].join('\n') + '\n');
        const deep = write('leave-early-deep.uintr', [...lines, `expect ${'('.repeat(300)}1${')'.repeat(300)} == 2`].join('\n') + '\n');
        for (const f of [failing, deep]) {
            const child = spawn(process.execPath, [CLI, 'trace', '--format', 'json', f], { stdio: ['ignore', 'pipe', 'pipe'] });
            let stderr = '';
            child.stderr.on('data', d => { stderr += String(d); });
            // read part of the output (into its first row), then close the pipe, as `head -c` does
            let read = 0;
            await new Promise<void>(resolve => child.stdout.on('data', d => {
                read += d.length;
                if (read >= 100_000 && !child.stdout.destroyed) {
                    child.stdout.destroy();
                    resolve();
                }
            }));
            const status = await Promise.race([
                new Promise<number | null>(resolve => child.on('close', code => resolve(code))),
                new Promise<string>(resolve => setTimeout(() => resolve('still running after 40 s'), 40_000)),
            ]);
            if (status === 'still running after 40 s') child.kill();
            expect(status, f).toBe(1);
            expect(stderr).toBe('');
        }
    }, 90_000);

    test('a trace table of 600,000 rows is formatted (its column widths were a spread into Math.max: 200,000 rows overflowed the stack of a command)', () => {
        const cpu = { cpu: 0, current: 'idle', mode: 'kernel', uinv: '0x0', uirr: '0x0', uif: '0x0' };
        const rows = Array.from({ length: 600_000 }, (_, i) => ({
            index: i + 1, line: i + 3, item: i === 77_777 ? 'cpu0: a much longer item than the others' : 'cpu0: stui', kind: 'step',
            changes: [], state: { cpus: [cpu] }, diagnostics: [],
        })) as unknown as TraceRow[];
        const report = { file: 'long.uintr', text: '', steps: 600_000, diagnostics: [], result: { run: { policy: 'manual' } } } as unknown as Parameters<typeof formatTraceText>[0];
        const text = formatTraceText(report, rows);
        const lines = text.split('\n');
        expect(lines).toHaveLength(600_000 + 3);
        // every row padded to the widest item: the CPU column starts at one place
        const at = lines[2].indexOf('idle K');
        expect(at).toBeGreaterThan(lines[2].indexOf('cpu0: stui') + 'cpu0: a much longer item than the others'.length);
        expect(lines[2 + 77_777].indexOf('idle K')).toBe(at);
        expect(lines[2 + 599_999].indexOf('idle K')).toBe(at);
    });

    test('70,000 errors from the checks are all kept (a spread of them overflowed the stack, and the file came out clean, exit 0)', () => {
        const f = write('errors-70k.uintr', `policy p {\n${'  on bogus { stui }\n'.repeat(70_000)}}\n`);
        const r = spawnSync(process.execPath, [CLI, 'check', f], { encoding: 'utf8', timeout: 60000, maxBuffer: 64 << 20 });
        expect(r.status).toBe(1);
        expect(r.stdout).toMatch(/^1 file checked: 70000 errors, 0 warnings$/m);
    });
});
