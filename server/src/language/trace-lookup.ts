/**
 * Finding, for a node of a document, the trace entry of its item and the machine state
 * there. Shared by hover, inlay hints and code lens; nothing here re-emulates.
 */
import { AstUtils, type AstNode, type LangiumDocument } from 'langium';
import type { Machine } from '../machine/state.js';
import type { TraceCursor } from '../scenario/trace.js';
import * as ast from '../syntax/generated/ast.js';
import type { Emulated, EmulationService } from './emulation.js';

const cursors = new WeakMap<Emulated, TraceCursor>();

export interface ItemState {
    readonly emulated: Emulated;
    /** The trace entry of the item, or -1 when the item was not run. */
    readonly entry: number;
    readonly item: ast.Step | ast.Expect | ast.Race;
    /** The state after the item (read it now; the cursor moves on the next lookup). */
    after(): Machine;
    /** The state before the item. */
    before(): Machine;
}

function cursorOf(e: Emulated): TraceCursor | undefined {
    const run = e.result.run;
    if (!run) return undefined;
    let c = cursors.get(e);
    if (!c) cursors.set(e, c = run.trace.cursor());
    return c;
}

/** The item (step, expectation or race) that contains a node. */
export function itemOf(node: AstNode): ast.Step | ast.Expect | ast.Race | undefined {
    const race = AstUtils.getContainerOfType(node, ast.isRace);
    if (race) return race;
    return AstUtils.getContainerOfType(node, (n): n is ast.Step | ast.Expect => ast.isStep(n) || ast.isExpect(n));
}

export function itemState(emulation: EmulationService, doc: LangiumDocument, item: ast.Step | ast.Expect | ast.Race): ItemState | undefined {
    const emulated = emulation.resultFor(doc);
    const run = emulated?.result.run;
    if (!emulated || !run) return undefined;
    const cause = run.trace.program.causeOf(item);
    const entry = cause === undefined ? -1 : run.trace.entryOf(cause);
    const cursor = cursorOf(emulated)!;
    return {
        emulated, entry, item,
        after: () => cursor.seek(entry < 0 ? run.trace.length - 1 : entry),
        before: () => cursor.seek(entry - 1),
    };
}

/** The initial state of a clean document's machine. */
export function initialState(emulation: EmulationService, doc: LangiumDocument): Machine | undefined {
    const emulated = emulation.resultFor(doc);
    return emulated ? cursorOf(emulated)?.seek(-1) : undefined;
}
