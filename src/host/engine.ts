// The host's engine: walk → units → embed → index → search, one WorkspaceIndex per workspace folder.
// Embedding runs in the worker pool while this thread keeps walking and segmenting, so the workers never starve.
import { setMaxListeners } from 'node:events';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ResponseError, type CancellationToken } from 'vscode-jsonrpc';
import { ExplanationUnsupportedError, tokenContributions } from '../core/explain';
import { findNearDuplicates, type DuplicateSource, type TextCluster } from '../core/index/nearDuplicates';
import { saveFailureOf } from '../core/index/saveFailure';
import { clearIndexes, hashContent, IndexIdentity, IndexWriteError, WorkspaceIndex, type FileMeta, type RankedSearch } from '../core/index/workspaceIndex';
import { rocchio } from '../core/refine';
import { compileScope } from '../core/scope';
import { alignPieces, tokensAndWords } from '../core/tokenAlignment';
import { defaultUnitMode, splitUnits, Unit, UnitMode } from '../core/units';
import { isExcludedFromWalk, readTextFile, walkFolder } from '../core/walk';
import {
  ErrorCodes,
  type DuplicateCluster,
  type DuplicatesParams,
  type DuplicatesResult,
  type EmbedParams,
  type EmbedResult,
  type ExplainParams,
  type ExplainResult,
  type FolderSpec,
  type HostStatus,
  type IndexParams,
  type IndexSummary,
  type ProgressParams,
  type Refinement,
  type SearchHit,
  type SearchParams,
  type SearchResult,
  type SkippedReport,
  type UpdateFilesParams,
} from '../protocol';
import type { Embedder } from './embedder';
import { pairThreads } from './pairWorkers';

export interface EngineEvents {
  log(level: 'info' | 'warn' | 'error', message: string): void;
  progress(params: ProgressParams): void;
}

export interface EngineOptions {
  /** Texts that crashed the host (see crashJournal.ts): never embedded; files containing them are quarantined. */
  poison?: ReadonlySet<string>;
  /** How often a long build is saved, so a crash resumes from what is stored. */
  saveIntervalMs?: number;
}

/**
 * Texts handed to the workers at a time while the walk goes on. Each chunk is length-sorted on its own, so small
 * chunks pad more than one global sort would (2048 cost fp32 ~10% against raw onnxruntime on the same texts); the
 * walk outruns inference by far, so the workers still start within a fraction of a second.
 */
const EMBED_CHUNK = 8192;
const SAVE_EVERY_MS = 30_000;
/** How often a read-only index checks whether the process that writes it is gone, so this one can take over. */
const TAKEOVER_EVERY_MS = 2_000;
const PROGRESS_EVERY_MS = 200;
const SKIPPED_SAMPLE = 50;
/**
 * A quarantined file stays in the index with no units and this mark before its content hash: the mark is stored
 * with the index, so the file is not read again while unchanged, and is retried once it changes or after Clear Index.
 */
const QUARANTINED = 'crashed-host:';

interface Folder {
  spec: FolderSpec;
  index: WorkspaceIndex;
  /** Texts handed to the workers and not stored yet, so overlapping chunks never embed a text twice. */
  inFlight: Set<string>;
  /** Files of the index that are quarantine marks, not indexed files. */
  quarantined: Set<string>;
  /** The save in progress: vectors that arrive meanwhile are added after it (see store). */
  saving?: Promise<void>;
  lastSave: number;
  /** Near-duplicate searches holding slots of the index: saves wait until they end (see withSavesPaused). */
  readers: Set<Promise<unknown>>;
  /** A save was asked for while readers held the index: it runs when the last one ends. */
  saveDeferred: boolean;
}

/** The state of one IndexFolders or UpdateFiles request. */
interface Run {
  summary: IndexSummary;
  signal?: AbortSignal;
  report?: ProgressReporter;
  /** Texts handed to the embedder so far; summary.embedded counts those done. */
  queued: number;
}

type SkipHandler = (skipped: Omit<SkippedReport, 'root'>) => void;

export class Engine {
  private readonly folders = new Map<string, Folder>();
  private indexing = 0;
  private updating = 0;
  private takeoverTimer: NodeJS.Timeout | undefined;
  private takingOver = false;
  private readonly poison: ReadonlySet<string>;
  private readonly saveIntervalMs: number;

