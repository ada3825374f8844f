// Recent free-text queries, newest first, kept in the extension's global state across windows.

/** The subset of `vscode.Memento` used here. */
export interface MementoLike {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

const KEY = 'similarSentences.recentQueries';
export const MAX_RECENT_QUERIES = 15;

export class RecentQueries {
  constructor(private readonly memento: MementoLike) {}

  list(): string[] {
    const stored = this.memento.get<unknown>(KEY);
    return Array.isArray(stored) ? stored.filter((item): item is string => typeof item === 'string') : [];
  }

  /** Moves `query` to the front (whitespace-trimmed, no duplicates), keeping at most MAX_RECENT_QUERIES. */
  async add(query: string): Promise<void> {
    const text = query.trim();
    if (!text) return;
    await this.memento.update(KEY, [text, ...this.list().filter((item) => item !== text)].slice(0, MAX_RECENT_QUERIES));
  }
}
