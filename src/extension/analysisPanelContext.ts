// What the analysis panels (the similarity heatmap and the near-duplicates) are given by activation: the services
// they use and where their panels open.
import type * as vscode from 'vscode';
import type { ActionId } from '../webview/protocol';
import type { ResultsPresenter } from './results';
import type { SimilarityService } from './service';

export interface AnalysisPanelContext {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  globalState: vscode.Memento;
  /** The last contents of each panel are kept here, so a panel restored after a window reload shows them again. */
  workspaceState: vscode.Memento;
  service: SimilarityService;
  presenter: ResultsPresenter;
  report: (error: unknown) => Promise<void>;
  runAction: (action: ActionId) => Promise<void>;
  editorColumn: () => vscode.ViewColumn | undefined;
  /** Where the other panels are: a new one opens among them, not in yet another column. */
  panelsColumn: () => vscode.ViewColumn | undefined;
}
