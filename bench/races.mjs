// Benchmark of the race explorer against SPIN on a family of scalable races, ring(N, L, policy):
// N CPUs; on CPU i a receiver r_i runs, and the race's branch i does L times
//   switch s_i; senduipi 0 (to r_{(i+1)%N}); switch k_i (a kthread); switch r_i.
// Under linux_rfc the race is clean, so both tools explore the whole state space: that is the
// main table. Under lazy_fpu a vector is never delivered (r_i -> s_i restores s_i's UINV = 0, an
// IPI that arrives then is ignored and leaves ON set): the second table, time to a verdict.
//
// For each instance the scenario goes to our explorer (bench/races-ours.mjs, a child process:
// parse, then exploration, timed apart) and its Promela model (bench/races-promela.mjs, written
// to bench/promela/generated/) to SPIN: spin -a, gcc, ./pan, each timed by the wall clock.
// bench/promela/README.md says how the two models correspond and records a run.
//
// Run with `npm run bench:races` (bundles first) or `node bench/races.mjs` after
// `node esbuild.mjs`. Flags: --quick (small instances only), --examples (write the two
// committed example models, bench/promela/ring-2-1-*.pml, and stop). SPIN and gcc are
// optional: without them only our side is printed. Never exits non-zero on a miss.
import { buildBenchEntry } from '../scripts/bundle-options.mjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { depthBound, modelFile, promelaModel, SPIN_MEMLIM_MB } from './races-promela.mjs';
import { ringLines } from './ring.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(ROOT);

const QUICK = process.argv.includes('--quick');
const EXAMPLES = process.argv.includes('--examples');

/** The instances: for each N, L grows until our search takes GROW_LIMIT_MS (or times out). */
const FAMILIES = QUICK
    ? [{ N: 2, L: [1, 2, 3] }, { N: 3, L: [1] }]
    // N = 4 and 5 stop at L = 1: N = 4, L = 2 already has 4.4 million states (bench/promela/README.md:
    // SPIN alone takes 12.7 s and 1.7 GB), and N = 5, L = 2 is far beyond that.
    : [{ N: 2, L: [1, 2, 3, 4, 5, 6] }, { N: 3, L: [1, 2, 3] }, { N: 4, L: [1] }, { N: 5, L: [1] }];
const POLICIES = ['linux_rfc', 'lazy_fpu'];
const GROW_LIMIT_MS = 5_000;
/** Our side: a bound on states and on time (the search stops and reports what it reached). */
const MAX_STATES = 2_000_000;
const OURS_TIME_LIMIT_MS = 60_000;
const OURS_HEAP_MB = 12_288;
/** SPIN's side: a wall-clock bound per tool (pan's memory bound is SPIN_MEMLIM_MB). */
const SPIN_TIMEOUT_MS = 300_000;

// ---------------------------------------------------------------------------------------
// 1. The family.

/**
 * ring(N, L, policy): the scenario text, and the line of its first `expect no lost` (the
 * Promela model names the lines of what follows the race in its comments).
 */
function ring(N, L, policy) {
    const lines = ringLines(N, L, { policy, title: true });
    const layout = { expect: lines.length + 1 };
    for (let i = 0; i < N; i++) lines.push('expect no lost');
    return { name: `ring ${N} x ${L} ${policy}`, file: modelFile(N, L, policy), N, L, policy, text: lines.join('\n') + '\n', layout };
}

const PROMELA_DIR = join(ROOT, 'bench/promela');
const GENERATED_DIR = join(PROMELA_DIR, 'generated');

if (EXAMPLES) {
    for (const policy of POLICIES) {
        const sc = ring(2, 1, policy);
        writeFileSync(join(PROMELA_DIR, sc.file), promelaModel(2, 1, policy, sc.layout));
        console.log(`wrote bench/promela/${sc.file}`);
    }
    process.exit(0);
}

// ---------------------------------------------------------------------------------------
// 2. Bundle the module entry (scripts/bundle-options.mjs).

await buildBenchEntry();

// ---------------------------------------------------------------------------------------
// 3. Our side: one child process per run.

const WARMUP = ring(2, 1, 'linux_rfc').text;

/** Explores one instance with our explorer; `reduction` false is the full search. */
function runOurs(sc, reduction) {
    const input = { text: sc.text, warmup: WARMUP, policy: sc.policy, reduction, maxStates: MAX_STATES, timeLimitMs: OURS_TIME_LIMIT_MS };
    const p = spawnSync(process.execPath, [`--max-old-space-size=${OURS_HEAP_MB}`, 'bench/races-ours.mjs'], {
        input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 16 << 20,
        timeout: OURS_TIME_LIMIT_MS + 120_000, killSignal: 'SIGKILL',
    });
    if (p.error || p.status !== 0) return { error: p.error?.message ?? `exit ${p.status}: ${lastLine(p.stderr)}` };
    const r = JSON.parse(p.stdout);
    if (r.error) return r;
    const complete = !r.timedOut && !r.truncated;
    return {
        ...r, complete,
        verdictMs: r.parseMs + r.lowerMs + r.exploreMs,
        rate: r.states / (r.exploreMs / 1000),
        verdict: r.codes.length ? r.codes.join(',') : complete ? 'clean' : '?',
    };
}

