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

    /** Whether the set holds the vector; `h` is its hash (see {@link add}). */
    has(v: Int32Array, h = hash(v)): boolean {
        return this.table[2 * this.slot(v, h)] !== 0;
    }

    /** The index of the vector, or -1 when the set does not hold it; `h` is its hash (see {@link add}). */
    find(v: Int32Array, h = hash(v)): number {
        return this.table[2 * this.slot(v, h)] - 1;
    }

    /**
     * Adds the vector (a copy of it); returns its index, or -1 when it was already there. `h` is
     * its hash: {@link hash} by default; a caller that gives its own (e.g. {@link SlotSum}'s,
     * kept up to date as slots change) must give that one for every vector of this set.
     */
    add(v: Int32Array, h = hash(v)): number {
        const index = this.addOrFind(v, h);
        return index >= 0 ? index : -1;
    }

    /** {@link add}, but a vector already there gives `-2 - index` (its index, told apart from a new one). */
    addOrFind(v: Int32Array, h = hash(v)): number {
        const slot = this.slot(v, h);
        const e = this.table[2 * slot];
        if (e !== 0) return -1 - e;
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

/**
 * A hash that is a sum over the slots, so that it can be updated slot by slot: `sum` is
 * Σ {@link slotHash}(k, v[k]) (mod 2^32) and {@link SlotSum.hash} finishes it. A vector that
 * differs from a known one in a few slots gets its hash from the known sum in a few steps.
 */
export const SlotSum = {
    /** The sum over all slots of v. */
    of(v: Int32Array, from = 0, to = v.length): number {
        let sum = 0;
        for (let k = from; k < to; k++) sum = (sum + slotHash(k, v[k])) | 0;
        return sum;
    },
    /** The hash that a sum gives (what VectorSet.add is given). */
    hash(sum: number): number {
        let h = sum;
        h ^= h >>> 15;
        h = Math.imul(h, 0x2c1b3c6d);
        h ^= h >>> 12;
        return h | 0;
    },
};

/** Slot k holding x, mixed (murmur3's finaliser over x and k): a term of {@link SlotSum}. */
export function slotHash(k: number, x: number): number {
    let h = (x + Math.imul(k + 1, 0x9e3779b9)) | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h;
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
