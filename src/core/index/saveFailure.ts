// A save that failed (a full disk) is not fatal: the previous index stays on disk and the changes stay in memory.
// The host reports where and why (protocol IndexSaveError); the CLI and the extension turn that into the one
// warning the user reads.
import type { IndexSaveError } from '../../protocol';
import type { IndexWriteError } from './storage';

/** Error codes that mean the device (or the user's quota) is full, so freeing space is the fix. */
const OUT_OF_SPACE = new Map([
  ['ENOSPC', 'no space left on device'],
  ['EDQUOT', 'disk quota exceeded'],
]);

export function saveFailureOf(error: IndexWriteError): IndexSaveError {
  const message = error.cause instanceof Error ? error.cause.message : String(error.cause);
  return error.code ? { path: error.path, code: error.code, message } : { path: error.path, message };
}

export function describeSaveFailure({ path, code, message }: IndexSaveError): string {
  const outOfSpace = code === undefined ? undefined : OUT_OF_SPACE.get(code);
  const until = outOfSpace ? 'space is freed' : 'the index can be written again';
  return `Similar Sentences could not save its index: ${outOfSpace ?? message} at ${path}. Searching still works; changes are kept in memory until ${until}.`;
}
