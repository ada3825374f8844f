// Extension entry point (dist/extension.js). Activation only wires things up: the model host is started, and the
// model loaded, on the first search. Nothing here imports transformers.js or onnxruntime; the host process does.
import * as vscode from 'vscode';
import { DEFAULT_MODEL } from '../core/model/resolve';
import { registerCommands } from './commands';
import { Controller } from './controller';
import { registerIndexUpdates } from './indexUpdates';
import { ModelSetup } from './modelSetup';
import { RecentQueries } from './recentQueries';
import { ResultsPresenter } from './results';
import { ResultsPanel } from './resultsPanel';
import { ResultsViewProvider, SIDE_VIEW_ID } from './resultsView';
import { SimilarityService } from './service';
import { readSettings, settingsChangeKind, type ParsedSettings } from './settings';
import { IndexStatusBar } from './statusBar';

let service: SimilarityService | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Similar Sentences', { log: true });
  let parsed = loadSettings(log);
  const settings = () => parsed.settings;

  service = new SimilarityService(context.extensionUri, context.globalStorageUri, log, new ModelSetup(context.globalStorageUri, log), parsed.settings);
  const presenter = new ResultsPresenter(log, () => service!.roots());
  const recent = new RecentQueries(context.globalState);
  const controller = new Controller(context.workspaceState, log, service, presenter, recent, settings);
  const panel = new ResultsPanel(context.extensionUri, log, (message) => controller.onMessage('panel', message), () => void controller.restore('panel'));
  const sideView = new ResultsViewProvider(context.extensionUri, log, (message) => controller.onMessage('sidebar', message));
  controller.panel = panel;
  controller.sideView = sideView;

  const statusBar = new IndexStatusBar();
  const showState = () => {
    const state = service!.currentState;
    statusBar.update(state);
    sideView.post({ type: 'indexState', state });
    panel.update({ type: 'indexState', state });
  };
  showState();

  const current = service;
  context.subscriptions.push(
    log,
    current,
    panel,
    sideView,
    statusBar,
    current.onDidChangeState(showState),
    vscode.window.registerWebviewViewProvider(SIDE_VIEW_ID, sideView),
    registerCommands({ controller, service: current, presenter, recent, log, settings }),
    registerIndexUpdates(current, log),
    vscode.window.onDidChangeActiveTextEditor((editor) => controller.trackEditor(editor)),
    vscode.workspace.onDidChangeWorkspaceFolders(() => current.markStale('folders')),
    vscode.workspace.onDidChangeConfiguration((event) => {
      const change = settingsChangeKind(event);
      if (!change.any) return;
      parsed = loadSettings(log);
      current.updateSettings(parsed.settings, change);
    }),
    // Trust granted: workspace values of the restricted settings now count.
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      parsed = loadSettings(log);
      current.updateSettings(parsed.settings, { host: true, index: true });
    }),
  );
  controller.trackEditor(vscode.window.activeTextEditor);
}

/** VS Code waits for this: the host process is gone before the extension host goes. */
export async function deactivate(): Promise<void> {
  await service?.shutdown();
  service = undefined;
}

/** Reads the settings; broken values are reported once, with a way to fix them. */
function loadSettings(log: vscode.LogOutputChannel): ParsedSettings {
  const parsed = readSettings(vscode.workspace, DEFAULT_MODEL.id);
  if (parsed.problems.length) {
    for (const problem of parsed.problems) log.warn(`settings: ${problem}`);
    void vscode.window.showWarningMessage(`Similar Sentences: ${parsed.problems.join(' ')}`, 'Open Settings').then((answer) => {
      if (answer) void vscode.commands.executeCommand('workbench.action.openSettings', 'similarSentences');
    });
  }
  return parsed;
}
