/**
 * A set of integer vectors of one fixed width: the race explorer's visited states. Open
 * addressing over a hash of the vector, the vectors stored back to back in one Int32Array, so
 * a state costs `width` integers and no string is built or hashed.
 */
export class VectorSet {
    private store: Int32Array;
    /** Slot -> index of the vector in {@link store} + 1, or 0 when the slot is empty. */
    private table: Int32Array;
    private mask: number;
    size = 0;

    constructor(readonly width: number) {
        this.table = new Int32Array(1 << 12);
        this.mask = this.table.length - 1;
        this.store = new Int32Array(Math.max(width, 1) * 1024);
    }

    has(v: Int32Array): boolean {
        return this.table[this.slot(v)] !== 0;
    }

    /** Adds the vector (a copy of it); returns its index, or -1 when it was already there. */
    add(v: Int32Array): number {
        const slot = this.slot(v);
        if (this.table[slot] !== 0) return -1;
        const w = this.width;
        if ((this.size + 1) * w > this.store.length) {
            const grown = new Int32Array(this.store.length * 2);
            grown.set(this.store);
            this.store = grown;
        }
        this.store.set(v, this.size * w);
        this.size++;
        this.table[slot] = this.size;
        if (this.size * 2 > this.table.length) this.rehash();
        return this.size - 1;
    }

    /** The index of the vector, added (a copy of it) if it was not there. */
    intern(v: Int32Array): number {
        const slot = this.slot(v);
        const e = this.table[slot];
        return e !== 0 ? e - 1 : this.add(v);
    }

    /** Integer k of the vector at `index` (see {@link add}). */
    at(index: number, k: number): number {
        return this.store[index * this.width + k];
    }

    /** Copies the first `count` integers of the vector at `index` (see {@link add}) into `out`. */
    copyTo(index: number, out: Int32Array, count: number): void {
        const at = index * this.width;
        const store = this.store;
        for (let k = 0; k < count; k++) out[k] = store[at + k];
    }

    /** The slot that holds `v`, or the empty slot where it would go. */
    private slot(v: Int32Array): number {
        const { store, table, mask, width } = this;
        for (let i = hash(v) & mask; ; i = (i + 1) & mask) {
            const e = table[i];
            if (e === 0) return i;
            const at = (e - 1) * width;
            let same = true;
            for (let k = 0; k < width; k++) {
                if (store[at + k] !== v[k]) {
                    same = false;
                    break;
                }
            }
            if (same) return i;
        }
    }

    private rehash(): void {
        const table = new Int32Array(this.table.length * 2);
        const mask = table.length - 1;
        const w = this.width;
        for (let n = 0; n < this.size; n++) {
            const v = this.store.subarray(n * w, n * w + w);
            let i = hash(v) & mask;
            while (table[i] !== 0) i = (i + 1) & mask;
            table[i] = n + 1;
        }
        this.table = table;
        this.mask = mask;
    }
}

/** FNV-1a over the vector's integers, finished with a murmur-style mix. */
function hash(v: Int32Array): number {
    let h = 0x811c9dc5;
    for (let k = 0; k < v.length; k++) {
        h = Math.imul(h ^ v[k], 0x01000193);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h >>> 0;
}
