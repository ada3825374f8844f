// Runs searches for the panel and the side view, routes what their pages ask for, and carries out the fixes
// offered next to errors. A webview can only name one of the protocol's actions; it never names a command.
import * as vscode from 'vscode';
import type { ActionId, ExtensionMessage, QueryView, WebviewMessage } from '../webview/protocol';
import { ACTION_LABELS } from '../webview/protocol';
import { COMMANDS } from './commandIds';
import { describeError, type UserFacingError } from './errors';
import type { RecentQueries } from './recentQueries';
import type { ResultsPanel } from './resultsPanel';
import type { ResultsPresenter, SavedResults } from './results';
import type { ResultsViewProvider } from './resultsView';
import type { SearchRequest, SimilarityService } from './service';
import type { Settings } from './settings';

export type Target = 'panel' | 'sidebar';

interface LastSearch {
  request: SearchRequest;
  query: QueryView;
}

/** The latest results of each view, kept per workspace so both come back after a window reload. */
const SAVED_RESULTS_KEY: Record<Target, string> = {
  panel: 'similarSentences.results.panel',
  sidebar: 'similarSentences.results.sidebar',
};

export class Controller {
  private readonly last = new Map<Target, LastSearch>();
  private readonly generation = new Map<Target, number>();
  /** Views that were sent results in this session (the others may show restored ones). */
  private readonly hasResults = new Set<Target>();
  private editorColumn: vscode.ViewColumn | undefined;
  panel!: ResultsPanel;
  sideView!: ResultsViewProvider;

  constructor(
    private readonly workspaceState: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
    private readonly service: SimilarityService,
    private readonly presenter: ResultsPresenter,
    private readonly recent: RecentQueries,
    private readonly settings: () => Settings,
  ) {}

  /** Results open in the column the user last worked in (the panel lives beside it). */
  trackEditor(editor: vscode.TextEditor | undefined): void {
    if (editor?.viewColumn) this.editorColumn = editor.viewColumn;
  }

  async search(request: SearchRequest, query: QueryView, target: Target): Promise<void> {
    const generation = (this.generation.get(target) ?? 0) + 1;
    this.generation.set(target, generation);
    this.last.set(target, { request, query });
    if (!request.origin) void this.recent.add(request.query);
    this.post(target, { type: 'searching', query }, true);
    try {
      const result = await this.service.search(request);
      if (this.generation.get(target) !== generation) return; // superseded while it ran
      const { contextLines, maxFileSize } = this.settings();
      const view = await this.presenter.present(query, result, { contextLines, maxFileSize });
      if (this.generation.get(target) !== generation) return;
      this.post(target, { type: 'results', view }, false);
      // The side view always shows the latest results, wherever the search was started.
      if (target === 'panel') this.sideView.post({ type: 'results', view });
      const saved = this.presenter.save(view);
      for (const shown of target === 'panel' ? (['panel', 'sidebar'] as const) : (['sidebar'] as const)) {
        this.hasResults.add(shown);
        await this.workspaceState.update(SAVED_RESULTS_KEY[shown], saved);
      }
    } catch (error) {
      if (this.generation.get(target) !== generation) return;
      const described = describeError(error);
      if (described.cancelled) {
        this.post(target, { type: 'searchFailed', query, message: described.message, actions: ['retry'] }, true);
        return;
      }
      this.log.error(`search failed: ${described.message}`);
      this.post(target, { type: 'searchFailed', query, message: described.message, actions: described.actions }, true);
      void this.notify(described);
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
      const view = await this.presenter.restore(saved, { contextLines, maxFileSize });
      if (this.hasResults.has(target)) return; // a search finished meanwhile
      this.hasResults.add(target);
      this.last.set(target, { request: { query: saved.query.text }, query: saved.query });
      if (target === 'panel') this.panel.update({ type: 'results', view });
      else this.sideView.post({ type: 'results', view });
    } catch (error) {
      this.log.warn(`could not restore the ${target} results: ${describeError(error).message}`);
    }
  }

  onMessage(source: Target, message: WebviewMessage): void {
    switch (message.type) {
      case 'ready':
        if (source === 'sidebar') void this.restore('sidebar');
        return;
      case 'open':
        void this.presenter.open(message.id, message.toSide, this.editorColumn, this.panel.viewColumn).catch((error) => this.report(error));
        return;
      case 'copy':
        void this.presenter.copy(message.id).catch((error) => this.report(error));
        return;
      case 'rerun':
        void this.rerun(source);
        return;
      case 'search':
        void this.search({ query: message.query }, { text: message.query }, source);
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
    const picked = await vscode.window.showErrorMessage(`Similar Sentences: ${described.message}`, ...labels);
    const action = described.actions[labels.indexOf(picked ?? '')];
    if (action) await this.runAction(action);
  }

  private post(target: Target, message: ExtensionMessage, preserveFocus: boolean): void {
    if (target === 'panel') this.panel.show(message, preserveFocus);
    else this.sideView.post(message);
  }
}
