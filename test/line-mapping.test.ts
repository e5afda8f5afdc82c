/**
 * Where a line of the text the emulator last ran is in the text as it is now
 * (server/src/language/emulation.ts, lineMapping): stale diagnostics move with their lines.
 */
import { expect, test } from 'vitest';
import { lineMapping } from '../server/src/language/emulation.js';

const map = (before: string[], after: string[]) => {
    const f = lineMapping(before.join('\n'), after.join('\n'));
    return before.map((_, i) => f(i));
};

test('lines before an edit keep their number, lines after it move by the lines added or removed, lines in it stay', () => {
    expect(map(['a', 'b', 'c'], ['a', 'b', 'c'])).toEqual([0, 1, 2]);
    expect(map(['a', 'b', 'c'], ['x', 'y', 'a', 'b', 'c'])).toEqual([2, 3, 4]); // typed above
    expect(map(['a', 'b', 'c', 'd'], ['a', 'd'])).toEqual([0, 1, 2, 1]); // b and c deleted: they stay (clamped later)
    expect(map(['a', 'b', 'c'], ['a', 'B', 'c'])).toEqual([0, 1, 2]); // edited in place
    expect(map(['a', 'b', 'c'], ['a', 'b', 'c', 'd'])).toEqual([0, 1, 2]); // typed below
    expect(lineMapping('a\r\nb\r\nc', 'x\na\nb\nc')(2)).toBe(3); // any line ends
});
