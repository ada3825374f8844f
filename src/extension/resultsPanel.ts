// The results panel: one webview panel in the editor area, revealed again for every new search and restored
// after a window reload (by a serializer: the page restores its own UI state, the extension re-issues result ids).
import * as vscode from 'vscode';
import type { ExtensionMessage, WebviewMessage } from '../webview/protocol';
import { WebviewConnection, webviewOptions } from './webviewConnection';

const PANEL_VIEW_TYPE = 'similarSentences.results';

export class ResultsPanel implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private connection?: WebviewConnection;
  /** Kept while no panel is open, so a new panel starts knowing what the index is doing. */
  private indexState?: ExtensionMessage;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly onMessage: (message: WebviewMessage) => void,
    /** Called with a panel restored after a reload, once its page is ready for content. */
    private readonly onRestored: () => void,
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => {
          this.attach(panel);
          this.onRestored();
        },
      }),
    );
  }

  /** The editor column the panel is in, while it is open. */
  get viewColumn(): vscode.ViewColumn | undefined {
    return this.panel?.viewColumn;
  }

  /** Shows the message, opening the panel or revealing it when hidden; `preserveFocus: false` moves the focus to it. */
  show(message: ExtensionMessage, preserveFocus: boolean): void {
    if (!this.panel) {
      const panel = vscode.window.createWebviewPanel(
        PANEL_VIEW_TYPE,
        'Similar Sentences',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
        webviewOptions(this.extensionUri),
      );
      this.attach(panel);
    } else if (!this.panel.visible || !preserveFocus) {
      this.panel.reveal(undefined, preserveFocus);
    }
    this.connection!.post(message);
  }

  /** Updates the panel if it is open, without revealing it. */
  update(message: ExtensionMessage): void {
    if (message.type === 'indexState') this.indexState = message;
    this.connection?.post(message);
  }

  dispose(): void {
    this.panel?.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.svg');
    const connection = new WebviewConnection(panel.webview, 'panel', this.extensionUri, () => panel.visible, this.onMessage, this.log);
    this.connection = connection;
    if (this.indexState) connection.post(this.indexState);
    const viewState = panel.onDidChangeViewState(() => (panel.visible ? connection.flush() : connection.reset()));
    panel.onDidDispose(() => {
      viewState.dispose();
      connection.dispose();
      if (this.panel === panel) {
        this.panel = undefined;
        this.connection = undefined;
      }
    });
  }
}
