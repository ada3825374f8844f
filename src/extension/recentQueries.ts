// Recent free-text queries, newest first, kept in the extension's global state across windows. A query refined with
// *More like this* / *Less like this* is kept as its own entry, with its refinement.
import type { Refinement } from '../protocol';

/** The subset of `vscode.Memento` used here. */
export interface MementoLike {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

export interface RecentQuery {
  query: string;
  refine?: Refinement;
}

const KEY = 'similarSentences.recentQueries';
export const MAX_RECENT_QUERIES = 15;

export class RecentQueries {
  constructor(private readonly memento: MementoLike) {}

  list(): RecentQuery[] {
    const stored = this.memento.get<unknown>(KEY);
    return Array.isArray(stored) ? stored.map(parseEntry).filter((entry): entry is RecentQuery => entry !== undefined) : [];
  }

  /** Moves the entry to the front (query trimmed, no duplicates), keeping at most MAX_RECENT_QUERIES. */
  async add(entry: RecentQuery): Promise<void> {
    const query = entry.query.trim();
    if (!query) return;
    const refine = entry.refine && (entry.refine.more.length || entry.refine.less.length) ? entry.refine : undefined;
    const added: RecentQuery = refine ? { query, refine } : { query };
    const key = entryKey(added);
    const kept = this.list().filter((item) => entryKey(item) !== key);
    await this.memento.update(KEY, [added, ...kept].slice(0, MAX_RECENT_QUERIES).map(storedForm));
  }
}

/** Plain queries are stored as strings, as they always were. */
function storedForm(entry: RecentQuery): string | RecentQuery {
  return entry.refine ? entry : entry.query;
}

function entryKey(entry: RecentQuery): string {
  return JSON.stringify([entry.query, entry.refine?.more ?? [], entry.refine?.less ?? []]);
}

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

function parseEntry(value: unknown): RecentQuery | undefined {
  if (typeof value === 'string') return { query: value };
  if (typeof value !== 'object' || value === null) return undefined;
  const { query, refine } = value as { query?: unknown; refine?: { more?: unknown; less?: unknown } };
  if (typeof query !== 'string') return undefined;
  if (refine === undefined) return { query };
  if (typeof refine !== 'object' || refine === null || !isStringList(refine.more) || !isStringList(refine.less)) return undefined;
  return { query, refine: { more: refine.more, less: refine.less } };
}
