// Runs searches for the panel and the side view, routes what their pages ask for (open, copy, explain, refine,
// scope, follow mode), and carries out the fixes offered next to errors. A webview can only name one of the
// protocol's actions and ids the extension issued; it never names a command or a path.
import * as vscode from 'vscode';
import type { CancellationToken } from 'vscode-jsonrpc';
import { ErrorCodes } from '../protocol';
import type { ActionId, ExtensionMessage, QueryView, RefineDirection, WebviewMessage } from '../webview/protocol';
import { ACTION_LABELS } from '../webview/protocol';
import { COMMANDS } from './commandIds';
import { describeError, type UserFacingError } from './errors';
import { ExplanationQueue } from './explanationQueue';
import type { FollowedLine } from './followMode';
import { LatestRequest } from './latestRequest';
import { literalNotificationText } from './notificationText';
import { rootOf, toRelPath } from './paths';
import type { RecentQueries } from './recentQueries';
import { refined, withoutRefinement } from './refinement';
import type { ResultsPresenter, SavedResults } from './results';
import type { ResultsViewProvider } from './resultsView';
import type { SearchRequest, SimilarityService } from './service';
import type { Settings } from './settings';
import type { SideScope } from './sideScope';
import type { WebviewPanelHost } from './webviewPanel';

export type Target = 'panel' | 'sidebar';

interface LastSearch {
  request: SearchRequest;
  query: QueryView;
}

/** A search whose results a view shows, with their ids (to find the search a refined result belongs to). */
interface ShownSearch extends LastSearch {
  ids: ReadonlySet<string>;
}

/** The latest results of each view, kept per workspace so both come back after a window reload. */
const SAVED_RESULTS_KEY: Record<Target, string> = {
  panel: 'similarSentences.results.panel',
  sidebar: 'similarSentences.results.sidebar',
};

export class Controller {
  private readonly last = new Map<Target, LastSearch>();
  private readonly shown = new Map<Target, ShownSearch>();
  /** Each view's searches: a new one cancels the previous one of that view (never the other's) and drops its outcome. */
  private readonly searches: Record<Target, LatestRequest> = { panel: new LatestRequest(), sidebar: new LatestRequest() };
  /** Views that were sent results in this session (the others may show restored ones). */
  private readonly hasResults = new Set<Target>();
  private editorColumn: vscode.ViewColumn | undefined;
  private readonly explanations = new ExplanationQueue<Target>((target, id, token) => this.explain(target, id, token));
  /** A model whose scores the host cannot explain (not mean-pooled). */
  private unexplainableModel?: string;
  panel!: WebviewPanelHost;
  sideView!: ResultsViewProvider;

  constructor(
    private readonly workspaceState: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
    private readonly service: SimilarityService,
    private readonly presenter: ResultsPresenter,
    private readonly recent: RecentQueries,
    private readonly sideScope: SideScope,
    private readonly settings: () => Settings,
    /** Follow mode, switched by the side view's button and searched again when the scope changes. */
    private readonly followMode: { set(on: boolean): Promise<void>; refresh(): void },
  ) {}

  /** The editor column the user last worked in. */
  get lastEditorColumn(): vscode.ViewColumn | undefined {
    return this.editorColumn;
  }

  /** Results open in the column the user last worked in (the panel lives beside it). */
  trackEditor(editor: vscode.TextEditor | undefined): void {
    if (editor?.viewColumn) this.editorColumn = editor.viewColumn;
    this.sideScope.trackEditor(editor);
  }

  async search(request: SearchRequest, query: QueryView, target: Target): Promise<void> {
    const turn = this.searches[target].begin();
    this.last.set(target, { request, query });
    this.explanations.reset(target);
    // Typed queries, and any query refined on purpose, are worth finding again; selections and followed lines are not.
    if (!request.origin || request.refine) void this.recent.add({ query: request.query, refine: request.refine });
    // Following the cursor, the results of the previous line stay until the next ones arrive: no flicker while moving.
    if (!query.following) this.post(target, { type: 'searching', query }, true);
    try {
      const result = await this.service.search(request, turn.token);
      if (!turn.isLatest) return; // superseded while it ran
      const { contextLines, maxFileSize } = this.settings();
      const view = await this.presenter.present(target, query, { query: request.query, refine: request.refine }, result, { contextLines, maxFileSize });
      if (!turn.isLatest) return;
      const shown: ShownSearch = { request, query, ids: new Set(view.results.map((result) => result.id)) };
      this.shown.set(target, shown);
      this.post(target, { type: 'results', view }, false);
      // The side view always shows the latest results, wherever the search was started.
      if (target === 'panel') {
        this.explanations.reset('sidebar');
        this.shown.set('sidebar', shown);
        this.sideView.post({ type: 'results', view });
      }
      const saved = this.presenter.save(view);
      for (const shown of target === 'panel' ? (['panel', 'sidebar'] as const) : (['sidebar'] as const)) {
        this.hasResults.add(shown);
        await this.workspaceState.update(SAVED_RESULTS_KEY[shown], saved);
      }
    } catch (error) {
      if (!turn.isLatest) return;
      const described = describeError(error);
      if (described.cancelled) {
        this.post(target, { type: 'searchFailed', query, message: described.message, actions: ['retry'] }, true);
        return;
      }
      this.log.error(`search failed: ${described.message}`);
      this.post(target, { type: 'searchFailed', query, message: described.message, actions: described.actions }, true);
      void this.notify(described);
    } finally {
      turn.dispose();
    }
  }

