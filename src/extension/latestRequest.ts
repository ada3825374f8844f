// "The latest request wins" for one channel (a view's searches, a panel's comparisons): starting a request cancels
// the previous one, and the previous one learns it was superseded, so its outcome never reaches a view even when it
// arrives anyway (the host answered before the cancellation reached it, or the work was not cancellable).
// No `vscode` import: unit-tested without VS Code.
import { CancellationTokenSource, type CancellationToken, type Disposable } from 'vscode-jsonrpc';

export interface Turn {
  /** Cancelled once a newer request of the channel starts, the channel is cancelled, or a followed token is. */
  readonly token: CancellationToken;
  /** No newer request started and the channel was not cancelled: only then may this request's outcome be shown. */
  readonly isLatest: boolean;
  /** Also cancels this request when `other` is cancelled (a progress notification's Cancel button). */
  follow(other: CancellationToken): void;
  /** Frees the cancellation once the request is over (its outcome handled). */
  dispose(): void;
}

export class LatestRequest {
  private current?: ChannelTurn;

  /** Starts a request: the previous one is cancelled and no longer the latest. */
  begin(): Turn {
    this.current?.cancel();
    const turn = new ChannelTurn((candidate) => this.current === candidate);
    this.current = turn;
    return turn;
  }

  /** Cancels the request in progress and drops its outcome, as a newer request would (the view is going away). */
  cancel(): void {
    this.current?.cancel();
    this.current = undefined;
  }
}

class ChannelTurn implements Turn {
  private readonly source = new CancellationTokenSource();
  private readonly links: Disposable[] = [];
  /** Disposed: the request is over, and a disposed source must not be cancelled. */
  private over = false;

  constructor(private readonly isCurrent: (turn: ChannelTurn) => boolean) {}

  get token(): CancellationToken {
    return this.source.token;
  }

  get isLatest(): boolean {
    return this.isCurrent(this);
  }

  follow(other: CancellationToken): void {
    if (other.isCancellationRequested) this.cancel();
    else this.links.push(other.onCancellationRequested(() => this.cancel()));
  }

  cancel(): void {
    if (!this.over) this.source.cancel();
  }

  dispose(): void {
    this.over = true;
    for (const link of this.links.splice(0)) link.dispose();
    this.source.dispose();
  }
}
