// What the views say while the model host restarts, and after the client gave up on it because it kept crashing
// (client.ts HostClient), with the fixes offered then. No `vscode` import.
import type { ClientState } from '../client';
import type { IndexStateView } from '../webview/protocol';

/** The client states that replace what the views show about the index. */
export type HostTrouble = Extract<ClientState, 'restarting' | 'failed'>;

export function isHostTrouble(state: ClientState): state is HostTrouble {
  return state === 'restarting' || state === 'failed';
}

/** The index state to show; `detail` is the client's reason, e.g. "signal SIGSEGV". */
export function hostTroubleView(state: HostTrouble, detail: string | undefined, model: string): IndexStateView {
  const reason = detail ?? 'unknown reason';
  if (state === 'restarting') return { phase: 'preparing', model, detail: `The model host stopped (${reason}) and is restarting…` };
  return { phase: 'error', model, error: { message: `The model host kept crashing (${reason}) and was stopped.`, actions: ['restartHost', 'showLog'] } };
}
