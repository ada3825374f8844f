// The one typed protocol between the model host (src/host) and its clients (CLI, extension).
// Both sides import these declarations, so a request and its handler can never disagree on shapes.
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { Unit, UnitMode } from './core/units';
import type { SkipReason } from './core/walk';

export type Dtype = 'fp32' | 'fp16' | 'q8';
export type Pooling = 'mean' | 'cls' | 'max';

/** A model already present on disk in the Hub layout; the host never downloads anything. */
export interface ModelSpec {
  /** Local folder holding config.json, tokenizer.json, onnx/model*.onnx. */
  dir: string;
  /** What the user asked for (Hub id or folder), shown in results and used in the index identity. */
  id: string;
  revision?: string;
  dtype: Dtype;
  /** Overrides the model's own sequence limit (sentence_bert_config.json / tokenizer). */
  maxLength?: number;
}

export interface ModelInfo {
  id: string;
  revision: string;
  dtype: Dtype;
  dim: number;
  maxLength: number;
  pooling: Pooling;
}

export interface InitializeParams {
  model: ModelSpec;
  /** Total inference threads; split across worker sessions by the host. */
  threads: number;
  /** Root folder for persistent indexes; omitted = in memory only. */
  indexDir?: string;
  /**
   * Resident-memory ceiling of the host in MB. Enforced by the client, which reads the host's RSS from the OS on
   * every heartbeat (a host stuck in native code cannot report its own) and kills it above the limit.
   */
  maxMemoryMB?: number;
  /**
   * A file the host keeps the texts being embedded in, so that after a native crash the next host can isolate the
   * input that caused it (see host/crashJournal.ts). HostClient sets it; omitted = no isolation.
   */
  crashJournal?: string;
  /** How often a long build is saved, so a crash resumes from what is stored (default 30 s). */
  saveIntervalMs?: number;
}

export interface EmbedParams {
  texts: string[];
}
export interface EmbedResult {
  /** One L2-normalised vector per text. */
  vectors: number[][];
  tokenCounts: number[];
  /** True where the text was longer than the model's limit and was cut. */
  truncated: boolean[];
}

export interface WalkSettings {
  maxFileBytes: number;
  include?: string[];
  exclude?: string[];
  maxFiles?: number;
  respectGitignore?: boolean;
}

export interface FolderSpec {
  /** Absolute path of a workspace folder. */
  root: string;
  walk: WalkSettings;
  /** Unit mode by file extension (e.g. { ".md": "sentences", ".log": "lines" }) on top of the defaults. */
  unitModes?: Record<string, UnitMode>;
}

export interface IndexParams {
  folders: FolderSpec[];
  /** Progress notifications for this request carry this token. */
  progressToken?: string;
}

/** Why a file is not indexed: a walk rule, or 'crashed-host' (embedding it crashed the model host twice). */
export type SkippedReason = SkipReason | 'crashed-host';

export interface SkippedReport {
  root: string;
  relPath: string;
  reason: SkippedReason;
  detail?: string;
}

export interface IndexSummary {
  files: number;
  units: number;
  /** Distinct unit texts embedded by this request. */
  embedded: number;
  /** Distinct unit texts whose stored vectors were reused. */
  reused: number;
  /** Units cut at the model's limit. */
  truncated: number;
  /** A bounded sample of skipped files; skippedCount is the full number. */
  skipped: SkippedReport[];
  skippedCount: number;
  elapsedMs: number;
  /**
   * The index could not be saved (a full disk): the request still succeeded, its changes are searchable but kept in
   * memory only, and the previous index stays on disk. Each later save tries again.
   */
  saveError?: IndexSaveError;
}

/** Why an index could not be written, and where. */
export interface IndexSaveError {
  /** The index file whose write failed: where the space ran out. */
  path: string;
  /** The system's error code (ENOSPC, EDQUOT, EACCES…), when there is one. */
  code?: string;
  /** The system's message, e.g. "ENOSPC: no space left on device, write". */
  message: string;
}

export type FileChange =
  | { root: string; relPath: string; text: string }
  | { root: string; relPath: string; deleted: true }
  | { root: string; relPath: string; reread: true };

export interface UpdateFilesParams {
  changes: FileChange[];
  unitModes?: Record<string, UnitMode>;
}

export interface UnitLocation {
  root: string;
  relPath: string;
  line: number;
}

export interface SearchParams {
  /** Text to embed as the query. */
  query: string;
  topK: number;
  minScore?: number;
  /** Leave out units overlapping the query's own location. */
  exclude?: UnitLocation & { endLine: number };
  /** Only these workspace roots (default: all indexed). */
  roots?: string[];
  /** Only units of these files, this folder or these globs (as VS Code's Search view scopes a search). */
  scope?: SearchScope;
  /** Rocchio refinement: the query vector moves toward the `more` texts and away from the `less` texts. */
  refine?: Refinement;
  /** Also report each hit's percentile among all scored units. */
  percentiles?: boolean;
}

