/**
 * The change log of a run: (object, field, old value, new value) per change, stored in
 * fixed-size chunks so that appending never copies what is already there.
 */
// 2,048 slots (16 KB): small enough to be allocated young, so filling a chunk with young values
// costs no remembered-set entries (a 16,384-slot chunk went to the large-object space, and the
// log cost 30% more).
const CHUNK_BITS = 11;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

export class ChangeLog {
    private readonly chunks: unknown[][] = [];
    private current: unknown[] = [];
    private fill = CHUNK;
    /** Number of slots (four per change). */
    length = 0;

    /** Appends one change. */
    add(obj: unknown, key: string, old: unknown, value: unknown): void {
        if (this.fill === CHUNK) {
            this.current = new Array(CHUNK);
            this.chunks.push(this.current);
            this.fill = 0;
        }
        const c = this.current;
        const f = this.fill;
        c[f] = obj;
        c[f + 1] = key;
        c[f + 2] = old;
        c[f + 3] = value;
        this.fill = f + 4;
        this.length += 4;
    }

    /** Drops the changes from slot `length` on (a kernel action that could not complete, see Runner.step). */
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
