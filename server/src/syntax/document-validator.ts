/**
 * Langium's validator, with its diagnostics in the terms of LANGUAGE.md §8: lexer and parser
 * errors get the code `syntax`, linking errors the code `semantic` (their finer kind,
 * `unknown-name`, goes in `data.kind` for quick fixes), messages are shortened, parser errors
 * are placed as parse-errors.ts says, and a `semantic` error on a line that already has a
 * `syntax` error, or where the parser noticed one it reports on the line before, is dropped (a
 * consequence of it) unless it is in a declaration or item that ended before that one's, as is
 * a static check's error at the token where it noticed that one.
 */
import { Cancellation, DefaultDocumentValidator, DocumentValidator, interruptAndCheck, isOperationCancelled, type AstNode, type LangiumDocument, type ParseResult, type ValidationAcceptor, type ValidationCheck, type ValidationOptions } from 'langium';
import { NODES_PER_CHECK, walkAst } from './ast-walk.js';
import { BOUND_NAMES } from './hooks.js';
import { partStarts } from './cst-offsets.js';
import { placeParserErrors } from './parse-errors.js';
import { countBelow } from './nesting.js';
import type { Diagnostic, Position } from 'vscode-languageserver-types';
import { MISPLACED_EXPECT, MISSING_OPERATOR, TAKEN_WORD } from './uintr-validator.js';
import { WRONG_KIND } from './linking.js';
import { shortenRuns } from './message-text.js';

export class UintrDocumentValidator extends DefaultDocumentValidator {
    override async validateDocument(document: LangiumDocument, options: ValidationOptions = {}, cancelToken = Cancellation.CancellationToken.None): Promise<Diagnostic[]> {
        const ds = await this.validateAll(document, options, cancelToken);
        const td = document.textDocument;
        const starts = partStarts(document.parseResult.value).offsets;
        // whether a declaration or an item starts after `a` and at or before `b`
        const partBetween = (a: Position, b: Position) => countBelow(starts, td.offsetAt(b) + 1) > countBelow(starts, td.offsetAt(a) + 1);
        return normalizeDiagnostics(ds, td.getText(), partBetween);
    }

    /** Langium's, with the errors placed as parse-errors.ts says (no cascades; a short line's error on that line). */
    protected override processParsingErrors(parseResult: ParseResult, diagnostics: Diagnostic[], options: ValidationOptions): void {
        const value = parseResult.value as AstNode & { decls?: AstNode[]; items?: AstNode[] };
        const placed = placeParserErrors(parseResult.parserErrors, value.$cstNode?.root.fullText ?? '', partStarts(value).offsets);
        const from = diagnostics.length;
        super.processParsingErrors({ ...parseResult, parserErrors: placed.map(p => p.error) }, diagnostics, options);
        if (diagnostics.length - from !== placed.length) return;
        placed.forEach((p, i) => {
            if (p.note === undefined && p.noticedAt === undefined && p.stops === undefined) return;
            const d = diagnostics[from + i];
            const noticedAt = p.noticedAt && { line: (p.noticedAt.startLine ?? 1) - 1, character: (p.noticedAt.startColumn ?? 1) - 1 };
            d.data = { ...(d.data as object), note: p.note, replaces: p.replaces === true, noticedAt, endsBlock: p.endsBlock === true, stops: p.stops === true };
        });
    }

    /**
     * Langium's, walking the AST with ast-walk.ts rather than Langium's streams (the walk cost
     * more than the checks: see there), and asking the registry for a type's checks once per
     * document rather than once per node. The same nodes get the same checks in the same order.
     */
    protected override async validateAstNodes(rootNode: AstNode, options: ValidationOptions, acceptor: ValidationAcceptor, cancelToken = Cancellation.CancellationToken.None): Promise<void> {
        if (this.profiler?.isActive('validating')) return super.validateAstNodes(rootNode, options, acceptor, cancelToken);
        const nodes: AstNode[] = [];
        walkAst(rootNode, node => {
            const nodeOptions = this.validateSingleNodeOptions(node, options);
            if (nodeOptions.validateNode) nodes.push(node);
            return nodeOptions.validateChildren;
        });
        const checksOf = new Map<string, ValidationCheck[]>();
        for (let i = 0; i < nodes.length; i++) {
            if (i % NODES_PER_CHECK === 0) await interruptAndCheck(cancelToken);
            const node = nodes[i];
            let checks = checksOf.get(node.$type);
            if (!checks) checksOf.set(node.$type, (checks = this.validationRegistry.getChecks(node.$type, options.categories).toArray()));
            for (const check of checks) await check(node, acceptor, cancelToken);
        }
    }