  constructor(
    readonly embedder: Embedder,
    private readonly indexDir: string | undefined,
    private readonly events: EngineEvents,
    options: EngineOptions = {},
  ) {
    this.poison = options.poison ?? new Set();
    this.saveIntervalMs = options.saveIntervalMs ?? SAVE_EVERY_MS;
  }

  async embed({ texts }: EmbedParams, token: CancellationToken): Promise<EmbedResult> {
    this.refusePoison(texts);
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
    const run: Run = { summary: emptySummary(), signal: toSignal(token), report: throttledProgress(params.progressToken, this.events.progress), queued: 0 };
    this.indexing++;
    try {
      for (const spec of params.folders) {
        const folder = await this.openFolder(spec);
        await this.indexFolder(folder, run);
      }
    } finally {
      this.indexing--;
    }
    run.summary.elapsedMs = Date.now() - started;
    return run.summary;
  }

  async updateFiles(params: UpdateFilesParams, token: CancellationToken): Promise<IndexSummary> {
    this.updating++;
    try {
      return await this.applyChanges(params, token);
    } finally {
      this.updating--;
    }
  }

  private async applyChanges(params: UpdateFilesParams, token: CancellationToken): Promise<IndexSummary> {
    const started = Date.now();
    const run: Run = { summary: emptySummary(), signal: toSignal(token), queued: 0 };
    const { summary } = run;
    const touched = new Set<Folder>();
    for (const change of params.changes) {
      const folder = this.folders.get(change.root);
      if (!folder) continue; // not indexed yet: the first search indexes it from disk
      touched.add(folder);
      await this.notSaving(folder); // refreshFromDisk waits again after its own reads
      const onSkip = skipHandler(summary, change.root);
      const unitModes = { ...folder.spec.unitModes, ...params.unitModes };
      if ('deleted' in change) {
        // The path may be a folder: everything under it goes.
        const below = change.relPath ? `${change.relPath}/` : '';
        for (const relPath of [...folder.index.files()]) if (relPath === change.relPath || relPath.startsWith(below)) this.removeFile(folder, relPath);
      } else if (await isExcludedFromWalk(folder.spec.root, change.relPath, folder.spec.walk)) {
        // The walk would not index it (ignore files, globs, default excludes): neither does a change.
        await this.notSaving(folder);
        this.removeFile(folder, change.relPath);
      } else if ('text' in change) {
        await this.notSaving(folder);
        const bytes = Buffer.byteLength(change.text, 'utf8');
        if (bytes > folder.spec.walk.maxFileBytes) {
          this.removeFile(folder, change.relPath);
          onSkip({ relPath: change.relPath, reason: 'too-large', detail: `${bytes} bytes` });
          continue;
        }
        // Unsaved editor text: recorded with an impossible size so the next walk compares the disk file by hash.
        const { units, unitMode } = this.split(change.relPath, change.text, unitModes);
        this.setFile(folder, change.relPath, { size: -1, mtimeMs: -1, contentHash: hashContent(change.text), unitMode }, units, onSkip);
      } else {
        await this.refreshFromDisk(folder, change.relPath, unitModes, onSkip);
      }
    }
    for (const folder of touched) {
      await this.embedMissing(folder, run);
      await this.saveOrReport(folder, summary);
      summary.files += this.fileCount(folder);
      summary.units += folder.index.stats().units;
    }
    summary.elapsedMs = Date.now() - started;
    return summary;
  }

