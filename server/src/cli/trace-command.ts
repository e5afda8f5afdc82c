/**
 * `uintr trace FILE`: the state after every item, as a table (text) or a document (json).
 */
import { hex } from '../machine/bits.js';
import type { Machine } from '../machine/state.js';
import type { Change } from '../scenario/trace.js';
import { DEFAULT_SEVERITY, type ScenarioDiagnostic } from '../scenario/diagnostics.js';
import type { FileReport } from './run-files.js';
import { diagnosticJson } from './format-json.js';
import { sourceText } from '../scenario/source-text.js';
import { isRace } from '../syntax/generated/ast.js';

export interface TraceRow {
    readonly index: number;
    readonly line: number;
    readonly item: string;
    /**
     * `as-written`: from the first race on, a step or item of the file run as written (each
     * race's branches one after another: one of its interleavings; a race has no one run);
     * `counterexample`: an event of a race's counterexample interleaving, replayed; `lead-in`: an
     * event of the earlier race's interleaving that led to a later race's start state; `end`:
     * the end of the scenario, where IPIs deferred until then arrive (`ipi deferred`), on the
     * last item's line.
     */
    readonly kind: 'step' | 'expect' | 'race' | 'as-written' | 'counterexample' | 'lead-in' | 'end';
    readonly changes: Change[];
    readonly state: ReturnType<typeof snapshot>;
    readonly diagnostics: ScenarioDiagnostic[];
}

function val(v: unknown): string {
    return typeof v === 'bigint' ? hex(v) : typeof v === 'object' && v !== null ? (v instanceof Map ? `{${[...v.keys()].join(',')}}` : 'tags') : String(v);
}

/** The state a trace row shows: registers per CPU, UPIDs, images and tasks, as strings. */
export function snapshot(m: Machine) {
    const name = (id: number) => (id < 0 ? 'none' : m.runnables[id].kind === 'idle' ? 'idle' : m.runnables[id].name);
    return {
        cpus: m.cpus.map(c => ({
            cpu: c.index, current: name(c.current), mode: c.mode, uinv: hex(c.uinv), uirr: hex(c.uirr), uif: hex(c.uif),
            uihandler: hex(c.uihandler), uistackadjust: hex(c.uistackadjust), uittsz: hex(c.uittsz), upidaddr: hex(c.upidaddr),
            uittaddr: hex(c.uittaddr), fpregsOwner: name(c.fpregsOwner),
        })),
        upids: m.upids.map(u => ({
            task: name(u.owner), addr: hex(u.addr), on: hex(u.on), sn: hex(u.sn), nv: hex(u.nv), ndst: hex(u.ndst), pir: hex(u.pir),
            refs: u.refs, freed: u.freed,
        })),
        images: m.images.map(x => ({
            task: name(x.owner), present: hex(x.present), uinv: hex(x.uinv), uirr: hex(x.uirr), uif: hex(x.uif),
            uihandler: hex(x.uihandler), uistackadjust: hex(x.uistackadjust), uittsz: hex(x.uittsz), upidaddr: hex(x.upidaddr), uittaddr: hex(x.uittaddr),
        })),
        tasks: m.runnables.filter(r => r.kind !== 'idle').map(r => ({
            name: r.name, kind: r.kind, state: r.state, runningOn: r.runningOn, lastCpu: r.lastCpu,
            delivered: hex(r.delivered),
        })),
    };
}

/** The changes a row shows: state, not provenance (tags, "set by"), runnable ids as names. */
function shownChanges(changes: Change[], state: Machine): Change[] {
    return changes.filter(c => !c.path.endsWith('Tags') && !c.path.endsWith('By')).map(c => nameIds(state, c));
}

/** Runnable ids in `current` and `fpregsOwner` changes, shown as names. */
function nameIds(m: Machine, c: Change): Change {
    if (!c.path.endsWith('.current') && !c.path.endsWith('.fpregsOwner')) return c;
    const name = (v: unknown) => (typeof v === 'number' ? (v < 0 ? 'none' : m.runnables[v].kind === 'idle' ? 'idle' : m.runnables[v].name) : v);
    return { path: c.path, old: name(c.old), value: name(c.value) };
}

