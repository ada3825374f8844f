// The extension's one connection to the model host: prepares the model, starts and supervises the host, builds
// the index on first use (with a cancellable progress notification), keeps it current, and answers searches.
// Everything ML happens in the host; this class only sequences requests and reports state.
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HostClient, type ClientState } from '../client';
import { compileGlobs } from '../core/globs';
import { clearIndexes } from '../core/index/storage';
import { defaultUnitMode, type UnitMode } from '../core/units';
import { DEFAULT_EXCLUDES } from '../core/walk';
import {
  ClearIndex,
  Embed,
  ErrorCodes,
  Explain,
  FindDuplicates,
  IndexFolders,
  Search,
  Status,
  UpdateFiles,
  type DuplicatesParams,
  type DuplicatesResult,
  type EmbedResult,
  type ExplainParams,
  type ExplainResult,
  type FileChange,
  type FolderSpec,
  type IndexSummary,
  type ModelSpec,
  type ProgressParams,
  type Refinement,
  type SearchResult,
  type SearchScope,
  type UnitLocation,
} from '../protocol';
import { ACTION_LABELS, type IndexStateView } from '../webview/protocol';
import { COMMANDS } from './commandIds';
import { withDelayedProgress } from './delayedProgress';
import { CancelledByUser, describeError } from './errors';
import { FileLimitNotice, MAX_FILES_SETTING } from './fileLimitNotice';
import { literalNotificationText } from './notificationText';
import { folderSpec, resolveUnitModes, type LanguageContribution } from './folderSpecs';
import { hostTroubleView, isHostTrouble } from './hostState';
import { ModelSetup } from './modelSetup';
import { rootOf, toRelPath } from './paths';
import { SaveFailureNotice } from './saveFailureNotice';
import { describeModel, readWorkspaceExcludes, type Settings } from './settings';
import { hasCrashedHost, mergeSkipped, NO_SKIPPED_FILES, skippedLogLines, summarizeSkipped, type SkippedFiles } from './skippedFiles';

export interface SearchRequest {
  query: string;
  /** The query's own place in the workspace, left out of the results. */
  origin?: UnitLocation & { endLine: number };
  /** Only these files, this folder, these globs. */
  scope?: SearchScope;
  /** *More like this* / *Less like this*. */
  refine?: Refinement;
}

/** Languages of prose, split into sentences when a document has no file name to go by. */
const PROSE_LANGUAGES: ReadonlySet<string> = new Set(['markdown', 'plaintext', 'restructuredtext', 'asciidoc', 'latex', 'org']);

/** Indexing that finishes sooner (an index already current) shows no notification, only the status bar. */
const PROGRESS_DELAY_MS = 500;

/** Why the index must be walked again before the next search. */
type StaleReason = 'settings' | 'folders' | 'files' | 'host';