  async search(params: SearchParams, token: CancellationToken): Promise<SearchResult> {
    const started = Date.now();
    const query = await this.queryVector(params.query, params.refine, toSignal(token));
    const scopeOf = compileScope(params.scope);
    const hits: SearchHit[] = [];
    const ranked: RankedSearch[] = [];
    let searched = 0;
    for (const root of params.roots ?? [...this.folders.keys()]) {
      const folder = this.folders.get(root);
      if (!folder) continue;
      const exclude = params.exclude?.root === root ? params.exclude : undefined;
      const found = folder.index.rankedSearch(query.vector, params.topK, {
        minScore: params.minScore,
        files: scopeOf(root),
        exclude: exclude && ((relPath: string, unit: Unit) =>
          relPath === exclude.relPath && unit.line <= exclude.endLine && unit.endLine >= exclude.line),
      });
      for (const { relPath, unit, score } of found.hits) hits.push({ ...unit, root, relPath, score });
      ranked.push(found);
      searched += found.searched;
    }
    hits.sort((a, b) => b.score - a.score);
    const top = hits.slice(0, params.topK);
    // Exact: each root ranks every score ≥ its own k-th hit, and a hit of the merged top k is ≥ every root's k-th.
    if (params.percentiles && searched > 0) {
      for (const hit of top) hit.percentile = (100 * ranked.reduce((below, root) => below + root.countBelow(hit.score), 0)) / searched;
    }
    return {
      model: this.embedder.info.id,
      hits: top,
      queryTruncated: query.truncated,
      searched,
      elapsedMs: Date.now() - started,
    };
  }

  /** Which tokens of `text` make up its cosine with the query: exact under mean (or max) pooling, see core/explain.ts. */
  async explain(params: ExplainParams, token: CancellationToken): Promise<ExplainResult> {
    const { pooling, dim } = this.embedder.info;
    if (pooling === 'cls') throw new ResponseError(ErrorCodes.ExplanationUnsupported, new ExplanationUnsupportedError(pooling).message);
    this.refusePoison([params.text]);
    const signal = toSignal(token);
    const [query, states] = await Promise.all([
      this.queryVector(params.query, params.refine, signal),
      this.embedder.tokenStates(params.text, { signal }),
    ]);
    const shares = tokenContributions(query.vector, { states: states.states, tokens: states.tokens.length, dim }, pooling);
    const pieces = states.tokens.map((piece, i) => ({ token: piece, special: states.special[i] }));
    const spans = alignPieces(params.text, pieces, states.unknownToken);
    const { tokens, words } = tokensAndWords(params.text, pieces, spans, shares);
    return { score: shares.reduce((sum, share) => sum + share, 0), tokens, words };
  }

  /** Clusters of units whose cosine with their cluster's representative reaches the threshold (core/index/nearDuplicates.ts). */
  async findDuplicates(params: DuplicatesParams, token: CancellationToken): Promise<DuplicatesResult> {
    const started = Date.now();
    const { threshold } = params;
    if (!(threshold > 0 && threshold <= 1)) throw new ResponseError(ErrorCodes.InvalidParams, `the threshold must be in (0, 1], not ${threshold}`);
    const scopeOf = compileScope(params.scope);
    const folders = (params.roots ?? [...this.folders.keys()]).flatMap((root) => this.folders.get(root) ?? []);
    const sources: DuplicateSource[] = folders.map((folder) => ({ index: folder.index, files: scopeOf(folder.spec.root) }));
    const report = throttledProgress(params.progressToken, this.events.progress);
    const onProgress = (done: number, total: number) => report('comparing', done, total, done === total);
    const found = await this.withSavesPaused(folders, () => findNearDuplicates(sources, threshold, { signal: toSignal(token), onProgress, threads: pairThreads() }));
    const clusters = unitClusters(found.clusters.slice(0, params.maxClusters ?? Infinity), sources, folders.map((folder) => folder.spec.root));
    return { clusters, units: found.units, elapsedMs: Date.now() - started };
  }

  /** The query's vector, moved by Rocchio feedback when refine is given; feedback texts reuse stored vectors. */
  private async queryVector(query: string, refine: Refinement | undefined, signal: AbortSignal): Promise<{ vector: Float32Array; truncated: boolean }> {
    const examples = refine ? [...refine.more, ...refine.less] : [];
    const stored = examples.map((text) => this.storedVector(text));
    const toEmbed = [query, ...examples.filter((_, i) => !stored[i])];
    this.refusePoison(toEmbed);
    const out = await this.embedder.embed(toEmbed, { signal, urgent: true });
    const { dim } = this.embedder.info;
    const vector = out.vectors.slice(0, dim);
    const truncated = out.truncated[0] === 1;
    if (!refine) return { vector, truncated };
    let next = 1;
    const vectors = stored.map((known) => known ?? out.vectors.slice(next * dim, ++next * dim));
    return { vector: rocchio(vector, vectors.slice(0, refine.more.length), vectors.slice(refine.more.length)), truncated };
  }

