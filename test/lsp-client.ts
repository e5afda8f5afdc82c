/**
 * A minimal LSP client over stdio for end-to-end tests and the LSP benchmark: spawns the
 * bundled server and answers the requests a real editor answers.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

export class LspClient {
    readonly proc: ChildProcessWithoutNullStreams;
    readonly conn: MessageConnection;
    private readonly diagnostics = new Map<string, Diagnostic[]>();
    private readonly waiters: { uri: string; pred: (d: Diagnostic[]) => boolean; resolve: (d: Diagnostic[]) => void }[] = [];
    stderr = '';
    settings: Record<string, unknown> = { emulateOnChange: false, defaultPolicy: 'linux_rfc' };
    private stopped = false;
    /** Answer `workspace/configuration` this late (a slow editor: documents open before settings come). */
    configDelayMs = 0;
    /** `$/progress` notifications, in order (the client declares window.workDoneProgress). */
    readonly progress: { token: string | number; value: { kind: 'begin' | 'report' | 'end'; title?: string; message?: string; percentage?: number } }[] = [];
    /** Every publishDiagnostics, in order. */
    readonly published: PublishDiagnosticsParams[] = [];
    /** The text of every window/logMessage, in order. */
    readonly logs: string[] = [];
    /** Every window/showMessage and window/showMessageRequest, in order. */
    readonly messages: { type: number; message: string }[] = [];

    /** nodeArgs: options for Node before the script (e.g. a `--stack-size`). */
    constructor(root: string, env: Record<string, string> = {}, nodeArgs: string[] = []) {
        this.proc = spawn(process.execPath, [...nodeArgs, join(root, 'out', 'server.cjs'), '--stdio'], { stdio: 'pipe', env: { ...process.env, ...env } });
        this.proc.stderr.on('data', d => { this.stderr += String(d); });
        // Writes go through a pass-through stream: one that comes after the server has exited (an
        // answer to a request it sent while shutting down) is dropped instead of failing.
        const out = new PassThrough();
        out.pipe(this.proc.stdin);
        this.proc.stdin.on('error', () => undefined);
        this.conn = createMessageConnection(new StreamMessageReader(this.proc.stdout), new StreamMessageWriter(out));
        this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
            this.published.push(p);
            this.diagnostics.set(p.uri, p.diagnostics);
            for (const w of [...this.waiters]) {
                if (w.uri === p.uri && w.pred(p.diagnostics)) {
                    this.waiters.splice(this.waiters.indexOf(w), 1);
                    w.resolve(p.diagnostics);
                }
            }
        });
        this.conn.onRequest('workspace/configuration', async (p: { items: { section?: string }[] }) => {
            if (this.configDelayMs) await new Promise(r => setTimeout(r, this.configDelayMs));
            if (this.stopped) return new Promise(() => undefined); // never answer into a closed pipe
            return p.items.map(i => (i.section === 'uintr' ? this.settings : i.section?.startsWith('uintr.') ? this.settings[i.section.slice(6)] : null));
        });
        this.conn.onRequest('client/registerCapability', () => null);
        this.conn.onRequest('window/workDoneProgress/create', () => null);
        this.conn.onNotification('$/progress', (p: LspClient['progress'][number]) => { this.progress.push(p); });
        this.conn.onNotification('window/logMessage', (p: { message: string }) => { this.logs.push(p.message); });
        this.conn.onNotification('window/showMessage', (p: { type: number; message: string }) => { this.messages.push(p); });
        this.conn.onRequest('window/showMessageRequest', (p: { type: number; message: string }) => {
            this.messages.push(p);
            return null; // no action chosen
        });
        this.conn.listen();
    }

    async initialize(rootUri: string | null): Promise<unknown> {
        const result = await this.conn.sendRequest('initialize', {
            processId: process.pid, rootUri, workspaceFolders: rootUri ? [{ uri: rootUri, name: 'ws' }] : null,
            capabilities: {
                workspace: { configuration: true, workspaceFolders: true },
                window: { workDoneProgress: true },
                textDocument: {
                    publishDiagnostics: { relatedInformation: true },
                    hover: { contentFormat: ['markdown', 'plaintext'] },
                    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source'] } }, isPreferredSupport: true },
                    inlayHint: {}, codeLens: {}, synchronization: { didSave: true },
                },
            },
        });
        this.conn.sendNotification('initialized', {});
        return result;
    }

    /** Resolves with the next diagnostics for uri that satisfy pred (or the current ones if they do). */
    waitDiagnostics(uri: string, pred: (d: Diagnostic[]) => boolean = () => true, timeoutMs = 20000): Promise<Diagnostic[]> {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no matching diagnostics for ${uri} within ${timeoutMs} ms; last: ${JSON.stringify(this.diagnostics.get(uri))}\nstderr: ${this.stderr}\nlogs:\n${this.logs.join('\n')}`)), timeoutMs);
            this.waiters.push({ uri, pred, resolve: d => { clearTimeout(timer); resolve(d); } });
        });
    }

    /** Opens the document and resolves with its first diagnostics that satisfy pred (the wait starts before the open). */
    openAndWait(uri: string, text: string, pred?: (d: Diagnostic[]) => boolean, timeoutMs?: number): Promise<Diagnostic[]> {
        const published = this.waitDiagnostics(uri, pred, timeoutMs);
        this.open(uri, text);
        return published;
    }

    open(uri: string, text: string, version = 1): void {
        this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'uintr', version, text } });
    }

    change(uri: string, text: string, version: number): void {
        this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    }

    close(uri: string): void {
        this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    }

    save(uri: string): void {
        this.conn.sendNotification('textDocument/didSave', { textDocument: { uri } });
    }

    request<T>(method: string, params: unknown): Promise<T> {
        return this.conn.sendRequest(method, params) as Promise<T>;
    }

    async stop(): Promise<void> {
        this.stopped = true;
        if (this.proc.exitCode !== null) { // it exited on its own: nothing to shut down
            this.conn.dispose();
            return;
        }
        try {
            await Promise.race([this.conn.sendRequest('shutdown'), new Promise(r => setTimeout(r, 2000))]);
            this.conn.sendNotification('exit');
        } catch { /* already gone */ }
        this.conn.dispose();
        this.proc.kill();
    }
}
