/**
 * Append-only logs of fixed-size records, stored in fixed-size chunks so that appending never
 * copies what is already there: the change log of a run ({@link ChangeLog}: object, field, old
 * value, new value per change) and the hook log of a trace ({@link PairLog}: hook, statement).
 */
// 2,048 slots (16 KB): small enough to be allocated young, so filling a chunk with young values
// costs no remembered-set entries (a 16,384-slot chunk went to the large-object space, and the
// log cost 30% more).
const CHUNK_BITS = 11;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

/** The slots of a log; a record's slots never straddle two chunks (records of 2 or 4 slots). */
class SlotLog {
    private readonly chunks: unknown[][] = [];
    protected current: unknown[] = [];
    protected fill = CHUNK;
    /** Number of slots. */
    length = 0;

    /** A new chunk, when the current one is full. */
    protected next(): void {
        this.current = new Array(CHUNK);
        this.chunks.push(this.current);
        this.fill = 0;
    }

    /** Drops the records from slot `length` on (a kernel action that could not complete, see Runner.step). */
    truncate(length: number): void {
        if (length >= this.length) return;
        const keep = length === 0 ? 0 : ((length - 1) >>> CHUNK_BITS) + 1;
        this.chunks.length = keep;
        this.current = keep === 0 ? [] : this.chunks[keep - 1];
        this.fill = keep === 0 ? CHUNK : length - ((keep - 1) << CHUNK_BITS);
        this.length = length;
    }

    /** The slot at index i (0 <= i < length). */
    at(i: number): unknown {
        return this.chunks[i >>> CHUNK_BITS][i & MASK];
    }
}

export class ChangeLog extends SlotLog {
    /** Appends one change (four slots). */
    add(obj: unknown, key: string, old: unknown, value: unknown): void {
        if (this.fill === CHUNK) this.next();
        const c = this.current;
        const f = this.fill;
        c[f] = obj;
        c[f + 1] = key;
        c[f + 2] = old;
        c[f + 3] = value;
        this.fill = f + 4;
        this.length += 4;
    }
}

/**
 * What the hooks of a traced run executed: (hook's `where`, statement node) per statement,
 * two slots each (an array that grew by copying cost a 10k-step run a sixth of its allocation).
 */
export class PairLog extends SlotLog {
    add(where: string, node: unknown): void {
        if (this.fill === CHUNK) this.next();
        const c = this.current;
        const f = this.fill;
        c[f] = where;
        c[f + 1] = node;
        this.fill = f + 2;
        this.length += 2;
    }
}
