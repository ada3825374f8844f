// The host's engine: walk → units → embed → index → search, one WorkspaceIndex per workspace folder.
// Embedding runs in the worker pool while this thread keeps walking and segmenting, so the workers never starve.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CancellationToken } from 'vscode-jsonrpc';
import { clearIndexes, hashContent, IndexIdentity, WorkspaceIndex } from '../core/index/workspaceIndex';
import { defaultUnitMode, splitUnits, Unit, UnitMode } from '../core/units';
import { readTextFile, walkFolder } from '../core/walk';
import type {
  EmbedParams,
  EmbedResult,
  FolderSpec,
  HostStatus,
  IndexParams,
  IndexSummary,
  ProgressParams,
  SearchHit,
  SearchParams,
  SearchResult,
  SkippedReport,
  UpdateFilesParams,
} from '../protocol';
import type { Embedder } from './embedder';

export interface EngineEvents {
  log(level: 'info' | 'warn' | 'error', message: string): void;
  progress(params: ProgressParams): void;
}

/** Texts handed to the workers at a time while the walk goes on. */
const EMBED_CHUNK = 2048;
/** A long build is saved this often, so a crash resumes from what is stored. */
const SAVE_EVERY_MS = 30_000;
const PROGRESS_EVERY_MS = 200;
const SKIPPED_SAMPLE = 50;

interface Folder {
  spec: FolderSpec;
  index: WorkspaceIndex;
  /** Texts handed to the workers and not stored yet, so overlapping chunks never embed a text twice. */
  inFlight: Set<string>;
}

export class Engine {
  private readonly folders = new Map<string, Folder>();
  private indexing = 0;

  constructor(
    readonly embedder: Embedder,
    private readonly indexDir: string | undefined,
    private readonly events: EngineEvents,
  ) {}

  async embed({ texts }: EmbedParams, token: CancellationToken): Promise<EmbedResult> {
    const out = await this.embedder.embed(texts, { signal: toSignal(token), urgent: true });
    const { dim } = this.embedder.info;
    return {
      vectors: texts.map((_, i) => Array.from(out.vectors.subarray(i * dim, (i + 1) * dim))),
      tokenCounts: Array.from(out.tokenCounts),
      truncated: Array.from(out.truncated, Boolean),
    };
  }

  async indexFolders(params: IndexParams, token: CancellationToken): Promise<IndexSummary> {
    const started = Date.now();
    const summary = emptySummary();
    this.indexing++;
    try {
      for (const spec of params.folders) {
        const folder = await this.openFolder(spec);
        await this.indexFolder(folder, summary, params.progressToken, token);
      }
    } finally {
      this.indexing--;
    }
    summary.elapsedMs = Date.now() - started;
    return summary;
  }

  async updateFiles(params: UpdateFilesParams, token: CancellationToken): Promise<IndexSummary> {
    const started = Date.now();
    const summary = emptySummary();
    const touched = new Set<Folder>();
    for (const change of params.changes) {
      const folder = this.folders.get(change.root);
      if (!folder) continue; // not indexed yet: the first search indexes it from disk
      touched.add(folder);
      const unitModes = { ...folder.spec.unitModes, ...params.unitModes };
      if ('deleted' in change) {
        folder.index.removeFile(change.relPath);
      } else if ('text' in change) {
        // Unsaved editor text: recorded with an impossible size so the next walk compares the disk file by hash.
        const units = this.units(change.relPath, change.text, unitModes);
        folder.index.setFile(change.relPath, { size: -1, mtimeMs: -1, contentHash: hashContent(change.text) }, units);
      } else {
        await this.refreshFromDisk(folder, change.relPath, unitModes, summary);
      }
    }
    for (const folder of touched) {
      await this.embedMissing(folder, summary, undefined, token);
      await folder.index.save();
      const stats = folder.index.stats();
      summary.files += stats.files;
      summary.units += stats.units;
    }
    summary.elapsedMs = Date.now() - started;
    return summary;
  }

  async search(params: SearchParams, token: CancellationToken): Promise<SearchResult> {
    const started = Date.now();
    const query = await this.embedder.embed([params.query], { signal: toSignal(token), urgent: true });
    const roots = params.roots ?? [...this.folders.keys()];
    const hits: SearchHit[] = [];
    let searched = 0;
    for (const root of roots) {
      const folder = this.folders.get(root);
      if (!folder) continue;
      const exclude = params.exclude?.root === root ? params.exclude : undefined;
      const found = folder.index.search(query.vectors, params.topK, {
        minScore: params.minScore,
        exclude: exclude && ((relPath: string, unit: Unit) =>
          relPath === exclude.relPath && unit.line <= exclude.endLine && unit.endLine >= exclude.line),
      });
      for (const { relPath, unit, score } of found) hits.push({ ...unit, root, relPath, score });
      searched += folder.index.stats().units;
    }
    hits.sort((a, b) => b.score - a.score);
    return {
      model: this.embedder.info.id,
      hits: hits.slice(0, params.topK),
      queryTruncated: query.truncated[0] === 1,
      searched,
      elapsedMs: Date.now() - started,
    };
  }

  async clear(roots?: string[]): Promise<void> {
    for (const root of roots ?? [...this.folders.keys()]) this.folders.delete(root);
    if (this.indexDir) for (const root of roots ?? [undefined]) await clearIndexes(this.indexDir, root);
  }