  private storedVector(text: string): Float32Array | undefined {
    for (const folder of this.folders.values()) {
      const vector = folder.index.vectorOf(text);
      if (vector) return vector;
    }
    return undefined;
  }

  async clear(roots?: string[]): Promise<void> {
    for (const root of roots ?? [...this.folders.keys()]) {
      const folder = this.folders.get(root);
      this.folders.delete(root);
      // Closed before its files are deleted: open segment files cannot be deleted on Windows.
      await folder?.index.close();
    }
    if (this.indexDir) for (const root of roots ?? [undefined]) await clearIndexes(this.indexDir, root);
  }

  status(): Omit<HostStatus, 'pid' | 'rssBytes'> {
    let files = 0;
    let units = 0;
    for (const folder of this.folders.values()) {
      files += this.fileCount(folder);
      units += folder.index.stats().units;
    }
    return { state: this.indexing ? 'indexing' : 'ready', model: this.embedder.info, files, units };
  }

  async dispose(): Promise<void> {
    clearInterval(this.takeoverTimer);
    await Promise.all([...this.folders.values()].map((f) => this.save(f).catch(() => undefined)));
    await this.embedder.dispose();
  }

  private identity(): IndexIdentity {
    const { id, revision, dtype, maxLength, pooling, dim } = this.embedder.info;
    return { model: id, revision, dtype, maxLength, pooling, dim };
  }

  private async openFolder(spec: FolderSpec): Promise<Folder> {
    let folder = this.folders.get(spec.root);
    if (!folder) {
      const index = await WorkspaceIndex.open(this.indexDir, spec.root, this.identity(), this.indexLog);
      folder = { spec, index, inFlight: new Set(), quarantined: quarantinedFiles(index), lastSave: Date.now(), readers: new Set(), saveDeferred: false };
      this.folders.set(spec.root, folder);
      if (index.readOnly) this.watchForTakeover();
    }
    folder.spec = spec;
    return folder;
  }

  private readonly indexLog = (message: string, level: 'info' | 'warn') => this.events.log(level, message);

  /** While some index is read-only (another window writes it), checks every few seconds whether it can take over. */
  private watchForTakeover(): void {
    if (this.takeoverTimer) return;
    this.takeoverTimer = setInterval(() => {
      this.takeOverIndexes().catch((error: unknown) => this.events.log('warn', `taking over the index failed: ${(error as Error).message}`));
    }, TAKEOVER_EVERY_MS);
    this.takeoverTimer.unref();
  }

  /**
   * Each read-only folder whose index no live process writes any more (its window closed or crashed, or its lock
   * could not be written on a full disk and now can be) is opened again as the writer, given what the read-only
   * copy knew (files and vectors seen since), and saved. Only between operations: an index run, a file update, a
   * save or a near-duplicate search may hold the old index object.
   */
  private async takeOverIndexes(): Promise<void> {
    if (this.takingOver || !this.indexDir) return;
    this.takingOver = true;
    try {
      const readOnly = [...this.folders.values()].filter((folder) => folder.index.readOnly);
      if (readOnly.length === 0) {
        clearInterval(this.takeoverTimer);
        this.takeoverTimer = undefined;
      }
      for (const folder of readOnly) {
        if (!this.idle(folder)) continue;
        const writer = await WorkspaceIndex.openIfWritable(this.indexDir, folder.spec.root, this.identity(), this.indexLog);
        if (!writer) continue;
        if (this.folders.get(folder.spec.root) !== folder || !this.idle(folder)) {
          await writer.close(); // busy again (or cleared) meanwhile: the next round tries again
          continue;
        }
        const reader = folder.index;
        writer.adoptFrom(reader);
        folder.index = writer;
        folder.quarantined = quarantinedFiles(writer);
        this.events.log('info', `index: the index of ${folder.spec.root} can be written again (its writer is gone, or the disk has space); this host writes it now`);
        // Saved before the old copy is closed: a Clear Index meanwhile waits for this save, then deletes the files.
        await this.save(folder).finally(() => reader.close());
      }
    } finally {
      this.takingOver = false;
    }
  }