  /** Runs the last search of `target` again (the panel's Rerun button, the Retry action). */
  async rerun(target: Target): Promise<void> {
    const last = this.last.get(target);
    if (last) await this.search(last.request, last.query, target);
  }

  /**
   * Shows a view's results from the previous session (a panel restored after a reload, the side view opened), re-read
   * from disk with fresh ids, without starting the model. Nothing happens once the view got results in this session.
   */
  async restore(target: Target): Promise<void> {
    const saved = this.workspaceState.get<SavedResults>(SAVED_RESULTS_KEY[target]);
    if (this.hasResults.has(target) || !saved || !Array.isArray(saved.locations) || typeof saved.query?.text !== 'string') return;
    const { contextLines, maxFileSize } = this.settings();
    try {
      const view = await this.presenter.restore(target, saved, { contextLines, maxFileSize });
      if (this.hasResults.has(target)) return; // a search finished meanwhile
      this.hasResults.add(target);
      const request: SearchRequest = { query: saved.query.text, refine: saved.query.refine };
      this.last.set(target, { request, query: saved.query });
      this.shown.set(target, { request, query: saved.query, ids: new Set(view.results.map((result) => result.id)) });
      if (target === 'panel') this.panel.update({ type: 'results', view });
      else this.sideView.post({ type: 'results', view });
    } catch (error) {
      this.log.warn(`could not restore the ${target} results: ${describeError(error).message}`);
    }
  }

  /** Follow mode: the side view shows what is most similar to the line under the cursor. */
  follow({ document, line, text }: FollowedLine): void {
    const resolved = this.sideScope.resolve();
    const root = document.uri.scheme === 'file' ? rootOf(this.service.roots(), document.uri.fsPath) : undefined;
    const origin = root ? { root, relPath: toRelPath(root, document.uri.fsPath), line: line + 1, endLine: line + 1 } : undefined;
    const query: QueryView = {
      text,
      following: true,
      origin: origin && { file: this.presenter.displayPath(origin.root, origin.relPath), line: origin.line, endLine: origin.endLine },
    };
    if ('problem' in resolved) {
      this.post('sidebar', { type: 'searchFailed', query, message: resolved.problem, actions: [] }, true);
      return;
    }
    void this.search({ query: text, origin, scope: resolved.scope }, { ...query, scope: resolved.label }, 'sidebar');
  }

  /** A free-text search in the side view, in the side view's scope. */
  private searchSideView(text: string): void {
    const resolved = this.sideScope.resolve();
    if ('problem' in resolved) {
      this.post('sidebar', { type: 'searchFailed', query: { text }, message: resolved.problem, actions: [] }, true);
      return;
    }
    void this.search({ query: text, scope: resolved.scope }, { text, scope: resolved.label }, 'sidebar');
  }

  /** *More like this* / *Less like this* on a result: the same search, with the query moved toward or away from it. */
  private refine(source: Target, id: string, direction: RefineDirection): void {
    const search = [this.shown.get(source), ...this.shown.values()].find((candidate) => candidate?.ids.has(id));
    const result = this.presenter.explainable(id);
    if (!search || !result) {
      this.log.warn('a webview asked to refine by a result id that is not shown (or has expired)');
      return;
    }
    const refine = refined(search.request.refine, result.text, direction);
    void this.search({ ...search.request, refine }, { ...search.query, refine }, source);
  }

  private clearRefinement(source: Target): void {
    const last = this.last.get(source);
    if (last?.request.refine) void this.search(withoutRefinement(last.request), { ...last.query, refine: undefined }, source);
  }

