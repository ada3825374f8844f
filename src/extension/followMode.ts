// Follow mode: while it is on, the side view shows what is most similar to the line under the cursor. Cursor moves
// only (re)start a short timer, so typing never waits on anything; when the cursor rests, the line is searched on
// the side view's channel, which cancels the previous follow search, and the controller drops superseded results.
import * as vscode from 'vscode';
import { isTrivialUnit } from '../core/units';

/** The cursor rests this long before its line is searched. */
export const FOLLOW_DEBOUNCE_MS = 350;
const STATE_KEY = 'similarSentences.following';
/** A `when` clause context key: the view's title bar shows *Follow Cursor* or *Stop Following Cursor*. */
const CONTEXT_KEY = 'similarSentences.following';

export interface FollowedLine {
  document: vscode.TextDocument;
  /** 0-based line under the cursor. */
  line: number;
  text: string;
}

export class FollowMode implements vscode.Disposable {
  private on: boolean;
  private timer?: NodeJS.Timeout;
  /** The line searched last, so resting on it again (or moving within it) searches nothing. */
  private lastKey?: string;
  private readonly changeEmitter = new vscode.EventEmitter<boolean>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly state: vscode.Memento,
    /** Whether the side view can show anything now (searching for a hidden view is wasted work). */
    private readonly viewVisible: () => boolean,
    private readonly search: (line: FollowedLine) => void,
  ) {
    this.on = state.get<boolean>(STATE_KEY) === true;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, this.on);
    this.disposables = [
      this.changeEmitter,
      vscode.window.onDidChangeTextEditorSelection((event) => {
        if (event.textEditor === vscode.window.activeTextEditor) this.check();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.check()),
    ];
  }

  get isOn(): boolean {
    return this.on;
  }

  async set(on: boolean): Promise<void> {
    if (on === this.on) return;
    this.on = on;
    this.lastKey = undefined;
    if (!on) clearTimeout(this.timer);
    await vscode.commands.executeCommand('setContext', CONTEXT_KEY, on);
    await this.state.update(STATE_KEY, on);
    this.changeEmitter.fire(on);
    if (on) this.check();
  }

  /** Searches the current line again even if it was searched already (the scope changed). */
  refresh(): void {
    this.lastKey = undefined;
    this.check();
  }

  /** Searches the current line once the cursor rests, unless it was the last one searched (e.g. the view was shown). */
  check(): void {
    if (!this.on) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), FOLLOW_DEBOUNCE_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const disposable of this.disposables) disposable.dispose();
  }

  private fire(): void {
    const editor = vscode.window.activeTextEditor;
    if (!this.on || !editor || !this.viewVisible()) return;
    const { document, selection } = editor;
    // The log and other output panes are text editors too; only files and unsaved documents are followed.
    if (document.uri.scheme !== 'file' && document.uri.scheme !== 'untitled') return;
    const line = selection.active.line;
    const text = document.lineAt(line).text.trim();
    if (isTrivialUnit(text)) return;
    const key = `${document.uri.toString()}\0${line}\0${text}`;
    if (key === this.lastKey) return;
    this.lastKey = key;
    this.search({ document, line, text });
  }
}
