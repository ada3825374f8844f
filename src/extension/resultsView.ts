// The side view (activity-bar container): a query box, the index state and the latest results, rendered by the
// same webview bundle as the panel. Messages are kept while the view is hidden and sent when it shows again.
import * as vscode from 'vscode';
import type { ExtensionMessage, WebviewMessage } from '../webview/protocol';
import { slotOf, WebviewConnection, type Slot } from './webviewConnection';

export const SIDE_VIEW_ID = 'similarSentences.search';

export class ResultsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private connection?: WebviewConnection;
  private view?: vscode.WebviewView;
  private readonly visibilityEmitter = new vscode.EventEmitter<boolean>();
  /** Fires when the view is shown or hidden. */
  readonly onDidChangeVisibility = this.visibilityEmitter.event;
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
    this.view = view;
    for (const message of this.early.values()) connection.post(message);
    this.early.clear();
    const visibility = view.onDidChangeVisibility(() => {
      if (view.visible) connection.flush();
      else connection.reset();
      this.visibilityEmitter.fire(view.visible);
    });
    this.visibilityEmitter.fire(view.visible);
    view.onDidDispose(() => {
      visibility.dispose();
      connection.dispose();
      if (this.connection === connection) this.connection = undefined;
      if (this.view === view) this.view = undefined;
    });
  }

  post(message: ExtensionMessage): void {
    const slot = slotOf(message);
    if (this.connection) this.connection.post(message);
    else if (slot) this.early.set(slot, message);
  }

  /** The view is open and shown (follow mode searches only then). */
  get visible(): boolean {
    return !!this.view?.visible;
  }

  dispose(): void {
    this.connection?.dispose();
    this.visibilityEmitter.dispose();
  }
}