  status(): Omit<HostStatus, 'pid' | 'rssBytes'> {
    let files = 0;
    let units = 0;
    for (const { index } of this.folders.values()) {
      const stats = index.stats();
      files += stats.files;
      units += stats.units;
    }
    return { state: this.indexing ? 'indexing' : 'ready', model: this.embedder.info, files, units };
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.folders.values()].map((f) => f.index.save().catch(() => undefined)));
    await this.embedder.dispose();
  }

  private identity(): IndexIdentity {
    const { id, revision, dtype, maxLength, pooling, dim } = this.embedder.info;
    return { model: id, revision, dtype, maxLength, pooling, dim };
  }

  private async openFolder(spec: FolderSpec): Promise<Folder> {
    let folder = this.folders.get(spec.root);
    if (!folder) {
      const index = await WorkspaceIndex.open(this.indexDir, spec.root, this.identity(), (m) => this.events.log('warn', m));
      folder = { spec, index, inFlight: new Set() };
      this.folders.set(spec.root, folder);
    }
    folder.spec = spec;
    return folder;
  }

  private async indexFolder(folder: Folder, summary: IndexSummary, progressToken: string | undefined, token: CancellationToken): Promise<void> {
    const { spec, index } = folder;
    const embeddedBefore = summary.embedded;
    const signal = toSignal(token);
    const report = throttledProgress(progressToken, this.events.progress);
    const seen = new Set<string>();
    const inFlight: Promise<void>[] = [];
    let pendingTexts = 0;
    let lastSave = Date.now();
    const onSkip = (s: { relPath: string; reason: SkippedReport['reason']; detail?: string }) => {
      summary.skippedCount++;
      if (summary.skipped.length < SKIPPED_SAMPLE) summary.skipped.push({ root: spec.root, ...s });
    };

    try {
      for await (const file of walkFolder(spec.root, { ...spec.walk, signal }, onSkip)) {
        seen.add(file.relPath);
        report('walking', seen.size);
        const known = index.fileMeta(file.relPath);
        if (known && known.size === file.size && known.mtimeMs === file.mtimeMs) continue;
        const read = await readTextFile(file.absPath, spec.walk.maxFileBytes);
        if ('skipped' in read) {
          onSkip({ relPath: file.relPath, reason: read.skipped, detail: read.detail });
          continue;
        }
        const units = this.units(file.relPath, read.text, spec.unitModes);
        index.setFile(file.relPath, { size: file.size, mtimeMs: file.mtimeMs, contentHash: hashContent(read.text) }, units);
        pendingTexts += units.length;
        if (pendingTexts >= EMBED_CHUNK) {
          pendingTexts = 0;
          inFlight.push(this.embedMissing(folder, summary, report, token));
        }
        if (Date.now() - lastSave > SAVE_EVERY_MS) {
          lastSave = Date.now();
          await Promise.all(inFlight);
          await index.save();
        }
      }
      for (const relPath of [...index.files()]) if (!seen.has(relPath)) index.removeFile(relPath);
      inFlight.push(this.embedMissing(folder, summary, report, token));
      await Promise.all(inFlight);
    } finally {
      // Whatever was embedded before a cancel or failure is kept.
      await Promise.allSettled(inFlight);
      report('saving', 0, undefined, true);
      await index.save();
    }
    const stats = index.stats();
    summary.files += stats.files;
    summary.units += stats.units;
    summary.reused += Math.max(0, stats.vectors - (summary.embedded - embeddedBefore));
  }

  /** Embeds every distinct text of the index that has no vector yet and is not already being embedded. */
  private async embedMissing(
    { index, inFlight }: Folder,
    summary: IndexSummary,
    report: ProgressReporter | undefined,
    token: CancellationToken | undefined,
  ): Promise<void> {
    const texts = index.textsWithoutVectors().filter((t) => !inFlight.has(t));
    if (texts.length === 0) return;
    for (const t of texts) inFlight.add(t);
    const base = summary.embedded;
    summary.embedded += texts.length;
    try {
      const out = await this.embedder.embed(texts, {
        signal: token && toSignal(token),
        onProgress: (done) => report?.('embedding', base + done, summary.embedded),
      });
      index.addVectors(texts, out.vectors);
      for (const t of out.truncated) summary.truncated += t;
    } finally {
      for (const t of texts) inFlight.delete(t);
    }
  }

  private async refreshFromDisk(folder: Folder, relPath: string, unitModes: Record<string, UnitMode> | undefined, summary: IndexSummary): Promise<void> {
    const absPath = join(folder.spec.root, relPath);
    const info = await stat(absPath).catch(() => undefined);
    if (!info?.isFile()) return folder.index.removeFile(relPath);
    const read = await readTextFile(absPath, folder.spec.walk.maxFileBytes);
    if ('skipped' in read) {
      folder.index.removeFile(relPath);
      summary.skippedCount++;
      summary.skipped.push({ root: folder.spec.root, relPath, reason: read.skipped, detail: read.detail });
      return;
    }
    const units = this.units(relPath, read.text, unitModes);
    folder.index.setFile(relPath, { size: info.size, mtimeMs: info.mtimeMs, contentHash: hashContent(read.text) }, units);
  }

  private units(relPath: string, text: string, unitModes: Record<string, UnitMode> | undefined): Unit[] {
    return splitUnits(text, { mode: defaultUnitMode(relPath, unitModes) });
  }
}

type ProgressReporter = (phase: ProgressParams['phase'], done: number, total?: number, force?: boolean) => void;

/** Progress notifications at most every PROGRESS_EVERY_MS, so IPC is never flooded. */
function throttledProgress(token: string | undefined, send: (p: ProgressParams) => void): ProgressReporter {
  let last = 0;
  return (phase, done, total, force) => {
    if (!token) return;
    const now = Date.now();
    if (!force && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    send({ token, phase, done, total });
  };
}

function emptySummary(): IndexSummary {
  return { files: 0, units: 0, embedded: 0, reused: 0, truncated: 0, skipped: [], skippedCount: 0, elapsedMs: 0 };
}

function toSignal(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

export function isCancellation(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