  private idle(folder: Folder): boolean {
    return this.indexing === 0 && this.updating === 0 && folder.readers.size === 0 && !folder.saving;
  }

  private async indexFolder(folder: Folder, run: Run): Promise<void> {
    const { spec, index } = folder;
    const { summary, signal, report } = run;
    const embeddedBefore = summary.embedded;
    const onSkip = skipHandler(summary, spec.root);
    const seen = new Set<string>();
    const chunks: Promise<void>[] = [];
    let pendingTexts = 0;
    // A file already in the index uses a text that crashed the host: read every file again to find it (rare).
    const rescan = this.poison.size > 0 && index.textsWithoutVectors().some((text) => this.poison.has(text));
    if (rescan) this.events.log('warn', `${spec.root}: a stored file contains a text that crashed the model host; reading every file again to find it`);

    try {
      for await (const file of walkFolder(spec.root, { ...spec.walk, signal }, onSkip)) {
        seen.add(file.relPath);
        report?.('walking', seen.size);
        const known = index.fileMeta(file.relPath);
        // A changed unit mode (settings) re-splits the file; its texts keep their vectors.
        const unchanged = known && known.size === file.size && known.mtimeMs === file.mtimeMs && known.unitMode === defaultUnitMode(file.relPath, spec.unitModes);
        if (unchanged && folder.quarantined.has(file.relPath)) {
          onSkip(crashedHost(file.relPath));
          continue;
        }
        if (unchanged && !rescan) continue;
        const read = await readTextFile(file.absPath, spec.walk.maxFileBytes);
        if ('skipped' in read) {
          onSkip({ relPath: file.relPath, reason: read.skipped, detail: read.detail });
          continue;
        }
        const { units, unitMode } = this.split(file.relPath, read.text, spec.unitModes);
        await this.notSaving(folder);
        if (!this.setFile(folder, file.relPath, { size: read.size, mtimeMs: read.mtimeMs, contentHash: hashContent(read.text), unitMode }, units, onSkip)) continue;
        pendingTexts += units.length;
        if (pendingTexts >= EMBED_CHUNK) {
          pendingTexts = 0;
          chunks.push(this.embedMissing(folder, run));
        }
        this.saveIfDue(folder);
      }
      await this.notSaving(folder);
      for (const relPath of [...index.files()]) if (!seen.has(relPath)) this.removeFile(folder, relPath);
      chunks.push(this.embedMissing(folder, run));
      await Promise.all(chunks);
    } finally {
      // Whatever was embedded before a cancel or failure is kept.
      await Promise.allSettled(chunks);
      report?.('saving', 0, undefined, true);
      await this.saveOrReport(folder, summary);
    }
    const stats = index.stats();
    summary.files += this.fileCount(folder);
    summary.units += stats.units;
    summary.reused += Math.max(0, stats.vectors - (summary.embedded - embeddedBefore));
  }

  /** Embeds every distinct text of the index that has no vector yet and is not already being embedded. */
  private async embedMissing(folder: Folder, run: Run): Promise<void> {
    const { inFlight } = folder;
    const texts = folder.index.textsWithoutVectors().filter((t) => !inFlight.has(t) && !this.poison.has(t));
    if (texts.length === 0) return;
    for (const t of texts) inFlight.add(t);
    run.queued += texts.length;
    try {
      await this.embedder.embed(texts, {
        signal: run.signal,
        // Stored batch by batch: a crash or a cancel keeps everything embedded before it.
        onBatch: (indices, vectors, truncated) => {
          this.store(folder, indices.map((i) => texts[i]), vectors);
          run.summary.embedded += indices.length;
          for (const t of truncated) run.summary.truncated += t;
          run.report?.('embedding', run.summary.embedded, run.queued);
          this.saveIfDue(folder);
        },
      });
    } finally {
      for (const t of texts) inFlight.delete(t);
    }
  }

  /** Adds vectors after the save in progress, if any: a save snapshots state across awaits, so nothing may change under it. */
  private store(folder: Folder, texts: string[], vectors: Float32Array): void {
    if (!folder.saving) return folder.index.addVectors(texts, vectors);
    const later = () => this.store(folder, texts, vectors);
    void folder.saving.then(later, later);
  }

