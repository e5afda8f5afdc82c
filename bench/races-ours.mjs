// Our side of bench/races.mjs, run as a child process per instance so that each search starts
// on a fresh heap and a run that overstays its time can be stopped cleanly.
//
// stdin:  one JSON object { text, warmup, policy, reduction, maxStates, timeLimitMs }
// stdout: one JSON object { parseMs, lowerMs, exploreMs, states, interleavings, codes,
//         truncated, cutBy, reducedStates, timedOut, counterexample } or { error }
//
// Phases, each timed on its own (performance.now):
//   parse    UintrWorkspace.load: lex, parse, link and the static checks (validation on);
//   lower    lowerProgram;
//   explore  the run: machine built, the steps before the race, then the race's exploration,
//            advanced in slices so that it can stop at timeLimitMs (the states explored by then
//            are reported, with timedOut).
// The warm-up scenario runs once first, untimed, so that the timed run is not the JIT's first.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SLICE = 2_000; // states per advance() between clock checks

const lib = createRequire(import.meta.url)(join(ROOT, 'out/bench-entry.cjs'));
const { UintrWorkspace, lowerProgram, ProgramRun } = lib;

const input = JSON.parse(readFileSync(0, 'utf8'));
const ws = new UintrWorkspace();
const preludePath = join(ROOT, 'server/src/kernel/prelude.uintr');
await ws.loadPrelude(readFileSync(preludePath, 'utf8'), preludePath);

/** Parses, lowers and explores one scenario; returns the timings and the race's report. */
async function measure(text, name) {
    const t0 = performance.now();
    const doc = await ws.load(text, join(ROOT, 'bench', `${name}.uintr`));
    const t1 = performance.now();
    const errors = (doc.diagnostics ?? []).filter(d => d.severity === 1);
    if (errors.length) {
        return { error: `static error at line ${errors[0].range.start.line + 1}: ${errors[0].message}` };
    }
    const file = doc.parseResult.value;
    const program = lowerProgram(file);
    const t2 = performance.now();
    const policy = ws.findPolicy(input.policy, file);
    const options = { recordTrace: false, maxStates: input.maxStates, reduction: input.reduction };
    const run = new ProgramRun(program, policy, options);
    const exploration = run.exploration;
    let timedOut = false;
    if (exploration) {
        while (!exploration.advance(SLICE)) {
            if (performance.now() - t2 > input.timeLimitMs) {
                timedOut = true;
                break;
            }
        }
    }
    const t3 = performance.now();
    const report = run.result().races[0];
    ws.release(doc);
    if (!report && !timedOut) return { error: 'the scenario has no race' };
    return {
        parseMs: t1 - t0, lowerMs: t2 - t1, exploreMs: t3 - t2, timedOut,
        states: timedOut ? exploration.progress().states : report.states,
        interleavings: report?.interleavings ?? null,
        codes: report?.codes ?? [],
        truncated: report?.truncated ?? false,
        cutBy: report?.cutBy ?? null,
        reducedStates: report?.reducedStates ?? null,
        counterexample: report?.counterexample ? report.counterexample.length : null,
    };
}

await measure(input.warmup, 'warmup');
const result = await measure(input.text, 'ring');
process.stdout.write(JSON.stringify(result) + '\n');
