// *Find Near-Duplicates*: clusters of units of the index whose cosine is above a threshold (asked once, then
// remembered), largest first, in a panel where each member opens its place.
import * as vscode from 'vscode';
import type { DuplicatesResult } from '../protocol';
import type { ActionId, DuplicatesView, WebviewMessage } from '../webview/protocol';
import { formatScore } from '../webview/format';
import { describeError } from './errors';
import { LatestRequest } from './latestRequest';
import { locationOf, type ResultsPresenter } from './results';
import type { SimilarityService } from './service';
import { PANELS, WebviewPanelHost } from './webviewPanel';

/** Near-duplicates with a sentence-transformer: paraphrases and copies score above this; related sentences below. */
export const DEFAULT_THRESHOLD = 0.9;
/** Clusters listed at most (the host returns the largest). */
export const MAX_CLUSTERS = 500;
const THRESHOLD_KEY = 'similarSentences.duplicatesThreshold';

/** A threshold as typed: a cosine in (0, 1]. */
export function parseThreshold(text: string): number | undefined {
  const value = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(value) && value > 0 && value <= 1 ? value : undefined;
}

export class DuplicatesController implements vscode.Disposable {
  private readonly panel: WebviewPanelHost;
  /** A new run (Rerun, another threshold) cancels the one in progress, whose outcome is dropped. */
  private readonly runs = new LatestRequest();

  constructor(
    extensionUri: vscode.Uri,
    log: vscode.LogOutputChannel,
    private readonly globalState: vscode.Memento,
    private readonly service: SimilarityService,
    private readonly presenter: ResultsPresenter,
    private readonly report: (error: unknown) => Promise<void>,
    private readonly runAction: (action: ActionId) => Promise<void>,
    private readonly editorColumn: () => vscode.ViewColumn | undefined,
    /** Where the other panels are: this one opens among them, not in yet another column. */
    panelsColumn: () => vscode.ViewColumn | undefined,
  ) {
    this.panel = new WebviewPanelHost(PANELS.duplicates, extensionUri, log, (message) => this.onMessage(message), undefined, panelsColumn);
  }

  get threshold(): number {
    return parseThreshold(String(this.globalState.get<number>(THRESHOLD_KEY) ?? '')) ?? DEFAULT_THRESHOLD;
  }

  /** Asks for the threshold (the last one offered), then finds the clusters. */
  async findDuplicates(): Promise<void> {
    const typed = await vscode.window.showInputBox({
      title: 'Find Near-Duplicates',
      prompt: 'Units whose cosine similarity is at least this are clustered: 0.95 finds copies and close rewordings, 0.8 looser paraphrases.',
      value: String(this.threshold),
      validateInput: (text) => (parseThreshold(text) === undefined ? 'A cosine similarity above 0 and at most 1, e.g. 0.9.' : undefined),
    });
    const threshold = typed === undefined ? undefined : parseThreshold(typed);
    if (threshold === undefined) return;
    await this.globalState.update(THRESHOLD_KEY, threshold);
    await this.run(threshold);
  }

  /** The column of this panel, while it is open. */
  get viewColumn(): vscode.ViewColumn | undefined {
    return this.panel.viewColumn;
  }

  dispose(): void {
    this.runs.cancel();
    this.panel.dispose();
  }

  private async run(threshold: number): Promise<void> {
    const turn = this.runs.begin();
    const title = `Near-duplicates above ${formatScore(threshold)}`;
    this.panel.show({ type: 'busy', title, detail: 'Comparing every unit of the index with the others…' }, true);
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Similar Sentences: finding near-duplicates', cancellable: true },
        (_progress, token) => {
          turn.follow(token);
          return this.service.findDuplicates({ threshold, maxClusters: MAX_CLUSTERS }, turn.token);
        },
      );
      if (!turn.isLatest) return;
      this.panel.show({ type: 'duplicates', view: this.toView(threshold, result) }, false);
    } catch (error) {
      if (!turn.isLatest) return;
      const described = describeError(error);
      this.panel.show({ type: 'failed', title, message: described.message, actions: described.cancelled ? [] : described.actions }, true);
      if (!described.cancelled) await this.report(error);
    } finally {
      turn.dispose();
    }
  }

  private toView(threshold: number, result: DuplicatesResult): DuplicatesView {
    const members = result.clusters.flatMap((cluster) => cluster.members);
    const ids = this.presenter.issue('duplicates', members.map(locationOf));
    let next = 0;
    return {
      threshold,
      units: result.units,
      elapsedMs: result.elapsedMs,
      model: this.service.currentState.model,
      limited: result.clusters.length >= MAX_CLUSTERS,
      clusters: result.clusters.map((cluster) => ({
        distinctTexts: cluster.distinctTexts,
        members: cluster.members.map((member) => ({
          id: ids[next++],
          file: this.presenter.displayPath(member.root, member.relPath),
          line: member.line,
          endLine: member.endLine,
          text: member.text,
          score: member.score,
        })),
      })),
    };
  }

  private onMessage(message: WebviewMessage): void {
    switch (message.type) {
      case 'open':
        void this.presenter.open('duplicates', message.id, message.toSide, this.editorColumn(), this.panel.viewColumn).catch((error) => this.report(error));
        return;
      case 'rerun':
        void this.run(this.threshold);
        return;
      case 'changeThreshold':
        void this.findDuplicates();
        return;
      case 'action':
        if (message.action === 'retry') void this.run(this.threshold);
        else void this.runAction(message.action);
        return;
    }
  }
}
