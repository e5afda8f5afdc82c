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
        const uri = vscode.Uri.from({ scheme: VIEW_SCHEME, path: `/${name}` });
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
        documentSelector: [{ language: 'uintr' }],
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
        const doc = vscode.workspace.textDocuments.find(d => d.uri.toString() === uri);
        if (doc?.isDirty) await doc.save();
        const result = await client.sendRequest<{ text?: string; error?: string }>(request, { uri });
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
    await client?.stop();
}
