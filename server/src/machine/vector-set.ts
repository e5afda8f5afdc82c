/**
 * A set of integer vectors of one fixed width: the race explorer's visited states. Open
 * addressing over a hash of the vector, the vectors stored back to back in one Int32Array, so
 * a state costs `width` integers and no string is built or hashed. Each slot keeps the
 * vector's hash beside its index, in the same cache line, so a probe reads a stored vector
 * only when the hashes agree (the vectors are far apart in memory: each read is a cache miss).
 */
export class VectorSet {
    private store: Int32Array;
    /** Slot s: [2s] index of the vector in {@link store} + 1, or 0 when empty; [2s + 1] its hash. */
    private table: Int32Array;
    /** Slots - 1 (a power of two). */
    private mask: number;
    size = 0;

    constructor(readonly width: number) {
        this.table = new Int32Array(2 << 12);
        this.mask = (1 << 12) - 1;
        this.store = new Int32Array(Math.max(width, 1) * 1024);
    }

    has(v: Int32Array): boolean {
        return this.table[2 * this.slot(v, hash(v))] !== 0;
    }

    /** Adds the vector (a copy of it); returns its index, or -1 when it was already there. */
    add(v: Int32Array): number {
        const h = hash(v);
        const slot = this.slot(v, h);
        if (this.table[2 * slot] !== 0) return -1;
        const w = this.width;
        if ((this.size + 1) * w > this.store.length) {
            const grown = new Int32Array(this.store.length * 2);
            grown.set(this.store);
            this.store = grown;
        }
        this.store.set(v, this.size * w);
        this.size++;
        this.table[2 * slot] = this.size;
        this.table[2 * slot + 1] = h;
        if (this.size * 2 > this.mask + 1) this.rehash();
        return this.size - 1;
    }

    /** The index of the vector, added (a copy of it) if it was not there. */
    intern(v: Int32Array): number {
        const e = this.table[2 * this.slot(v, hash(v))];
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

    /** The slot that holds `v` (whose hash is `h`), or the empty slot where it would go. */
    private slot(v: Int32Array, h: number): number {
        const { store, table, mask, width } = this;
        for (let i = h & mask; ; i = (i + 1) & mask) {
            const e = table[2 * i];
            if (e === 0) return i;
            if (table[2 * i + 1] !== h) continue;
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
        const slots = (this.mask + 1) * 2;
        const table = new Int32Array(2 * slots);
        const mask = slots - 1;
        const old = this.table;
        for (let s = 0; s < old.length; s += 2) {
            if (old[s] === 0) continue;
            const h = old[s + 1];
            let i = h & mask;
            while (table[2 * i] !== 0) i = (i + 1) & mask;
            table[2 * i] = old[s];
            table[2 * i + 1] = h;
        }
        this.table = table;
        this.mask = mask;
    }
}

/** FNV-1a over the vector's integers, finished with a murmur-style mix (a 32-bit integer). */
function hash(v: Int32Array): number {
    let h = 0x811c9dc5;
    for (let k = 0; k < v.length; k++) {
        h = Math.imul(h ^ v[k], 0x01000193);
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h | 0;
}