  /**
   * Saves one folder, one save at a time; a save requested while one runs follows it with what came since. While a
   * near-duplicate search holds the index's slots, the save is deferred to its end instead of waiting for it.
   */
  private async save(folder: Folder): Promise<void> {
    await this.notSaving(folder);
    if (folder.readers.size > 0) {
      folder.saveDeferred = true;
      return;
    }
    folder.saving = folder.index.save().finally(() => {
      folder.saving = undefined;
      folder.lastSave = Date.now();
    });
    await folder.saving;
  }

  /**
   * Runs read with saves of these folders held back (a save may free slots and move vectors a reader holds); other
   * changes go on. Saves asked for meanwhile run when the last reader of a folder ends.
   */
  private async withSavesPaused<T>(folders: Folder[], read: () => Promise<T>): Promise<T> {
    while (folders.some((folder) => folder.saving)) await Promise.all(folders.map((folder) => this.notSaving(folder)));
    // No await from the check above to registering the reader, so no save can start in between.
    const reading = read();
    for (const folder of folders) folder.readers.add(reading);
    try {
      return await reading;
    } finally {
      for (const folder of folders) {
        folder.readers.delete(reading);
        if (folder.readers.size === 0 && folder.saveDeferred) {
          folder.saveDeferred = false;
          this.save(folder).catch((error: unknown) => this.events.log('warn', `saving the index failed: ${(error as Error).message}`));
        }
      }
    }
  }

  /** Waits for the save in progress: the index is only changed between saves (vectors are deferred, see store). */
  private async notSaving(folder: Folder): Promise<void> {
    while (folder.saving) await folder.saving.catch(() => undefined);
  }

  /**
   * Saves a long build every saveIntervalMs without waiting for it. A write failure (a full disk) is only logged at
   * info: the request's final save tries again and reports it (see saveOrReport), so the user hears of it once.
   */
  private saveIfDue(folder: Folder): void {
    if (folder.saving || Date.now() - folder.lastSave < this.saveIntervalMs) return;
    this.save(folder).catch((error: unknown) =>
      this.events.log(error instanceof IndexWriteError ? 'info' : 'warn', `saving the index failed: ${(error as Error).message}`),
    );
  }

  /**
   * The save that ends a request. A write failure (a full disk) does not fail the request: the previous index stays
   * on disk, this one keeps the changes in memory and searches them, and the next save tries again. So the failure
   * goes into the summary, and the client tells the user.
   */
  private async saveOrReport(folder: Folder, summary: IndexSummary): Promise<void> {
    try {
      await this.save(folder);
    } catch (error) {
      if (!(error instanceof IndexWriteError)) throw error;
      summary.saveError ??= saveFailureOf(error);
    }
  }

  /** Sets a file's units, or quarantines the file when one of them crashed the host (returns false then). */
  private setFile(folder: Folder, relPath: string, meta: FileMeta, units: Unit[], onSkip: SkipHandler): boolean {
    folder.quarantined.delete(relPath);
    const poisoned = this.poison.size > 0 ? units.find((unit) => this.poison.has(unit.text)) : undefined;
    if (!poisoned) {
      folder.index.setFile(relPath, meta, units);
      return true;
    }
    folder.index.setFile(relPath, { ...meta, contentHash: QUARANTINED + meta.contentHash }, []);
    folder.quarantined.add(relPath);
    onSkip(crashedHost(relPath));
    this.events.log('warn', `${relPath}: line ${poisoned.line} crashed the model host; the file is not indexed until it changes`);
    return false;
  }

  private removeFile(folder: Folder, relPath: string): void {
    folder.quarantined.delete(relPath);
    folder.index.removeFile(relPath);
  }

  private fileCount(folder: Folder): number {
    return folder.index.stats().files - folder.quarantined.size;
  }

  private refusePoison(texts: string[]): void {
    const poisoned = texts.find((text) => this.poison.has(text));
    if (poisoned === undefined) return;
    throw new ResponseError(ErrorCodes.InputCrashesHost, `This text crashed the model host before and is not embedded again: ${JSON.stringify(poisoned.slice(0, 80))}`);
  }

