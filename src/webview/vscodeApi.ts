// The one handle a webview page has on VS Code: post messages to the extension and keep UI state across reloads.
import type { WebviewMessage } from './protocol';

export interface WebviewApi<State> {
  postMessage(message: WebviewMessage): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): WebviewApi<State>;

/** May be called once per page. */
export function vscodeApi<State>(): WebviewApi<State> {
  return acquireVsCodeApi<State>();
}

/** The page's state, patched and saved in one step. */
export class PageState<State extends object> {
  private state: State;

  constructor(
    private readonly api: WebviewApi<State>,
    defaults: State,
  ) {
    this.state = { ...defaults, ...api.getState() };
  }

  get value(): State {
    return this.state;
  }

  patch(patch: Partial<State>): void {
    this.state = { ...this.state, ...patch };
    this.api.setState(this.state);
  }
}