function lastLine(s) {
    return (s ?? '').trim().split('\n').pop() ?? '';
}

// ---------------------------------------------------------------------------------------
// 4. SPIN's side: spin -a, gcc, pan in a temp dir per instance.

function version(cmd, args) {
    const p = spawnSync(cmd, args, { encoding: 'utf8' });
    return p.error ? null : `${p.stdout}${p.stderr}`.trim().split('\n')[0];
}

const SPIN_VERSION = version('spin', ['-V']);
const GCC_VERSION = version('gcc', ['--version']);
const HAVE_SPIN = SPIN_VERSION !== null && GCC_VERSION !== null;

/** Runs a command in `cwd`, timed by the wall clock. */
function timed(cmd, args, cwd) {
    const t0 = performance.now();
    const p = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20, timeout: SPIN_TIMEOUT_MS, killSignal: 'SIGKILL' });
    return { ms: performance.now() - t0, out: `${p.stdout ?? ''}${p.stderr ?? ''}`, failed: p.error ? p.error.message : p.status !== 0 ? `exit ${p.status}` : null };
}

/** The assertion pan reports, as our diagnostic code (the model names its flags after them). */
function codeOfAssertion(name) {
    return name === 'senduipi_ud' ? 'ud' : name.replace(/_/g, '-');
}

/**
 * Writes the instance's model (to bench/promela/generated/ for reading, and to a temp dir for
 * building), then spin -a, gcc and pan there, each timed; returns pan's report.
 */