  private async refreshFromDisk(folder: Folder, relPath: string, unitModes: Record<string, UnitMode> | undefined, onSkip: SkipHandler): Promise<void> {
    const absPath = join(folder.spec.root, relPath);
    const info = await stat(absPath).catch(() => undefined);
    // A FIFO or device now at the path is reported as skipped by readTextFile, which never opens one.
    const read = info && !info.isDirectory() ? await readTextFile(absPath, folder.spec.walk.maxFileBytes) : undefined;
    await this.notSaving(folder);
    if (read && 'text' in read) {
      const { units, unitMode } = this.split(relPath, read.text, unitModes);
      this.setFile(folder, relPath, { size: read.size, mtimeMs: read.mtimeMs, contentHash: hashContent(read.text), unitMode }, units, onSkip);
      return;
    }
    this.removeFile(folder, relPath);
    if (read && 'skipped' in read) onSkip({ relPath, reason: read.skipped, detail: read.detail });
  }

  private split(relPath: string, text: string, unitModes: Record<string, UnitMode> | undefined): { units: Unit[]; unitMode: UnitMode } {
    const unitMode = defaultUnitMode(relPath, unitModes);
    return { units: splitUnits(text, { mode: unitMode }), unitMode };
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

/**
 * Adds a skipped file to the summary: all are counted, a bounded sample is listed. The file cap's report is always
 * listed (a walk makes at most one), since clients tell the user about it.
 */
function skipHandler(summary: IndexSummary, root: string): SkipHandler {
  return (skipped) => {
    summary.skippedCount++;
    if (summary.skipped.length < SKIPPED_SAMPLE || skipped.reason === 'max-files') summary.skipped.push({ root, ...skipped });
  };
}

/** The files of an index that are quarantine marks (see QUARANTINED). */
function quarantinedFiles(index: WorkspaceIndex): Set<string> {
  return new Set([...index.files()].filter((relPath) => index.fileMeta(relPath)!.contentHash.startsWith(QUARANTINED)));
}

function crashedHost(relPath: string): Omit<SkippedReport, 'root'> {
  return { relPath, reason: 'crashed-host', detail: 'embedding it crashed the model host twice; retried once the file changes' };
}

function emptySummary(): IndexSummary {
  return { files: 0, units: 0, embedded: 0, reused: 0, truncated: 0, skipped: [], skippedCount: 0, elapsedMs: 0 };
}

/**
 * The units of text clusters, read from the indexes: the representative's text first (its first place is the
 * representative), then the others by descending cosine with it; each member's score is that cosine (1 for the
 * representative's text). Clusters left with fewer than two units (files changed meanwhile) are dropped.
 */
function unitClusters(clusters: TextCluster[], sources: DuplicateSource[], roots: string[]): DuplicateCluster[] {
  // Per source: slot → its cluster, its rank among the cluster's texts (0 = the representative's) and its score.
  const placed = sources.map(() => new Map<number, { cluster: number; rank: number; score: number }>());
  clusters.forEach((cluster, c) =>
    cluster.texts.forEach(({ places, score }, rank) => {
      for (const [source, slot] of places) placed[source].set(slot, { cluster: c, rank, score: rank === 0 ? 1 : score });
    }),
  );
  const members = clusters.map(() => [] as Array<SearchHit & { rank: number }>);
  sources.forEach(({ index, files }, source) => {
    const where = placed[source];
    index.forEachUnit(files, (slot) => where.has(slot), (relPath, unit, slot) => {
      const { cluster, rank, score } = where.get(slot)!;
      members[cluster].push({ ...unit, root: roots[source], relPath, score, rank });
    });
  });
  return members
    .filter((list) => list.length >= 2)
    .map((list) => {
      list.sort((a, b) => a.rank - b.rank || compareText(a.root, b.root) || compareText(a.relPath, b.relPath) || a.line - b.line || a.column - b.column);
      return {
        members: list.map(({ rank: _rank, ...hit }) => hit),
        distinctTexts: new Set(list.map((hit) => hit.rank)).size,
      };
    });
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toSignal(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  // Every embedding job of a request listens to it, many at a time while the walk runs ahead: not a leak.
  setMaxListeners(0, controller.signal);
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

export function isCancellation(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
