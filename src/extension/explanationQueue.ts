// Explanations are asked for lazily, by each result as it scrolls into view (the page asks once per result it shows):
// a few run at a time, a result already waiting or running is not queued twice, and a new search of a view drops what is still waiting for that view (and cancels what runs), so
// explanations never hold up the model host when the user has moved on. No `vscode` import.
import { CancellationTokenSource, type CancellationToken } from 'vscode-jsonrpc';

interface Job<K> {
  key: K;
  id: string;
  cancellation: CancellationTokenSource;
}

export class ExplanationQueue<K> {
  private readonly waiting: Job<K>[] = [];
  private readonly running = new Set<Job<K>>();

  constructor(
    private readonly explain: (key: K, id: string, token: CancellationToken) => Promise<void>,
    private readonly concurrency = 2,
  ) {}

  /** Queues result `id` of view `key` unless it is waiting or running already. */
  request(key: K, id: string): void {
    const same = (job: Job<K>) => job.key === key && job.id === id && !job.cancellation.token.isCancellationRequested;
    if (this.waiting.some(same) || [...this.running].some(same)) return;
    this.waiting.push({ key, id, cancellation: new CancellationTokenSource() });
    this.pump();
  }

  /** The view shows new results: drop what waits for it and cancel what runs. */
  reset(key: K): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i].key === key) this.waiting.splice(i, 1);
    for (const job of this.running) if (job.key === key) job.cancellation.cancel();
  }

  /** Jobs waiting and running, for tests. */
  get pending(): number {
    return this.waiting.length + this.running.size;
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.waiting.length) {
      const job = this.waiting.shift()!;
      this.running.add(job);
      void this.explain(job.key, job.id, job.cancellation.token)
        .catch(() => undefined) // the caller reports its own failures; one failed explanation stops nothing else
        .finally(() => {
          this.running.delete(job);
          job.cancellation.dispose();
          this.pump();
        });
    }
  }
}