    /**
     * Langium's validateDocument, but the checks' diagnostics are added one by one: Langium
     * spread them into one call (`push(...)`), which overflowed the stack past about 60,000,
     * and the overflow, caught as a failed validation, dropped them all: a file with 70,000
     * errors came out clean.
     */
    private async validateAll(document: LangiumDocument, options: ValidationOptions, cancelToken: Cancellation.CancellationToken): Promise<Diagnostic[]> {
        const parseResult = document.parseResult;
        const diagnostics: Diagnostic[] = [];
        await interruptAndCheck(cancelToken);
        if (!options.categories || options.categories.includes('built-in')) {
            const stopsAt = (flag: boolean | undefined, code: string) => flag === true && diagnostics.some(d => (d.data as { code?: string } | undefined)?.code === code);
            this.processLexingErrors(parseResult, diagnostics, options);
            if (stopsAt(options.stopAfterLexingErrors, DocumentValidator.LexingError)) return diagnostics;
            this.processParsingErrors(parseResult, diagnostics, options);
            if (stopsAt(options.stopAfterParsingErrors, DocumentValidator.ParsingError)) return diagnostics;
            this.processLinkingErrors(document, diagnostics, options);
            if (stopsAt(options.stopAfterLinkingErrors, DocumentValidator.LinkingError)) return diagnostics;
        }
        try {
            for (const d of await this.validateAst(parseResult.value, options, cancelToken)) diagnostics.push(d);
        } catch (err) {
            if (isOperationCancelled(err)) throw err;
            console.error('An error occurred during validation:', err);
        }
        await interruptAndCheck(cancelToken);
        return diagnostics;
    }
}

/**
 * `text`, when given, is the document's: a lexer error is then described by what it stopped at.
 * `partBetween`, when given, says whether a declaration or an item starts after one position and
 * at or before another (see the syntax errors' lines below).
 */
