/**
 * The undo log of an exploration (Machine.undo): per write, the object, the field, the old
 * value and the object's old interned key, four slots each. Its array keeps its capacity when
 * the log is rolled back: V8 gives an array's backing store back when its length is set lower
 * (to 0: all of it), so an explorer that cleared a plain array after every event grew it again
 * from nothing for the next one.
 */
export class UndoLog {
    /** The slots; those at {@link length} and beyond are stale. */
    readonly slots: unknown[] = [];
    /** Number of slots in use (four per write). */
    length = 0;

    push(obj: unknown, key: string, old: unknown, kid: number): void {
        const s = this.slots;
        const n = this.length;
        s[n] = obj;
        s[n + 1] = key;
        s[n + 2] = old;
        s[n + 3] = kid;
        this.length = n + 4;
    }
}
