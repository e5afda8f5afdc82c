/**
 * The LSP lifecycle rules that vscode-languageserver leaves to the server (LSP 3.17, "Server
 * lifecycle"): before `initialize`, a request is answered with ServerNotInitialized (-32002) and
 * a notification other than `exit` is dropped; after `shutdown`, a request is answered with
 * InvalidRequest (-32600). Without them a request sent too early waited for the workspace and
 * then failed with "No document found", and one sent after shutdown was served. A request whose
 * parameters lack what LSP says it must have is answered InvalidParams (-32602; params-check.ts).
 *
 * The rules sit in the connection's message strategy, which sees every message before it is
 * dispatched: a request to refuse goes on under an internal method whose handler throws the
 * error, so the connection answers it under the request's own id.
 */
import { ErrorCodes, Message, ResponseError, type MessageStrategy, type RequestMessage } from 'vscode-languageserver';
import { paramsProblem } from './params-check.js';

/** The internal method a refused request is dispatched to (never sent by a client). */
export const REFUSED_METHOD = '$/uintr/refused';

interface Refusal {
    readonly code: number;
    readonly message: string;
}

/** A connection's place in the lifecycle, and the message strategy that applies it. */
export class Lifecycle {
    private state: 'new' | 'running' | 'shut-down' = 'new';

    readonly strategy: MessageStrategy = {
        handleMessage: (message: Message, next: (message: Message) => void): void => {
            const passed = this.admit(message);
            if (passed) next(passed);
        },
    };

    /** What to dispatch for a message: itself, a refused request in its place, or nothing (dropped). */
    admit(message: Message): Message | undefined {
        if (Message.isRequest(message)) {
            if (this.state === 'new') {
                if (message.method !== 'initialize') return refuse(message, { code: ErrorCodes.ServerNotInitialized, message: `the server is not initialized yet: '${message.method}' must come after 'initialize'` });
                this.state = 'running';
            } else if (this.state === 'shut-down') {
                return refuse(message, { code: ErrorCodes.InvalidRequest, message: `the server is shut down: '${message.method}' is not served after 'shutdown'` });
            } else if (message.method === 'shutdown') {
                this.state = 'shut-down';
            } else if (message.method === REFUSED_METHOD) {
                // the internal method is the strategy's own: a client that names it is refused as
                // for any method the server lacks (else it could make the server answer any error)
                return refuse(message, { code: ErrorCodes.MethodNotFound, message: `Unhandled method ${message.method}` });
            } else {
                const problem = paramsProblem(message.method, message.params);
                if (problem) return refuse(message, { code: ErrorCodes.InvalidParams, message: problem });
            }
            return message;
        }
        if (Message.isNotification(message) && this.state === 'new' && message.method !== 'exit') return undefined;
        return message;
    }

    /** Registers the handler of refused requests on the connection. */
    static register(connection: { onRequest(method: string, handler: (params: Refusal) => never): unknown }): void {
        connection.onRequest(REFUSED_METHOD, (params: Refusal) => {
            throw new ResponseError(params.code, params.message);
        });
    }
}

function refuse(request: RequestMessage, why: Refusal): RequestMessage {
    return { jsonrpc: request.jsonrpc, id: request.id, method: REFUSED_METHOD, params: why };
}