export function normalizeDiagnostics(ds: Diagnostic[], text?: string, partBetween?: (a: Position, b: Position) => boolean): Diagnostic[] {
    // a condition's operand without its operator: the parser's error at the token after it
    // ("expected '{'") only follows from it
    const missing = ds.flatMap(d => ((d.data as { kind?: string } | undefined)?.kind === MISSING_OPERATOR ? [(d.data as { next: Position }).next] : []));
    const out = ds.filter(d => !((d.data as { code?: string } | undefined)?.code === 'parsing-error'
        && missing.some(p => p.line === d.range.start.line && p.character === d.range.start.character))).map(d => normalize(d, text));
    // where each line's first syntax error starts: a name check's error on that line follows from
    // what the parser's recovery made of the text, but in a declaration or item that ended before
    // the one the syntax error is in (`cpu5: stui  cpu1: 0xecfoo`: the parser had read it whole)
    const syntaxFrom = new Map<number, Position>();
    const syntaxAt = (p: Position) => {
        const c = syntaxFrom.get(p.line);
        if (c === undefined || p.character < c.character) syntaxFrom.set(p.line, p);
    };
    for (const d of out) if (d.code === 'syntax' && d.severity === 1) syntaxAt(d.range.start);
    // where the parser noticed an error it reports on a line before (parse-errors.ts): what the
    // checks find from there on follows from its recovery too (a name check on that line, a
    // static check at that token)
    const noticed = ds.flatMap(d => (d.data as { noticedAt?: Position } | undefined)?.noticedAt ?? []);
    for (const p of noticed) syntaxAt(p);
    const afterSyntax = (d: Diagnostic) => {
        const at = d.code === 'semantic' ? syntaxFrom.get(d.range.start.line) : undefined;
        return at !== undefined && (d.range.start.character >= at.character || !partBetween?.(d.range.start, at));
    };
    const fromParser = (d: Diagnostic) => ['parsing-error', 'lexing-error'].includes((d.data as { code?: string } | undefined)?.code ?? '');
    const atNoticed = (d: Diagnostic) => !fromParser(d) && noticed.some(p => p.line === d.range.start.line && p.character === d.range.start.character);
    // a name a check found taken from the start of the next line (uintr-validator.ts, reportTaken):
    // what the parser met from it on, up to the start of the next part it found (there, that the
    // part before was not closed) or the end, follows from it
    // (ranges by their start, ascending; a later one ends no earlier: the last that starts at or
    // before a diagnostic is the one to look at, found by a binary search)
    const key = (p: Position) => p.line * 2 ** 24 + p.character;
    const taken = ds.flatMap(d => {
        const data = d.data as { kind?: string; takenAt?: Position; until?: Position } | undefined;
        return data?.kind === TAKEN_WORD && data.takenAt ? [{ from: key(data.takenAt), until: data.until ? key(data.until) : Infinity }] : [];
    }).sort((a, b) => a.from - b.from);
    const froms = taken.map(t => t.from);
    const afterTaken = (d: Diagnostic) => {
        // where the parser stopped reading is said whatever came before it (parse-errors.ts)
        if (taken.length === 0 || !fromParser(d) || (d.data as { stops?: boolean } | undefined)?.stops === true) return false;
        const at = key(d.range.start);
        const i = countBelow(froms, at + 1) - 1;
        return i >= 0 && at <= taken[i].until;
    };
    // a branch never closed, whose indentation ends before an expectation the parser read in it
    // (parse-errors.ts, neverClosed): the expectation is not in the branch but after the race
    const blockEnd = ds.find(d => (d.data as { endsBlock?: boolean } | undefined)?.endsBlock === true)?.range.start;
    const notInBranch = (d: Diagnostic) => blockEnd !== undefined && (d.data as { kind?: string } | undefined)?.kind === MISPLACED_EXPECT
        && key(d.range.start) > key(blockEnd);
    // a malformed number (the lexer's error, on its first character): the parser's error at a
    // piece of it (`0xecfoo` lexed as 0 and xecfoo: "expected a number but found 'xecfoo'") follows from it
    const malformed = out.flatMap(d => {
        const word = /^malformed number '([^']*)'/.exec(messageText(d.message));
        return word ? [{ line: d.range.start.line, from: d.range.start.character, to: d.range.start.character + word[1].length }] : [];
    });
    const inMalformed = (d: Diagnostic) => (d.data as { code?: string } | undefined)?.code === 'parsing-error'
        && malformed.some(m => m.line === d.range.start.line && d.range.start.character > m.from && d.range.start.character < m.to);
    return out.filter(d => !afterSyntax(d) && !atNoticed(d) && !afterTaken(d) && !notInBranch(d) && !inMalformed(d));
}

/** A diagnostic's message as text (LSP allows Markdown content too). */
export function messageText(m: Diagnostic['message']): string {
    return typeof m === 'string' ? m : m.value;
}

function normalize(d: Diagnostic, text: string | undefined): Diagnostic {
    const data = d.data as { code?: string; kind?: string } | undefined;
    const raw = messageText(d.message);
    const said = (data?.code === 'lexing-error' && text !== undefined ? lexingMessage(raw, text) : undefined) ?? friendlyMessage(raw);
    // a parser error moved to the end of a short line (parse-errors.ts) says so
    const note = (d.data as { note?: string; replaces?: boolean } | undefined);
    const message = shortenRuns(note?.note === undefined ? said : note.replaces ? note.note : said + note.note);
    if (d.code === 'syntax' || d.code === 'semantic') return { ...d, message };
    if (data?.code === 'lexing-error' || data?.code === 'parsing-error') return { ...d, code: 'syntax', message };
    // (a name declared as another kind: no fix declares it again)
    if (data?.code === 'linking-error') return { ...d, code: 'semantic', message, data: { ...data, kind: WRONG_KIND.test(message) ? 'wrong-kind' : 'unknown-name' } };
    return message === raw ? d : { ...d, message };
}

