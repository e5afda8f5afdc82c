/**
 * The shape of a request's parameters, checked before the request is dispatched (lifecycle.ts):
 * a request whose parameters lack what LSP 3.17 says it must have is answered InvalidParams
 * (-32602) with what is wrong, as JSON-RPC says, not InternalError (-32603) with the message of
 * a TypeError thrown deep inside a handler ("Cannot read properties of undefined"), nor an
 * answer made up from nothing (a hover without a position was answered null).
 *
 * Only what the handlers read is checked: the document, positions, ranges and the fields some
 * requests need (`context` of references and code actions, `options` of formatting, `newName`,
 * `query`). A position past the end of a line or of the file is not an error: LSP says the
 * server takes the line's end (or the file's) instead.
 */

type Check = (params: Record<string, unknown>) => string | undefined;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isIndex = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x) && x >= 0;

function position(x: unknown, name: string): string | undefined {
    if (!isObject(x)) return `${name} must be an object { line, character }`;
    if (!isIndex(x.line)) return `${name}.line must be a non-negative integer`;
    if (!isIndex(x.character)) return `${name}.character must be a non-negative integer`;
    return undefined;
}

function range(x: unknown, name: string): string | undefined {
    if (!isObject(x)) return `${name} must be an object { start, end }`;
    return position(x.start, `${name}.start`) ?? position(x.end, `${name}.end`);
}

const textDocument: Check = p => (isObject(p.textDocument) && typeof p.textDocument.uri === 'string' ? undefined : 'textDocument.uri must be a string');
const atPosition: Check = p => textDocument(p) ?? position(p.position, 'position');
const inRange: Check = p => textDocument(p) ?? range(p.range, 'range');
const formattingOptions: Check = p => (isObject(p.options) && typeof p.options.tabSize === 'number' && typeof p.options.insertSpaces === 'boolean'
    ? undefined : 'options must be an object { tabSize: number, insertSpaces: boolean }');

const CHECKS: Readonly<Record<string, Check>> = {
    'textDocument/hover': atPosition,
    'textDocument/completion': atPosition,
    'textDocument/definition': atPosition,
    'textDocument/declaration': atPosition,
    'textDocument/typeDefinition': atPosition,
    'textDocument/implementation': atPosition,
    'textDocument/documentHighlight': atPosition,
    'textDocument/signatureHelp': atPosition,
    'textDocument/prepareRename': atPosition,
    'textDocument/prepareCallHierarchy': atPosition,
    'textDocument/references': p => atPosition(p) ?? (isObject(p.context) && typeof p.context.includeDeclaration === 'boolean'
        ? undefined : 'context must be an object { includeDeclaration: boolean }'),
    'textDocument/rename': p => atPosition(p) ?? (typeof p.newName === 'string' ? undefined : 'newName must be a string'),
    'textDocument/documentSymbol': textDocument,
    'textDocument/foldingRange': textDocument,
    'textDocument/codeLens': textDocument,
    'textDocument/documentLink': textDocument,
    'textDocument/semanticTokens/full': textDocument,
    'textDocument/semanticTokens/full/delta': textDocument,
    'textDocument/semanticTokens/range': inRange,
    'textDocument/inlayHint': inRange,
    'textDocument/codeAction': p => inRange(p) ?? (isObject(p.context) && Array.isArray(p.context.diagnostics)
        ? undefined : 'context must be an object { diagnostics: Diagnostic[] }'),
    'textDocument/formatting': p => textDocument(p) ?? formattingOptions(p),
    'textDocument/rangeFormatting': p => inRange(p) ?? formattingOptions(p),
    'textDocument/onTypeFormatting': p => atPosition(p) ?? (typeof p.ch === 'string' ? undefined : 'ch must be a string') ?? formattingOptions(p),
    'workspace/symbol': p => (typeof p.query === 'string' ? undefined : 'query must be a string'),
};

/**
 * What is wrong with a request's parameters, for the error's message, or undefined when nothing
 * is (or the method is not one checked here: its handler checks, or the connection answers that
 * the method is unknown: only the methods the server serves are here, so that one it does not
 * serve is MethodNotFound whatever its parameters). Parameters given as an array are the
 * connection's to refuse, with InvalidParams too.
 */
export function paramsProblem(method: string, params: unknown): string | undefined {
    const check = CHECKS[method];
    // no parameters, or null: as an empty object (the handlers were called with them and failed)
    const p = params === undefined || params === null ? {} : params;
    if (!check || !isObject(p)) return undefined;
    const problem = check(p);
    return problem && `invalid parameters of '${method}': ${problem}`;
}
