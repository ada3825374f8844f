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
  /**
   * On lines of the unit: the offset in the unit's text (as embedded, whitespace collapsed) of the line's first shown
   * unit character, so a word of an explanation can be placed on the right line even when lines were cut.
   */
  unitTextOffset?: number;
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
  /** Share (0–100) of the searched units that score below this result: how strong a match it is in this workspace. */
  percentile?: number;
}

export interface Refinement {
  /** Texts of results marked *More like this* / *Less like this*, oldest first. */
  more: string[];
  less: string[];
}

export interface QueryView {
  text: string;
  /** Where the query came from (Find Similar to Selection), shown and left out of the results. */
  origin?: { file: string; line: number; endLine: number };
  /** *More like this* / *Less like this* applied to the query. */
  refine?: Refinement;
  /** Where the search looked when not the whole workspace, e.g. "src/connection.ts" or "3 open editors". */
  scope?: string;
  /** Follow mode: the query is the line under the cursor. */
  following?: boolean;
}

/** A word of a result and its additive share of the result's cosine with the query. */
export interface ExplainedWord {
  text: string;
  /** UTF-16 offsets in the result's unit text. */
  start: number;
  end: number;
  contribution: number;
}

export interface ExplanationView {
  score: number;
  /** Every word of the unit in text order; their contributions sum to `score` (special tokens aside). */
  words: ExplainedWord[];
}

/** Where a search in the side view looks: the side view's scope choice plus globs typed in it. */
export const SCOPE_KINDS = ['workspace', 'file', 'openEditors', 'folder'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

export interface ScopeView {
  kind: ScopeKind;
  /** Comma-separated glob patterns, as typed into VS Code's Search view. */
  include: string;
  exclude: string;
  /** The folder chosen with *Find Similar in Folder…* (display path), when there is one. */
  folder?: string;
}

/** One unit of a comparison (a selected line or sentence). */
export interface CompareUnitView {
  /** Absent when the unit's file is not in the workspace (nothing to open). */
  id?: string;
  file: string;
  line: number;
  text: string;
}

export interface CompareView {
  /** What was compared, e.g. "README.md:3-8". */
  source: string;
  mode: 'lines' | 'sentences';
  units: CompareUnitView[];
  /** matrix[i][j]: cosine similarity of units i and j. */
  matrix: number[][];
  model: string;
  /** More units were selected than a comparison shows: only the first ones are compared. */
  limited: boolean;
}

export interface DuplicateMemberView {
  id: string;
  file: string;
  line: number;
  endLine: number;
  text: string;
  /** Cosine to the cluster's first member (its representative). */
  score: number;
}

export interface DuplicateClusterView {
  members: DuplicateMemberView[];
  /** Distinct texts among the members (the rest are exact duplicates). */
  distinctTexts: number;
}

export interface DuplicatesView {
  threshold: number;
  /** Largest first. */
  clusters: DuplicateClusterView[];
  /** Units compared. */
  units: number;
  elapsedMs: number;
  model: string;
  /** There were more clusters than are shown. */
  limited: boolean;
  /** Restored after a window reload: when the clusters were found (ms since the epoch); files may have changed since. */
  foundBeforeReload?: number;
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
export const ACTIONS = ['showLog', 'retry', 'restartHost', 'selectModel', 'selectLocalModel', 'openSettings', 'rebuildIndex', 'memoryLimitSetting', 'showSkipped'] as const;
export type ActionId = (typeof ACTIONS)[number];

export const ACTION_LABELS: Record<ActionId, string> = {
  showLog: 'Show Log',
  retry: 'Retry',
  restartHost: 'Restart',
  selectModel: 'Select Model…',
  selectLocalModel: 'Select Local Model Folder…',
  openSettings: 'Open Settings',
  rebuildIndex: 'Rebuild Index',
  memoryLimitSetting: 'Change Memory Limit…',
  showSkipped: 'Show Skipped Files',
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
  /** Files the index leaves out, e.g. "3 files skipped: 2 too large, 1 crashed the model host". */
  skipped?: { summary: string; /** Some crashed the model host. */ warning: boolean };
}

export type ExtensionMessage =
  | { type: 'searching'; query: QueryView }
  | { type: 'results'; view: ResultsView }
  | { type: 'searchFailed'; query: QueryView; message: string; actions: ActionId[] }
  | { type: 'indexState'; state: IndexStateView }
  /** Why result `id` matched (answers an `explain`). */
  | { type: 'explanation'; id: string; explanation: ExplanationView }
  /** Side view: follow mode switched on or off (by the view's button or the command). */
  | { type: 'follow'; on: boolean }
  /** Side view: the scope to show, e.g. a folder picked with *Find Similar in Folder…*. */
  | { type: 'scope'; scope: ScopeView }
  /** Compare and near-duplicates panels: working, done, failed. */
  | { type: 'busy'; title: string; detail: string }
  | { type: 'compare'; view: CompareView }
  | { type: 'duplicates'; view: DuplicatesView }
  | { type: 'failed'; title: string; message: string; actions: ActionId[] };

export type RefineDirection = 'more' | 'less';
export type CsvTarget = 'file' | 'clipboard';

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'open'; id: string; toSide: boolean }
  | { type: 'copy'; id: string }
  | { type: 'rerun' }
  | { type: 'search'; query: string }
  | { type: 'action'; action: ActionId }
  | { type: 'explain'; id: string }
  | { type: 'refine'; id: string; direction: RefineDirection }
  | { type: 'clearRefinement' }
  | { type: 'follow'; on: boolean }
  | { type: 'scope'; kind: ScopeKind; include: string; exclude: string }
  | { type: 'exportCsv'; to: CsvTarget }
  | { type: 'changeThreshold' };

/** Longest free-text query a webview may send; longer input is a bug or an attack, not a query. */
export const MAX_QUERY_LENGTH = 10_000;
/** Longest include/exclude glob list a webview may send. */
export const MAX_GLOBS_LENGTH = 2_000;
const MAX_ID_LENGTH = 64;

/** A field is a string, a boolean, or one of a fixed list of strings. */
type Field = 'string' | 'boolean' | readonly string[];
type Shape = Record<string, Field>;
const SHAPES: Record<WebviewMessage['type'], Shape> = {
  ready: {},
  open: { id: 'string', toSide: 'boolean' },
  copy: { id: 'string' },
  rerun: {},
  search: { query: 'string' },
  action: { action: ACTIONS },
  explain: { id: 'string' },
  refine: { id: 'string', direction: ['more', 'less'] },
  clearRefinement: {},
  follow: { on: 'boolean' },
  scope: { kind: SCOPE_KINDS, include: 'string', exclude: 'string' },
  exportCsv: { to: ['file', 'clipboard'] },
  changeThreshold: {},
};

function fits(value: unknown, field: Field): boolean {
  return typeof field === 'string' ? typeof value === field : typeof value === 'string' && field.includes(value);
}

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
    if (!Object.prototype.hasOwnProperty.call(shape, key) || !fits(record[key], shape[key])) return undefined;
  }
  const message = record as unknown as WebviewMessage;
  switch (message.type) {
    case 'open':
    case 'copy':
    case 'explain':
    case 'refine':
      return message.id.length > 0 && message.id.length <= MAX_ID_LENGTH ? message : undefined;
    case 'search':
      return message.query.trim().length > 0 && message.query.length <= MAX_QUERY_LENGTH ? message : undefined;
    case 'scope':
      return message.include.length <= MAX_GLOBS_LENGTH && message.exclude.length <= MAX_GLOBS_LENGTH ? message : undefined;
    default:
      return message;
  }
}
