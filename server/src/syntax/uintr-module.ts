/**
 * Wiring of the Langium core services for .uintr: parser, linker, scoping and static checks.
 * No LSP here: the CLI uses this module directly, the language server adds its features on top.
 */
import {
    inject, type LangiumCoreServices, type LangiumSharedCoreServices, type Module,
    type PartialLangiumCoreServices, createDefaultCoreModule, createDefaultSharedCoreModule,
    type DefaultSharedCoreModuleContext,
} from 'langium';
import { CstNodeBuilder, createLangiumParser, type CompositeCstNode, type CstNode, type LangiumParser } from 'langium';
import type { IRecognitionException } from 'chevrotain';
import { bracketTrouble, deepest, MAX_UNMATCHED } from './nesting.js';
import { MAX_RECOVERED_ERRORS } from './parse-errors.js';
import { tooLarge } from './limits.js';
import { UintrGeneratedModule, UintrGeneratedSharedModule, UintrLanguageMetaData } from './generated/module.js';
import { UintrDocumentValidator } from './document-validator.js';
import { UintrScopeComputation } from './scope-computation.js';
import { UintrScopeProvider } from './scope-provider.js';
import { UintrLinker, UintrReferenceDescriptionProvider } from './linking.js';
import { UintrLexer, UintrTokenBuilder } from './lexer-patterns.js';
import { UintrValidator, registerValidationChecks } from './uintr-validator.js';

/**
 * Langium 4.4 calls `addHiddenNodes` before every token, with the comments that precede it.
 * With none, it still walks up the tree and searches the parent's children (`indexOf` over all
 * items of the file) to insert nothing: quadratic in the number of items. Skipping the empty
 * case changes no result and makes parsing linear (100k steps: about 2x faster).
 */
const addHiddenNodes = CstNodeBuilder.prototype.addHiddenNodes;
CstNodeBuilder.prototype.addHiddenNodes = function (this: CstNodeBuilder, tokens: Parameters<typeof addHiddenNodes>[0]) {
    if (tokens.length > 0) addHiddenNodes.call(this, tokens);
};

/** Langium's CST nodes as the builder changes them (its public types are read-only). */
type Built = { container?: CompositeCstNode; content: CstNode[] };

/**
 * Langium 4.4 adds a node's children with `push(...children)` and `splice(index, 0, ...children)`:
 * one argument per child, so a run of comments longer than the stack takes arguments (about
 * 120,000 here, all the hidden tokens before one token) threw a RangeError that the parser's
 * guard took for deep nesting. The same, without spreading into a call.
 */
CstNodeBuilder.prototype.appendChildren = function (this: CstNodeBuilder, parent: CompositeCstNode, children: CstNode[]): void {
    for (const child of children) (child as unknown as Built).container = parent;
    const content = (parent as unknown as Built).content;
    for (const child of children) content.push(child);
};
CstNodeBuilder.prototype.insertChildren = function (this: CstNodeBuilder, parent: CompositeCstNode, index: number, children: CstNode[]): void {
    for (const child of children) (child as unknown as Built).container = parent;
    const content = (parent as unknown as Built).content, n = children.length, old = content.length;
    content.length = old + n;
    for (let i = old - 1; i >= index; i--) content[i + n] = content[i];
    for (let i = 0; i < n; i++) content[index + i] = children[i];
};

/** Nesting from which an error the parser throws is taken for the fallout of a stack overflow. */
const OVERFLOW_SUSPECT = 16;

/** Marks the parse error of a text the parser could not take (see {@link guardedParser}). */
export const TOO_DEEP = 'uintr.tooDeep';
/** The name of the parse error of a text over the token limit (limits.ts). */
export const TOO_LARGE = 'uintr.tooLarge';
/** The name of the parse error of a text with more unmatched brackets than the parser recovers from (nesting.ts). */
export const UNMATCHED = 'uintr.unmatched';

/**
 * The parser, made safe for text nested deeper than the stack allows: Chevrotain recurses per
 * level of parentheses and braces, and an overflow either throws a RangeError or, caught inside
 * its error recovery, yields no tree or another error. Then the result is an empty file with one parse error at
 * the bracket that opens the deepest level (marked {@link TOO_DEEP}: the CLI runs such a file
 * again on a deep stack; the language server reports it).
 */