/** Characters that show nothing: format characters, unassigned and private-use code points, lone surrogates. */
const INVISIBLE = /^[\p{Cf}\p{Cn}\p{Co}\p{Cs}]$/u;

/**
 * A lexer error ("unexpected character: ->0<- at offset: 15, …") said in the terms of
 * LANGUAGE.md §2, from the text at that offset: a malformed number (one that runs into a name,
 * or with a misplaced `_`), a comment or string left open, or the character itself.
 */
function lexingMessage(raw: string, text: string): string | undefined {
    const at = /at offset: (\d+)/.exec(raw);
    if (!at) return undefined;
    const offset = Number(at[1]);
    const rest = text.slice(offset, offset + 200);
    const word = /^[0-9][A-Za-z0-9_]*/.exec(rest);
    if (word) {
        return `malformed number '${word[0]}': a number is decimal or 0x hexadecimal, '_' may stand only between two digits, and it must not run into a name`;
    }
    if (rest.startsWith('/*')) return 'a /* comment is never closed';
    if (rest.startsWith('"')) {
        // closed on its line but for an escape the language lacks (LANGUAGE.md §2: only \" and \\)
        const line = /^"(?:\\.|[^"\\\r\n])*"/.exec(text.slice(offset, offset + 10_000));
        const bad = line ? /\\([^"\\])/.exec(line[0].replace(/\\["\\]/g, '')) : null;
        if (bad) return `unknown escape '\\${bad[1]}' in a string: the only escapes are \\" and \\\\`;
        return 'a string is not closed on its line';
    }
    const code = rest.codePointAt(0) ?? 0x3f;
    // a control or invisible character (a zero-width space, a direction mark) is named by its
    // code point, not written raw into the message, where it would not be seen
    const name = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return `unexpected character ${name}`;
    if (INVISIBLE.test(String.fromCodePoint(code))) return `unexpected character ${name} (invisible)`;
    return `unexpected character '${String.fromCodePoint(code)}'`;
}

/** How a reference's target type reads in a message. */
const TYPE_WORDS: Record<string, string> = {
    NamedElement: 'task, kthread or foreach variable in scope',
    Runnable: 'task or kthread',
};

