/**
 * Scenario-level tests of SEMANTICS.md: each numbered rule, through `check()` on small inline
 * scenarios. Lines are found through `// #name` markers so the expected `code@line` lists stay
 * exact. State is asserted by `expect` items inside the scenarios (a failing one shows up as
 * expect-failed in codes), and by the run's counters and trace.
 */
import { describe, expect, test } from 'vitest';
import type { ScenarioDiagnostic } from '../server/src/scenario/diagnostics.js';
import { STORM_MAX } from '../server/src/scenario/run.js';
import { check } from './helpers.js';

type Checked = Awaited<ReturnType<typeof check>>;

/** The 1-based line of the `// #name` marker. */
function L(text: string, name: string): number {
    const re = new RegExp(`//\\s*#${name}(\\s|$)`);
    const i = text.split('\n').findIndex(l => re.test(l));
    if (i < 0) throw new Error(`marker #${name} not found`);
    return i + 1;
}

/** `code@line` for a marker. */
function at(text: string, code: string, name: string): string {
    return `${code}@${L(text, name)}`;
}

/** Checks a scenario that must have no static error. */
async function run(text: string, policy?: string): Promise<Checked> {
    const r = await check(text, policy ? { policy } : {});
    expect(r.internalError).toBeUndefined();
    expect(r.run, `static errors: ${r.diagnostics.map(d => `${d.code}@${d.loc.line}: ${d.message}`).join('; ')}`).toBeDefined();
    return r;
}

function diag(r: Checked, code: string, line: number): ScenarioDiagnostic {
    const d = r.diagnostics.find(x => x.code === code && x.loc.line === line);
    expect(d, `no ${code} at line ${line}; got ${r.diagnostics.map(x => `${x.code}@${x.loc.line}`).join(', ')}`).toBeDefined();
    return d!;
}

function relatedLines(d: ScenarioDiagnostic): number[] {
    return d.related.map(r => r.loc.line);
}

/** Line of each delivery in the trace, with its vector and task. */
function deliveries(r: Checked): { vector: number; task: string; line: number }[] {
    const run = r.run!;
    const program = run.trace.program as unknown as {
        tasks: readonly { name: string }[]; config: { cpus: number };
        loc?: (cause: number) => { line: number }; locs?: readonly { line: number }[];
    };
    const lineOf = (cause: number): number => (program.loc ? program.loc(cause).line : program.locs?.[cause]?.line ?? -1);
    return run.trace.deliveries.map(d => ({
        vector: d.vector,
        task: program.tasks[d.task - program.config.cpus]?.name ?? `#${d.task}`,
        line: lineOf(d.cause),
    }));
}

// The example of LANGUAGE.md §1, with markers.
const SEED = `
scenario "kthread round trip under the lazy FPU policy"

machine {
  cpus 2
  uinv 0xec
  policy lazy_fpu
}

task rx {
  handler 0x401000
  stack_adjust 128
}

task tx {
  target rx vector 3
}

kthread kworker

cpu0: switch rx
cpu1: switch tx
cpu0: switch kworker   // #kworker
cpu0: switch rx        // #back
cpu1: senduipi 0       // #send
expect delivered rx 3  // #expect
`;

// ---------------------------------------------------------------------------------------
describe('§1 state', () => {
    test('CPUs start all zero, in kernel mode, running idle; UPIDs, UITTs and images as declared', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx  { handler 0x401000 stack_adjust 128 }
task rx2 { handler 0x402000 ndst 1 uif 0 }
task tx  { target rx vector 3 target rx2 vector 63 }
task tx2 { target rx vector 1 }
task plain { }
kthread kworker
expect cpu0.uinv == 0
expect cpu0.uihandler == 0
expect cpu0.uistackadjust == 0
expect cpu0.uittsz == 0
expect cpu0.upidaddr == 0
expect cpu0.uittaddr == 0
expect cpu0.uirr == 0
expect cpu0.uif == 0
expect cpu1.uinv == 0
expect cpu0.mode == kernel
expect cpu1.mode == kernel
expect cpu0.current == idle
expect cpu1.current == idle
expect rx.upid == 0xffff_8880_0010_0000
expect rx2.upid == 0xffff_8880_0010_0040
expect tx.uitt == 0xffff_8880_0020_0000
expect tx2.uitt == 0xffff_8880_0020_1000
expect rx.upid.on == 0
expect rx.upid.sn == 0
expect rx.upid.pir == 0
expect rx.upid.nv == 0xec
expect rx.upid.ndst == 0
expect rx2.upid.ndst == 1
expect rx.xsave.present == 1
expect rx.xsave.uihandler == 0x401000
expect rx.xsave.uistackadjust == 128
expect rx.xsave.uinv == 0xec
expect rx.xsave.upidaddr == rx.upid
expect rx.xsave.uif == 1
expect rx.xsave.uirr == 0
expect rx.xsave.uittaddr == 0
expect rx2.xsave.uif == 0
expect tx.xsave.present == 1
expect tx.xsave.uittaddr == tx.uitt | 1
expect tx.xsave.uittsz == 255
expect tx.xsave.uif == 0
expect tx.xsave.uinv == 0
expect tx.xsave.uihandler == 0
expect plain.xsave.present == 0
expect plain.xsave.uif == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
    });

    test('a wrong expectation on the initial state fails (the checks above can fail)', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
expect rx.upid.nv == 0xeb     // #a
expect cpu0.mode == user      // #b
expect cpu0.current == rx     // #c
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'expect-failed', 'a'), at(text, 'expect-failed', 'b'), at(text, 'expect-failed', 'c')]);
    });

    test('the machine uinv goes into every UPID\'s NV and every receiver image', async () => {
        const text = `
machine { uinv 0x20 kernel_vector 0x21 policy manual }
task rx { handler 0x401000 }
expect rx.upid.nv == 0x20
expect rx.xsave.uinv == 0x20
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('kernel view: mode is user while a task runs in user space, kernel for a kthread', async () => {
        const text = `
machine { policy linux_rfc }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch rx
expect cpu0.mode == user
expect cpu0.current == rx
cpu0: switch kworker
expect cpu0.mode == kernel
expect cpu0.current == kworker
cpu0: switch idle
expect cpu0.current == idle
expect cpu0.mode == kernel
`;
        expect((await run(text)).codes).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.1 XSAVES', () => {
    test('saves the live fields (present := 1), then clears UINV only: not UIRR, UIF or SN', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 stack_adjust 128 }
cpu0: xrstors rx
cpu0: wrmsr IA32_UINTR_RR 8
cpu0: set rx.upid.sn = 1
cpu0: xsaves rx
expect cpu0.uinv == 0
expect cpu0.uihandler == 0x401000
expect cpu0.uistackadjust == 128
expect cpu0.upidaddr == rx.upid
expect cpu0.uif == 1
expect cpu0.uirr == 8
expect rx.upid.sn == 1
expect rx.xsave.present == 1
expect rx.xsave.uinv == 0xec
expect rx.xsave.uirr == 8
expect rx.xsave.uif == 1
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.xsaves).toBe(1);
    });

    test('in the init configuration only present := 0; the 48 bytes stay stale', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 stack_adjust 128 }
cpu0: xsaves rx
expect rx.xsave.present == 0
expect rx.xsave.uihandler == 0x401000
expect rx.xsave.uistackadjust == 128
expect rx.xsave.uinv == 0xec
expect rx.xsave.uif == 1
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('UIF counts as a live field: UIF = 1 alone is saved with present := 1', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: stui
cpu0: xsaves rx
expect rx.xsave.present == 1
expect rx.xsave.uif == 1
expect rx.xsave.uihandler == 0
expect rx.xsave.uinv == 0
expect rx.xsave.upidaddr == 0
`;
        expect((await run(text)).codes).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.2 XRSTORS', () => {
    test('a live UINV != 0 is #GP, nothing is loaded; related: the step that set UINV', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: wrmsr IA32_UINTR_MISC 0xec << 32   // #arm
cpu0: xrstors tx                          // #gp
expect cpu0.uittaddr == 0
expect cpu0.uittsz == 0
expect cpu0.uinv == 0xec
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xrstors-gp', 'gp')]);
        const d = diag(r, 'xrstors-gp', L(text, 'gp'));
        expect(d.severity).toBe('error');
        expect(d.message).toContain('XRSTORS tx would #GP: UINV is 0xec');
        expect(relatedLines(d)).toEqual([L(text, 'arm')]);
    });

    test('related: the step that last set UINV, also when it wrote the value UINV already had', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx                          // #load
cpu0: wrmsr IA32_UINTR_MISC 0xec << 32   // #again
cpu0: xrstors rx                          // #gp
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xrstors-gp', 'gp')]);
        expect(relatedLines(diag(r, 'xrstors-gp', L(text, 'gp')))).toEqual([L(text, 'again')]);
    });

    test('loads every field of a present image, UIF included', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 stack_adjust 128 uif 0 }