export interface SearchScope {
  files?: Array<{ root: string; relPath: string }>;
  /** A folder of a workspace root ('' = the whole root). */
  folder?: { root: string; relPath: string };
  /** Glob patterns relative to each root, as typed in a search view. */
  include?: string[];
  exclude?: string[];
}

export interface Refinement {
  more: string[];
  less: string[];
}

export interface SearchHit extends Unit {
  root: string;
  relPath: string;
  score: number;
  /** Share (0–100) of the searched units that score below this hit for this query. */
  percentile?: number;
}

/** Why a result matched: with mean pooling, cos(q, d) = Σ_t q̂·h_t / (n·|d|) splits exactly over d's tokens. */
export interface ExplainParams {
  query: string;
  text: string;
  refine?: Refinement;
}

export interface Contribution {
  /** The token or word as it appears in `text`. */
  text: string;
  /** UTF-16 offsets in `text`; special tokens ([CLS], [SEP]) have start = end = -1. */
  start: number;
  end: number;
  /** Its additive share of the cosine: contributions sum to `score`. */
  contribution: number;
}

export interface ExplainResult {
  score: number;
  tokens: Contribution[];
  /** Word pieces merged into words (special tokens folded into no word), for highlighting. */
  words: Contribution[];
}

export interface DuplicatesParams {
  /** Cosine above which two units count as near-duplicates. */
  threshold: number;
  roots?: string[];
  scope?: SearchScope;
  /** Largest clusters first; at most this many. */
  maxClusters?: number;
  /** Progress notifications ('comparing') for this request carry this token. */
  progressToken?: string;
}

export interface DuplicateCluster {
  /** The first member is the cluster's representative; each member's score is its cosine to it. */
  members: SearchHit[];
  /** Distinct texts among the members (members with identical text are exact duplicates). */
  distinctTexts: number;
}

export interface DuplicatesResult {
  clusters: DuplicateCluster[];
  /** Units compared. */
  units: number;
  elapsedMs: number;
}

export interface SearchResult {
  model: string;
  hits: SearchHit[];
  queryTruncated: boolean;
  /** Units searched: those in scope whose text has a vector (the population of the percentiles). */
  searched: number;
  elapsedMs: number;
}

export type HostState = 'starting' | 'loading' | 'ready' | 'indexing' | 'error';

export interface HostStatus {
  state: HostState;
  model?: ModelInfo;
  files: number;
  units: number;
  pid: number;
  rssBytes: number;
}

export interface ProgressParams {
  token: string;
  /** 'comparing': Find Near-Duplicates, done of total pairs of texts (total known from the start). */
  phase: 'walking' | 'embedding' | 'saving' | 'comparing';
  done: number;
  total?: number;
}

export interface LogParams {
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** Error codes carried by ResponseError.code, so clients can react without parsing messages. */
export const ErrorCodes = {
  ModelNotLoaded: -32001,
  ModelInvalid: -32002,
  HostCrashed: -32003,
  HostUnresponsive: -32004,
  /** The host went above InitializeParams.maxMemoryMB and was killed. */
  HostMemoryLimit: -32005,
  /** A text to embed crashed the host before (see host/crashJournal.ts) and is refused. */
  InputCrashesHost: -32006,
  /** Explain on a model whose pooling does not split over tokens (CLS pooling). */
  ExplanationUnsupported: -32007,
  /** A request's parameters are out of range (e.g. a duplicates threshold outside (0, 1]). */
  InvalidParams: -32602,
  Cancelled: -32800,
} as const;

/** Exit codes of the host process that the client tells apart. */
export const HostExitCodes = {
  /** An inference worker stopped on its own: like a native crash, most likely caused by its input. */
  InferenceWorkerDied: 70,
} as const;

export const Initialize = new RequestType<InitializeParams, ModelInfo, void>('similarSentences/initialize');
export const Embed = new RequestType<EmbedParams, EmbedResult, void>('similarSentences/embed');
export const IndexFolders = new RequestType<IndexParams, IndexSummary, void>('similarSentences/index');
export const UpdateFiles = new RequestType<UpdateFilesParams, IndexSummary, void>('similarSentences/updateFiles');
export const Search = new RequestType<SearchParams, SearchResult, void>('similarSentences/search');
export const ClearIndex = new RequestType<{ roots?: string[] }, void, void>('similarSentences/clearIndex');
export const Explain = new RequestType<ExplainParams, ExplainResult, void>('similarSentences/explain');
export const FindDuplicates = new RequestType<DuplicatesParams, DuplicatesResult, void>('similarSentences/duplicates');
export const Status = new RequestType0<HostStatus, void>('similarSentences/status');
export const Ping = new RequestType0<number, void>('similarSentences/ping');
export const Progress = new NotificationType<ProgressParams>('similarSentences/progress');
export const Log = new NotificationType<LogParams>('similarSentences/log');
