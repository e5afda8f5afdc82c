/**
 * The UINTR Lab extension: registers the `uintr` language, starts the bundled language
 * server, and adds the commands "Check all scenarios in workspace", "Compare policies" and
 * "Show trace" (tables shown in read-only documents).
 */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

const VIEW_SCHEME = 'uintr-view';
let client: LanguageClient | undefined;

/** Read-only documents holding the compare and trace tables. */
class ViewProvider implements vscode.TextDocumentContentProvider {
    private readonly views = new Map<string, string>();
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    readonly onDidChange = this.changed.event;

    show(name: string, text: string): vscode.Uri {
        // a path ending in .txt: VS Code picks a view's language by its path, and one ending in
        // .uintr made the table a scenario (sent to the server, its lines syntax errors)
        const uri = vscode.Uri.from({ scheme: VIEW_SCHEME, path: `/${name}.txt` });
        this.views.set(uri.toString(), text);
        this.changed.fire(uri);
        return uri;
    }

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.views.get(uri.toString()) ?? '';
    }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const output = vscode.window.createOutputChannel('UINTR', { log: true });
    const serverModule = context.asAbsolutePath('out/server.cjs');
    const serverOptions: ServerOptions = {
        run: { module: serverModule, transport: TransportKind.ipc },
        debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
    };
    const clientOptions: LanguageClientOptions = {
        // scenarios on disk and unsaved ones; not the views of the tables (scheme uintr-view)
        documentSelector: [{ scheme: 'file', language: 'uintr' }, { scheme: 'untitled', language: 'uintr' }],
        synchronize: { configurationSection: 'uintr', fileEvents: vscode.workspace.createFileSystemWatcher('**/*.uintr') },
        outputChannel: output,
    };
    client = new LanguageClient('uintr', 'UINTR Lab', serverOptions, clientOptions);
    const views = new ViewProvider();
    context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(VIEW_SCHEME, views), output);

    const targetUri = (arg?: unknown): string | undefined => {
        if (typeof arg === 'string') return arg;
        if (arg instanceof vscode.Uri) return arg.toString();
        const editor = vscode.window.activeTextEditor;
        return editor?.document.languageId === 'uintr' ? editor.document.uri.toString() : undefined;
    };
    const showTable = async (request: string, title: string, arg?: unknown) => {
        const uri = targetUri(arg);
        if (!uri || !client) {
            void vscode.window.showWarningMessage('UINTR: open a .uintr scenario first.');
            return;
        }
        // the server runs the editor's text, saved or not: the file is not saved for it
        let result: { text?: string; error?: string };
        try {
            result = await client.sendRequest<{ text?: string; error?: string }>(request, { uri });
        } catch (e) {
            output.error(`${request} failed: ${(e as Error)?.stack ?? e}`);
            void vscode.window.showErrorMessage(`UINTR: the language server did not answer (${(e as Error)?.message ?? e}); see the UINTR output.`);
            return;
        }
        if (result.error || result.text === undefined) {
            void vscode.window.showErrorMessage(`UINTR: ${result.error ?? 'no result'}`);
            return;
        }
        const name = vscode.Uri.parse(uri).path.split('/').pop() ?? 'scenario';
        const view = await vscode.workspace.openTextDocument(views.show(`${title} — ${name}`, result.text));
        await vscode.window.showTextDocument(view, { preview: true, viewColumn: vscode.ViewColumn.Beside });
    };

    context.subscriptions.push(
        vscode.commands.registerCommand('uintr.comparePolicies', (arg?: unknown) => showTable('uintr/compare', 'Compare policies', arg)),
        vscode.commands.registerCommand('uintr.showTrace', (arg?: unknown) => showTable('uintr/trace', 'Trace', arg)),
        vscode.commands.registerCommand('uintr.checkWorkspace', async () => {
            const files = await vscode.workspace.findFiles('**/*.uintr', '**/node_modules/**');
            output.info(`checking ${files.length} scenario(s)`);
            if (files.length === 0) {
                void vscode.window.showInformationMessage(vscode.workspace.workspaceFolders?.length
                    ? 'UINTR: no .uintr scenario in the workspace.' : 'UINTR: open a folder to check its scenarios.');
                return;
            }
            await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'UINTR: checking scenarios', cancellable: true }, async (progress, token) => {
                for (const [i, f] of files.entries()) {
                    if (token.isCancellationRequested) break;
                    progress.report({ message: vscode.workspace.asRelativePath(f), increment: 100 / Math.max(1, files.length) });
                    await vscode.workspace.openTextDocument(f); // opening runs the emulator
                    output.info(`opened ${f.fsPath} (${i + 1}/${files.length})`);
                }
            });
            await vscode.commands.executeCommand('workbench.actions.view.problems');
        }),
    );
    await client.start();
    output.info('UINTR Lab language server started');
}

export async function deactivate(): Promise<void> {
    try {
        await client?.stop();
    } catch {
        // not running (it failed to start, or crashed too often): nothing to stop
    }
}
