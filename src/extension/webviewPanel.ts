// A webview panel in the editor area (the results, the comparison heatmap, the near-duplicates): one instance per
// kind, revealed again for new content, optionally restored after a window reload (by a serializer: the page
// restores its own UI state, the extension re-issues ids).
import * as vscode from 'vscode';
import type { ExtensionMessage, WebviewMessage } from '../webview/protocol';
import { WebviewConnection, webviewOptions } from './webviewConnection';
import type { WebviewKind } from './webviewHtml';

export interface PanelKind {
  viewType: string;
  title: string;
  kind: WebviewKind;
}

export const PANELS = {
  results: { viewType: 'similarSentences.results', title: 'Similar Sentences', kind: 'panel' },
  compare: { viewType: 'similarSentences.compare', title: 'Similarity Heatmap', kind: 'compare' },
  duplicates: { viewType: 'similarSentences.duplicates', title: 'Near-Duplicates', kind: 'duplicates' },
} as const satisfies Record<string, PanelKind>;

export class WebviewPanelHost implements vscode.Disposable {
  private panel?: vscode.WebviewPanel;
  private connection?: WebviewConnection;
  /** Kept while no panel is open, so a new panel starts knowing what the index is doing. */
  private indexState?: ExtensionMessage;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly kind: PanelKind,
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly onMessage: (message: WebviewMessage) => void,
    /** When given, the panel is restored after a reload and this is called once its page is ready for content. */
    onRestored?: () => void,
    /** Where a new panel opens (default: beside the active editor). */
    private readonly preferredColumn: () => vscode.ViewColumn | undefined = () => undefined,
  ) {
    if (onRestored) {
      this.disposables.push(
        vscode.window.registerWebviewPanelSerializer(kind.viewType, {
          deserializeWebviewPanel: async (panel) => {
            this.attach(panel);
            onRestored();
          },
        }),
      );
    }
  }

  /** The editor column the panel is in, while it is open. */
  get viewColumn(): vscode.ViewColumn | undefined {
    return this.panel?.viewColumn;
  }

  /** Shows the message, opening the panel or revealing it when hidden; `preserveFocus: false` moves the focus to it. */
  show(message: ExtensionMessage, preserveFocus: boolean): void {
    if (!this.panel) {
      const viewColumn = this.preferredColumn() ?? vscode.ViewColumn.Beside;
      const panel = vscode.window.createWebviewPanel(this.kind.viewType, this.kind.title, { viewColumn, preserveFocus }, webviewOptions(this.extensionUri));
      this.attach(panel);
    } else if (!this.panel.visible || !preserveFocus) {
      this.panel.reveal(undefined, preserveFocus);
    }
    this.connection!.post(message);
  }

  /** Closes the panel, e.g. one VS Code restored after a reload when there is nothing to show in it. */
  close(): void {
    this.panel?.dispose();
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
    const connection = new WebviewConnection(panel.webview, this.kind.kind, this.extensionUri, () => panel.visible, this.onMessage, this.log);
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