  /** Why result `id` matched its query, sent to the view that asked. */
  private async explain(target: Target, id: string, token: CancellationToken): Promise<void> {
    const result = this.presenter.explainable(id);
    const model = this.service.currentState.model;
    if (!result || this.unexplainableModel === model) return;
    try {
      const explained = await this.service.explain({ query: result.asked.query, text: result.text, refine: result.asked.refine }, token);
      if (token.isCancellationRequested) return;
      const explanation = { score: explained.score, words: explained.words };
      if (target === 'panel') this.panel.update({ type: 'explanation', id, explanation });
      else this.sideView.post({ type: 'explanation', id, explanation });
    } catch (error) {
      // An explanation is extra: a failure leaves the result as it is, and says why in the log.
      const described = describeError(error);
      if (described.cancelled) return;
      this.log.warn(`could not explain a result: ${described.message}`);
      // Not for this model at all: do not ask again for every result shown.
      if ((error as { code?: unknown })?.code === ErrorCodes.ExplanationUnsupported) this.unexplainableModel = model;
    }
  }

  onMessage(source: Target, message: WebviewMessage): void {
    switch (message.type) {
      case 'ready':
        if (source === 'sidebar') void this.restore('sidebar');
        return;
      case 'explain':
        this.explanations.request(source, message.id);
        return;
      case 'refine':
        this.refine(source, message.id, message.direction);
        return;
      case 'clearRefinement':
        this.clearRefinement(source);
        return;
      case 'follow':
        void this.followMode.set(message.on);
        return;
      case 'scope':
        void this.sideScope.change({ kind: message.kind, include: message.include, exclude: message.exclude }).then(() => this.followMode.refresh());
        return;
      case 'open':
        void this.presenter.open(source, message.id, message.toSide, this.editorColumn, this.panel.viewColumn).catch((error) => this.report(error));
        return;
      case 'copy':
        void this.presenter.copy(message.id).catch((error) => this.report(error));
        return;
      case 'rerun':
        void this.rerun(source);
        return;
      case 'search':
        if (source === 'sidebar') this.searchSideView(message.query);
        else void this.search({ query: message.query }, { text: message.query }, source);
        return;
      case 'action':
        void this.runAction(message.action, source);
        return;
    }
  }

  async runAction(action: ActionId, source?: Target): Promise<void> {
    switch (action) {
      case 'showLog':
        this.log.show();
        return;
      case 'retry':
        if (source && this.last.has(source)) return this.rerun(source);
        if (this.last.has('panel')) return this.rerun('panel');
        return this.indexNow();
      case 'restartHost':
        await this.service.restartHost().catch((error) => this.report(error));
        return;
      case 'selectModel':
        await vscode.commands.executeCommand(COMMANDS.selectModel);
        return;
      case 'selectLocalModel':
        await vscode.commands.executeCommand(COMMANDS.selectModel, 'folder');
        return;
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', 'similarSentences');
        return;
      case 'rebuildIndex':
        await vscode.commands.executeCommand(COMMANDS.rebuildIndex);
        return;
      case 'memoryLimitSetting':
        await vscode.commands.executeCommand('workbench.action.openSettings', 'similarSentences.maxMemoryMB');
        return;
      case 'showSkipped':
        this.service.showSkippedFiles((root, relPath) => this.presenter.displayPath(root, relPath));
        return;
    }
  }

  /** Builds the index now (Rebuild/Retry without a search to repeat), reporting failures. */
  async indexNow(rebuild = false): Promise<void> {
    try {
      if (rebuild) await this.service.rebuild();
      else await this.service.ensureIndexed();
    } catch (error) {
      await this.report(error);
    }
  }

  /** Shows one error notification with its fixes (nothing for a cancellation). */
  async report(error: unknown): Promise<void> {
    const described = describeError(error);
    if (described.cancelled) return;
    this.log.error(described.message);
    await this.notify(described);
  }

  private async notify(described: UserFacingError): Promise<void> {
    const labels = described.actions.map((action) => ACTION_LABELS[action]);
    const picked = await vscode.window.showErrorMessage(literalNotificationText(`Similar Sentences: ${described.message}`), ...labels);
    const action = described.actions[labels.indexOf(picked ?? '')];
    if (action) await this.runAction(action);
  }

  private post(target: Target, message: ExtensionMessage, preserveFocus: boolean): void {
    if (target === 'panel') this.panel.show(message, preserveFocus);
    else this.sideView.post(message);
  }
}