task tx { target rx vector 3 }
cpu0: stui
cpu0: xrstors rx
expect cpu0.uihandler == 0x401000
expect cpu0.uistackadjust == 128
expect cpu0.uinv == 0xec
expect cpu0.upidaddr == rx.upid
expect cpu0.uif == 0
expect cpu0.uittaddr == 0
cpu0: wrmsr IA32_UINTR_MISC 0
cpu0: xrstors tx
expect cpu0.uittaddr == tx.uitt | 1
expect cpu0.uittsz == 255
expect cpu0.uihandler == 0
expect cpu0.upidaddr == 0
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('strict (default): XRSTORS init with UINV armed is #GP', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: xrstors init     // #init
expect cpu0.uinv == 0xec
expect cpu0.uihandler == 0x401000
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xrstors-gp', 'init')]);
        expect(diag(r, 'xrstors-gp', L(text, 'init')).message).toContain('XRSTORS init would #GP');
    });

    test('lenient: XRSTORS init loads the init state without the check', async () => {
        const text = `
machine { policy manual xrstors_init lenient }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: xrstors init
expect cpu0.uinv == 0
expect cpu0.uihandler == 0
expect cpu0.upidaddr == 0
expect cpu0.uif == 0
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('strict vs lenient for a task image that is not present', async () => {
        const body = `
task rx { handler 0x401000 }
task plain { }
cpu0: xrstors rx
cpu0: xrstors plain    // #plain
`;
        const strict = `machine { policy manual }${body}`;
        const lenient = `machine { policy manual xrstors_init lenient }${body}expect cpu0.uinv == 0\n`;
        expect((await run(strict)).codes).toEqual([at(strict, 'xrstors-gp', 'plain')]);
        expect((await run(lenient)).codes).toEqual([]);
    });

    test('lenient still checks UINV for a present image', async () => {
        const text = `
machine { policy manual xrstors_init lenient }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: xrstors rx   // #again
`;
        expect((await run(text)).codes).toEqual([at(text, 'xrstors-gp', 'again')]);
    });

    const spoilers: [string, string, string][] = [
        ['non-canonical HANDLER', 'rx', 'set rx.xsave.uihandler = 0x0000_8000_0000_0000'],
        ['non-canonical STACKADJUST', 'rx', 'set rx.xsave.uistackadjust = 0x0000_8000_0000_0000'],
        ['non-canonical PD', 'rx', 'set rx.xsave.upidaddr = 0x0000_8000_0000_0000'],
        ['non-canonical TT', 'tx', 'set tx.xsave.uittaddr = 0x0000_8000_0000_0001'],
        ['PD bit 0', 'rx', 'set rx.xsave.upidaddr |= 1'],
        ['PD bit 5', 'rx', 'set rx.xsave.upidaddr |= 0x20'],
        ['TT bit 1', 'tx', 'set tx.xsave.uittaddr |= 2'],
        ['TT bit 2', 'tx', 'set tx.xsave.uittaddr |= 4'],
        ['TT bit 3', 'tx', 'set tx.xsave.uittaddr |= 8'],
    ];
    test.each(spoilers)('image check: %s is #GP and UINV stays 0', async (_name, who, spoil) => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: ${spoil}
cpu0: xrstors ${who}     // #gp
expect cpu0.uinv == 0
expect cpu0.uihandler == 0
expect cpu0.uittaddr == 0
expect cpu0.upidaddr == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xrstors-gp', 'gp')]);
    });

    test('image checks pass for canonical high addresses and a TT value with bit 0 only', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: set rx.xsave.uihandler = 0xffff_8000_0000_0000
cpu0: set rx.xsave.uistackadjust = 0x0000_7fff_ffff_ffff
cpu0: xrstors rx
expect cpu0.uihandler == 0xffff_8000_0000_0000
expect cpu0.uistackadjust == 0x0000_7fff_ffff_ffff
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('an image that is not present loads all zero', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: set rx.xsave.present = 0
cpu0: wrmsr IA32_UINTR_HANDLER 0x5000
cpu0: stui
cpu0: xrstors rx
expect cpu0.uihandler == 0
expect cpu0.uinv == 0
expect cpu0.upidaddr == 0
expect cpu0.uif == 0
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('XRSTORS never looks at the PIR: UIRR comes from the image only', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: set rx.upid.pir = 8
cpu0: xrstors rx
expect cpu0.uirr == 0
expect rx.upid.pir == 8
expect pending rx 3
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('an XRSTORS that loads UIRR in user mode delivers on that step', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: set rx.xsave.uirr = 8
cpu0: xrstors rx      // #load
expect delivered rx 3
expect cpu0.uirr == 0
expect cpu0.uif == 1
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(deliveries(r)).toEqual([{ vector: 3, task: 'rx', line: L(text, 'load') }]);
    });

    test('a faulting step changes nothing else and the scenario goes on', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
task rx2 { handler 0x402000 }
cpu0: xrstors rx
cpu0: xrstors rx2   // #gp
expect cpu0.uihandler == 0x401000
expect cpu0.upidaddr == rx.upid
cpu0: wrmsr IA32_UINTR_MISC 0
cpu0: xrstors rx2
expect cpu0.uihandler == 0x402000
`;
        expect((await run(text)).codes).toEqual([at(text, 'xrstors-gp', 'gp')]);
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.3 WRMSR', () => {
    const bad: [string, string, string][] = [
        ['IA32_UINTR_HANDLER', '0x0000_8000_0000_0000', 'uihandler'],
        ['IA32_UINTR_HANDLER', '0x8000_0000_0000_0000', 'uihandler'],
        ['IA32_UINTR_STACKADJUST', '0x0000_8000_0000_0000', 'uistackadjust'],
        ['IA32_UINTR_STACKADJUST', '0xfffe_0000_0000_0000', 'uistackadjust'],
        ['IA32_UINTR_MISC', '1 << 40', 'uittsz'],
        ['IA32_UINTR_MISC', '1 << 63 | 0xec << 32', 'uinv'],
        ['IA32_UINTR_PD', '0xffff_8880_0010_0001', 'upidaddr'],
        ['IA32_UINTR_PD', '0xffff_8880_0010_0020', 'upidaddr'],
        ['IA32_UINTR_PD', '0x0000_8000_0000_0000', 'upidaddr'],
        ['IA32_UINTR_TT', '0xffff_8880_0020_0003', 'uittaddr'],
        ['IA32_UINTR_TT', '0xffff_8880_0020_0005', 'uittaddr'],
        ['IA32_UINTR_TT', '0xffff_8880_0020_0009', 'uittaddr'],
        ['IA32_UINTR_TT', '0x0000_8000_0000_0001', 'uittaddr'],
    ];
    test.each(bad)('%s %s is #GP and leaves %s at 0', async (msr, value, field) => {
        const text = `
machine { policy manual }
cpu0: wrmsr ${msr} ${value}   // #w
expect cpu0.${field} == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'wrmsr-gp', 'w')]);
        expect(diag(r, 'wrmsr-gp', L(text, 'w')).message).toContain(`WRMSR ${msr}`);
    });

    const good: [string, string, string][] = [
        ['IA32_UINTR_RR', '0xffff_ffff_ffff_ffff', 'cpu0.uirr'],
        ['IA32_UINTR_HANDLER', '0xffff_8000_0000_0000', 'cpu0.uihandler'],
        ['IA32_UINTR_HANDLER', '0x0000_7fff_ffff_ffff', 'cpu0.uihandler'],
        ['IA32_UINTR_STACKADJUST', '0xffff_ffff_ffff_fff0', 'cpu0.uistackadjust'],
        ['IA32_UINTR_MISC', '0xec << 32 | 0xffff_ffff', 'cpu0.uittsz | cpu0.uinv << 32'],
        ['IA32_UINTR_PD', '0xffff_8880_0010_0040', 'cpu0.upidaddr'],
        ['IA32_UINTR_TT', '0xffff_8880_0020_0001', 'cpu0.uittaddr'],
        ['IA32_UINTR_TT', '0xffff_8880_0020_0011', 'cpu0.uittaddr'],
    ];
    test.each(good)('%s %s loads', async (msr, value, read) => {
        const text = `
machine { policy manual }
cpu0: wrmsr ${msr} ${value}
expect ${read} == ${value}
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.wrmsr).toBe(1);
    });

    test('writing UIRR != 0 makes a user interrupt pending (delivered in user mode with UIF = 1)', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: stui
cpu0: wrmsr IA32_UINTR_RR 0x28   // #rr
expect delivered rx 5
expect delivered rx 3
expect cpu0.uirr == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(deliveries(r).map(d => [d.vector, d.line])).toEqual([[5, L(text, 'rr')], [3, L(text, 'rr')]]);
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.4 SENDUIPI', () => {
    test('#UD without an enabled UITT; #GP for an index above UITTSZ and for an invalid entry', async () => {
        const text = `
machine { cpus 2 policy eager }
task rx { handler 0x401000 }
task tx { target rx vector 5 }
task plain { }
cpu0: switch rx
cpu1: switch plain
cpu1: senduipi 0      // #ud
cpu1: switch tx
cpu1: senduipi 256    // #big
cpu1: senduipi 1      // #invalid
expect rx.upid.pir == 0
cpu1: senduipi 0
expect delivered rx 5
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'ud', 'ud'), at(text, 'senduipi-gp', 'big'), at(text, 'senduipi-gp', 'invalid')]);
        expect(diag(r, 'ud', L(text, 'ud')).message).toContain('SENDUIPI 0 would #UD');
        expect(diag(r, 'senduipi-gp', L(text, 'big')).message).toContain('SENDUIPI 256 would #GP');
        expect(diag(r, 'senduipi-gp', L(text, 'invalid')).message).toContain('SENDUIPI 1 would #GP');
    });

    test('#GP when UITTADDR points to no table', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: wrmsr IA32_UINTR_TT 0x1001
cpu0: wrmsr IA32_UINTR_MISC 255
cpu0: senduipi 0     // #s
`;
        expect((await run(text)).codes).toEqual([at(text, 'senduipi-gp', 's')]);
    });

    test('the index is compared with the live UITTSZ (0 here), not with the table', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 2 target rx vector 4 }
cpu0: wrmsr IA32_UINTR_TT tx.uitt | 1
cpu0: senduipi 1     // #over
expect rx.upid.pir == 0
cpu0: senduipi 0
expect rx.upid.pir == 4
expect rx.upid.on == 1
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'senduipi-gp', 'over')]);
        expect(r.run!.counters.spurious).toBe(1);
    });

    test('SN = 1: the vector is posted but no IPI is sent (ON stays 0)', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: xrstors rx
cpu0: switch rx
cpu1: xrstors tx
cpu1: switch tx
cpu0: set rx.upid.sn = 1
cpu1: senduipi 0      // #s
expect rx.upid.pir == 8
expect rx.upid.on == 0
expect not delivered rx 3
expect pending rx 3
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'never-delivered', 's')]);
        expect(r.run!.counters.spurious).toBe(0);
    });

    test('ON = 1: the vector is posted but no IPI is sent', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: xrstors rx
cpu0: switch rx
cpu1: xrstors tx
cpu1: switch tx
cpu0: set rx.upid.on = 1
cpu1: senduipi 0      // #s
expect rx.upid.pir == 8
expect rx.upid.on == 1
expect not delivered rx 3
`;
        expect((await run(text)).codes).toEqual([at(text, 'never-delivered', 's')]);
    });

    test('SN = 0 and ON = 0: ON := 1 and an IPI with NV goes to the CPU NDST names', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 ndst 1 }
task tx { target rx vector 3 }
cpu1: xrstors rx
cpu1: switch rx
cpu0: xrstors tx
cpu0: switch tx
cpu0: senduipi 0      // #s
expect delivered rx 3
expect rx.upid.on == 0
expect rx.upid.pir == 0
expect cpu1.uirr == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(deliveries(r)).toEqual([{ vector: 3, task: 'rx', line: L(text, 's') }]);
    });

    test('the IPI goes to NDST even when the receiver runs elsewhere (posted, not delivered)', async () => {
        const text = `
machine { cpus 2 policy eager }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu1: switch rx
cpu0: switch tx
cpu0: senduipi 0      // #s
expect rx.upid.on == 1
expect rx.upid.pir == 8
expect cpu1.uirr == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'never-delivered', 's')]);
        expect(r.run!.counters.spurious).toBe(1);
    });

    test('a freed target UPID is written anyway and reported; related: the free', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu1: xrstors tx
cpu0: free rx.upid     // #free
cpu1: senduipi 0       // #s
expect rx.upid.pir == 8
expect rx.upid.on == 1
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'upid-use-after-free', 's')]);
        const d = diag(r, 'upid-use-after-free', L(text, 's'));
        expect(d.message).toContain('SENDUIPI');
        expect(relatedLines(d)).toContain(L(text, 'free'));
    });

    test('an IPI to a CPU that does not exist is dropped (§8)', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: wrmsr IA32_UINTR_RR 5
cpu0: set rx.upid.ndst = cpu0.uirr
cpu1: xrstors tx
cpu1: senduipi 0
expect rx.upid.ndst == 5
expect rx.upid.on == 1
expect rx.upid.pir == 8
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.spurious).toBe(0);
    });

    test('SENDUIPI runs through the live registers of whatever runs on the CPU (idle here)', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu1: xrstors tx
cpu1: senduipi 0
expect cpu1.current == idle
expect rx.upid.pir == 8
`;
        expect((await run(text)).codes).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.5 interrupt arrival', () => {
    test('notification processing happens in kernel mode too: PIR into UIRR, ON := 0, no delivery', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: xrstors rx
cpu1: xrstors tx
cpu1: senduipi 0
expect rx.upid.on == 0
expect rx.upid.pir == 0
expect cpu0.uirr == 8
expect cpu0.mode == kernel
expect not delivered rx 3
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.deliveries).toBe(0);
    });

    test('`interrupt uinv` with a freed UPID at UPIDADDR is a use after free on that step', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: free rx.upid     // #free
cpu0: interrupt 0xec   // #int
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'upid-use-after-free', 'int')]);
        expect(relatedLines(diag(r, 'upid-use-after-free', L(text, 'int')))).toContain(L(text, 'free'));
    });

    test('no UPID at UPIDADDR is a use after free too', async () => {
        const text = `
machine { policy manual }
cpu0: wrmsr IA32_UINTR_PD 0x1000
cpu0: wrmsr IA32_UINTR_MISC 0xec << 32   // #armed
cpu0: interrupt 0xec   // #int
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'upid-use-after-free', 'int')]);
        const d = diag(r, 'upid-use-after-free', L(text, 'int'));
        expect(d.message).toContain('0x1000');
        // no free to point at: what armed UINV, so that the CPU processed a notification there
        expect(d.related.map(x => [x.loc.line, x.message])).toEqual([[L(text, 'armed'), "that CPU's UINV armed here"]]);
    });

    test('the kernel vector runs the wake hook; another vector does not', async () => {
        const text = `
machine { policy p }
policy p { on wake { set rx.upid.sn = 1 } }
task rx { handler 0x401000 }
cpu0: interrupt 0x20
expect rx.upid.sn == 0
cpu0: interrupt kernel_vector
expect rx.upid.sn == 1
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.spurious).toBe(1);
    });

    test('an ignored vector leaves the sender\'s ON and PIR as they are', async () => {
        const text = `
machine { cpus 2 policy eager }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kworker
cpu0: switch rx
cpu1: switch tx
cpu0: switch kworker
cpu1: senduipi 0
expect rx.upid.on == 1
expect rx.upid.pir == 8
expect cpu0.uirr == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.spurious).toBe(1);
    });

    test('notification processing uses this CPU\'s UPIDADDR even for another task\'s IPI', async () => {
        const text = `
machine { cpus 2 policy manual }
task a { handler 0x401000 }
task b { handler 0x402000 }
task tx { target a vector 1 }
cpu0: xrstors b
cpu0: set b.upid.pir = 4
cpu1: xrstors tx
cpu1: senduipi 0
expect cpu0.uirr == 4
expect b.upid.pir == 0
expect a.upid.pir == 2
expect a.upid.on == 1
`;
        expect((await run(text)).codes).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.6 delivery', () => {
    test('highest vector first; handlers manual keeps UIF = 0 until UIRET', async () => {
        const text = `
machine { cpus 2 policy linux_rfc handlers manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 target rx vector 5 }
cpu0: switch rx
cpu1: switch tx
cpu0: clui
cpu1: senduipi 0
cpu1: senduipi 1
expect cpu0.uirr == 0x28
expect not delivered rx 5
cpu0: stui          // #stui
expect delivered rx 5
expect not delivered rx 3
expect cpu0.uirr == 8
expect cpu0.uif == 0
cpu0: uiret         // #uiret
expect delivered rx 3
expect cpu0.uif == 0
expect cpu0.uirr == 0
cpu0: uiret
expect cpu0.uif == 1
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(deliveries(r)).toEqual([{ vector: 5, task: 'rx', line: L(text, 'stui') }, { vector: 3, task: 'rx', line: L(text, 'uiret') }]);
    });

    test('handlers auto: the handler returns at once, both vectors go, highest first, UIF back to 1', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 3 target rx vector 5 }
cpu0: switch rx
cpu1: switch tx
cpu0: clui
cpu1: senduipi 0
cpu1: senduipi 1
cpu0: stui          // #stui
expect cpu0.uif == 1
expect cpu0.uirr == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(deliveries(r).map(d => [d.vector, d.line])).toEqual([[5, L(text, 'stui')], [3, L(text, 'stui')]]);
        expect(r.run!.counters.deliveries).toBe(2);
    });

    test('never in kernel mode: UIRR waits until the task is back in user mode', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: wrmsr IA32_UINTR_RR 8
expect not delivered rx 3
cpu0: switch rx      // #sw
expect delivered rx 3
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(deliveries(r)).toEqual([{ vector: 3, task: 'rx', line: L(text, 'sw') }]);
    });
});

// ---------------------------------------------------------------------------------------
describe('§2.7 STUI, CLUI, TESTUI, UIRET', () => {
    test('each sets or reads UIF, in kernel mode as well; none is #UD', async () => {
        const text = `
machine { policy manual }
cpu0: stui
expect cpu0.uif == 1
cpu0: testui
expect cpu0.uif == 1
cpu0: clui
expect cpu0.uif == 0
cpu0: testui
expect cpu0.uif == 0
cpu0: uiret
expect cpu0.uif == 1
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('CLUI blocks delivery in user mode; STUI releases it', async () => {
        const text = `
machine { policy linux_rfc }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: clui
cpu0: wrmsr IA32_UINTR_RR 2
expect not delivered rx 1
expect pending rx 1
cpu0: stui     // #stui
expect delivered rx 1
expect cpu0.uirr == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(deliveries(r)).toEqual([{ vector: 1, task: 'rx', line: L(text, 'stui') }]);
    });
});

// ---------------------------------------------------------------------------------------
describe('§3 scenario time', () => {
    const body = `
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch rx
cpu1: switch tx
cpu1: senduipi 0
cpu0: clui
`;
    test('ipi immediate: the IPI arrives right after its step, before the next one', async () => {
        const text = `machine { cpus 2 policy linux_rfc }${body}expect delivered rx 3\nexpect cpu0.uirr == 0\nexpect cpu0.uif == 0\n`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('ipi deferred: the IPI arrives at the next expectation, after the CLUI', async () => {
        const text = `machine { cpus 2 policy linux_rfc ipi deferred }${body}expect not delivered rx 3\nexpect cpu0.uirr == 8\nexpect pending rx 3\nexpect rx.upid.on == 0\n`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('ipi deferred: every IPI in flight arrives before an expectation is checked', async () => {
        const text = `
machine { cpus 2 policy linux_rfc ipi deferred }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch rx
cpu1: switch tx
cpu1: senduipi 0    // #s
expect rx.upid.on == 0
expect rx.upid.pir == 0
expect delivered rx 3
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(deliveries(r)).toEqual([{ vector: 3, task: 'rx', line: L(text, 's') }]);
    });

    test('ipi deferred: IPIs in flight arrive at the end, before the end-of-scenario checks', async () => {
        const text = `
machine { cpus 2 policy linux_rfc ipi deferred }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch rx
cpu1: switch tx
cpu1: senduipi 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.deliveries).toBe(1);
    });

    test.each([['b', 'a', [2, 1]], ['a', 'b', [1, 2]]] as const)('ipi deferred: IPIs arrive in the order sent (%s first)', async (first, second, order) => {
        const idx = { a: 0, b: 1 };
        const text = `
machine { cpus 3 policy linux_rfc ipi deferred }
task a { handler 0x401000 }
task b { handler 0x402000 }
task tx { target a vector 1 target b vector 2 }
cpu0: switch a
cpu1: switch b
cpu2: switch tx
cpu2: senduipi ${idx[first]}    // #first
cpu2: senduipi ${idx[second]}   // #second
expect delivered a 1
expect delivered b 2
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(deliveries(r)).toEqual([
            { vector: order[0], task: first, line: L(text, 'first') },
            { vector: order[1], task: second, line: L(text, 'second') },
        ]);
    });

    test('ipi deferred: an IPI that arrives after a switch-out is ignored and leaves ON set', async () => {
        const text = `
machine { cpus 2 policy linux_rfc ipi deferred }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kworker
cpu0: switch rx
cpu1: switch tx
cpu1: senduipi 0
cpu0: switch kworker
expect rx.upid.on == 1
expect rx.upid.pir == 8
expect pending rx 3
cpu0: switch rx
expect delivered rx 3
expect rx.upid.on == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.spurious).toBe(1);
        expect(r.run!.counters.selfIpis).toBe(1);
    });

    test('a self-IPI that a hook raises arrives as soon as the action ends, even with ipi deferred', async () => {
        const text = `
machine { cpus 2 policy linux_rfc ipi deferred }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kworker
cpu0: switch rx
cpu1: switch tx
cpu0: switch kworker
cpu1: senduipi 0
cpu0: switch rx      // #back
cpu0: clui
expect delivered rx 3
expect cpu0.uirr == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(deliveries(r)).toEqual([{ vector: 3, task: 'rx', line: L(text, 'back') }]);
        expect(r.run!.counters.selfIpis).toBe(1);
    });

    test('nothing arrives inside a kernel-level action: a hook\'s interrupt comes after the whole action', async () => {
        const text = `
machine { policy p }
policy p { on return_to_user { interrupt uinv xrstors cur } }
task rx { handler 0x401000 }
cpu0: set rx.upid.pir = 8
cpu0: switch rx       // #sw
expect delivered rx 3
expect rx.upid.pir == 0
expect cpu0.uinv == 0xec
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.selfIpis).toBe(1);
        expect(deliveries(r)).toEqual([{ vector: 3, task: 'rx', line: L(text, 'sw') }]);
    });

    test('a clean race reports nothing; the items before it report as usual', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: xrstors rx      // #gp
race {                // #race
  cpu0: stui
} with {
  cpu1: clui
}
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xrstors-gp', 'gp')]);
        expect(r.diagnostics.some(d => d.code === 'race-counterexample')).toBe(false);
        const race = r.run!.races[0];
        expect(race.codes).toEqual([]);
        expect(race.states).toBeGreaterThanOrEqual(3);
        expect(race.interleavings).toBeGreaterThanOrEqual(1);
    });
});

// ---------------------------------------------------------------------------------------
const RECORDER = `
policy rec {
  on switch_out     { set rx.xsave.uirr = rx.xsave.uirr << 4 | 1 }
  on switch_in      { set rx.xsave.uirr = rx.xsave.uirr << 4 | 2 }
  on return_to_user { set rx.xsave.uirr = rx.xsave.uirr << 4 | 3 }
  on exec           { set rx.xsave.uirr = rx.xsave.uirr << 4 | 4 }
  on exit           { set rx.xsave.uirr = rx.xsave.uirr << 4 | 5 }
  on wait           { set rx.xsave.uirr = rx.xsave.uirr << 4 | 6 }
}
task rx { handler 0x401000 }
task other { }
kthread kworker
`;

describe('§4 kernel-level actions', () => {
    test('4.1 switch: switch_out, switch_in, then return_to_user for a task; mode user after', async () => {
        const text = `
machine { policy rec }${RECORDER}
cpu0: switch rx
expect rx.xsave.uirr == 0x123
expect cpu0.mode == user
expect cpu0.current == rx
cpu0: switch kworker
expect rx.xsave.uirr == 0x12312
expect cpu0.mode == kernel
expect cpu0.current == kworker
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('4.2 exec: the exec hook, then return_to_user', async () => {
        const text = `
machine { policy rec }${RECORDER}
cpu0: switch other
cpu0: set rx.xsave.uirr = 0
cpu0: exec
expect rx.xsave.uirr == 0x43
expect cpu0.mode == user
expect cpu0.current == other
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('4.3 exit: the exit hook, then switch_out and switch_in to idle (no return_to_user)', async () => {
        const text = `
machine { policy rec }${RECORDER}
cpu0: switch other
cpu0: set rx.xsave.uirr = 0
cpu0: exit
expect rx.xsave.uirr == 0x512
expect cpu0.current == idle
expect cpu0.mode == kernel
cpu0: switch other    // #dead
`;
        expect((await run(text)).codes).toEqual([at(text, 'semantic', 'dead')]);
    });

    test('4.4 wait: the wait hook, then a switch to idle; the task waits', async () => {
        const text = `
machine { policy rec }${RECORDER}
cpu0: switch other
cpu0: set rx.xsave.uirr = 0
cpu0: wait
expect rx.xsave.uirr == 0x612
expect cpu0.current == idle
cpu0: switch other    // #waiting
expect cpu0.current == idle
`;
        expect((await run(text)).codes).toEqual([at(text, 'semantic', 'waiting')]);
    });

    test('4.1 the hooks bind prev, next and cur; kthread(idle) holds', async () => {
        const text = `
machine { policy b }
policy b {
  on switch_out { if kthread(prev) { set rx.xsave.uittsz |= 1 } if user(next) { set rx.xsave.uittsz |= 2 } }
  on switch_in  { if kthread(prev) and receiver(next) { set rx.xsave.uittsz |= 4 } }
  on return_to_user { if receiver(cur) and not sender(cur) { set rx.xsave.uittsz |= 8 } }
}
task rx { handler 0x401000 }
cpu0: switch rx
expect rx.xsave.uittsz == 15
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('a switch to a task current on another CPU is a run-time semantic error that changes nothing', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch rx
cpu1: switch rx        // #else
expect cpu1.current == idle
expect cpu0.current == rx
expect cpu0.mode == user
cpu1: switch kworker
cpu0: switch kworker   // #kw
expect cpu0.current == rx
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'semantic', 'else'), at(text, 'semantic', 'kw')]);
        expect(r.run!.counters.xrstors).toBe(1);
        expect(r.run!.counters.xsaves).toBe(0);
    });

    test('a kernel action whose hook fails part way changes nothing: writes, counts, trace, IPIs (decisions #22)', async () => {
        // switching rx out sets SN and saves rx (XSAVES clears UINV), then switch_in fails on
        // tx's UPID (a sender has none): all of it is undone, rx still runs in user mode
        const text = `
machine { policy p }
policy p extends linux_rfc { on switch_in { if next.upid.sn == 0 { } } }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch rx
cpu0: switch tx        // #fails
expect cpu0.current == rx
expect cpu0.mode == user
expect cpu0.uinv == 0xec
expect rx.upid.sn == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'semantic', 'fails')]);
        expect(r.diagnostics[0].message).toMatch(/in p\.switch_in: tx is not a receiver/);
        expect(r.run!.counters).toEqual(expect.objectContaining({ xsaves: 0, xrstors: 1 }));
        const trace = r.run!.trace;
        expect(trace.changesOf(0).length).toBeGreaterThan(0);
        expect(trace.changesOf(1)).toEqual([]);
        expect(trace.hookSteps(1)).toEqual([]);
        // exit: the hook disables the UITT, then fails on a sender's UPID; the task is not
        // dead, stays current in user mode, and its UITT still works
        const exit = `
machine { policy q }
policy q extends linux_rfc { on exit { wrmsr IA32_UINTR_TT 0 put cur.upid } }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch tx
cpu0: exit             // #exit
expect cpu0.current == tx
expect cpu0.mode == user
expect cpu0.uittaddr == tx.uitt | 1
cpu0: senduipi 0
`;
        const e = await run(exit);
        expect(e.codes).toEqual([at(exit, 'semantic', 'exit')]);
    });

    test('the kernel vector\'s wake hook failing part way changes nothing either (decisions #22)', async () => {
        // the hook wakes rx and sets its SN, then fails on ty (waiting too, but a sender): undone
        const text = `
machine { cpus 2 policy q }
policy q extends linux_rfc { on wake { foreach waiting w { wake w set w.upid.sn = 1 } } }
task rx { handler 0x401000 }
task ty { target rx vector 3 }
task tx { target rx vector 1 }
cpu0: switch rx
cpu0: wait
cpu1: switch ty
cpu1: wait
cpu1: switch tx
cpu1: senduipi 0       // #send
expect rx.upid.sn == 0
cpu0: switch rx        // #waiting
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'semantic', 'send'), at(text, 'semantic', 'waiting')]);
        expect(r.diagnostics[0].message).toMatch(/^in q\.wake: ty is not a receiver/);
        // and what that means for the action (decisions #22)
        expect(r.diagnostics[0].message).toMatch(/; so the wake does not happen \(a kernel action that fails part way changes nothing\)$/);
        expect(r.diagnostics[1].message).toMatch(/rx: it is waiting/);
    });

    test('exec, exit and wait while idle or a kthread runs are run-time semantic errors', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
kthread kworker
cpu1: exec     // #exec
cpu1: exit     // #exit
cpu1: wait     // #wait
cpu0: switch kworker
cpu0: exec     // #kexec
expect cpu1.current == idle
expect cpu0.current == kworker
cpu0: switch rx
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'semantic', 'exec'), at(text, 'semantic', 'exit'), at(text, 'semantic', 'wait'), at(text, 'semantic', 'kexec')]);
        expect(r.run!.counters.xrstors).toBe(1);
    });

    test('a switch to a waiting or a dead task is a semantic error on that step, and the run goes on', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch rx
cpu0: wait
cpu0: switch rx      // #waiting
expect cpu0.current == idle
cpu1: switch tx
cpu1: exit
cpu0: switch tx      // #dead
expect cpu0.current == idle
expect cpu1.current == idle
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'semantic', 'waiting'), at(text, 'semantic', 'dead')]);
        expect(diag(r, 'semantic', L(text, 'waiting')).message).toMatch(/waiting/);
        expect(r.run!.counters.xrstors).toBe(2);
    });

    test('`switch X` to the task already running there is allowed and runs the hooks (§8)', async () => {
        const text = `
machine { policy eager }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: switch rx
expect cpu0.uinv == 0xec
expect cpu0.current == rx
expect cpu0.mode == user
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.xsaves).toBe(1);
        expect(r.run!.counters.xrstors).toBe(2);
    });

    test('4.3 exit under lazy_fpu: the final switch still saves the dead task (user(prev) holds)', async () => {
        const text = `
machine { policy lazy_fpu }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: exit
expect cpu0.current == idle
expect cpu0.uinv == 0
expect rx.xsave.uinv == 0xec
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.xsaves).toBe(1);
    });

    test('4.4 wait and wake under linux_rfc: NV := kernel_vector, the kernel vector wakes it, a self-IPI collects PIR', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch rx
cpu1: switch tx
cpu0: wait
expect rx.upid.nv == 0xeb
expect rx.upid.sn == 0
expect cpu0.current == idle
expect cpu0.uinv == 0
cpu1: senduipi 0
expect rx.upid.nv == 0xec
expect rx.upid.sn == 1
expect rx.upid.on == 1
expect rx.upid.pir == 8
cpu0: switch rx      // #back
expect delivered rx 3
expect rx.upid.on == 0
expect rx.upid.sn == 0
expect cpu0.uinv == 0xec
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters).toMatchObject({ spurious: 0, selfIpis: 1, wrmsr: 1, deliveries: 1 });
        expect(deliveries(r)).toEqual([{ vector: 3, task: 'rx', line: L(text, 'back') }]);
    });

    test('4.4 wake only wakes receivers whose UPID has ON = 1', async () => {
        const text = `
machine { policy linux_rfc }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: wait
cpu0: interrupt kernel_vector
cpu0: switch rx       // #still
expect rx.upid.nv == 0xeb
cpu0: set rx.upid.on = 1
cpu0: interrupt kernel_vector
cpu0: switch rx
expect cpu0.current == rx
expect rx.upid.nv == 0xec
`;
        expect((await run(text)).codes).toEqual([at(text, 'semantic', 'still')]);
    });

    test('4.5 valid: T -> kthread -> T on one CPU is valid, so lazy_fpu skips XRSTORS', async () => {
        const text = `
machine { policy lazy_fpu }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch rx
cpu0: switch kworker
cpu0: switch rx
expect cpu0.uinv == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.xrstors).toBe(1);
    });

    test('4.5 valid: another task\'s XRSTORS in between makes it invalid (fpregs_owner)', async () => {
        const text = `
machine { policy lazy_fpu }
task rx { handler 0x401000 }
task other { }
cpu0: switch rx
cpu0: switch other
cpu0: switch rx
expect cpu0.uinv == 0xec
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.xrstors).toBe(3);
    });

    test('4.5 valid: running on another CPU in between makes it invalid (last_cpu)', async () => {
        const text = `
machine { cpus 2 policy lazy_fpu }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: switch idle
cpu1: switch rx
cpu1: switch idle
cpu0: switch rx
expect cpu0.uinv == 0xec
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.xrstors).toBe(3);
        expect(r.run!.counters.xsaves).toBe(2);
    });
});

// ---------------------------------------------------------------------------------------
describe('§5 built-in policies', () => {
    test('manual: no hooks, a switch touches no register', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kworker
cpu0: switch rx
expect cpu0.uinv == 0
expect cpu0.uihandler == 0
expect cpu0.mode == user
cpu0: switch kworker
cpu0: exec      // #exec
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'semantic', 'exec')]);
        expect(r.run!.counters).toEqual({ xsaves: 0, xrstors: 0, wrmsr: 0, selfIpis: 0, spurious: 0, deliveries: 0 });
    });

    test('eager: XSAVES on every switch-out, XRSTORS on every return to user, no SN', async () => {
        const text = `
machine { cpus 2 policy eager }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kworker
cpu0: switch rx
cpu1: switch tx
expect cpu1.uittaddr == tx.uitt | 1
cpu0: switch kworker
expect cpu0.uinv == 0
expect rx.upid.sn == 0
expect rx.xsave.uinv == 0xec
cpu0: switch rx
expect cpu0.uinv == 0xec
cpu1: senduipi 0
expect delivered rx 3
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters).toMatchObject({ xsaves: 1, xrstors: 3, wrmsr: 0, selfIpis: 0, deliveries: 1 });
    });

    test('eager has no exec hook: exec runs return_to_user\'s XRSTORS over an armed UINV (§8)', async () => {
        const text = `
machine { policy eager }
task rx { handler 0x401000 }
cpu0: switch rx    // #arm
cpu0: exec         // #exec
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xrstors-gp', 'exec')]);
        const d = diag(r, 'xrstors-gp', L(text, 'exec'));
        expect(d.message).toContain('XRSTORS rx in eager.return_to_user would #GP: UINV is 0xec');
        expect(relatedLines(d)).toEqual([L(text, 'arm')]);
    });

    test('lazy_fpu: the seed scenario loses the notification', async () => {
        const r = await run(SEED);
        expect(r.codes).toEqual([at(SEED, 'never-delivered', 'send'), at(SEED, 'notification-lost', 'send'), at(SEED, 'expect-failed', 'expect')]);
        const lost = diag(r, 'notification-lost', L(SEED, 'send'));
        expect(lost.severity).toBe('warning');
        expect(relatedLines(lost)).toEqual([L(SEED, 'kworker')]);
        expect(diag(r, 'expect-failed', L(SEED, 'expect')).message).toContain('PIR');
        expect(r.run!.counters).toMatchObject({ xsaves: 1, xrstors: 2, wrmsr: 0, spurious: 1, deliveries: 0 });
    });

    test.each(['linux_rfc', 'independent', 'tglx', 'eager'])('the seed scenario is clean under %s', async policy => {
        const r = await run(SEED, policy);
        expect(r.codes).toEqual([]);
        expect(r.run!.policy).toBe(policy);
        expect(r.run!.counters.deliveries).toBe(1);
    });

    test('lazy_fpu: XRSTORS in return_to_user names the hook and the instruction', async () => {
        const text = `
machine { policy lazy_fpu }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch kworker
cpu0: wrmsr IA32_UINTR_MISC 0xec << 32   // #arm
cpu0: switch rx                          // #sw
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xrstors-gp', 'sw')]);
        const d = diag(r, 'xrstors-gp', L(text, 'sw'));
        expect(d.message).toContain('XRSTORS rx in lazy_fpu.return_to_user would #GP: UINV is 0xec');
        expect(relatedLines(d)).toEqual([L(text, 'arm')]);
    });

    test('lazy_fpu: exec restores init (XRSTORS init in lazy_fpu.exec), which faults with UINV armed', async () => {
        const text = `
machine { policy lazy_fpu }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: exec       // #exec
expect cpu0.uinv == 0xec
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xrstors-gp', 'exec')]);
        expect(diag(r, 'xrstors-gp', L(text, 'exec')).message).toContain('XRSTORS init in lazy_fpu.exec would #GP');
    });

    test('lazy_fpu: exec of a sender resets its registers; the image is not rewritten and valid() then holds (§8)', async () => {
        const text = `
machine { policy lazy_fpu }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch tx
expect cpu0.uittaddr == tx.uitt | 1
cpu0: exec
expect cpu0.uittaddr == 0
expect cpu0.uittsz == 0
expect tx.xsave.present == 1
expect tx.xsave.uittaddr == tx.uitt | 1
expect cpu0.mode == user
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.xrstors).toBe(2);
    });

    test('linux_rfc: SN on switch-out, WRMSR re-arm, SN := 0 and a self-IPI on the way back', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kworker
cpu0: switch rx
cpu1: switch tx
cpu0: switch kworker
expect rx.upid.sn == 1
expect cpu0.uinv == 0
cpu1: senduipi 0
expect rx.upid.on == 0
expect rx.upid.pir == 8
cpu0: switch rx
expect cpu0.uinv == 0xec
expect cpu0.uittsz == 0
expect rx.upid.sn == 0
expect delivered rx 3
expect no lost
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters).toEqual({ xsaves: 1, xrstors: 2, wrmsr: 1, selfIpis: 1, spurious: 0, deliveries: 1 });
    });

    test('linux_rfc: NDST follows the receiver to the CPU it returns on', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu1: switch rx
expect rx.upid.ndst == 1
cpu0: switch tx
cpu0: senduipi 0
expect delivered rx 3
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('linux_rfc: exit zeroes the UINTR MSRs when valid, sets SN and drops the receiver\'s reference', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 stack_adjust 128 }
task tx { target rx vector 3 }
cpu0: switch rx
cpu1: switch tx
cpu0: exit
expect cpu0.current == idle
expect cpu0.uihandler == 0
expect cpu0.uistackadjust == 0
expect cpu0.upidaddr == 0
expect cpu0.uinv == 0
expect rx.upid.sn == 1
cpu1: senduipi 0
expect rx.upid.pir == 8
expect rx.upid.on == 0
cpu1: put rx.upid      // #put
cpu1: senduipi 0       // #uaf
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'upid-use-after-free', 'uaf')]);
        expect(relatedLines(diag(r, 'upid-use-after-free', L(text, 'uaf')))).toContain(L(text, 'put'));
        expect(r.run!.counters.wrmsr).toBe(6);
    });

    test('linux_rfc: exit leaves the MSRs alone when the registers are not the task\'s (not valid)', async () => {
        const text = `
machine { policy linux_rfc }
task rx  { handler 0x401000 }
task rx2 { handler 0x402000 }
cpu0: switch rx
cpu0: wrmsr IA32_UINTR_MISC 0
cpu0: xrstors rx2
cpu0: exit
expect cpu0.uihandler == 0x402000
expect cpu0.uinv == 0
expect rx.upid.sn == 1
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.wrmsr).toBe(1);
    });

    test('linux_rfc: a waiting receiver keeps SN = 0 over the switch-out', async () => {
        const text = `
machine { policy linux_rfc }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch rx
cpu0: wait
expect rx.upid.sn == 0
cpu0: set rx.upid.on = 1
cpu0: interrupt kernel_vector
cpu0: switch rx
cpu0: switch kworker
expect rx.upid.sn == 1
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('independent: XRSTORS every time, no WRMSR; kthreads run with UINV = 0', async () => {
        const text = `
machine { cpus 2 policy independent }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kworker
cpu0: switch rx
cpu1: switch tx
cpu0: switch kworker
expect cpu0.uinv == 0
expect rx.upid.sn == 1
cpu1: senduipi 0
cpu0: switch rx
expect delivered rx 3
expect cpu0.uinv == 0xec
expect rx.upid.sn == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters).toEqual({ xsaves: 1, xrstors: 3, wrmsr: 0, selfIpis: 1, spurious: 0, deliveries: 1 });
    });

    test('tglx: the saved image never holds an armed UINV; the valid path takes PIR into UIRR and re-arms with WRMSR', async () => {
        const text = `
machine { cpus 2 policy tglx }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kworker
cpu0: switch rx
cpu1: switch tx
cpu0: switch kworker
expect rx.xsave.uinv == 0
expect cpu0.uinv == 0
expect rx.upid.sn == 1
cpu1: senduipi 0
cpu0: switch rx
expect delivered rx 3
expect rx.upid.pir == 0
expect cpu0.uinv == 0xec
expect rx.upid.sn == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters).toEqual({ xsaves: 1, xrstors: 2, wrmsr: 1, selfIpis: 0, spurious: 0, deliveries: 1 });
    });

    test('tglx: the invalid path takes PIR into the image\'s UIRR and restores it, with no self-IPI', async () => {
        const text = `
machine { cpus 2 policy tglx }
task rx  { handler 0x401000 }
task rx2 { handler 0x402000 }
task tx  { target rx vector 3 }
cpu1: switch tx
cpu0: switch rx
cpu0: switch rx2
cpu1: senduipi 0
expect rx.upid.pir == 8
cpu0: switch rx      // #back
expect delivered rx 3
expect rx.upid.pir == 0
expect cpu0.uinv == 0xec
expect cpu0.upidaddr == rx.upid
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.selfIpis).toBe(0);
        expect(r.run!.counters.wrmsr).toBe(0);
        expect(deliveries(r)).toEqual([{ vector: 3, task: 'rx', line: L(text, 'back') }]);
    });

    test('tglx: a task that is not a receiver is restored only when not valid', async () => {
        const text = `
machine { policy tglx }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
task other { }
kthread kworker
cpu0: switch tx
cpu0: switch kworker
cpu0: switch tx
expect cpu0.uittaddr == tx.uitt | 1
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters).toMatchObject({ xsaves: 1, xrstors: 1, wrmsr: 0 });
        const again = text.replace('cpu0: switch kworker', 'cpu0: switch other');
        const r2 = await run(again);
        expect(r2.codes).toEqual([]);
        expect(r2.run!.counters).toMatchObject({ xsaves: 2, xrstors: 3 });
    });

    test('tglx: any number of XRSTORS of a saved image is safe; lazy_fpu faults on the second', async () => {
        const text = `
machine { policy tglx }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch rx
cpu0: switch kworker
cpu0: xrstors rx
cpu0: xrstors rx    // #second
`;
        expect((await run(text)).codes).toEqual([]);
        expect((await run(text, 'lazy_fpu')).codes).toEqual([at(text, 'xrstors-gp', 'second')]);
    });

    test('tglx leaves ON set after an in-flight notification; linux_rfc\'s self-IPI clears it', async () => {
        const text = `
machine { cpus 2 policy tglx ipi deferred }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
kthread kworker
cpu0: switch rx
cpu1: switch tx
cpu1: senduipi 0
cpu0: switch kworker
expect rx.upid.on == 1
cpu0: switch rx
expect delivered rx 3
expect rx.upid.on == VALUE   // #on
`;
        expect((await run(text.replace('VALUE', '1'))).codes).toEqual([]);
        expect((await run(text.replace('VALUE', '0'), 'linux_rfc')).codes).toEqual([]);
        expect((await run(text.replace('VALUE', '0'))).codes).toEqual([at(text, 'expect-failed', 'on')]);
    });

    test('tglx: exit is linux_rfc\'s, and messages name the inherited hook', async () => {
        const text = `
machine { policy tglx }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: free rx.upid      // #free
cpu0: exit              // #exit
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'upid-use-after-free', 'exit')]);
        const d = diag(r, 'upid-use-after-free', L(text, 'exit'));
        expect(d.message).toMatch(/\(in linux_rfc\.exit; linux_rfc\.exit is inherited by tglx\)$/);
        expect(relatedLines(d)).toContain(L(text, 'free'));
    });
});

// ---------------------------------------------------------------------------------------
describe('§6 diagnostics', () => {
    test('xrstors-gp inside an inherited hook names it: lazy_fpu.exec (inherited by linux_rfc)', async () => {
        const text = `
machine { policy linux_rfc }
task rx { handler 0x401000 }
cpu0: switch rx     // #arm
cpu0: exec          // #exec
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xrstors-gp', 'exec')]);
        const d = diag(r, 'xrstors-gp', L(text, 'exec'));
        // the hook and instruction as SEMANTICS.md §6 writes them, the inheritance said at the end
        expect(d.message).toMatch(/^XRSTORS init in lazy_fpu\.exec would #GP: UINV is 0xec.* \(lazy_fpu\.exec is inherited by linux_rfc\)$/);
        expect(relatedLines(d)).toContain(L(text, 'arm'));
    });

    test('senduipi-gp, wrmsr-gp and ud raised inside a hook sit on the action\'s line and name the hook', async () => {
        const text = `
machine { policy p }
policy p { on return_to_user { xrstors cur senduipi 5 wrmsr IA32_UINTR_PD 1 } }
task rx { handler 0x401000 }
task tx { target rx vector 1 }
task plain { }
cpu0: switch tx       // #tx
cpu0: wrmsr IA32_UINTR_MISC 0
cpu0: switch plain    // #plain
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'senduipi-gp', 'tx'), at(text, 'wrmsr-gp', 'tx'), at(text, 'ud', 'plain'), at(text, 'wrmsr-gp', 'plain')]);
        expect(diag(r, 'senduipi-gp', L(text, 'tx')).message).toContain('SENDUIPI 5 in p.return_to_user would #GP');
        expect(diag(r, 'wrmsr-gp', L(text, 'tx')).message).toContain('WRMSR IA32_UINTR_PD 0x1 in p.return_to_user would #GP');
        expect(diag(r, 'ud', L(text, 'plain')).message).toContain('SENDUIPI 5 in p.return_to_user would #UD');
    });

    test('a hook that touches what a task does not have is a run-time semantic error on the action\'s line', async () => {
        const text = `
machine { policy p }
policy p { on return_to_user { set cur.upid.sn = 0 } }
task plain { }
cpu0: switch plain    // #sw
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'semantic', 'sw')]);
        expect(diag(r, 'semantic', L(text, 'sw')).message).toContain('p.return_to_user');
    });

    test('at most one diagnostic per (code, line): independent\'s two faulting XRSTORS at exec merge', async () => {
        const text = `
machine { policy independent }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: exec          // #exec
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xrstors-gp', 'exec')]);
        const d = diag(r, 'xrstors-gp', L(text, 'exec'));
        const all = [d.message, ...d.related.map(x => x.message)].join('\n');
        expect(all).toContain('XRSTORS init in lazy_fpu.exec would #GP');
        expect(all).toContain('(lazy_fpu.exec is inherited by independent)');
        expect(all).toContain('XRSTORS rx in independent.return_to_user');
    });

    test('upid-use-after-free from a hook\'s `set` sits on the action\'s line and names the hook', async () => {
        const text = `
machine { policy linux_rfc }
task rx { handler 0x401000 }
cpu0: free rx.upid    // #free
cpu0: switch rx       // #sw
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'upid-use-after-free', 'sw')]);
        const d = diag(r, 'upid-use-after-free', L(text, 'sw'));
        expect(d.message).toContain('linux_rfc.return_to_user');
        expect(relatedLines(d)).toContain(L(text, 'free'));
    });

    test('upid-use-after-free from a step\'s `set`, and a double free, each related to the free', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: set rx.upid.sn = 1   // #ok
cpu0: free rx.upid         // #free
cpu0: set rx.upid.sn = 0   // #set
cpu0: free rx.upid         // #again
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'upid-use-after-free', 'set'), at(text, 'upid-use-after-free', 'again')]);
        expect(relatedLines(diag(r, 'upid-use-after-free', L(text, 'set')))).toEqual([L(text, 'free')]);
        expect(relatedLines(diag(r, 'upid-use-after-free', L(text, 'again')))).toEqual([L(text, 'free')]);
        // said first (it read "free (a double free) of rx's UPID …")
        expect(diag(r, 'upid-use-after-free', L(text, 'again')).message).toMatch(/^double free: free of rx's UPID at 0x[0-9a-f]+, which was freed$/);
    });

    test('upid-use-after-free from a `take` in tglx\'s return_to_user', async () => {
        const text = `
machine { policy tglx }
task rx { handler 0x401000 }
cpu0: put rx.upid     // #put
cpu0: switch rx       // #sw
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'upid-use-after-free', 'sw')]);
        const d = diag(r, 'upid-use-after-free', L(text, 'sw'));
        expect(relatedLines(d)).toContain(L(text, 'put'));
        expect([d.message, ...d.related.map(x => x.message)].join('\n')).toMatch(/take rx\.upid\.pir|take cur\.upid\.pir/);
    });

    test('notification-lost sits on the SENDUIPI even with ipi deferred; related: the step that last changed UINV', async () => {
        const text = SEED.replace('policy lazy_fpu', 'policy lazy_fpu\n  ipi deferred');
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'never-delivered', 'send'), at(text, 'notification-lost', 'send'), at(text, 'expect-failed', 'expect')]);
        expect(relatedLines(diag(r, 'notification-lost', L(text, 'send')))).toEqual([L(text, 'kworker')]);
    });

    test('notification-lost: not when the receiver is not current on the CPU the IPI reaches', async () => {
        const text = `
machine { cpus 2 policy eager }
task a  { handler 0x401000 }
task b  { handler 0x402000 }
task tx { target a vector 1 }
cpu1: switch tx
cpu0: switch a
cpu0: switch b
cpu1: senduipi 0
expect no lost
expect a.upid.on == 1
expect pending a 1
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('uinv 0: notifications are never recognised; the IPI (vector NV = 0 = UINV) is not lost (§6: V ≠ UINV), never delivered', async () => {
        const text = `
machine { cpus 2 uinv 0 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 5 }
cpu0: switch rx
cpu1: switch tx
cpu1: senduipi 0     // #send
expect no lost
expect pending rx 5
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'never-delivered', 'send')]);
    });

    test('expect no lost fails after a lost notification', async () => {
        const text = `${SEED}expect no lost    // #nolost\n`;
        const r = await run(text);
        expect(r.codes).toContain(at(text, 'expect-failed', 'nolost'));
        expect(relatedLines(diag(r, 'expect-failed', L(text, 'nolost')))).toEqual([L(text, 'send')]);
    });

    test('misdelivered: a stale UPIDADDR delivers rx\'s vector to rx2; on the SENDUIPI, related: the post', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx  { handler 0x401000 }
task rx2 { handler 0x402000 }
task tx  { target rx vector 3 }
cpu0: xrstors rx
cpu0: switch rx
cpu1: xrstors tx
cpu1: switch tx
cpu0: switch rx2
cpu1: senduipi 0    // #s
expect delivered rx2 3
expect not delivered rx 3
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'misdelivered', 's')]);
        const d = diag(r, 'misdelivered', L(text, 's'));
        expect(d.severity).toBe('error');
        expect(relatedLines(d)).toEqual([L(text, 's')]);
    });

    test('misdelivered: a delivery that a later STUI allows sits on the STUI (§8)', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx  { handler 0x401000 }
task rx2 { handler 0x402000 }
task tx  { target rx vector 3 }
cpu0: xrstors rx
cpu0: switch rx
cpu1: xrstors tx
cpu1: switch tx
cpu0: switch rx2
cpu0: clui
cpu1: senduipi 0    // #s
expect cpu0.uirr == 8
cpu0: stui          // #stui
expect delivered rx2 3
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'misdelivered', 'stui')]);
        expect(relatedLines(diag(r, 'misdelivered', L(text, 'stui')))).toEqual([L(text, 's')]);
    });

    test('misdelivered with ipi deferred sits on the SENDUIPI that sent the IPI (§8)', async () => {
        const text = `
machine { cpus 2 policy manual ipi deferred }
task rx  { handler 0x401000 }
task rx2 { handler 0x402000 }
task tx  { target rx vector 3 }
cpu0: xrstors rx
cpu0: switch rx
cpu1: xrstors tx
cpu1: switch tx
cpu0: switch rx2
cpu1: senduipi 0    // #s
cpu0: stui
expect delivered rx2 3   // #e
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'misdelivered', 's')]);
    });

    test('stale-uinv: a switch to a kthread that leaves UINV armed; related: the step that armed it', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
kthread kworker
cpu0: xrstors rx        // #arm
cpu0: switch rx
cpu0: switch kworker    // #kw
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'stale-uinv', 'kw')]);
        const d = diag(r, 'stale-uinv', L(text, 'kw'));
        expect(d.severity).toBe('warning');
        expect(relatedLines(d)).toEqual([L(text, 'arm')]);
    });

    test('stale-uinv on exit and on wait under manual', async () => {
        const exit = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: switch rx
cpu0: exit              // #x
`;
        expect((await run(exit)).codes).toEqual([at(exit, 'stale-uinv', 'x')]);
        const wait = exit.replace('cpu0: exit', 'cpu0: wait');
        expect((await run(wait)).codes).toEqual([at(wait, 'stale-uinv', 'x')]);
    });

    test('stale-uinv: raw instruction steps never raise it, nor a switch to a task', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: wrmsr IA32_UINTR_MISC 0xec << 32
cpu0: wrmsr IA32_UINTR_MISC 0
cpu0: xrstors rx
cpu0: switch rx
expect cpu0.uinv == 0xec
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('stale-uinv: a switch to idle while idle already runs is a kernel-level action and raises it', async () => {
        const text = `
machine { policy manual }
cpu0: wrmsr IA32_UINTR_MISC 0xec << 32   // #arm
cpu0: switch idle                        // #idle
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'stale-uinv', 'idle')]);
        expect(relatedLines(diag(r, 'stale-uinv', L(text, 'idle')))).toEqual([L(text, 'arm')]);
    });

    test('stale-uinv: a kernel-level action that cannot happen changes nothing, so it is only a semantic error', async () => {
        const text = `
machine { cpus 2 policy manual }
task rx { handler 0x401000 }
cpu1: switch rx
cpu0: wrmsr IA32_UINTR_MISC 0xec << 32
cpu0: exit            // #exit
cpu0: switch rx       // #busy
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'semantic', 'exit'), at(text, 'semantic', 'busy')]);
    });

    test('xsaves-clobbers-image: the second kthread round trip under lazy_fpu; related: the first XSAVES', async () => {
        const text = `
machine { policy lazy_fpu }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch rx
cpu0: switch kworker   // #first
cpu0: switch rx
cpu0: switch kworker   // #second
expect rx.xsave.uinv == 0     // #exp
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xsaves-clobbers-image', 'second')]);
        const d = diag(r, 'xsaves-clobbers-image', L(text, 'second'));
        expect(d.message).toContain('XSAVES rx');
        expect(d.message).toContain('lazy_fpu.switch_out');
        expect(relatedLines(d)).toEqual([L(text, 'first')]);
        expect((await run(text, 'linux_rfc')).codes).toEqual([at(text, 'expect-failed', 'exp')]);
    });

    test('xsaves-clobbers-image: an XSAVES of an all-zero live state counts; the declared image does not (§8)', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: xsaves rx          // #decl
cpu0: set rx.xsave.present = 1
cpu0: xrstors rx
cpu0: xsaves rx          // #saved
cpu0: clui
cpu0: xrstors init
cpu0: xsaves rx          // #zero
expect rx.xsave.present == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xsaves-clobbers-image', 'zero')]);
        const d = diag(r, 'xsaves-clobbers-image', L(text, 'zero'));
        expect(relatedLines(d)).toEqual([L(text, 'saved')]);
        // it writes nothing: it marks the image init (it said "writes UINV=0 over")
        expect(d.message).toBe("XSAVES rx finds the live state all zero and marks rx's image init (XSTATE_BV[14] = 0), discarding its saved UINV 0xec, which was never restored");
    });

    test.each(['lazy_fpu', 'linux_rfc'])('xsaves-clobbers-image: also at the final XSAVES of an exiting task (§6 to the letter; §8: user(X) holds for a dead task) under %s', async policy => {
        // the kthread round trip skips XRSTORS (valid(rx)), so the image saved on the way to the
        // kthread is never loaded; exit's final schedule saves rx over it with UINV 0 (under
        // linux_rfc the exit hook has zeroed the MSRs, but UIF = 1 keeps the state from init)
        const text = `
machine { policy ${policy} }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch rx
cpu0: switch kworker   // #saved
cpu0: switch rx
cpu0: exit             // #final
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'xsaves-clobbers-image', 'final')]);
        expect(relatedLines(diag(r, 'xsaves-clobbers-image', L(text, 'final')))).toEqual([L(text, 'saved')]);
    });

    test('never-delivered sits on the step that last posted the vector', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu0: switch rx
cpu1: switch tx
cpu0: set rx.upid.sn = 1
cpu1: senduipi 0     // #one
cpu1: senduipi 0     // #two
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'never-delivered', 'two')]);
        expect(diag(r, 'never-delivered', L(text, 'two')).severity).toBe('warning');
    });

    test('never-delivered: a `set` of the PIR counts as posting', async () => {
        const text = `
machine { policy linux_rfc }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: set rx.upid.pir = 0x10   // #set
`;
        expect((await run(text)).codes).toEqual([at(text, 'never-delivered', 'set')]);
    });

    test('never-delivered: the last `set` that writes the vector into the PIR is the step that last posted it', async () => {
        const text = `
machine { policy linux_rfc }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: set rx.upid.pir = 8      // #first
cpu0: set rx.upid.pir |= 8     // #last
`;
        expect((await run(text)).codes).toEqual([at(text, 'never-delivered', 'last')]);
    });

    test('never-delivered: not with UIF = 0, not when the receiver is not in user mode', async () => {
        const clui = `
machine { policy linux_rfc }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch rx
cpu0: clui
cpu0: set rx.upid.pir = 0x10
`;
        expect((await run(clui)).codes).toEqual([]);
        const away = `
machine { policy linux_rfc }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch rx
cpu0: switch kworker
cpu0: set rx.upid.pir = 0x10
`;
        expect((await run(away)).codes).toEqual([]);
    });

    test('expect-failed says what was found instead', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
expect cpu0.uinv == 0xec     // #e
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'expect-failed', 'e')]);
        const d = diag(r, 'expect-failed', L(text, 'e'));
        expect(d.severity).toBe('error');
        expect(d.message).toContain('cpu0.uinv');
        expect(d.message).toContain('0x0');
    });

    test('output order: by line, then column, then code', async () => {
        const r = await run(SEED);
        const lines = r.diagnostics.map(d => d.loc.line);
        expect([...lines].sort((a, b) => a - b)).toEqual(lines);
        expect(r.codes.slice(0, 2)).toEqual([at(SEED, 'never-delivered', 'send'), at(SEED, 'notification-lost', 'send')]);
    });
});

