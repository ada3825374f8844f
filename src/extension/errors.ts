// Every failure the user can meet, turned into one sentence and the fixes to offer (the same in a notification,
// the side view and the results panel). No `vscode` import.
import { ErrorCodes } from '../protocol';
import { ModelDownloadError, ModelError } from '../core/model/errors';
import type { ActionId } from '../webview/protocol';

export interface UserFacingError {
  message: string;
  actions: ActionId[];
  /** The user cancelled: nothing to report. */
  cancelled: boolean;
}

/** Thrown when the user dismisses a step (a download, indexing) so callers stop without an error message. */
export class CancelledByUser extends Error {
  override readonly name = 'CancelledByUser';
  constructor(what: string) {
    super(`${what} was cancelled.`);
  }
}

export function describeError(error: unknown): UserFacingError {
  const result = (message: string, actions: ActionId[], cancelled = false): UserFacingError => ({ message, actions, cancelled });
  if (error instanceof CancelledByUser) return result(error.message, [], true);
  if (error instanceof ModelError) {
    const problems = [
      ...(error.missing.length ? [`missing ${error.missing.join(', ')}`] : []),
      ...(error.unreadable.length ? [`unusable ${error.unreadable.join('; ')}`] : []),
    ];
    const detail = problems.length ? `: ${problems.join('; ')}` : `: ${error.message}`;
    return result(`The model folder ${error.folder} cannot be used${detail}.`, ['selectLocalModel', 'selectModel', 'showLog']);
  }
  if (error instanceof ModelDownloadError) {
    switch (error.kind) {
      case 'cancelled':
        return result('The model download was cancelled.', [], true);
      case 'offline':
        // The downloader's message names the URL and the cause and suggests the fixes the two actions offer.
        return result(`The model could not be downloaded. ${error.message}`, ['selectLocalModel', 'retry']);
      case 'not-found':
        return result(`The model could not be downloaded: ${error.message}. Check the model id.`, ['selectModel', 'selectLocalModel']);
      default:
        return result(`The model could not be downloaded: ${error.message}`, ['retry', 'selectLocalModel', 'showLog']);
    }
  }
  const code = responseCode(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case ErrorCodes.Cancelled:
      return result('Cancelled.', [], true);
    case ErrorCodes.HostCrashed:
    case ErrorCodes.HostUnresponsive:
      return result(message, ['restartHost', 'showLog']);
    case ErrorCodes.ModelInvalid:
      return result(message, ['selectModel', 'selectLocalModel', 'showLog']);
    case ErrorCodes.HostMemoryLimit:
      // The client's message says how much was used and what the limit is; say what to change.
      return result(
        `${message} Raise "similarSentences.maxMemoryMB" (0 turns the limit off) or use fewer "similarSentences.threads", then restart the model host.`,
        ['memoryLimitSetting', 'restartHost', 'showLog'],
      );
    case ErrorCodes.ExplanationUnsupported:
      return result('This model pools its token vectors in a way that does not split over words (e.g. CLS pooling), so its scores cannot be explained.', []);
    case ErrorCodes.InputCrashesHost:
      return result('This text crashed the model host before, so it is not given to the model again. Try a different or shorter text; the log names the input.', ['showLog']);
    default:
      return result(message, ['showLog']);
  }
}

/** The code of a vscode-jsonrpc ResponseError (checked structurally: it crosses the IPC boundary as data). */
function responseCode(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number') {
    return (error as { code: number }).code;
  }
  return undefined;
}