function guardedParser(parser: LangiumParser): LangiumParser {
    capRecovery(parser);
    const parse = parser.parse.bind(parser);
    parser.parse = ((text: string, options?: Parameters<LangiumParser['parse']>[1]) => {
        // more than memory takes (limits.ts): one error at the start, nothing parsed
        const large = tooLarge(text);
        if (large !== undefined) return failedParse(TOO_LARGE, `this file is ${large}`, { offset: 0, line: 1, column: 1 }, text);
        let failure: unknown;
        // deeper than any stack takes in time (decisions #10): not even tried (the CLI refuses
        // such a file before it parses; in the editor, parsing it could take the parser's error
        // recovery many seconds before the overflow ends it)
        const brackets = bracketTrouble(text);
        if (brackets.tooDeep === undefined) {
            // many unmatched brackets: the parser's recovery would take minutes (nesting.ts)
            const unmatched = brackets.unmatched;
            if (unmatched !== undefined) {
                return failedParse(UNMATCHED, `brackets do not match: this is the first of ${unmatched.count} never closed or closed by the other kind (beyond ${MAX_UNMATCHED} the parser does not try to recover: mend them from here)`, unmatched.at, text);
            }
            try {
                const result = parse(text, options);
                if (result.value) return result;
            } catch (e) {
                // an overflow leaves the parser's stack of unfinished nodes filled: every later
                // parse then failed ("Parser stack is not empty after parsing") and its document
                // got no diagnostics at all
                resetParser(parser);
                failure = e;
            }
        }
        // the parser recurses per prefix operator too: a long chain of `~` or `not` is the cause
        // when it outnumbers the brackets
        const { at, depth, chain } = deepest(text);
        const byChain = chain !== undefined && chain.count > depth;
        // an overflow caught inside the parser's error recovery resumes it on a broken state: it
        // then fails with another error (a TypeError in Langium's assign); on a text that nests
        // no deeper than real scenarios do, another error is the parser's own
        const deep = Math.max(depth, chain?.count ?? 0) >= OVERFLOW_SUSPECT;
        const overflow = failure === undefined || failure instanceof RangeError || deep;
        const pos = (deep ? (byChain ? chain.at : at) : undefined) ?? { offset: 0, line: 1, column: 1 };
        const message = !overflow ? `the parser failed on this file (an internal error): ${(failure as Error)?.message ?? failure}`
            // not nested: a very long expression (thousands of operators in a row) took the stack
            : !deep ? 'the parser ran out of stack on this file (an expression too long for it here; `uintr check` takes it on a deeper stack)'
                : byChain ? `nested too deeply to parse here: a chain of ${chain.count} prefix operators (~, not)`
                    : `nested too deeply to parse here: ${depth} levels of parentheses and braces`;
        return failedParse(TOO_DEEP, message, pos, text);
    }) as LangiumParser['parse'];
    return parser;
}

/** Chevrotain's parser as recovery sees it (what Langium's wrapper inherits). */
interface Recovering {
    errors: unknown[];
    shouldInRepetitionRecoveryBeTried(...args: unknown[]): boolean;
}

/** Stops Chevrotain's recovery inside a repetition after {@link MAX_RECOVERED_ERRORS} errors. */
function capRecovery(parser: LangiumParser): void {
    const chevrotain = (parser as unknown as { wrapper: Recovering }).wrapper;
    const tryIt = chevrotain.shouldInRepetitionRecoveryBeTried;
    chevrotain.shouldInRepetitionRecoveryBeTried = function (this: Recovering, ...args: unknown[]): boolean {
        return this.errors.length < MAX_RECOVERED_ERRORS && tryIt.apply(this, args);
    };
}

/** An empty file with one parse error, named `name` (TOO_DEEP, TOO_LARGE, UNMATCHED), at `pos`. */
function failedParse(name: string, message: string, pos: { offset: number; line: number; column: number }, text: string): ReturnType<LangiumParser['parse']> {
    const error = {
        name,
        message,
        token: {
            image: text.charAt(pos.offset), startOffset: pos.offset, endOffset: pos.offset,
            startLine: pos.line, startColumn: pos.column, endLine: pos.line, endColumn: pos.column,
        },
        resyncedTokens: [], context: { ruleStack: [], ruleOccurrenceStack: [] },
    } as unknown as IRecognitionException;
    return { value: { $type: 'File', decls: [], items: [] }, parserErrors: [error], lexerErrors: [] } as unknown as ReturnType<LangiumParser['parse']>;
}

/**
 * Empties what Langium's parser keeps between the start and the end of a parse, for a parse that
 * ended in an exception (Chevrotain's own state is reset when the next input is set).
 */
function resetParser(parser: LangiumParser): void {
    (parser as unknown as { stack: unknown[] }).stack.length = 0;
    parser.unorderedGroups.clear();
}

export interface UintrAddedServices {
    validation: { UintrValidator: UintrValidator };
}

export type UintrServices = LangiumCoreServices & UintrAddedServices;

export const UintrModule: Module<UintrServices, PartialLangiumCoreServices & UintrAddedServices> = {
    /**
     * 'production': Langium then builds the parser and the lexer without Chevrotain's grammar
     * validations, which only look for mistakes in the grammar (a test builds them with the
     * validations: test/syntax.test.ts) and took about 50 ms of every start of the CLI and
     * of the server. Nothing else in Langium reads the mode.
     */
    LanguageMetaData: () => ({ ...UintrLanguageMetaData, mode: 'production' }),
    parser: {
        LangiumParser: services => guardedParser(createLangiumParser(services)),
        TokenBuilder: () => new UintrTokenBuilder(),
        Lexer: services => new UintrLexer(services),
    },
    references: {
        ScopeComputation: services => new UintrScopeComputation(services),
        ScopeProvider: services => new UintrScopeProvider(services),
        Linker: services => new UintrLinker(services),
    },
    workspace: {
        ReferenceDescriptionProvider: services => new UintrReferenceDescriptionProvider(services),
    },
    validation: {
        UintrValidator: () => new UintrValidator(),
        DocumentValidator: services => new UintrDocumentValidator(services),
    },
};

/**
 * Creates the core services (no LSP) for the CLI and tests; `extra`, when given, overrides
 * services of the language (UintrWorkspace's has no reference index).
 */
export function createUintrCoreServices(context: DefaultSharedCoreModuleContext, extra: Module<UintrServices, PartialLangiumCoreServices> = {}): {
    shared: LangiumSharedCoreServices; Uintr: UintrServices;
} {
    const shared = inject(createDefaultSharedCoreModule(context), UintrGeneratedSharedModule);
    const Uintr = inject(createDefaultCoreModule({ shared }), UintrGeneratedModule, UintrModule, extra);
    shared.ServiceRegistry.register(Uintr);
    registerValidationChecks(Uintr);
    return { shared, Uintr };
}