// ---------------------------------------------------------------------------------------
describe('§8 smaller decisions', () => {
    describe('an interrupt storm (decisions #45)', () => {
        const STORM = (deferred: boolean) => `
machine { cpus 2 policy storm${deferred ? ' ipi deferred' : ''} }
policy storm extends linux_rfc {
  on wake { interrupt kernel_vector }
}
task rx { handler 0x401000 }
cpu0: switch rx
cpu1: interrupt kernel_vector      // #storm
cpu1: stui
expect cpu0.current == idle        // #fails
`;
        test.each([false, true])('a wake hook that raises the kernel vector again ends after STORM_MAX arrivals, a semantic error on the step; the run goes on (ipi deferred: %s)', async deferred => {
            const text = STORM(deferred);
            const r = await run(text);
            expect(r.codes).toEqual([at(text, 'semantic', 'storm'), at(text, 'expect-failed', 'fails')]);
            expect(diag(r, 'semantic', L(text, 'storm')).message).toMatch(/^interrupt storm: 1,000 interrupts arrived in a row, .* the run drops the rest \(the first dropped: vector 0xeb at cpu1\)$/);
            expect(r.run!.counters.selfIpis).toBe(STORM_MAX);
        });
        test('in a race too, where the kernel action and its self-IPIs are one event: explored to its end', async () => {
            const text = `
machine { cpus 2 policy storm }
policy storm extends linux_rfc {
  on wake { interrupt kernel_vector }
}
task rx { handler 0x401000 }
race {                             // #race
  cpu1: interrupt kernel_vector    // #storm
} with {
  cpu0: switch rx
}
`;
            const r = await run(text);
            expect(r.codes).toEqual([at(text, 'semantic', 'storm')]);
            expect(r.run!.races[0].truncated).toBe(false);
        });
    });

    test('user(X) holds for a dead task at the final switch; receiver and sender do not; kthread(idle) holds', async () => {
        const text = `
machine { policy p }
policy p {
  on switch_out {
    if user(prev) { set rx.xsave.uittsz |= 1 }
    if receiver(prev) { set rx.xsave.uittsz |= 2 }
    if sender(prev) { set rx.xsave.uittsz |= 4 }
    if kthread(next) { set rx.xsave.uittsz |= 8 }
  }
}
task rx { handler 0x401000 }
task both { handler 0x402000 target rx vector 1 }
kthread kworker
cpu0: switch both
cpu0: set rx.xsave.uittsz = 0
cpu0: switch kworker
expect rx.xsave.uittsz == 15
cpu0: switch both
cpu0: set rx.xsave.uittsz = 0
cpu0: exit
expect rx.xsave.uittsz == 9
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test.each(['eager', 'lazy_fpu', 'linux_rfc', 'independent', 'tglx'])('exec of a task with UINV armed faults under %s', async policy => {
        const text = `
machine { policy ${policy} }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: exec       // #exec
`;
        expect((await run(text)).codes).toEqual([at(text, 'xrstors-gp', 'exec')]);
    });

    test('exec of a task with UINV armed does not fault under manual', async () => {
        const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: switch rx
cpu0: exec
expect cpu0.uinv == 0xec
expect cpu0.mode == user
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.xrstors).toBe(1);
    });

    describe('expect gp', () => {
        test('turns the #GP of the nearest step into information', async () => {
            const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: xrstors rx     // #gp
expect gp
`;
            const r = await run(text);
            expect(r.codes).toEqual([]);
            const d = diag(r, 'xrstors-gp', L(text, 'gp'));
            expect(d.severity).toBe('information');
        });

        test('skips expectations in between', async () => {
            const text = `
machine { policy manual }
cpu0: wrmsr IA32_UINTR_PD 1
expect cpu0.upidaddr == 0
expect gp
`;
            expect((await run(text)).codes).toEqual([]);
        });

        test('includes #GPs raised inside the step\'s hooks', async () => {
            const text = `
machine { policy lazy_fpu }
task rx { handler 0x401000 }
cpu0: switch rx
cpu0: exec    // #exec
expect gp
`;
            const r = await run(text);
            expect(r.codes).toEqual([]);
            expect(diag(r, 'xrstors-gp', L(text, 'exec')).severity).toBe('information');
        });

        test('fails when the nearest step raised no #GP; an earlier #GP stays an error', async () => {
            const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: xrstors rx     // #gp
cpu0: clui
expect gp            // #e
`;
            expect((await run(text)).codes).toEqual([at(text, 'xrstors-gp', 'gp'), at(text, 'expect-failed', 'e')]);
        });

        test('two steps on one line: the second\'s #GP is expected, the first\'s unexpected one stays an error (one diagnostic per code and line; it became information)', async () => {
            const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: xrstors rx
cpu0: xrstors rx  cpu0: xrstors rx     // #gp
expect gp
`;
            const r = await run(text);
            expect(r.codes).toEqual([at(text, 'xrstors-gp', 'gp')]);
            const d = diag(r, 'xrstors-gp', L(text, 'gp'));
            expect(d.severity).toBe('error');
            // both steps are its causes: the second at its column among the related locations
            expect(d.loc.column).toBe(1);
            expect(d.related.map(x => [x.loc.line, x.loc.column])).toContainEqual([L(text, 'gp'), 19]);
            // alone on its line, the same step's #GP is expected
            const alone = text.replace('cpu0: xrstors rx  cpu0: xrstors rx', 'cpu0: xrstors rx');
            expect((await run(alone)).codes).toEqual([]);
        });

        test('fails with no step before it', async () => {
            const text = `
machine { policy manual }
expect gp            // #e
`;
            expect((await run(text)).codes).toEqual([at(text, 'expect-failed', 'e')]);
        });

        test('#UD is not a #GP: expect gp after a #UD fails and the ud stays', async () => {
            const text = `
machine { policy manual }
cpu0: senduipi 0     // #ud
expect gp            // #e
`;
            const r = await run(text);
            expect(r.codes).toEqual([at(text, 'ud', 'ud'), at(text, 'expect-failed', 'e')]);
            // the step did fault (#UD): the note says what it did not raise
            expect(diag(r, 'expect-failed', L(text, 'e')).related.map(x => x.message)).toEqual(['this step raised no #GP']);
        });

        test('covers senduipi-gp and wrmsr-gp too', async () => {
            const text = `
machine { policy manual }
task rx { handler 0x401000 }
task tx { target rx vector 1 }
cpu0: xrstors tx
cpu0: senduipi 7
expect gp
cpu0: wrmsr IA32_UINTR_TT 2
expect gp
`;
            expect((await run(text)).codes).toEqual([]);
        });
    });

    test('a failed expectation quotes a long one with its middle left out (a million operators made a message of megabytes)', async () => {
        const ops = Array(2000).fill('1').join(' | ');
        const text = `machine { policy manual }\nexpect ${ops} == 2\nexpect 1 | 1 == 2\n`;
        const r = await run(text);
        const long = diag(r, 'expect-failed', 2).message;
        expect(long.length).toBeLessThan(400);
        expect(long).toMatch(/^expect 1 \| 1 \| .* … .*\| 1 == 2 does not hold: 1 \| 1 \| .* … .*\| 1 is 0x1$/);
        expect(diag(r, 'expect-failed', 3).message).toBe('expect 1 | 1 == 2 does not hold: 1 | 1 is 0x1');
    });

    describe('expect pending', () => {
        test('holds for a vector in X\'s PIR', async () => {
            const text = `
machine { policy manual }
task rx { handler 0x401000 }
expect pending rx 3       // #before
cpu0: set rx.upid.pir = 8
expect pending rx 3
expect pending rx 4       // #other
`;
            expect((await run(text)).codes).toEqual([at(text, 'expect-failed', 'before'), at(text, 'expect-failed', 'other')]);
        });

        test('holds for a vector in the UIRR of the CPU where X is current', async () => {
            const text = `
machine { policy manual }
task rx { handler 0x401000 }
task other { }
cpu0: switch rx
cpu0: wrmsr IA32_UINTR_RR 8
expect pending rx 3
cpu0: switch other
expect pending rx 3       // #out
`;
            expect((await run(text)).codes).toEqual([at(text, 'expect-failed', 'out')]);
        });

        test('holds for a vector in X\'s present image when X runs nowhere, not while X runs', async () => {
            const text = `
machine { policy manual }
task rx { handler 0x401000 }
cpu0: set rx.xsave.uirr = 8
expect pending rx 3
cpu0: set rx.xsave.present = 0
expect pending rx 3       // #absent
cpu0: set rx.xsave.present = 1
cpu0: switch rx
expect pending rx 3       // #running
`;
            expect((await run(text)).codes).toEqual([at(text, 'expect-failed', 'absent'), at(text, 'expect-failed', 'running')]);
        });

        test('a wrong pending expectation fails', async () => {
            const text = `
machine { policy manual }
task rx { handler 0x401000 }
expect pending rx 3       // #p
cpu0: set rx.upid.pir = 8
expect pending rx 3
`;
            expect((await run(text)).codes).toEqual([at(text, 'expect-failed', 'p')]);
        });
    });

    test('the uittaddr path is the raw IA32_UINTR_TT value, enable bit included', async () => {
        const text = `
machine { policy eager }
task rx { handler 0x401000 }
task tx { target rx vector 1 }
cpu0: switch tx
expect cpu0.uittaddr == tx.uitt | 1
expect cpu0.uittaddr & 1 == 1
expect tx.xsave.uittaddr == 0xffff_8880_0020_0001
`;
        expect((await run(text)).codes).toEqual([]);
    });

    test('UPID refcounts: a sender\'s exit keeps its entries\' references', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 3 }
