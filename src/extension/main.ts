// Extension entry point (dist/extension.js). Activation only wires things up: the model host is started, and the
// model loaded, on the first search. Nothing here imports transformers.js or onnxruntime; the host process does.
import * as vscode from 'vscode';
import type { AnalysisPanelContext } from './analysisPanel';
import { DEFAULT_MODEL } from '../core/model/resolve';
import { registerCommands } from './commands';
import { CompareController } from './compare';
import { Controller } from './controller';
import { DuplicatesController } from './duplicates';
import { FollowMode } from './followMode';
import { registerIndexUpdates } from './indexUpdates';
import { ModelSetup } from './modelSetup';
import { literalNotificationText } from './notificationText';
import { RecentQueries } from './recentQueries';
import { ResultsPresenter } from './results';
import { ResultsViewProvider, SIDE_VIEW_ID } from './resultsView';
import { SimilarityService } from './service';
import { readSettings, settingsChangeKind, type ParsedSettings } from './settings';
import { SideScope } from './sideScope';
import { IndexStatusBar } from './statusBar';
import { PANELS, WebviewPanelHost } from './webviewPanel';

let service: SimilarityService | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Similar Sentences', { log: true });
  let parsed = loadSettings(log);
  const settings = () => parsed.settings;

  service = new SimilarityService(context.extensionUri, context.globalStorageUri, log, new ModelSetup(context.globalStorageUri, log), parsed.settings);
  const presenter = new ResultsPresenter(log, () => service!.roots());
  const recent = new RecentQueries(context.globalState);
  const displayPath = (root: string, relPath: string) => presenter.displayPath(root, relPath);
  const sideScope = new SideScope(context.workspaceState, () => service!.roots(), displayPath);
  let followMode: FollowMode | undefined;
  const controller = new Controller(context.workspaceState, log, service, presenter, recent, sideScope, settings, {
    set: async (on) => followMode?.set(on),
    refresh: () => followMode?.refresh(),
  });
  // The results, the heatmap and the near-duplicates share one column beside the editors.
  const panelsColumn = () => panel.viewColumn ?? compare.viewColumn ?? duplicates.viewColumn;
  const panel = new WebviewPanelHost(PANELS.results, context.extensionUri, log, (message) => controller.onMessage('panel', message), () => void controller.restore('panel'), panelsColumn);
  const sideView = new ResultsViewProvider(context.extensionUri, log, (message) => controller.onMessage('sidebar', message));
  controller.panel = panel;
  controller.sideView = sideView;
  followMode = new FollowMode(context.workspaceState, () => sideView.visible, (line) => controller.follow(line));
  const following = followMode;
  sideView.post({ type: 'follow', on: following.isOn });
  sideView.post({ type: 'scope', scope: sideScope.view() });
  const report = (error: unknown) => controller.report(error);
  const runAction = (action: Parameters<Controller['runAction']>[0]) => controller.runAction(action);
  const editorColumn = () => controller.lastEditorColumn;
  const panelContext: AnalysisPanelContext = {
    extensionUri: context.extensionUri,
    log,
    globalState: context.globalState,
    workspaceState: context.workspaceState,
    service,
    presenter,
    report,
    runAction,
    editorColumn,
    panelsColumn,
  };
  const compare = new CompareController(panelContext);
  const duplicates = new DuplicatesController(panelContext);

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
    compare,
    duplicates,
    following,
    following.onDidChange((on) => sideView.post({ type: 'follow', on })),
    sideView.onDidChangeVisibility((visible) => visible && following.check()),
    statusBar,
    current.onDidChangeState(showState),
    vscode.window.registerWebviewViewProvider(SIDE_VIEW_ID, sideView),
    registerCommands({ controller, service: current, presenter, recent, log, settings, compare, duplicates, followMode: following, sideScope, sideView }),
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
    void vscode.window.showWarningMessage(literalNotificationText(`Similar Sentences: ${parsed.problems.join(' ')}`), 'Open Settings').then((answer) => {
      if (answer) void vscode.commands.executeCommand('workbench.action.openSettings', 'similarSentences');
    });
  }
  return parsed;
}