/** Chevrotain's and Langium's wording, made shorter where it says the same thing. */
export function friendlyMessage(m: string): string {
    const unresolved = /^Could not resolve reference to (\w+) named '([^']*)'\.?$/.exec(m);
    if (unresolved) {
        const kind = TYPE_WORDS[unresolved[1]] ?? unresolved[1].toLowerCase();
        return `unknown name '${unresolved[2]}' (no ${kind} of that name is declared)`;
    }
    const eof = /^Expecting (?:end of file|token of type 'EOF') but found `([^`]*)`\.?$/.exec(m);
    // a CPU written with a leading zero is a name (LANGUAGE §2: cpu0, cpu1, …), so `cpu01:` starts no step
    if (eof && /^cpu0\d+$/.test(eof[1])) return `'${eof[1]}' is not a CPU name: CPUs are cpu0, cpu1, … with no leading zero, so no step starts here`;
    if (eof) return `unexpected '${eof[1]}' where the file should end (the parts of a file come in a fixed order: scenario, machine, declarations, then steps, expectations and races)`;
    const expecting = /^Expecting token of type '([^']+)' but found `([^`]*)`\.?$/.exec(m);
    if (expecting) {
        const [, want, found] = expecting;
        if (want === 'ID' && /^[a-z_]+$/.test(found)) return `'${found}' is a reserved word and cannot be used as a name here`;
        return `expected ${quotedToken(want)} but found ${foundText(found)}`;
    }
    const iteration = /^Expecting: expecting at least one iteration which starts with one of these possible Token sequences:+([\s\S]*?)but found: '([^']*)'/.exec(m);
    if (iteration) return alternativesMessage(iteration[1].replace(/<\[/g, '[').replace(/\]>/g, ']'), iteration[2]);
    const sequences = /^Expecting: one of these possible Token sequences:([\s\S]*?)but found: '([^']*)'/.exec(m);
    if (sequences) return alternativesMessage(sequences[1], sequences[2]);
    const single = /^Expecting (?:token of type )?'?([^'\s]+)'? but found '([^']*)'/.exec(m);
    if (single) return `expected '${single[1]}' but found ${foundText(single[2])}`;
    return m.split('\n')[0];
}

/** How a token of the grammar reads in a message. */
function tokenWord(t: string): string {
    return t === 'ID' ? 'a name' : t === 'NUMBER' ? 'a number' : t === 'CPU' ? 'cpuN' : t === 'STRING' ? 'a string' : t === 'EOF' ? 'end of file' : t;
}

/** What the parser found, in a message: the text quoted, or the end of the file (Chevrotain says '' or <EOF>). */
function foundText(found: string): string {
    return found === '' || found === '<EOF>' ? 'end of file' : `'${found}'`;
}

/** One token in a message on its own: a keyword quoted, a terminal as a word. */
function quotedToken(t: string): string {
    const word = tokenWord(t);
    return word === t ? `'${t}'` : word;
}

/**
 * The parser's "one of these token sequences" said shortly: the tokens that could come where
 * `found` stands, once each; or, when `found` starts some of the sequences (the parser looked
 * further ahead: `if user cur`), what may follow it.
 */
function alternativesMessage(list: string, found: string): string {
    const options = [...list.matchAll(/\[([^\]]+)\]/g)].map(x => x[1].replace(/'/g, '').split(', '));
    const shown = (tokens: string[]) => {
        const unique = [...new Set(tokens)].map(tokenWord);
        return (unique.length > 12 ? [...unique.slice(0, 12), '…'] : unique).join(', ');
    };
    const where = foundText(found);
    const after = options.filter(o => o[0] === found && o.length > 1).map(o => o[1]);
    if (after.length > 0) return `after ${where} expected ${shown(after)}`;
    let first = new Set(options.map(o => o[0]));
    // where a task stands (switch, delivered/pending, an object), the grammar takes prev, next, cur
    // and cpu only to report them (LANGUAGE §8): not offered where they never fit — cpu never, the
    // others only for an object (an ObjRef, the list that has idle after them), which hooks bind
    if (first.has('ID') && first.size <= 6 && [...BOUND_NAMES].every(w => first.has(w))) {
        const objRef = first.has('idle') && options[0][0] !== 'idle';
        first = new Set([...first].filter(t => t !== 'cpu' && (objRef || !BOUND_NAMES.has(t))));
    }
    // any word may stand there (a hook's name, a path's segment): the reserved words are no news
    if (first.has('ID') && first.size > 30) return `unexpected ${where}: expected a name`;
    if (first.size === 1) {
        const [only] = first;
        return `unexpected ${where}: expected ${quotedToken(only)}`;
    }
    return `unexpected ${where}: expected ${shown([...first])}`;
}

/**
 * Static errors (`syntax`, `semantic`) merged per (code, line) (LANGUAGE.md §8): the first on a
 * line stays, the others join its related information (a lexer error and the parser errors
 * it leads to, say); every other diagnostic as it is. The editor's and the CLI's.
 */
export function onePerLine(ds: readonly Diagnostic[], uri: string): Diagnostic[] {
    const isStatic = (d: Diagnostic) => d.severity === 1 && (d.code === 'syntax' || d.code === 'semantic');
    const statics = ds.filter(isStatic).sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
    const first = new Map<string, Diagnostic>();
    const kept: Diagnostic[] = [];
    for (const d of statics) {
        const key = `${d.code}@${d.range.start.line}`;
        const head = first.get(key);
        if (!head) {
            const copy = { ...d, relatedInformation: [...(d.relatedInformation ?? [])] };
            first.set(key, copy);
            kept.push(copy);
        } else {
            head.relatedInformation!.push({ location: { uri, range: d.range }, message: messageText(d.message) });
        }
    }
    return [...kept, ...ds.filter(d => !isStatic(d))];
}
