// When the user hears that the index cannot be saved. On a full disk every save fails, and edits are sent while the
// user types, so only the first failure of a run is shown; a save that succeeds ends the run. No `vscode` import.
import { describeSaveFailure } from '../core/index/saveFailure';
import type { IndexSaveError } from '../protocol';

export type SaveNotice = { warning: string } | { recovered: true } | undefined;

export class SaveFailureNotice {
  private failing = false;

  /** The save outcome of one request: a warning when saves start failing, recovered when one succeeds after that. */
  onSaveOutcome(failure: IndexSaveError | undefined): SaveNotice {
    const wasFailing = this.failing;
    this.failing = failure !== undefined;
    if (failure) return wasFailing ? undefined : { warning: describeSaveFailure(failure) };
    return wasFailing ? { recovered: true } : undefined;
  }
}
