// The contributed commands (all under the "Similar Sentences" category).
import * as vscode from 'vscode';
import { availableDtypes, DEFAULT_MODEL, DTYPES, isDtype, validateModelDir } from '../core/model';
import { isHubId } from '../core/model/hub';
import type { Dtype } from '../protocol';
import { COMMANDS } from './commandIds';
import type { CompareController } from './compare';
import type { Controller } from './controller';
import type { DuplicatesController } from './duplicates';
import { describeError } from './errors';
import type { FollowMode } from './followMode';
import { literalNotificationText } from './notificationText';
import { rootOf, toRelPath } from './paths';
import type { RecentQueries, RecentQuery } from './recentQueries';
import type { ResultsPresenter } from './results';
import type { ResultsViewProvider } from './resultsView';
import type { SimilarityService } from './service';
import { describeModel, writeSetting, type Settings } from './settings';
import type { SideScope } from './sideScope';

/** The longest query text shown above results; the whole selection is still what gets embedded. */
const MAX_QUERY_DISPLAY = 500;

interface CommandDeps {
  controller: Controller;
  service: SimilarityService;
  presenter: ResultsPresenter;
  recent: RecentQueries;
  log: vscode.LogOutputChannel;
  settings: () => Settings;
  compare: CompareController;
  duplicates: DuplicatesController;
  followMode: FollowMode;
  sideScope: SideScope;
  sideView: ResultsViewProvider;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable {
  const { controller, log } = deps;
  return vscode.Disposable.from(
    vscode.commands.registerCommand(COMMANDS.findSimilar, () => findSimilarToSelection(deps)),
    vscode.commands.registerCommand(COMMANDS.searchByMeaning, (query?: unknown) => searchByMeaning(deps, typeof query === 'string' ? query : undefined)),
    vscode.commands.registerCommand(COMMANDS.rebuildIndex, () => controller.indexNow(true)),
    vscode.commands.registerCommand(COMMANDS.clearIndex, async () => {
      try {
        await deps.service.clear();
        void vscode.window.showInformationMessage('Similar Sentences: the index was cleared. The next search builds it again.');
      } catch (error) {
        await controller.report(error);
      }
    }),
    vscode.commands.registerCommand(COMMANDS.selectModel, (mode?: unknown) => selectModel(deps, mode === 'folder' ? 'folder' : undefined)),
    vscode.commands.registerCommand(COMMANDS.showLog, () => log.show()),
    vscode.commands.registerCommand(COMMANDS.restartHost, () => controller.runAction('restartHost')),
    vscode.commands.registerCommand(COMMANDS.compareSelection, () => deps.compare.compareSelection()),
    vscode.commands.registerCommand(COMMANDS.findDuplicates, () => deps.duplicates.findDuplicates()),
    vscode.commands.registerCommand(COMMANDS.searchInFolder, (uri?: unknown) => searchInFolder(deps, uri instanceof vscode.Uri ? uri : undefined)),
    vscode.commands.registerCommand(COMMANDS.searchInFile, () => searchScoped(deps, 'file')),
    vscode.commands.registerCommand(COMMANDS.searchOpenEditors, () => searchScoped(deps, 'openEditors')),
    vscode.commands.registerCommand(COMMANDS.followCursor, () => followCursor(deps, true)),
    vscode.commands.registerCommand(COMMANDS.stopFollowingCursor, () => followCursor(deps, false)),
    vscode.commands.registerCommand(COMMANDS.showSkippedFiles, () => controller.runAction('showSkipped')),
  );
}

async function findSimilarToSelection({ controller, service, presenter }: CommandDeps): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Similar Sentences: open a file and select some text (or put the cursor on a line) first.');
    return;
  }
  const { document, selection } = editor;
  const range = selection.isEmpty ? document.lineAt(selection.active.line).range : selection;
  const text = document.getText(range).trim();
  if (!text) {
    void vscode.window.showInformationMessage('Similar Sentences: the selection (or current line) is empty.');
    return;
  }
  // A selection ending at the start of a line does not include that line.
  const endLine = range.end.character === 0 && range.end.line > range.start.line ? range.end.line : range.end.line + 1;
  const root = document.uri.scheme === 'file' ? rootOf(service.roots(), document.uri.fsPath) : undefined;
  const relPath = root ? toRelPath(root, document.uri.fsPath) : undefined;
  const origin = root && relPath ? { root, relPath, line: range.start.line + 1, endLine } : undefined;
  const shown = text.length > MAX_QUERY_DISPLAY ? `${text.slice(0, MAX_QUERY_DISPLAY)}…` : text;
  controller.trackEditor(editor);
  await controller.search(
    { query: text, origin },
    { text: shown, origin: origin && { file: presenter.displayPath(origin.root, origin.relPath), line: origin.line, endLine: origin.endLine } },
    'panel',
  );
}