export class SimilarityService implements vscode.Disposable {
  private readonly stateEmitter = new vscode.EventEmitter<IndexStateView>();
  readonly onDidChangeState = this.stateEmitter.event;
  private state: IndexStateView;
  private client?: HostClient;
  /** Identity of the model/threads the running host was started with. */
  private hostKey?: string;
  private indexed = false;
  private indexing?: Promise<void>;
  /** The host being started (shared by a search, a comparison and an explanation asking at the same time). */
  private hostStarting?: Promise<void>;
  private skipped: SkippedFiles = NO_SKIPPED_FILES;
  private readonly saveFailures = new SaveFailureNotice();
  private readonly fileLimits = new FileLimitNotice();
  private readonly progressListeners = new Map<string, (params: ProgressParams) => void>();
  /** Per workspace folder: whether a relPath is one the walk would index. */
  private readonly filters = new Map<string, (relPath: string) => boolean>();
  /** While the client restarts the host: the restart message shown, and what the views showed before it. */
  private recovering?: { before: IndexStateView; shown: IndexStateView };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly storage: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly modelSetup: ModelSetup,
    private settings: Settings,
  ) {
    this.state = { phase: 'idle', model: describeModel(settings.model) };
  }

  get currentState(): IndexStateView {
    return this.state;
  }

  /** The index exists or is being built: file changes matter from now on. */
  get isStarted(): boolean {
    return this.indexed || !!this.indexing;
  }

  /** New settings: a different model or thread count restarts the host; different file rules re-walk. */
  updateSettings(settings: Settings, change: { host: boolean; index: boolean }): void {
    this.settings = settings;
    this.filters.clear();
    if (change.host) {
      this.hostKey = undefined;
      this.markStale('settings');
      this.setState({ phase: 'idle', model: describeModel(settings.model) });
    } else if (change.index) {
      this.markStale('settings');
    }
  }

  /** The next search walks the workspace again (cheap: unchanged files reuse their stored vectors). */
  markStale(reason: StaleReason): void {
    if (this.indexed) this.log.debug(`index marked stale (${reason})`);
    this.indexed = false;
    this.filters.clear();
  }

  /** Searches the index (built first if needed); `token` is cancelled when a newer query supersedes this one. */
  async search(request: SearchRequest, token?: vscode.CancellationToken): Promise<SearchResult> {
    await this.ensureIndexed();
    if (token?.isCancellationRequested) throw new CancelledByUser('The search');
    return this.requireClient().request(
      Search,
      {
        query: request.query,
        topK: this.settings.maxResults,
        minScore: this.settings.minScore,
        exclude: request.origin,
        roots: this.roots(),
        scope: request.scope,
        refine: request.refine,
        percentiles: true,
      },
      token,
    );
  }

  /** Embeds texts with the model (no index needed): for comparisons. */
  async embed(texts: string[], token?: vscode.CancellationToken): Promise<EmbedResult> {
    await this.ensureHost();
    return this.requireClient().request(Embed, { texts }, token);
  }

  /** Why `params.text` matches `params.query`: per-word shares of the cosine (no index needed). */
  async explain(params: ExplainParams, token?: vscode.CancellationToken): Promise<ExplainResult> {
    await this.ensureHost();
    return this.requireClient().request(Explain, params, token);
  }

  /** Clusters of near-duplicate units in the index (built first if needed); the share compared goes to progress. */
  async findDuplicates(
    params: Omit<DuplicatesParams, 'roots' | 'progressToken'>,
    token?: vscode.CancellationToken,
    progress?: vscode.Progress<{ message?: string; increment?: number }>,
  ): Promise<DuplicatesResult> {
    await this.ensureIndexed();
    if (token?.isCancellationRequested) throw new CancelledByUser('Finding near-duplicates');
    const progressToken = randomUUID();
    let shownPercent = 0;
    this.progressListeners.set(progressToken, ({ phase, done, total }) => {
      const percent = total ? Math.floor((100 * done) / total) : 0;
      if (percent <= shownPercent) return;
      // VS Code adds up increments.
      progress?.report({ message: describeProgress(phase, done, total), increment: percent - shownPercent });
      shownPercent = percent;
    });
    try {
      return await this.requireClient().request(FindDuplicates, { ...params, roots: this.roots(), progressToken }, token);
    } finally {
      this.progressListeners.delete(progressToken);
    }
  }

  /** Lists the files the index leaves out in the log, and shows the log. */
  showSkippedFiles(displayPath: (root: string, relPath: string) => string): void {
    const summary = summarizeSkipped(this.skipped);
    if (!summary) {
      this.log.info('No files are skipped by the index.');
    } else {
      this.log.info(`${summary}:`);
      for (const line of skippedLogLines(this.skipped, displayPath)) this.log.info(`  ${line}`);
    }
    this.log.show(true);
  }

  /** Builds the index if this session has not yet (shared by concurrent callers). */
  ensureIndexed(): Promise<void> {
    if (this.indexed && this.client?.currentState === 'running') return Promise.resolve();
    this.indexing ??= this.buildIndex().finally(() => (this.indexing = undefined));
    return this.indexing;
  }

  /** Deletes this workspace's index and builds it again from scratch. */
  async rebuild(): Promise<void> {
    await this.deleteIndex();
    await this.ensureIndexed();
  }

  /** Deletes this workspace's index; the next search builds it again. */
  async clear(): Promise<void> {
    await this.deleteIndex();
    this.setState({ phase: 'idle', model: describeModel(this.settings.model), detail: 'Index cleared: the next search builds it again.' });
  }

  async restartHost(): Promise<void> {
    await this.client?.stop();
    this.hostKey = undefined;
    this.markStale('host');
    await this.ensureIndexed();
  }

  /** Changed files (from the editor or the file system); ignored until the index exists (it reads them then). */
  async updateFiles(changes: FileChange[]): Promise<void> {
    // A change made while indexing may come after the walk read that file: apply it once the index is built.
    await this.indexing?.catch(() => undefined);
    if (!this.indexed || !this.client || this.client.currentState !== 'running') return;
    const included = changes.filter((change) => this.isIndexable(change.root, change.relPath));
    if (!included.length) return;
    const summary = await this.client.request(UpdateFiles, { changes: included });
    this.log.debug(`updated ${included.length} file(s): ${summary.embedded} new unit text(s) embedded in ${summary.elapsedMs} ms`);
    this.skipped = mergeSkipped(this.skipped, { sample: summary.skipped, count: summary.skippedCount }, included);
    this.reportSave(summary);
    for (const skipped of summary.skipped) if (skipped.reason === 'crashed-host') this.log.warn(`skipped ${skipped.relPath}: ${skipped.detail ?? 'it crashed the model host'}`);
    await this.refreshCounts();
  }

  /** Whether a path falls under the include/exclude rules the walk uses (`.gitignore` is the host's to apply). */
  isIndexable(root: string, relPath: string): boolean {
    let indexable = this.filters.get(root);
    if (!indexable) {
      const spec = this.folderSpecs().find((candidate) => candidate.root === root);
      if (!spec) return false;
      const exclude = compileGlobs([...DEFAULT_EXCLUDES, ...(spec.walk.exclude ?? [])]);
      const include = compileGlobs(spec.walk.include ?? []);
      indexable = (candidate) => !exclude.matches(candidate) && (include.isEmpty || include.matches(candidate));
      this.filters.set(root, indexable);
    }
    return indexable(relPath);
  }

  /** Absolute paths of the workspace folders the host can read (local files only). */
  roots(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file').map((folder) => folder.uri.fsPath);
  }

  /** Stops the host process (requests in flight fail); resolves once it has exited (or been killed). */
  async shutdown(): Promise<void> {
    await this.client?.stop();
  }

  /** Starts the model host when it is not running (a comparison or explanation needs the model, not the index). */
  private async ensureHost(): Promise<void> {
    const state = this.client?.currentState;
    if (this.hostKey && (state === 'running' || state === 'restarting' || state === 'failed')) return;
    await this.startHost();
    // Nothing else will move the state on from "Loading the model…" when no index is being built.
    if (!this.indexing && this.state.phase === 'preparing') {
      this.setState({ phase: this.indexed ? 'ready' : 'idle', model: describeModel(this.settings.model), detail: this.indexed ? undefined : 'The model is loaded; the index is built on the first search.' });
    }
  }

  dispose(): void {
    void this.shutdown();
    this.stateEmitter.dispose();
  }

  private async buildIndex(): Promise<void> {
    // A host crash during indexing is retried once the client has restarted it; the stored index is reused.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.startHost();
        await this.indexWorkspace();
        return;
      } catch (error) {
        const crashed = (error as { code?: unknown })?.code === ErrorCodes.HostCrashed && this.client?.currentState !== 'failed';
        if (crashed && attempt < 3) {
          this.log.warn(`indexing interrupted by a host crash; trying again (attempt ${attempt + 1})`);
          continue;
        }
        const described = describeError(error);
        if (described.cancelled) {
          this.setState({ phase: 'idle', model: describeModel(this.settings.model), detail: 'Indexing was cancelled: the next search continues it.' });
        } else {
          this.setState({ ...this.state, phase: 'error', fraction: undefined, detail: undefined, error: { message: described.message, actions: described.actions } });
        }
        throw error;
      }
    }
  }

  private startHost(): Promise<void> {
    this.hostStarting ??= this.launchHost().finally(() => (this.hostStarting = undefined));
    return this.hostStarting;
  }

  private async launchHost(): Promise<void> {
    const settings = this.settings;
    const key = JSON.stringify([settings.model, settings.dtype, settings.threads, settings.maxMemoryMB, this.modelSetup.cacheRoot(settings), settings.downloadEndpoint]);
    const state = this.client?.currentState;
    // A host that kept crashing is not started again for the same settings: that takes Restart.
    if (this.hostKey === key && (state === 'running' || state === 'restarting' || state === 'starting' || state === 'failed')) return;
    const model = describeModel(settings.model);
    this.setState({ phase: 'preparing', model, detail: 'Checking the model…' });
    const spec: ModelSpec = await this.modelSetup.prepare(settings, {
      onDownloadProgress: (fraction, detail) => this.setState({ phase: 'downloading', model, fraction, detail: `Downloading ${detail}` }),
    });
    this.setState({ phase: 'preparing', model, detail: 'Loading the model…' });
    this.client ??= new HostClient({
      hostScript: vscode.Uri.joinPath(this.extensionUri, 'dist', 'host.js').fsPath,
      onLog: ({ level, message }) => this.log[level](message),
      onProgress: (params) => this.progressListeners.get(params.token)?.(params),
      onStateChange: (clientState, detail) => this.onClientState(clientState, detail),
    });
    const info = await this.client.start({ model: spec, threads: settings.threads, indexDir: this.indexDir(), maxMemoryMB: settings.maxMemoryMB || undefined });
    this.log.info(`model host ready: ${info.id} (${info.dtype}), ${info.dim} dimensions, ${info.maxLength} tokens, ${info.pooling} pooling`);
    this.hostKey = key;
    this.markStale('host');
  }

  private async indexWorkspace(): Promise<void> {
    const client = this.requireClient();
    const folders = this.folderSpecs();
    const model = describeModel(this.settings.model);
    if (!folders.length) {
      this.indexed = true;
      this.setState({ phase: 'ready', model, files: 0, units: 0, detail: 'Open a folder to search it.' });
      return;
    }
    this.setState({ phase: 'indexing', model, detail: 'Looking for files…' });
    const progressToken = randomUUID();
    await withDelayedProgress('Similar Sentences: indexing', PROGRESS_DELAY_MS, async (report, token) => {
      this.progressListeners.set(progressToken, ({ phase, done, total }) => {
        const fraction = phase === 'embedding' && total ? Math.min(1, done / total) : undefined;
        const detail = describeProgress(phase, done, total);
        report({ message: detail, fraction });
        this.setState({ phase: 'indexing', model, fraction, detail });
      });
      try {
        const summary = await client.request(IndexFolders, { folders, progressToken }, token);
        this.log.info(
          `indexed ${summary.files} files, ${summary.units} units in ${summary.elapsedMs} ms (${summary.embedded} embedded, ${summary.reused} reused, ${summary.truncated} truncated, ${summary.skippedCount} skipped)`,
        );
        this.skipped = { sample: summary.skipped, count: summary.skippedCount };
        this.reportFileLimit(summary);
        this.reportSave(summary);
        for (const skipped of summary.skipped) {
          const line = `skipped ${skipped.relPath} (${skipped.reason}${skipped.detail ? `: ${skipped.detail}` : ''})`;
          if (skipped.reason === 'crashed-host') this.log.warn(line);
          else this.log.debug(line);
        }
      } catch (error) {
        if (token.isCancellationRequested) throw new CancelledByUser('Indexing');
        throw error;
      } finally {
        this.progressListeners.delete(progressToken);
      }
    });
    await this.sendUnsavedDocuments();
    this.indexed = true;
    await this.refreshCounts();
  }

  /** Editors with unsaved changes count as they are now, not as they are on disk. */
  private async sendUnsavedDocuments(): Promise<void> {
    const roots = this.roots();
    const changes: FileChange[] = [];
    for (const document of vscode.workspace.textDocuments) {
      if (!document.isDirty || document.uri.scheme !== 'file') continue;
      const root = rootOf(roots, document.uri.fsPath);
      if (!root) continue;
      const relPath = toRelPath(root, document.uri.fsPath);
      if (this.isIndexable(root, relPath)) changes.push({ root, relPath, text: document.getText() });
    }
    if (changes.length) this.reportSave(await this.requireClient().request(UpdateFiles, { changes }));
  }

  /**
   * A save that failed (a full disk) failed no request: searches go on with the changes kept in memory. The user is
   * warned once, not on every edit; see SaveFailureNotice.
   */
  private reportSave(summary: IndexSummary): void {
    const notice = this.saveFailures.onSaveOutcome(summary.saveError);
    if (!notice) return;
    if ('recovered' in notice) {
      this.log.info('the index is saved again');
      return;
    }
    this.log.warn(notice.warning);
    void vscode.window.showWarningMessage(literalNotificationText(notice.warning));
  }

  /** A folder whose walk stopped at similarSentences.maxFiles: the user is told once, with the setting a click away. */
  private reportFileLimit(summary: IndexSummary): void {
    const folderName = (root: string) => vscode.workspace.workspaceFolders?.find((folder) => folder.uri.fsPath === root)?.name ?? path.basename(root);
    const warning = this.fileLimits.onIndexed(summary.skipped, this.settings.maxFiles, folderName);
    if (!warning) return;
    this.log.warn(warning);
    // The folder name comes from the workspace: it must not become a link.
    void vscode.window.showWarningMessage(literalNotificationText(`Similar Sentences: ${warning}`), 'Change File Limit…').then((answer) => {
      if (answer) void vscode.commands.executeCommand('workbench.action.openSettings', MAX_FILES_SETTING);
    });
  }

  private async refreshCounts(): Promise<void> {
    const status = await this.requireClient().request(Status);
    const skipped = summarizeSkipped(this.skipped);
    this.setState({
      phase: 'ready',
      model: describeModel(this.settings.model),
      files: status.files,
      units: status.units,
      skipped: skipped ? { summary: skipped, warning: hasCrashedHost(this.skipped) } : undefined,
    });
  }

  /** How the index splits this document: the unit mode settings, then the file's extension or name. */
  unitModeOf(document: { uri: vscode.Uri; languageId: string }): UnitMode {
    const name = path.posix.basename(document.uri.path);
    if (document.uri.scheme === 'untitled') {
      // No name to go by: the language decides.
      return this.settings.unitModes[`[${document.languageId}]`] ?? (PROSE_LANGUAGES.has(document.languageId) ? 'sentences' : 'lines');
    }
    return defaultUnitMode(name, this.resolvedUnitModes());
  }

  private resolvedUnitModes(): Record<string, UnitMode> {
    const languages = vscode.extensions.all.flatMap(
      (extension) => ((extension.packageJSON as { contributes?: { languages?: LanguageContribution[] } })?.contributes?.languages ?? []),
    );
    return resolveUnitModes(this.settings.unitModes, languages);
  }

  private folderSpecs(): FolderSpec[] {
    const unitModes = this.resolvedUnitModes();
    return (vscode.workspace.workspaceFolders ?? [])
      .filter((folder) => folder.uri.scheme === 'file')
      .map((folder) => folderSpec(folder.uri.fsPath, this.settings, readWorkspaceExcludes(vscode.workspace, folder.uri), unitModes));
  }

  private onClientState(clientState: ClientState, detail?: string): void {
    this.log.info(`model host ${clientState}${detail ? ` (${detail})` : ''}`);
    const recovering = this.recovering;
    this.recovering = undefined;
    if (!isHostTrouble(clientState)) {
      // The restart is over: the views show again what they showed before it, unless something newer replaced the
      // restart message meanwhile (indexing that resumed). Nothing else would, while no search runs.
      if (clientState === 'running' && recovering && this.state === recovering.shown) this.setState(recovering.before);
      return;
    }
    // A new host loads the index from disk: the next search walks the workspace again (reusing stored vectors).
    this.markStale('host');
    // Given up: the host stays stopped (requests fail at once, offering Restart) until Restart or a settings change.
    const shown = hostTroubleView(clientState, detail, describeModel(this.settings.model));
    // What to show once the host is back: the state before the first of a series of restarts.
    if (clientState === 'restarting') this.recovering = { before: recovering?.before ?? this.state, shown };
    this.setState(shown);
    if (clientState === 'failed' && !this.indexing) this.reportHostStopped(shown.error!.message);
  }

  /**
   * The client gave up on the host: said once in a notification, wherever the user is (the side view keeps saying
   * it). Not while indexing: the interrupted indexing reports the crash itself, with the same actions.
   */
  private reportHostStopped(message: string): void {
    const { restartHost, showLog } = ACTION_LABELS;
    void vscode.window.showErrorMessage(literalNotificationText(`Similar Sentences: ${message}`), restartHost, showLog).then((picked) => {
      if (picked === restartHost) void vscode.commands.executeCommand(COMMANDS.restartHost);
      else if (picked === showLog) this.log.show();
    });
  }

  /** Other workspaces' indexes in the same storage stay. */
  private async deleteIndex(): Promise<void> {
    await this.indexing?.catch(() => undefined);
    this.markStale('settings');
    this.skipped = NO_SKIPPED_FILES;
    const roots = this.roots();
    if (this.client && this.hostKey && this.client.currentState === 'running') {
      await this.client.request(ClearIndex, { roots });
    } else {
      // No host has the index open: delete its files here rather than load a model just for that.
      for (const root of roots) await clearIndexes(this.indexDir(), root);
    }
  }

  private indexDir(): string {
    return path.join(this.storage.fsPath, 'index');
  }

  private requireClient(): HostClient {
    if (!this.client) throw new Error('The model host is not running.');
    return this.client;
  }

  private setState(state: IndexStateView): void {
    this.state = state;
    this.stateEmitter.fire(state);
  }
}

function describeProgress(phase: ProgressParams['phase'], done: number, total?: number): string {
  const of = total !== undefined ? ` / ${total.toLocaleString()}` : '';
  switch (phase) {
    case 'walking':
      return `Reading files: ${done.toLocaleString()}${of}`;
    case 'embedding':
      return `Embedding units: ${done.toLocaleString()}${of}`;
    case 'saving':
      return 'Saving the index…';
    case 'comparing':
      return `Comparing units: ${total ? Math.floor((100 * done) / total) : 0}%`;
  }
}
