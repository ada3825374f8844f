// Coalesces file changes (typing, saves, watcher events) into debounced batches: per file only the newest change
// counts, and its content is produced when the batch is sent, so typing never copies a document per keystroke.
// Batches are sent one at a time, in order.

export type ChangeProducer<C> = () => C | undefined;

export class ChangeBatcher<C> {
  private pending = new Map<string, ChangeProducer<C>>();
  private timer?: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly send: (changes: C[]) => Promise<void>,
    private readonly delayMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Queues the change of one file (`key`), replacing any change of it still waiting. */
  add(key: string, produce: ChangeProducer<C>): void {
    if (this.disposed) return;
    this.pending.delete(key); // re-insert so the batch keeps the order of the latest changes
    this.pending.set(key, produce);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.delayMs);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Sends what is waiting now; resolves when it (and every earlier batch) has been sent. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const producers = [...this.pending.values()];
    this.pending.clear();
    this.sending = this.sending.then(async () => {
      if (this.disposed) return;
      const changes = producers.map((produce) => produce()).filter((change): change is C => change !== undefined);
      if (!changes.length) return;
      try {
        await this.send(changes);
      } catch (error) {
        this.onError(error);
      }
    });
    return this.sending;
  }

  /** Drops what is waiting (e.g. the index is about to be rebuilt from disk anyway). */
  discard(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }

  dispose(): void {
    this.discard();
    this.disposed = true;
  }
}