function runSpin(sc) {
    const model = promelaModel(sc.N, sc.L, sc.policy, sc.layout);
    mkdirSync(GENERATED_DIR, { recursive: true });
    writeFileSync(join(GENERATED_DIR, sc.file), model);
    const dir = mkdtempSync(join(tmpdir(), 'uintr-spin-'));
    try {
        writeFileSync(join(dir, sc.file), model);
        const gen = timed('spin', ['-a', sc.file], dir);
        if (gen.failed) return { error: `spin -a: ${gen.failed}: ${lastLine(gen.out)}` };
        const cc = timed('gcc', ['-O2', '-DSAFETY', '-DNOFAIR', `-DMEMLIM=${SPIN_MEMLIM_MB}`, '-o', 'pan', 'pan.c'], dir);
        if (cc.failed) return { error: `gcc: ${cc.failed}: ${lastLine(cc.out)}` };
        const pan = timed('./pan', [`-m${depthBound(sc.N, sc.L)}`, '-n'], dir);
        return parsePan(pan, gen.ms + cc.ms);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** Reads pan's report: states stored, errors, the violated assertion; flags an incomplete search. */
function parsePan(pan, compileMs) {
    const out = pan.out;
    const stored = Number(/([\d.e+]+) states, stored/.exec(out)?.[1] ?? NaN);
    const errors = Number(/errors: (\d+)/.exec(out)?.[1] ?? NaN);
    const violated = /assertion violated\s+!\((\w+)\)/.exec(out)?.[1] ?? null;
    const problem = pan.failed && !violated ? pan.failed
        : /max search depth too small/.test(out) ? 'depth bound too small'
            : /out of memory/.test(out) ? 'out of memory'
                : /pan:\d+: invalid end state/.test(out) ? 'invalid end state'
                    : Number.isNaN(stored) ? 'no report' : null;
    const verdict = problem ? '?' : violated ? codeOfAssertion(violated) : errors === 0 ? 'clean' : 'error';
    return {
        stored, compileMs, runMs: pan.ms, verdictMs: compileMs + pan.ms,
        rate: stored / (pan.ms / 1000), verdict, problem,
    };
}

// ---------------------------------------------------------------------------------------
// 5. Verdicts: ours is the set of codes found; SPIN's is the first assertion violated.

/** 'yes', 'NO', or '-' when one side has no verdict (a bound or a timeout cut it). */
function agreement(ours, spin) {
    if (!ours || ours.error || !spin || spin.error || spin.problem) return '-';
    if (ours.verdict === '?' || spin.verdict === '?') return '-';
    const oursClean = ours.verdict === 'clean';
    const spinClean = spin.verdict === 'clean';
    if (oursClean !== spinClean) return 'NO';
    return oursClean || ours.codes.includes(spin.verdict) ? 'yes' : 'NO';
}

// ---------------------------------------------------------------------------------------
// 6. Run every instance.

function log(msg) {
    process.stderr.write(`${msg}\n`);
}

const rows = [];
for (const policy of POLICIES) {
    for (const family of FAMILIES) {
        for (const L of family.L) {
            const sc = ring(family.N, L, policy);
            log(`${sc.name}: ours…`);
            const ours = runOurs(sc, true);
            // the full search (no partial-order reduction) explores what SPIN explores: clean
            // instances only, where both sides visit the whole state space
            const full = policy === 'linux_rfc' ? runOurs(sc, false) : null;
            log(`${sc.name}: SPIN…`);
            const spin = HAVE_SPIN ? runSpin(sc) : null;
            rows.push({ sc, ours, full, spin });
            const slowest = Math.max(ours.exploreMs ?? Infinity, full?.exploreMs ?? 0);
            if (slowest > GROW_LIMIT_MS || ours.timedOut || full?.timedOut) break;
        }
    }
}

// ---------------------------------------------------------------------------------------
// 7. Report.

const fmtS = ms => (ms === undefined ? '-' : (ms / 1000).toFixed(ms < 10_000 ? 3 : 1));
const fmtRate = x => (!Number.isFinite(x) ? '-' : x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(0)}k` : x.toFixed(0));
const fmtRatio = (a, b) => {
    if (a === undefined || b === undefined) return '-';
    const x = a / b;
    return `${x.toFixed(x < 0.1 ? 3 : x < 10 ? 2 : 0)}x`;
};
const fmtStates = r => (!r || r.error ? 'error' : `${r.states}${r.timedOut ? '+ (time)' : r.truncated ? '+ (cap)' : ''}`);

function table(title, columns, data) {
    const widths = columns.map(c => Math.max(c.head.length, ...data.map(d => String(c.get(d)).length)));
    const line = cells => cells.map((s, i) => String(s).padStart(widths[i])).join('  ');
    console.log(`\n${title}`);
    console.log(line(columns.map(c => c.head)));
    console.log(widths.map(w => '-'.repeat(w)).join('  '));
    for (const d of data) console.log(line(columns.map(c => c.get(d))));
}

const spinCols = [
    { head: 'SPIN states', get: d => (!d.spin ? 'n/a' : d.spin.error ? 'error' : d.spin.stored) },
    { head: 'st/s', get: d => (d.spin && !d.spin.error ? fmtRate(d.spin.rate) : '-') },
    { head: 'compile s', get: d => (d.spin && !d.spin.error ? fmtS(d.spin.compileMs) : '-') },
    { head: 'run s', get: d => (d.spin && !d.spin.error ? fmtS(d.spin.runMs) : '-') },
    { head: 'verdict s', get: d => (d.spin && !d.spin.error ? fmtS(d.spin.verdictMs) : '-') },
    { head: 'SPIN verdict', get: d => (!d.spin ? 'n/a' : d.spin.error ? 'error' : d.spin.problem ? `? ${d.spin.problem}` : d.spin.verdict) },
];
const oursCols = (key, label, withParse) => [
    { head: `${label} states`, get: d => fmtStates(d[key]) },
    { head: 'st/s', get: d => (d[key]?.error ? '-' : fmtRate(d[key].rate)) },
    ...(withParse ? [{ head: 'parse s', get: d => (d[key]?.error ? '-' : fmtS(d[key].parseMs + d[key].lowerMs)) }] : []),
    { head: 'verdict s', get: d => (d[key]?.error ? '-' : fmtS(d[key].verdictMs)) },
];
const ratio = key => ({ head: `${key === 'full' ? 'full' : 'ours'}/SPIN`, get: d => (d[key]?.error || !d.spin || d.spin.error ? '-' : fmtRatio(d[key].verdictMs, d.spin.verdictMs)) });
const nl = [{ head: 'N', get: d => d.sc.N }, { head: 'L', get: d => d.sc.L }];

const cpuModel = cpus()[0]?.model ?? '?';
console.log(`\nUINTR Lab race explorer vs SPIN — ring(N, L) races — ${new Date().toISOString().slice(0, 10)}`);
console.log(`machine: ${cpus().length} cores (${cpuModel}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; ${SPIN_VERSION ?? 'spin: not found'}; ${GCC_VERSION ?? 'gcc: not found'}`);
if (!HAVE_SPIN) console.log('!! spin or gcc is missing: SPIN columns are n/a (install the Debian package `spin` and gcc)');
console.log(`ours: child process per run, warm (one untimed run first); verdict s = parse (parse, link, static checks, lowering) + exploration; st/s = states / exploration;`);
console.log(`      bounds ${MAX_STATES} states and ${OURS_TIME_LIMIT_MS / 1000} s ("+ (time)": stopped there, states reached so far); "ours" = the default search (partial-order reduction on), "full" = reduction off`);
console.log(`SPIN: spin -a; gcc -O2 -DSAFETY -DNOFAIR -DMEMLIM=${SPIN_MEMLIM_MB}; ./pan -m<depth> -n (stops at the first error); compile s = spin -a + gcc; verdict s = compile + run; st/s = states / run (wall clock)`);

const rfc = rows.filter(r => r.sc.policy === 'linux_rfc');
table('linux_rfc — clean: both sides explore every state', [
    ...nl, ...oursCols('ours', 'ours', true), ...oursCols('full', 'full', false),
    { head: 'verdict', get: d => (d.ours.error ? `error: ${d.ours.error}` : d.ours.verdict) },
    ...spinCols, ratio('ours'), ratio('full'),
    { head: 'agree', get: d => agreement(d.ours, d.spin) },
    { head: 'SPIN = full+1', get: d => (d.full?.complete && d.spin?.stored ? (d.spin.stored === d.full.states + 1 ? 'yes' : 'NO') : '-') },
], rfc);

const lazy = rows.filter(r => r.sc.policy === 'lazy_fpu');
table('lazy_fpu — a vector is never delivered: ours explores everything (findings are part of its state), SPIN stops at the first error', [
    ...nl, ...oursCols('ours', 'ours', true),
    { head: 'verdict', get: d => (d.ours.error ? `error: ${d.ours.error}` : d.ours.verdict) },
    ...spinCols, ratio('ours'),
    { head: 'agree', get: d => agreement(d.ours, d.spin) },
], lazy);

// ---------------------------------------------------------------------------------------
// 8. Disagreements and targets.

const disagreements = rows.filter(r => agreement(r.ours, r.spin) === 'NO');
const mismatched = rfc.filter(r => r.full?.complete && r.spin?.stored && r.spin.stored !== r.full.states + 1);
const errors = rows.filter(r => r.ours.error || r.full?.error || r.spin?.error);
console.log('');
for (const r of disagreements) console.log(`!! VERDICTS DISAGREE on ${r.sc.name}: ours ${r.ours.verdict}, SPIN ${r.spin.verdict}`);
for (const r of mismatched) console.log(`!! STATE SPACES DIFFER on ${r.sc.name}: ours (full search) ${r.full.states} states, SPIN ${r.spin.stored} (expected ours + 1, SPIN's initial state before the declarations)`);
for (const r of errors) console.log(`!! ${r.sc.name}: ${r.ours.error ?? r.full?.error ?? r.spin?.error}`);
if (!disagreements.length && HAVE_SPIN) console.log(`verdicts: ours and SPIN agree on every instance where both reached one (${rows.filter(r => agreement(r.ours, r.spin) === 'yes').length} of ${rows.length})`);
if (!mismatched.length && HAVE_SPIN) console.log('state spaces: SPIN stores exactly one state more than our full search (its state before the declarations) on every clean instance both finished');

const upToMillion = rfc.filter(r => !r.ours.error && r.spin && !r.spin.error && r.ours.complete && r.ours.states <= 1_000_000);
const atOrBelow = upToMillion.filter(r => r.ours.verdictMs <= r.spin.verdictMs);
const above = upToMillion.filter(r => r.ours.verdictMs > r.spin.verdictMs);
const describe = r => `${r.sc.name}, ${r.ours.states} states, ${fmtS(r.ours.verdictMs)} s vs ${fmtS(r.spin.verdictMs)} s`;
const bySize = (a, b) => a.ours.states - b.ours.states;
const bestRate = Math.max(...rows.flatMap(r => [r.ours, r.full]).filter(x => x && !x.error && x.states >= 10_000).map(x => x.rate));
console.log('\nTargets');
console.log(`  time to verdict ≤ SPIN's (compile included) up to 1M states (linux_rfc, default search): ${atOrBelow.length} of ${upToMillion.length} instances  ${above.length === 0 ? 'PASS' : 'MISS'}`);
if (atOrBelow.length) console.log(`    largest at or below SPIN: ${describe(atOrBelow.sort(bySize).at(-1))}`);
if (above.length) console.log(`    smallest above SPIN:      ${describe(above.sort(bySize)[0])}`);
console.log(`  distinct states per second ≥ 1M: best ${fmtRate(bestRate)} (runs of ≥ 10k states)  ${bestRate >= 1e6 ? 'PASS' : 'MISS'} — bench/promela/README.md says what limits it`);
console.log(`\nPromela models: bench/promela/generated/ (git-ignored); the two committed examples: node bench/races.mjs --examples`);
