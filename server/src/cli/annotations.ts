/**
 * Annotated scenarios (LANGUAGE.md §11): `//! code, code` at the end of a line names the
 * errors and warnings that must be reported on that line; information is not counted.
 */
import type { ScenarioDiagnostic } from '../scenario/diagnostics.js';

/**
 * White space as Python's `\s` reads it in accept.py (str.isspace: JavaScript's `\s` less U+FEFF,
 * plus U+001C–U+001F and U+0085), so that a line reads the same in both.
 */
const S = '[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const MARK = new RegExp(`//!${S}*([a-z0-9-]+(?:${S}*,${S}*[a-z0-9-]+)*)${S}*$`);
const AROUND = new RegExp(`^${S}+|${S}+$`, 'g');

export interface Annotation {
    readonly code: string;
    readonly line: number;
}

export interface AnnotationDiff {
    /** Annotated but not reported. */
    readonly missing: Annotation[];
    /** Reported but not annotated. */
    readonly extra: Annotation[];
    /**
     * Lines with a `//!` that is not an annotation (`//! xrstors-gp // why`, `//! a b`, a
     * trailing comma, prose): not counted, as accept.py does not count them (the file agrees
     * when the rest does), but named, since what they meant to expect is unknown.
     */
    readonly unread: number[];
}

export interface Annotations {
    readonly annotations: Annotation[];
    /** Lines with a `//!` that {@link MARK} does not read (see AnnotationDiff.unread). */
    readonly unread: number[];
}

/**
 * The annotations of a file, read line by line as shared/tools/accept.py reads them (the same
 * pattern: one `//!` comment of codes ending the line; a `//!` in a block comment counts too).
 */
export function readAnnotations(text: string): Annotations {
    const annotations: Annotation[] = [];
    const unread: number[] = [];
    // lines end as the parser counts them: CRLF, LF or a lone CR
    const lines = text.split(/\r\n|\r|\n/);
    for (let i = 0; i < lines.length; i++) {
        const m = MARK.exec(lines[i]);
        if (m) for (const code of m[1].split(',')) annotations.push({ code: code.replace(AROUND, ''), line: i + 1 });
        else if (lines[i].includes('//!')) unread.push(i + 1);
    }
    return { annotations, unread };
}

export function compareAnnotations({ annotations: want, unread }: Annotations, got: readonly ScenarioDiagnostic[]): AnnotationDiff {
    const key = (a: Annotation) => `${a.code}@${a.line}`;
    const reported = new Map<string, Annotation>();
    for (const d of got) {
        if (d.severity === 'information') continue;
        const a = { code: d.code, line: d.loc.line };
        reported.set(key(a), a);
    }
    const wanted = new Map(want.map(a => [key(a), a]));
    const byLine = (a: Annotation, b: Annotation) => a.line - b.line || (a.code < b.code ? -1 : 1);
    return {
        missing: [...wanted.values()].filter(a => !reported.has(key(a))).sort(byLine),
        extra: [...reported.values()].filter(a => !wanted.has(key(a))).sort(byLine),
        unread,
    };
}
