// The status bar item: what the index is doing (preparing, downloading, indexing n%, ready with N units, error).
// Clicking it opens the side view, or the log when something failed.
import * as vscode from 'vscode';
import type { IndexStateView } from '../webview/protocol';
import { COMMANDS } from './commandIds';

export class IndexStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('similarSentences.status', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'Similar Sentences';
  }

  update(state: IndexStateView): void {
    const item = this.item;
    const percent = state.fraction !== undefined ? ` ${Math.round(state.fraction * 100)}%` : '';
    item.backgroundColor = undefined;
    item.command = COMMANDS.focusView;
    switch (state.phase) {
      case 'idle':
        item.text = '$(search) Similar';
        item.tooltip = `Similar Sentences: ${state.detail ?? 'the index is built on the first search'}\nModel: ${state.model}`;
        break;
      case 'preparing':
        item.text = '$(loading~spin) Similar: model';
        item.tooltip = `Similar Sentences: ${state.detail ?? 'loading the model'}\nModel: ${state.model}`;
        break;
      case 'downloading':
        item.text = `$(cloud-download) Similar: downloading${percent}`;
        item.tooltip = `Similar Sentences: ${state.detail ?? 'downloading the model'}`;
        break;
      case 'indexing':
        item.text = `$(sync~spin) Similar: indexing${percent}`;
        item.tooltip = `Similar Sentences: ${state.detail ?? 'indexing the workspace'}`;
        break;
      case 'ready':
        item.text = `$(check) Similar: ${(state.units ?? 0).toLocaleString()} units`;
        item.tooltip = `Similar Sentences: ${(state.units ?? 0).toLocaleString()} units from ${(state.files ?? 0).toLocaleString()} files indexed${state.skipped ? ` (${state.skipped.summary})` : ''}\nModel: ${state.model}`;
        if (state.skipped?.warning) item.text = `$(warning) Similar: ${(state.units ?? 0).toLocaleString()} units`;
        break;
      case 'error':
        item.text = '$(error) Similar: error';
        item.tooltip = `Similar Sentences: ${state.error?.message ?? 'something went wrong'}\nClick to show the log.`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        item.command = COMMANDS.showLog;
        break;
    }
    item.accessibilityInformation = { label: typeof item.tooltip === 'string' ? item.tooltip : item.text };
    item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
