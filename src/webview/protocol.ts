// The one typed message protocol between the extension and its webviews (results panel and side view).
// Both sides import it. Everything a webview sends is untrusted: `parseWebviewMessage` is the only way the
// extension reads one, and it rejects anything that is not exactly one of the shapes below.

/** One line of a result's snippet. `unitStart`/`unitEnd` mark the part of the line that belongs to the unit. */
export interface SnippetLine {
  /** 1-based line number. */
  line: number;
  text: string;
  unitStart?: number;
  unitEnd?: number;
}

export interface ResultView {
  /** Opaque id issued by the extension; the only thing a webview can hand back to open or copy a result. */
  id: string;
  rank: number;
  score: number;
  /** Path shown to the user (workspace-relative, prefixed by the folder name in multi-root workspaces). */
  file: string;
  line: number;
  endLine: number;
  snippet: SnippetLine[];
}

export interface QueryView {
  text: string;
  /** Where the query came from (Find Similar to Selection), shown and left out of the results. */
  origin?: { file: string; line: number; endLine: number };
}

export interface ResultsView {
  query: QueryView;
  results: ResultView[];
  model: string;
  /** Units searched. */
  searched: number;
  elapsedMs: number;
  /** The query was longer than the model reads: only its beginning was compared. */
  queryTruncated: boolean;
}

/** Fixes the extension offers next to an error or an index state. Mapped to functions on the extension side. */
export const ACTIONS = ['showLog', 'retry', 'restartHost', 'selectModel', 'selectLocalModel', 'openSettings', 'rebuildIndex'] as const;
export type ActionId = (typeof ACTIONS)[number];

export const ACTION_LABELS: Record<ActionId, string> = {
  showLog: 'Show Log',
  retry: 'Retry',
  restartHost: 'Restart',
  selectModel: 'Select Model…',
  selectLocalModel: 'Select Local Model Folder…',
  openSettings: 'Open Settings',
  rebuildIndex: 'Rebuild Index',
};

export type IndexPhase = 'idle' | 'preparing' | 'downloading' | 'indexing' | 'ready' | 'error';

export interface IndexStateView {
  phase: IndexPhase;
  /** The model as configured (Hub id or folder). */
  model: string;
  files?: number;
  units?: number;
  /** What is going on right now, e.g. "Embedding 1,200 / 5,000 units". */
  detail?: string;
  /** 0..1 when known. */
  fraction?: number;
  error?: { message: string; actions: ActionId[] };
}

export type ExtensionMessage =
  | { type: 'searching'; query: QueryView }
  | { type: 'results'; view: ResultsView }
  | { type: 'searchFailed'; query: QueryView; message: string; actions: ActionId[] }
  | { type: 'indexState'; state: IndexStateView };

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'open'; id: string; toSide: boolean }
  | { type: 'copy'; id: string }
  | { type: 'rerun' }
  | { type: 'search'; query: string }
  | { type: 'action'; action: ActionId };

/** Longest free-text query a webview may send; longer input is a bug or an attack, not a query. */
export const MAX_QUERY_LENGTH = 10_000;
const MAX_ID_LENGTH = 64;

type Shape = Record<string, 'string' | 'boolean'>;
const SHAPES: Record<WebviewMessage['type'], Shape> = {
  ready: {},
  open: { id: 'string', toSide: 'boolean' },
  copy: { id: 'string' },
  rerun: {},
  search: { query: 'string' },
  action: { action: 'string' },
};

/** Returns the message when it is exactly one of the protocol's shapes (no extra keys), otherwise undefined. */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const record = raw as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(SHAPES, type)) return undefined;
  const shape = SHAPES[type as WebviewMessage['type']];
  const keys = Object.keys(record).filter((key) => key !== 'type');
  if (keys.length !== Object.keys(shape).length) return undefined;
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(shape, key) || typeof record[key] !== shape[key]) return undefined;
  }
  const message = record as unknown as WebviewMessage;
  switch (message.type) {
    case 'open':
    case 'copy':
      return message.id.length > 0 && message.id.length <= MAX_ID_LENGTH ? message : undefined;
    case 'search':
      return message.query.trim().length > 0 && message.query.length <= MAX_QUERY_LENGTH ? message : undefined;
    case 'action':
      return (ACTIONS as readonly string[]).includes(message.action) ? message : undefined;
    default:
      return message;
  }
}
