// *Compare Selected Lines*: the selected lines (or sentences, as the file is split) embedded with the model and
// shown as a pairwise cosine heatmap in a panel of its own, exportable as CSV (save dialog or clipboard).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { cosineMatrix } from '../core/similarity';
import type { Unit } from '../core/units';
import type { CompareView, WebviewMessage } from '../webview/protocol';
import { AnalysisPanel, type AnalysisPanelContext } from './analysisPanel';
import { unitsOfSelections } from './compareUnits';
import { similarityCsv } from './csv';
import { describeError } from './errors';
import { rootOf, toRelPath } from './paths';
import type { ResultLocation } from './resultRegistry';
import { parseSavedComparison, SAVED_COMPARISON_KEY, type SavedComparison } from './savedPanels';
import { PANELS } from './webviewPanel';

/** A bigger matrix stops being readable (and costs n² cells); the first units of a larger selection are compared. */
export const MAX_COMPARED_UNITS = 100;

/** What is compared: the units, where they are, how the file was split. */
type Comparison = Omit<SavedComparison, 'matrix' | 'model'>;

export class CompareController extends AnalysisPanel {
  private last?: { comparison: Comparison; view?: CompareView };

  constructor(context: AnalysisPanelContext) {
    super(context, PANELS.compare);
  }

  /** Compares the units of the active editor's selections. */
  async compareSelection(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Similar Sentences: select two or more lines in an editor to compare them.');
      return;
    }
    const { document } = editor;
    const mode = this.context.service.unitModeOf(document);
    const selections = editor.selections.map((selection) => ({
      startLine: selection.start.line,
      startColumn: selection.start.character,
      endLine: selection.end.line,
      endColumn: selection.end.character,
    }));
    const all = unitsOfSelections(document.getText(), selections, mode);
    if (all.length < 2) {
      const what = mode === 'sentences' ? 'sentences' : 'lines';
      void vscode.window.showInformationMessage(`Similar Sentences: select two or more ${what} with text to compare them (this file is split into ${what}).`);
      return;
    }
    const root = document.uri.scheme === 'file' ? rootOf(this.context.service.roots(), document.uri.fsPath) : undefined;
    const place = root ? { root, relPath: toRelPath(root, document.uri.fsPath) } : undefined;
    const fileLabel = place ? this.context.presenter.displayPath(place.root, place.relPath) : path.posix.basename(document.uri.path);
    await this.compare({ units: all.slice(0, MAX_COMPARED_UNITS), place, fileLabel, mode, limited: all.length > MAX_COMPARED_UNITS });
  }

  /**
   * A heatmap restored after a window reload: the last comparison again, from what was kept (no model needed), with
   * fresh ids. With nothing kept the panel closes rather than stay blank.
   */
  protected restore(): void {
    if (this.last) return; // a comparison of this session is already showing
    const saved = parseSavedComparison(this.context.workspaceState.get(SAVED_COMPARISON_KEY));
    if (!saved) {
      this.panel.close();
      return;
    }
    const { matrix, model, ...comparison } = saved;
    const view = this.toView(comparison, matrix, model);
    this.last = { comparison, view };
    this.panel.update({ type: 'compare', view });
  }

  private async compare(comparison: Comparison): Promise<void> {
    const turn = this.requests.begin();
    this.last = { comparison };
    const { units, mode } = comparison;
    const title = `Compare ${units.length} ${mode === 'sentences' ? 'sentences' : 'lines'} of ${sourceOf(comparison)}`;
    this.panel.show({ type: 'busy', title, detail: `Embedding ${units.length} ${mode}…` }, true);
    try {
      const { vectors } = await this.context.service.embed(units.map((unit) => unit.text), turn.token);
      if (!turn.isLatest) return;
      const view = this.toView(comparison, cosineMatrix(vectors), this.context.service.currentState.model);
      this.last = { comparison, view };
      this.panel.show({ type: 'compare', view }, false);
      const saved: SavedComparison = { ...comparison, matrix: view.matrix, model: view.model };
      // Keeping it is extra: a failure leaves the heatmap shown, and says why in the log.
      this.context.workspaceState.update(SAVED_COMPARISON_KEY, saved).then(undefined, (error) => this.context.log.warn(`could not keep the comparison: ${describeError(error).message}`));
    } catch (error) {
      if (!turn.isLatest) return;
      const described = describeError(error);
      this.panel.show({ type: 'failed', title, message: described.message, actions: described.cancelled ? [] : described.actions }, true);
      if (!described.cancelled) await this.context.report(error);
    } finally {
      turn.dispose();
    }
  }

  /** The heatmap of a comparison, with ids (issued now) for units that can be opened. */
  private toView(comparison: Comparison, matrix: number[][], model: string): CompareView {
    const { units, place } = comparison;
    const ids = place ? this.context.presenter.issue('compare', units.map((unit) => locationOf(place, unit))) : [];
    return {
      source: sourceOf(comparison),
      mode: comparison.mode,
      units: units.map((unit, i) => ({ id: ids[i], file: comparison.fileLabel, line: unit.line, text: unit.text })),
      matrix,
      model,
      limited: comparison.limited,
    };
  }

  protected onMessage(message: WebviewMessage): void {
    switch (message.type) {
      case 'open':
        this.openResult(message.id, message.toSide);
        return;
      case 'exportCsv':
        void this.exportCsv(message.to).catch((error) => this.context.report(error));
        return;
      case 'rerun':
        if (this.last) void this.compare(this.last.comparison);
        return;
      case 'action':
        void this.context.runAction(message.action);
        return;
    }
  }

  private async exportCsv(to: 'file' | 'clipboard'): Promise<void> {
    const view = this.last?.view;
    if (!view) return;
    const csv = similarityCsv(
      view.units.map((unit) => `${unit.file}:${unit.line} ${unit.text}`),
      view.matrix,
    );
    if (to === 'clipboard') {
      await vscode.env.clipboard.writeText(csv);
      vscode.window.setStatusBarMessage('Similar Sentences: similarity matrix copied as CSV', 3000);
      return;
    }
    const folder = this.last?.comparison.place?.root;
    const uri = await vscode.window.showSaveDialog({
      title: 'Export the similarity matrix as CSV',
      defaultUri: folder ? vscode.Uri.file(path.join(folder, 'similarity.csv')) : undefined,
      filters: { CSV: ['csv'] },
      saveLabel: 'Export',
    });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, Buffer.from(csv, 'utf8'));
    this.context.log.info(`similarity matrix of ${view.units.length} units written to ${uri.fsPath}`);
    vscode.window.setStatusBarMessage(`Similar Sentences: CSV saved to ${path.basename(uri.fsPath)}`, 3000);
  }
}

/** What was compared, e.g. "README.md:3-8". */
function sourceOf({ fileLabel, units }: Comparison): string {
  return `${fileLabel}:${units[0].line}-${units[units.length - 1].endLine}`;
}

function locationOf(place: { root: string; relPath: string }, unit: Unit): ResultLocation {
  return { ...place, line: unit.line, endLine: unit.endLine, column: unit.column, endColumn: unit.endColumn, text: unit.text, score: 1 };
}
