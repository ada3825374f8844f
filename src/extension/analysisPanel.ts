// What the analysis panels (the similarity heatmap and the near-duplicates) have in common: what activation gives
// them (the services they use, where their panels open), one webview panel each, restored after a window reload,
// and one request at a time.
import type * as vscode from 'vscode';
import type { ActionId, WebviewMessage } from '../webview/protocol';
import { LatestRequest } from './latestRequest';
import type { ResultsPresenter } from './results';
import type { SimilarityService } from './service';
import { WebviewPanelHost, type PanelKind } from './webviewPanel';

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

export abstract class AnalysisPanel implements vscode.Disposable {
  protected readonly panel: WebviewPanelHost;
  /** A new request (or Rerun) cancels the one in progress, whose outcome is dropped. */
  protected readonly requests = new LatestRequest();

  constructor(
    protected readonly context: AnalysisPanelContext,
    private readonly kind: PanelKind & { kind: 'compare' | 'duplicates' },
  ) {
    this.panel = new WebviewPanelHost(kind, context.extensionUri, context.log, (message) => this.onMessage(message), () => this.restore(), context.panelsColumn);
  }

  /** The column of this panel, while it is open. */
  get viewColumn(): vscode.ViewColumn | undefined {
    return this.panel.viewColumn;
  }

  dispose(): void {
    this.requests.cancel();
    this.panel.dispose();
  }

  /** Opens a location the page asked for, if its id was issued to this panel (see ResultRegistry.openable). */
  protected openResult(id: string, toSide: boolean): void {
    const { presenter, editorColumn, report } = this.context;
    presenter.open(this.kind.kind, id, toSide, editorColumn(), this.panel.viewColumn).catch(report);
  }

  /** After a window reload: shows what was kept from before it, or closes the panel when nothing was. */
  protected abstract restore(): void;

  protected abstract onMessage(message: WebviewMessage): void;
}
