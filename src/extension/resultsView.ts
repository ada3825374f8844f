// The side view (activity-bar container): a query box, the index state and the latest results, rendered by the
// same webview bundle as the panel. Messages are kept while the view is hidden and sent when it shows again.
import * as vscode from 'vscode';
import type { ExtensionMessage, WebviewMessage } from '../webview/protocol';
import { slotOf, WebviewConnection, type Slot } from './webviewConnection';

export const SIDE_VIEW_ID = 'similarSentences.search';

export class ResultsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private connection?: WebviewConnection;
  /** Messages sent before the view was ever opened, handed over when it is. */
  private readonly early = new Map<Slot, ExtensionMessage>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly onMessage: (message: WebviewMessage) => void,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.connection?.dispose();
    const connection = new WebviewConnection(view.webview, 'sidebar', this.extensionUri, () => view.visible, this.onMessage, this.log);
    this.connection = connection;
    for (const message of this.early.values()) connection.post(message);
    this.early.clear();
    const visibility = view.onDidChangeVisibility(() => (view.visible ? connection.flush() : connection.reset()));
    view.onDidDispose(() => {
      visibility.dispose();
      connection.dispose();
      if (this.connection === connection) this.connection = undefined;
    });
  }

  post(message: ExtensionMessage): void {
    if (this.connection) this.connection.post(message);
    else this.early.set(slotOf(message), message);
  }

  dispose(): void {
    this.connection?.dispose();
  }
}