async function searchByMeaning({ controller, recent }: CommandDeps, given?: string): Promise<void> {
  const entry = given?.trim() ? { query: given.trim() } : await askForQuery(recent.list(), 'Search Workspace by Meaning');
  if (!entry) return;
  controller.trackEditor(vscode.window.activeTextEditor);
  await controller.search(entry, { text: entry.query, refine: entry.refine }, 'panel');
}

/** *Search Current File by Meaning…* / *Search Open Editors by Meaning…*: a query, answered in the panel. */
async function searchScoped({ controller, recent, sideScope }: CommandDeps, kind: 'file' | 'openEditors'): Promise<void> {
  controller.trackEditor(vscode.window.activeTextEditor);
  const resolved = sideScope.resolveFor({ kind, include: '', exclude: '' });
  if ('problem' in resolved) {
    void vscode.window.showInformationMessage(literalNotificationText(`Similar Sentences: ${resolved.problem}`));
    return;
  }
  const entry = await askForQuery(recent.list(), kind === 'file' ? `Search ${resolved.label} by Meaning` : 'Search Open Editors by Meaning');
  if (!entry) return;
  await controller.search({ ...entry, scope: resolved.scope }, { text: entry.query, refine: entry.refine, scope: resolved.label }, 'panel');
}

/**
 * *Find Similar in Folder…* (the Explorer's context menu on a folder, or the palette with a folder picker): the side
 * view searches that folder from now on, as VS Code's *Find in Folder…* does with its Search view.
 */
async function searchInFolder({ service, sideScope, sideView, followMode }: CommandDeps, uri?: vscode.Uri): Promise<void> {
  const roots = service.roots();
  const folder =
    uri ??
    (
      await vscode.window.showOpenDialog({
        title: 'Find Similar in Folder',
        canSelectFolders: true,
        canSelectFiles: false,
        canSelectMany: false,
        defaultUri: roots[0] ? vscode.Uri.file(roots[0]) : undefined,
        openLabel: 'Search This Folder',
      })
    )?.[0];
  if (!folder) return;
  const root = folder.scheme === 'file' ? (roots.find((candidate) => candidate === folder.fsPath) ?? rootOf(roots, folder.fsPath)) : undefined;
  if (!root) {
    void vscode.window.showInformationMessage('Similar Sentences: only folders of the workspace can be searched.');
    return;
  }
  await sideScope.setFolder({ root, relPath: toRelPath(root, folder.fsPath) });
  sideView.post({ type: 'scope', scope: sideScope.view() });
  await vscode.commands.executeCommand(COMMANDS.focusView);
  followMode.refresh();
}

async function followCursor({ followMode }: CommandDeps, on: boolean): Promise<void> {
  await followMode.set(on);
  if (!on) return;
  // The view shows what follows the cursor, and the editor keeps the keyboard.
  await vscode.commands.executeCommand(COMMANDS.focusView);
  await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
}