cpu1: switch tx
cpu1: exit
cpu0: put rx.upid
cpu0: set rx.upid.sn = 0    // #alive
cpu0: put rx.upid           // #last
cpu0: set rx.upid.sn = 0    // #uaf
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'upid-use-after-free', 'uaf')]);
        expect(relatedLines(diag(r, 'upid-use-after-free', L(text, 'uaf')))).toEqual([L(text, 'last')]);
    });

    test('UPID refcounts: two UITT entries hold two references', async () => {
        const text = `
machine { cpus 2 policy linux_rfc }
task rx { handler 0x401000 }
task tx { target rx vector 3 target rx vector 4 }
cpu0: switch rx
cpu0: exit
cpu1: put rx.upid
cpu1: set rx.upid.pir = 0
cpu1: put rx.upid     // #last
cpu1: put rx.upid     // #double
`;
        const r = await run(text);
        expect(r.codes).toEqual([at(text, 'upid-use-after-free', 'double')]);
        expect(relatedLines(diag(r, 'upid-use-after-free', L(text, 'double')))).toEqual([L(text, 'last')]);
    });

    test('independent: kthreads run with UINV = 0 (no stale-uinv) because the switch-out XSAVES cleared it', async () => {
        const text = `
machine { policy independent }
task rx { handler 0x401000 }
kthread kworker
cpu0: switch rx
cpu0: switch kworker
expect cpu0.uinv == 0
cpu0: switch idle
expect cpu0.uinv == 0
`;
        const r = await run(text);
        expect(r.codes).toEqual([]);
        expect(r.run!.counters.wrmsr).toBe(0);
    });

    test('the step count counts the cpuN: items written in the file', async () => {
        const r = await run(SEED);
        expect(r.steps).toBe(5);
    });
});