/** The trace as the text table (the CLI's default format, the editor's Show trace). */
export function traceTable(report: FileReport): string {
    // the table shows the CPUs' registers: the rest of each row's state is let go
    const rows: TraceRow[] = [];
    for (const r of traceRows(report)) rows.push({ ...r, state: { ...r.state, upids: [], images: [], tasks: [] } });
    return formatTraceText(report, rows);
}

/**
 * The trace's rows, one at a time, each let go once taken: a row holds the whole machine's
 * state, and a trace of 1,000 steps on 64 CPUs with 700 tasks is half a gigabyte of JSON.
 */
export function* traceRows(report: FileReport): Generator<TraceRow> {
    const run = report.result?.run;
    if (!run) return;
    let count = 0;
    const program = run.trace.program;
    // each row's diagnostics, by line (a filter per row was rows x diagnostics)
    const byLine = groupBy(report.diagnostics, d => d.loc.line);
    const nodes = new Map<number, { text: string; kind: TraceRow['kind'] }>();
    for (const item of program.items) {
        const text = sourceText(item.node);
        nodes.set(item.cause, { text: item.kind === 'race' ? 'race { … }' : text, kind: item.kind });
    }
    let lastLine = 0;
    for (const { entry, state, changes } of run.trace.replay()) {
        if (entry === null) {
            // what arrives there is reported on the lines of the steps that sent it
            yield {
                index: ++count, line: lastLine, item: 'end of scenario: deferred IPIs arrive', kind: 'end',
                changes: shownChanges(changes, state), state: snapshot(state), diagnostics: [],
            };
            continue;
        }
        const loc = program.loc(entry.cause);
        const n = nodes.get(entry.cause)!;
        lastLine = loc.line;
        yield {
            index: ++count, line: loc.line, item: n.text, kind: n.kind,
            changes: shownChanges(changes, state),
            state: snapshot(state), diagnostics: byLine.get(loc.line) ?? [],
        };
    }
    // from the first race on there is no one run: the file as written (one interleaving of each
    // race), its steps and items after the first race's point, each with what it raised there
    const firstRace = program.items.find(i => i.kind === 'race');
    if (firstRace) {
        const written = run.asWritten();
        // by the offset of the step or item that raised it: a race's branches may share a line
        const raised = groupBy(written.diagnostics, d => d.loc.offset);
        const raceOf = new Map<number, number>(); // a race step's cause -> its race's line
        for (const item of program.items) {
            if (item.kind !== 'race') continue;
            const line = program.loc(item.cause).line;
            for (const branch of item.branches) for (const step of branch) raceOf.set(step.cause, line);
        }
        for (const { entry, state, changes } of written.trace.replay()) {
            if (entry !== null && entry.cause <= firstRace.cause) continue;
            const loc = entry === null ? null : program.loc(entry.cause);
            const node = entry === null ? undefined : program.node(entry.cause);
            const race = entry === null ? undefined : raceOf.get(entry.cause);
            const text = entry === null ? 'end of scenario: deferred IPIs arrive'
                : isRace(node) ? 'race { … }'
                    : race !== undefined ? `race@${race}: ${sourceText(node!)}` : sourceText(node!);
            yield {
                index: ++count, line: loc?.line ?? lastLine, item: `as written: ${text}`, kind: entry === null ? 'end' : 'as-written',
                changes: shownChanges(changes, state), state: snapshot(state), diagnostics: loc ? raised.get(loc.offset) ?? [] : [],
            };
            if (loc) lastLine = loc.line;
        }
    }
    for (const race of run.races) {
        if (!race.counterexample) continue;
        const raceLine = program.loc(race.cause).line;
        // a later race starts where an interleaving of the segment before it ended: that
        // interleaving first (from the first race's start), then the counterexample
        for (const { race: from, step, state, changes } of race.replayLeadIn()) {
            yield {
                index: ++count, line: program.loc(step.cause).line, item: `race@${program.loc(from).line} (to race@${raceLine}): ${step.text}`,
                kind: 'lead-in', changes: shownChanges(changes, state), state: snapshot(state), diagnostics: [],
            };
        }
        const events = race.replay();
        for (let i = 0; i < events.length; i++) {
            const { step, state, changes } = events[i];
            // the last event is where the counterexample's finding arises (or, at the end, the segment's end checks)
            const f = i === events.length - 1 ? race.finding : null;
            yield {
                index: ++count, line: program.loc(step.cause).line, item: `race@${raceLine}: ${step.text}`, kind: 'counterexample',
                changes: shownChanges(changes, state), state: snapshot(state),
                diagnostics: f ? [{ code: f.code, severity: DEFAULT_SEVERITY[f.code], loc: program.loc(f.cause), message: f.message, related: [] }] : [],
            };
        }
    }
}