/** An input box that also lists recent queries (refined ones marked): type a new one, or pick one. */
function askForQuery(recentQueries: RecentQuery[], title: string): Promise<RecentQuery | undefined> {
  type Item = vscode.QuickPickItem & { entry?: RecentQuery };
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = title;
  pick.placeholder = 'Describe what you are looking for, e.g. "retry the request after a timeout"';
  const recentItems: Item[] = recentQueries.length
    ? [{ label: 'recent', kind: vscode.QuickPickItemKind.Separator }, ...recentQueries.map(recentItem)]
    : [];
  pick.items = recentItems;
  pick.onDidChangeValue((value) => {
    const typed = value.trim();
    pick.items = typed ? [{ label: typed, description: 'search', iconPath: new vscode.ThemeIcon('search') }, ...recentItems] : recentItems;
  });
  return new Promise((resolve) => {
    pick.onDidAccept(() => {
      const selected = pick.selectedItems[0];
      const typed = pick.value.trim();
      resolve(selected ? (selected.entry ?? { query: selected.label }) : typed ? { query: typed } : undefined);
      pick.hide();
    });
    pick.onDidHide(() => {
      resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
}

/** A recent query; a refined one shows how (+ more like, − less like) and with which texts. */
function recentItem(entry: RecentQuery): vscode.QuickPickItem & { entry: RecentQuery } {
  if (!entry.refine) return { label: entry.query, iconPath: new vscode.ThemeIcon('history'), entry };
  const { more, less } = entry.refine;
  const counts = [more.length ? `+${more.length} more like` : '', less.length ? `−${less.length} less like` : ''].filter(Boolean).join(', ');
  return {
    label: entry.query,
    description: `refined: ${counts}`,
    detail: [...more.map((text) => `+ ${text}`), ...less.map((text) => `− ${text}`)].join('   '),
    iconPath: new vscode.ThemeIcon('filter'),
    entry,
  };
}

type ModelChoice = 'default' | 'hub' | 'folder' | 'dtype';

async function selectModel(deps: CommandDeps, preset?: 'folder'): Promise<void> {
  const settings = deps.settings();
  const current = describeModel(settings.model);
  const choice: ModelChoice | undefined =
    preset ??
    (
      await vscode.window.showQuickPick<vscode.QuickPickItem & { choice: ModelChoice }>(
        [
          { choice: 'default', label: `$(star) ${DEFAULT_MODEL.id}`, description: 'default: small and fast, downloaded once' },
          { choice: 'hub', label: '$(cloud-download) Hugging Face model id…', description: 'a sentence-transformer with ONNX weights' },
          { choice: 'folder', label: '$(folder) Local model folder…', description: 'config.json, tokenizer.json, onnx/model*.onnx' },
          { choice: 'dtype', label: `$(settings) Weights: ${settings.dtype}`, description: 'fp32, fp16 or q8 (quantized)' },
        ],
        { title: 'Select Model', placeHolder: `Current model: ${current} (${settings.dtype})` },
      )
    )?.choice;
  switch (choice) {
    case 'default':
      return writeSetting(vscode.workspace, 'model', undefined);
    case 'hub': {
      const id = await vscode.window.showInputBox({
        title: 'Hugging Face model id',
        value: settings.model.kind === 'hub' ? settings.model.id : '',
        placeHolder: 'owner/name, e.g. Xenova/all-MiniLM-L6-v2',
        validateInput: (value) => (isHubId(value.trim()) ? undefined : 'A model id looks like owner/name.'),
      });
      if (id) await writeSetting(vscode.workspace, 'model', id.trim());
      return;
    }
    case 'folder':
      return selectModelFolder(settings.dtype, deps);
    case 'dtype':
      return selectDtype(settings);
  }
}

async function selectModelFolder(dtype: Dtype, { log }: CommandDeps): Promise<void> {
  const [folder] =
    (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, title: 'Select a model folder', openLabel: 'Use This Model' })) ?? [];
  if (!folder) return;
  try {
    await validateModelDir(folder.fsPath, dtype);
  } catch (error) {
    const available = await availableDtypes(folder.fsPath).catch(() => []);
    const usable = available.find((candidate) => candidate !== dtype);
    const message = describeError(error).message;
    log.warn(message);
    if (!usable) {
      void vscode.window.showErrorMessage(literalNotificationText(`Similar Sentences: ${message}`));
      return;
    }
    const answer = await vscode.window.showWarningMessage(literalNotificationText(`Similar Sentences: ${message} It has ${usable} weights.`), `Use ${usable}`);
    if (!answer) return;
    await writeSetting(vscode.workspace, 'dtype', usable);
  }
  await writeSetting(vscode.workspace, 'model', folder.fsPath);
}

async function selectDtype(settings: Settings): Promise<void> {
  const available = settings.model.kind === 'folder' ? await availableDtypes(settings.model.path).catch(() => [] as Dtype[]) : [...DTYPES];
  const picked = await vscode.window.showQuickPick(
    DTYPES.map((dtype) => ({
      label: dtype,
      description: [dtype === settings.dtype ? 'current' : '', available.includes(dtype) ? '' : 'not in this model folder'].filter(Boolean).join(', '),
    })),
    { title: 'Model weights', placeHolder: 'fp32: exact; fp16: half the size; q8: quantized, smallest and fastest' },
  );
  if (picked && isDtype(picked.label)) await writeSetting(vscode.workspace, 'dtype', picked.label);
}
