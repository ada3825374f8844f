// *Find Near-Duplicates*: clusters of units of the index whose cosine is above a threshold (asked once, then
// remembered), largest first, in a panel where each member opens its place.
import * as vscode from 'vscode';
import type { DuplicatesResult } from '../protocol';
import type { DuplicatesView, WebviewMessage } from '../webview/protocol';
import { formatScore } from '../webview/format';
import { AnalysisPanel, type AnalysisPanelContext } from './analysisPanel';
import { describeError } from './errors';
import { locationOf } from './results';
import { duplicatesToSave, parseSavedDuplicates, SAVED_DUPLICATES_KEY, type SavedDuplicates } from './savedPanels';
import { PANELS } from './webviewPanel';

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

export class DuplicatesController extends AnalysisPanel {
  /** The threshold of the clusters shown (found in this session or restored): what Rerun finds again. */
  private shownThreshold?: number;

  constructor(context: AnalysisPanelContext) {
    super(context, PANELS.duplicates);
  }

  get threshold(): number {
    return parseThreshold(String(this.context.globalState.get<number>(THRESHOLD_KEY) ?? '')) ?? DEFAULT_THRESHOLD;
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
    await this.context.globalState.update(THRESHOLD_KEY, threshold);
    await this.run(threshold);
  }

  /**
   * A panel restored after a window reload: the clusters found before, from what was kept, with fresh ids and marked
   * as found before the reload (files may have changed; Refresh finds them again). Never starts a search by itself:
   * on a large workspace that takes a while. With nothing kept the panel closes rather than stay blank.
   */
  protected restore(): void {
    if (this.shownThreshold !== undefined) return; // clusters of this session are already showing
    const saved = parseSavedDuplicates(this.context.workspaceState.get(SAVED_DUPLICATES_KEY));
    if (!saved) {
      this.panel.close();
      return;
    }
    this.shownThreshold = saved.threshold;
    this.panel.update({ type: 'duplicates', view: { ...this.toView(saved), foundBeforeReload: saved.foundAt } });
  }

  private async run(threshold: number): Promise<void> {
    const turn = this.requests.begin();
    const title = `Near-duplicates above ${formatScore(threshold)}`;
    this.panel.show({ type: 'busy', title, detail: 'Comparing every unit of the index with the others…' }, true);
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Similar Sentences: finding near-duplicates', cancellable: true },
        (progress, token) => {
          turn.follow(token);
          return this.context.service.findDuplicates({ threshold, maxClusters: MAX_CLUSTERS }, turn.token, progress);
        },
      );
      if (!turn.isLatest) return;
      const found = this.found(threshold, result);
      this.shownThreshold = threshold;
      this.panel.show({ type: 'duplicates', view: this.toView(found) }, false);
      // Keeping them is extra: a failure leaves the clusters shown, and says why in the log.
      this.context.workspaceState.update(SAVED_DUPLICATES_KEY, duplicatesToSave(found)).then(undefined, (error) => this.context.log.warn(`could not keep the near-duplicates: ${describeError(error).message}`));
    } catch (error) {
      if (!turn.isLatest) return;
      const described = describeError(error);
      this.panel.show({ type: 'failed', title, message: described.message, actions: described.cancelled ? [] : described.actions }, true);
      if (!described.cancelled) await this.context.report(error);
    } finally {
      turn.dispose();
    }
  }

  /** The host's answer as the places of the members (what is shown, and kept). */
  private found(threshold: number, result: DuplicatesResult): SavedDuplicates {
    return {
      threshold,
      units: result.units,
      elapsedMs: result.elapsedMs,
      model: this.context.service.currentState.model,
      limited: result.clusters.length >= MAX_CLUSTERS,
      foundAt: Date.now(),
      clusters: result.clusters.map((cluster) => ({ distinctTexts: cluster.distinctTexts, members: cluster.members.map(locationOf) })),
    };
  }

  /** The clusters with ids (issued now) to open their members. */
  private toView(found: SavedDuplicates): DuplicatesView {
    const members = found.clusters.flatMap((cluster) => cluster.members);
    const ids = this.context.presenter.issue('duplicates', members);
    let next = 0;
    return {
      threshold: found.threshold,
      units: found.units,
      elapsedMs: found.elapsedMs,
      model: found.model,
      limited: found.limited,
      clusters: found.clusters.map((cluster) => ({
        distinctTexts: cluster.distinctTexts,
        members: cluster.members.map((member) => ({
          id: ids[next++],
          file: this.context.presenter.displayPath(member.root, member.relPath),
          line: member.line,
          endLine: member.endLine,
          text: member.text,
          score: member.score,
        })),
      })),
    };
  }

  protected onMessage(message: WebviewMessage): void {
    switch (message.type) {
      case 'open':
        this.openResult(message.id, message.toSide);
        return;
      case 'rerun':
        void this.run(this.shownThreshold ?? this.threshold);
        return;
      case 'changeThreshold':
        void this.findDuplicates();
        return;
      case 'action':
        if (message.action === 'retry') void this.run(this.threshold);
        else void this.context.runAction(message.action);
        return;
    }
  }
}
