// One webview (the results panel or the side view): its locked-down options and HTML, validated incoming
// messages, and outgoing messages held until the page is ready and visible. A hidden view's page is discarded by
// VS Code and loads again when shown, so the latest state is kept and sent again on every `ready` (GitLens style).
import * as vscode from 'vscode';
import { parseWebviewMessage, type ExtensionMessage, type WebviewMessage } from '../webview/protocol';
import type { WebviewKind } from './webviewHtml';
import { renderWebviewPage, webviewOptionValues } from './webviewPage';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return webviewOptionValues(extensionUri, vscode.Uri.joinPath);
}

/** Messages that replace each other: only the newest of each slot is worth sending. */
export type Slot = 'results' | 'index' | 'follow' | 'scope';

/** The slot of a message, or undefined for one that answers a page's request (sent only to the page that asked). */
export function slotOf(message: ExtensionMessage): Slot | undefined {
  switch (message.type) {
    case 'indexState':
      return 'index';
    case 'follow':
      return 'follow';
    case 'scope':
      return 'scope';
    case 'explanation':
      return undefined;
    default:
      return 'results';
  }
}

export class WebviewConnection implements vscode.Disposable {
  private ready = false;
  private readonly latest = new Map<Slot, ExtensionMessage>();
  private readonly unsent = new Set<Slot>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly webview: vscode.Webview,
    kind: WebviewKind,
    extensionUri: vscode.Uri,
    private readonly isVisible: () => boolean,
    onMessage: (message: WebviewMessage) => void,
    private readonly log: vscode.LogOutputChannel,
  ) {
    webview.options = webviewOptions(extensionUri);
    webview.html = renderWebviewPage(kind, webview.cspSource, (...segments) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...segments)).toString());
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => {
        const message = parseWebviewMessage(raw);
        if (!message) {
          this.log.warn(`ignored a malformed message from the ${kind} webview`);
          return;
        }
        if (message.type === 'ready') {
          this.ready = true;
          for (const slot of this.latest.keys()) this.unsent.add(slot);
          this.flush();
        }
        onMessage(message);
      }),
    );
  }

  post(message: ExtensionMessage): void {
    const slot = slotOf(message);
    if (!slot) {
      // The page that asked is showing: answer it now. A page loaded since asks again for what it shows.
      if (this.ready && this.isVisible()) void this.webview.postMessage(message);
      return;
    }
    this.latest.set(slot, message);
    this.unsent.add(slot);
    this.flush();
  }

  /** Call when the view becomes visible again. */
  flush(): void {
    if (!this.ready || !this.isVisible()) return;
    for (const slot of [...this.unsent]) {
      const message = this.latest.get(slot);
      this.unsent.delete(slot);
      if (message) void this.webview.postMessage(message);
    }
  }

  /** The page is loading again (e.g. shown after being hidden): wait for its `ready`. */
  reset(): void {
    this.ready = false;
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}