/** Diagnostics grouped by a key (a line, an offset). */
function groupBy(ds: readonly ScenarioDiagnostic[], key: (d: ScenarioDiagnostic) => number): Map<number, ScenarioDiagnostic[]> {
    const by = new Map<number, ScenarioDiagnostic[]>();
    for (const d of ds) {
        const k = key(d);
        const list = by.get(k);
        if (list) list.push(d);
        else by.set(k, [d]);
    }
    return by;
}

/**
 * The trace as one JSON document, of the layout JSON.stringify(…, null, 2) gives, in pieces of
 * a row each: a writer can wait between them for a slow reader (see CliIO.drained).
 */
export function* traceJson(report: FileReport): Generator<string> {
    const head = JSON.stringify({ file: report.file, policy: report.result?.run?.policy ?? null, steps: report.steps }, null, 2);
    yield `${head.slice(0, -2)},\n  "rows": [`;
    let rows = 0;
    for (const r of traceRows(report)) {
        const row = {
            index: r.index, line: r.line, item: r.item, kind: r.kind,
            changes: r.changes.map(c => ({ path: c.path, old: val(c.old), new: val(c.value) })),
            state: r.state, diagnostics: r.diagnostics.map(diagnosticJson),
        };
        yield `${rows++ === 0 ? '\n' : ',\n'}${indent(JSON.stringify(row, null, 2), '    ')}`;
    }
    yield rows === 0 ? '],\n' : '\n  ],\n';
    yield `  "diagnostics": ${indent(JSON.stringify(report.diagnostics.map(diagnosticJson), null, 2), '  ').trimStart()}\n}\n`;
}

function indent(text: string, by: string): string {
    return by + text.replace(/\n/g, `\n${by}`);
}

const WAIT_OR_DEAD = /\b(?:waiting|dead)\b/;

export function formatTraceText(report: FileReport, rows: TraceRow[]): string {
    const header = ['#', 'line', 'item', ...(rows[0]?.state.cpus.map(c => `cpu${c.cpu} (current mode UINV UIRR UIF)`) ?? []), 'changes / verdict'];
    const table = rows.map(r => [
        String(r.index), String(r.line), r.item,
        ...r.state.cpus.map(c => `${c.current} ${c.mode === 'user' ? 'U' : 'K'} ${c.uinv} ${c.uirr} ${c.uif.slice(2)}`),
        [
            // a task's state when it waits, wakes or exits (the story of wait and wake); running or
            // not, and where, is in the CPU columns
            r.changes.filter(c => !c.path.endsWith('.lastCpu') && !c.path.endsWith('.runningOn') && !(c.path.endsWith('.state') && !WAIT_OR_DEAD.test(`${String(c.old)} ${String(c.value)}`)))
                .map(c => `${c.path} ${val(c.old)}→${val(c.value)}`).join(', '),
            ...r.diagnostics.map(d => `${d.severity === 'information' ? 'info' : d.severity}[${d.code}]`),
        ].filter(Boolean).join('  '),
    ]);
    // (a fold, not a spread into Math.max: a table of 200,000 rows overflowed the stack)
    const widths = header.map((h, i) => table.reduce((w, row) => Math.max(w, i < row.length - 1 ? row[i].length : 0), h.length));
    const fmt = (row: string[]) => row.map((cell, i) => (i === row.length - 1 ? cell : i < 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd();
    let s = `${report.file} under policy ${report.result?.run?.policy ?? '?'}: ${rows.length} items\n`;
    s += fmt(header) + '\n' + table.map(fmt).join('\n') + '\n';
    if (!report.result?.run) {
        s = `${report.file}: not emulated (static errors)\n`;
        for (const d of report.diagnostics) s += `${report.file}:${d.loc.line}:${d.loc.column}: ${d.severity}[${d.code}]: ${d.message}\n`;
    }
    return s;
}
