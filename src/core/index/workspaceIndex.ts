// The persistent, incremental index of one workspace folder for one model identity, with exact vector search.
//
// API (used by the model host):
//   const index = await WorkspaceIndex.open(storageDir | undefined, root, identity, log);
//   index.fileMeta(relPath) / index.files()          change detection: compare size+mtime, then content hash
//   index.setFile(relPath, meta, units) / index.removeFile(relPath)   (a rename is remove + set)
//   index.textsWithoutVectors() → embed them → index.addVectors(texts, vectors)
//   index.search(query, k, { minScore, exclude, files }) → [{ relPath, unit, score }], best first
//   index.rankedSearch(…) → { hits, searched, countBelow(score) }   for percentiles of scores among searched units
//   await index.save()   periodically and when done (also bounds memory: unsaved float rows live in memory)
//   await index.close()  releases open segment files and the writer lock; the object is unusable afterwards
//   index.readOnly       another process (a second window, the CLI) writes this index: save keeps changes in memory
//
// Data model: units refer to distinct texts (TextTable), so a text that occurs in many places has one vector
// and keeps it while it moves between files. Vectors are stored as int8 in memory for a SIMD pre-scan that
// bounds every exact score from above (QuantizedMatrix); the few candidates that can reach the top k are
// rescored with their exact float32 rows, read from memory or from segment files. Reported scores are the
// exact float32 cosine (float64 dot of the float32 vectors, rounded to float32 — similarity.exactDot), and the
// result set is exactly the top k, not an approximation.
//
// On disk (storage.ts): a manifest (files, units, texts, vector locations; manifest.ts), a journal of the changes
// saved since it was written (journal.ts), and immutable vector segments (segmentFile.ts). Saving after a
// one-line edit writes a tiny segment and appends a small journal record; the manifest is rewritten atomically
// only once the journal has grown to a fraction of it. A crash at any point leaves the previous state loadable.
import { randomBytes } from 'node:crypto';
import { readFile, rm, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { Unit, UnitMode } from '../units';
import { exactDot, topKIndices } from '../similarity';
import { identityKey, type IndexIdentity } from './identity';
import { appendRecord, encodeRecord, JOURNAL_HEADER_BYTES, readJournal, replay, type JournalRecord, type ReplayState } from './journal';
import { decodeManifest, encodeManifest, UNIT_FIELDS, validateState, type Manifest, type ManifestFile } from './manifest';
import { writeSegment } from './segmentFile';
import {
  baseOf,
  IndexFormatError,
  indexFileName,
  IndexWriteError,
  newJournalName,
  newSegmentName,
  nodeFileSystem,
  setAside,
  sweepLeftovers,
  writeFileAtomically,
  type IndexFileSystem,
} from './storage';
import { TextTable } from './textTable';
import type { PairMatrix } from './pairMatrix';
import { VectorStore, type SavePlan, type WrittenSegment } from './vectorStore';
import { WriterLock, type LockOwner, type LockResult } from './writerLock';

export type { IndexIdentity } from './identity';
export { hashContent } from './hash';
export { clearIndexes, indexFileName, IndexWriteError } from './storage';
export type { IndexFileSystem, WritableIndexFile } from './storage';

/** Where the index reports what it did: loading and housekeeping at 'info', a set-aside (damaged) index at 'warn'. */
export type IndexLog = (message: string, level: 'info' | 'warn') => void;

export interface FileMeta {
  size: number;
  mtimeMs: number;
  contentHash: string;
  /** How the file was split into units, so a change of mode re-splits it even when the file did not change. */
  unitMode?: UnitMode;
}

/** Accepts the relative paths of the files in a scope. */
export type FileFilter = (relPath: string) => boolean;

export interface SearchOptions {
  /** Leave out units scoring below this. */
  minScore?: number;
  /** Only units of the files this accepts are searched (a scope); default all. */
  files?: FileFilter;
  /** Leave out units for which this returns true (e.g. the query's own location). */
  exclude?: (relPath: string, unit: Unit) => boolean;
}

export interface IndexHit {
  relPath: string;
  unit: Unit;
  score: number;
}

export interface RankedSearch {
  hits: IndexHit[];
  /** Units searched: those of files in scope whose text has a vector. */
  searched: number;
  /** How many searched units score strictly below score; exact for scores ≥ the last hit's (see rankedSearch). */
  countBelow(score: number): number;
}

export interface IndexStats {
  files: number;
  units: number;
  /** Vectors held; ones no unit references any more are dropped by the next save. */
  vectors: number;
  /** Vectors added since the last save; their float rows are held in memory until then. */
  unsavedVectors: number;
}

interface FileEntry {
  meta: FileMeta;
  /** UNIT_FIELDS integers per unit: line, endLine, column, endColumn, text slot. */
  units: Int32Array;
}

interface Storage {
  folder: string;
  manifestName: string;
  fileSystem: IndexFileSystem;
  /** Size of the manifest on disk; 0 = none written yet. */
  manifestBytes: number;
  journalName: string;
  /** Length of the journal's valid records (0 = no journal file yet). */
  journalBytes: number;
  /** Held while this object may write the index; undefined = another process writes it (read-only). */
  lock: WriterLock | undefined;
}

/** What changed since the last durable save: the content of the next journal record. */
interface Changes {
  files: string[];
  assignedSlots: number[];
  freedSlots: number[];
}

/** Candidates rescored in the first round beyond k; more rounds (×4 each) only when bounds are not yet decisive. */
const EXTRA_CANDIDATES = 64;
const RESCORED = 2;
/** The manifest is rewritten instead of appending once the journal would exceed this share of it (or 64 KiB). */
const JOURNAL_SHARE = 0.5;
const JOURNAL_MIN_BYTES = 64 << 10;

export class WorkspaceIndex {
  private readonly fileEntries = new Map<string, FileEntry>();
  private readonly texts = new TextTable();
  private readonly vectors: VectorStore;
  private unitCount = 0;
  /** Bumped by every change; save is a no-op while it equals savedVersion. */
  private version = 0;
  private savedVersion = 0;
  private lastSave: Promise<void> = Promise.resolve();
  /** Another process holds the writer lock: changes live in memory only. */
  private writesDisabled = false;
  /** The writer lock could not be written (a full disk): read-only as well, and every save throws this. */
  private lockUnwritable?: IndexWriteError;
  /** Files set or removed, and slots freed by collection, since the last durable save. */
  private readonly dirtyFiles = new Set<string>();
  private freedSlots: number[] = [];
  /** Per-slot scratch for search: 1 = has a vector and is referenced; then 2 = rescored. */
  private slotState = new Uint8Array(0);
  private upper = new Float64Array(0);
  private readonly exactScratch: Float32Array;

  private constructor(
    readonly root: string,
    readonly identity: IndexIdentity,
    private readonly storage: Storage | undefined,
    private readonly log: IndexLog,
  ) {
    this.vectors = new VectorStore(identity.dim);
    this.exactScratch = new Float32Array(identity.dim);
  }

  /**
   * Loads the index for (root, identity) from storageDir, or starts empty. A corrupt, truncated, wrong-version
   * or wrong-identity manifest (or a missing or damaged segment) is set aside and an empty index returned; only
   * an unusable storageDir itself (e.g. permission denied) throws. A writer lock that cannot be written (a full
   * disk) opens the index read-only, and its saves throw that error. storageDir undefined = memory only. Leftover
   * temp files and segments of crashed writers are swept. fileSystem replaces the file creation used by save
   * (tests simulate a full disk with it).
   */
  static async open(
    storageDir: string | undefined,
    root: string,
    identity: IndexIdentity,
    log: IndexLog = () => undefined,
    fileSystem: IndexFileSystem = nodeFileSystem,
  ): Promise<WorkspaceIndex> {
    if (storageDir === undefined) return new WorkspaceIndex(root, identity, undefined, log);
    const { locking, fresh } = await WorkspaceIndex.lockStorage(storageDir, root, identity, fileSystem);
    const index = new WorkspaceIndex(root, identity, fresh(), log);
    if ('unwritable' in locking) return WorkspaceIndex.openUnwritable(index, locking.unwritable, () => new WorkspaceIndex(root, identity, fresh(), log));
    if ('heldBy' in locking) return WorkspaceIndex.openReadOnly(index, locking.heldBy, () => new WorkspaceIndex(root, identity, fresh(), log));
    return WorkspaceIndex.openLocked(index, () => new WorkspaceIndex(root, identity, fresh(), log));
  }

  /**
   * Opens the index as its writer if no other live process writes it now; undefined (having read nothing) when one
   * does. A read-only copy polls this to take over once the window that wrote the index has closed or died.
   */
  static async openIfWritable(
    storageDir: string,
    root: string,
    identity: IndexIdentity,
    log: IndexLog = () => undefined,
    fileSystem: IndexFileSystem = nodeFileSystem,
  ): Promise<WorkspaceIndex | undefined> {
    const { locking, fresh } = await WorkspaceIndex.lockStorage(storageDir, root, identity, fileSystem);
    if ('heldBy' in locking || 'unwritable' in locking) return undefined;
    return WorkspaceIndex.openLocked(new WorkspaceIndex(root, identity, fresh(), log), () => new WorkspaceIndex(root, identity, fresh(), log));
  }

  private static async lockStorage(
    storageDir: string,
    root: string,
    identity: IndexIdentity,
    fileSystem: IndexFileSystem,
  ): Promise<{ locking: LockResult | { unwritable: IndexWriteError }; fresh: () => Storage }> {
    await mkdir(storageDir, { recursive: true });
    const manifestName = indexFileName(root, identity);
    const base = baseOf(manifestName);
    const locking = await WriterLock.acquire(storageDir, base).catch((error: unknown) => {
      if (error instanceof IndexWriteError) return { unwritable: error };
      throw error;
    });
    const lock = 'held' in locking ? locking.held : undefined;
    const fresh = (): Storage => ({ folder: storageDir, manifestName, fileSystem, manifestBytes: 0, journalName: newJournalName(base), journalBytes: 0, lock });
    return { locking, fresh };
  }

  /** Loads the index this process holds the lock of; a broken one is set aside and replaced by an empty one. */
  private static async openLocked(index: WorkspaceIndex, empty: () => WorkspaceIndex): Promise<WorkspaceIndex> {
    const { folder, manifestName } = index.storage!;
    const base = baseOf(manifestName);
    const log = index.log;
    try {
      const inUse = await index.load();
      await sweepLeftovers(folder, base, inUse, (message) => log(message, 'info'));
      return index;
    } catch (error) {
      await index.vectors.close();
      const reason = error instanceof IndexFormatError ? error.reason : 'unreadable';
      const warn = (message: string) => log(message, 'warn');
      warn(`index: cannot load ${path.join(folder, manifestName)}: ${(error as Error).message}`);
      await setAside(folder, manifestName, reason, warn);
      await sweepLeftovers(folder, base, new Set(), warn);
      return empty();
    }
  }

  /**
   * The writer lock cannot be written (a full disk) and no live process holds it: the stored index is loaded as it
   * is and nothing is written (no sweep, no set-aside). Every save throws the lock's error, so the failure is
   * reported like any failed save; the changes stay in memory until openIfWritable succeeds and a takeover adopts them.
   */
  private static async openUnwritable(index: WorkspaceIndex, error: IndexWriteError, empty: () => WorkspaceIndex): Promise<WorkspaceIndex> {
    const { folder, manifestName } = index.storage!;
    index.log(`index: ${error.message}; opening ${manifestName} read-only until the lock can be written`, 'info');
    let opened = index;
    try {
      await index.load();
    } catch (loadError) {
      await index.vectors.close();
      index.log(`index: cannot load ${path.join(folder, manifestName)}: ${(loadError as Error).message}; starting empty`, 'warn');
      opened = empty();
    }
    opened.writesDisabled = true;
    opened.lockUnwritable = error;
    return opened;
  }

  /**
   * Another live process writes this index: load it and never write (no save, no sweep, no set-aside). A load
   * can race with that writer replacing the manifest and deleting the segments it replaced, so it is retried;
   * an index that still cannot be read is that writer's to repair, and this one starts empty in memory.
   */
  private static async openReadOnly(index: WorkspaceIndex, owner: LockOwner, empty: () => WorkspaceIndex): Promise<WorkspaceIndex> {
    const { folder, manifestName } = index.storage!;
    const holder = `process ${owner.pid} (started ${new Date(owner.startedAt).toISOString()})`;
    index.log(`index: ${manifestName} is being written by ${holder}; opening it read-only: searches work, new vectors stay in memory and are not saved`, 'info');
    for (let attempt = 1; ; attempt++) {
      try {
        await index.load();
        index.writesDisabled = true;
        return index;
      } catch (error) {
        await index.vectors.close();
        if (attempt === 3) {
          index.log(`index: cannot read ${path.join(folder, manifestName)} while another process writes it (${(error as Error).message}); starting empty`, 'warn');
          const fallback = empty();
          fallback.writesDisabled = true;
          return fallback;
        }
        index = empty();
      }
    }
  }

  /** Reads manifest, journal and segments; returns the names of the files in use (none without a manifest). */
  private async load(): Promise<Set<string>> {
    const storage = this.storage!;
    const { folder, manifestName } = storage;
    let data: Buffer;
    try {
      data = await readFile(path.join(folder, manifestName));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
      throw error;
    }
    const manifest = decodeManifest(data);
    if (identityKey(manifest.identity) !== identityKey(this.identity) || manifest.root !== path.resolve(this.root)) {
      throw new IndexFormatError('identity', `index was built for ${manifest.root} with ${identityKey(manifest.identity)}`);
    }
    const journal = await readJournal(path.join(folder, manifest.journal));
    const state: ReplayState = { ...manifest, files: new Map(manifest.files.map((file) => [file.relPath, file])) };
    replay(state, journal.records);
    const files = [...state.files.values()];
    validateState(state, state.segments, files);
    storage.manifestBytes = data.length;
    storage.journalName = manifest.journal;
    storage.journalBytes = journal.validBytes;

    this.texts.restore(state.texts);
    this.texts.takeAssigned();
    this.vectors.reserve(state.texts.length);
    const slotOfRow = state.segments.map((segment) => new Int32Array(segment.rows).fill(-1));
    state.textSegment.forEach((segment, slot) => {
      if (segment >= 0) slotOfRow[segment][state.textRow[slot]] = slot;
    });
    for (let i = 0; i < state.segments.length; i++) await this.vectors.restoreSegment(folder, state.segments[i], slotOfRow[i]);
    for (const file of files) {
      const units = file.units.slice();
      for (let i = UNIT_FIELDS - 1; i < units.length; i += UNIT_FIELDS) this.texts.acquireSlot(units[i]);
      this.fileEntries.set(file.relPath, { meta: metaOf(file), units });
      this.unitCount += units.length / UNIT_FIELDS;
    }
    this.log(
      `index: loaded ${files.length} files, ${this.unitCount} units, ${this.vectors.count} vectors from ${manifestName}` +
        ` and ${journal.records.length} journal record(s)`,
      'info',
    );
    return new Set([manifest.journal, ...state.segments.map((segment) => segment.name)]);
  }

  fileMeta(relPath: string): FileMeta | undefined {
    const meta = this.fileEntries.get(relPath)?.meta;
    return meta && { ...meta };
  }

  files(): Iterable<string> {
    return this.fileEntries.keys();
  }

  /** Replaces the units of a file (adding the file if new). Texts that already have vectors keep them. */
  setFile(relPath: string, meta: FileMeta, units: Unit[]): void {
    const packed = new Int32Array(units.length * UNIT_FIELDS);
    units.forEach((unit, i) => {
      const at = i * UNIT_FIELDS;
      packed[at] = unit.line;
      packed[at + 1] = unit.endLine;
      packed[at + 2] = unit.column;
      packed[at + 3] = unit.endColumn;
      packed[at + 4] = this.texts.acquire(unit.text);
    });
    // Acquire the new texts before releasing the old ones, so an unchanged line is never even briefly unreferenced.
    this.removeFile(relPath);
    this.fileEntries.set(relPath, { meta: metaOf(meta), units: packed });
    this.unitCount += units.length;
    this.vectors.reserve(this.texts.slots);
    this.dirtyFiles.add(relPath);
    this.version++;
  }

  removeFile(relPath: string): void {
    const entry = this.fileEntries.get(relPath);
    if (!entry) return;
    for (let i = UNIT_FIELDS - 1; i < entry.units.length; i += UNIT_FIELDS) this.texts.release(entry.units[i]);
    this.fileEntries.delete(relPath);
    this.unitCount -= entry.units.length / UNIT_FIELDS;
    this.dirtyFiles.add(relPath);
    this.version++;
  }

  /**
   * Makes this index, just opened as the writer, hold what `reader` (the read-only copy of it this process used
   * while another process wrote the index) knew: its files as it saw them, since it followed the workspace all
   * along, and the vectors it embedded in memory, so that taking over re-embeds nothing.
   */
  adoptFrom(reader: WorkspaceIndex): void {
    for (const relPath of [...this.fileEntries.keys()]) if (!reader.fileEntries.has(relPath)) this.removeFile(relPath);
    for (const [relPath, entry] of reader.fileEntries) {
      const mine = this.fileEntries.get(relPath)?.meta;
      if (mine && sameMeta(mine, entry.meta)) continue;
      const units: Unit[] = [];
      for (let at = 0; at < entry.units.length; at += UNIT_FIELDS) units.push(reader.unitAt(entry.units, at));
      this.setFile(relPath, entry.meta, units);
    }
    const { dim } = this.identity;
    const found = this.textsWithoutVectors().flatMap((text) => {
      const vector = reader.vectorOf(text);
      return vector ? [{ text, vector }] : [];
    });
    const vectors = new Float32Array(found.length * dim);
    found.forEach(({ vector }, i) => vectors.set(vector, i * dim));
    this.addVectors(found.map(({ text }) => text), vectors);
  }

  /** Distinct texts (across all files) that some unit uses and that have no vector yet. */
  textsWithoutVectors(): string[] {
    const missing: string[] = [];
    for (let slot = 0; slot < this.texts.slots; slot++) {
      if (this.texts.references(slot) > 0 && !this.vectors.has(slot)) missing.push(this.texts.textOf(slot));
    }
    return missing;
  }

  /**
   * Stores vectors (texts.length × dim floats, L2-normalised) for texts. Texts no unit uses any more, or that
   * already have a vector, are ignored (the host may have been embedding while files changed).
   */
  addVectors(texts: string[], vectors: Float32Array): void {
    const { dim } = this.identity;
    if (vectors.length !== texts.length * dim) {
      throw new Error(`addVectors: ${texts.length} texts need ${texts.length * dim} floats, got ${vectors.length}`);
    }
    const slots: number[] = [];
    const rows: number[] = [];
    const taken = new Set<number>();
    texts.forEach((text, row) => {
      const slot = this.texts.idOf(text);
      if (slot === undefined || this.vectors.has(slot) || taken.has(slot)) return;
      taken.add(slot);
      slots.push(slot);
      rows.push(row);
    });
    this.vectors.put(slots, rows, vectors);
    if (slots.length > 0) this.version++;
  }

  /**
   * The exact top k units by cosine with query (an L2-normalised vector of the index's dimension), best first;
   * ties are ordered by path, then position. Units whose text has no vector yet are not searched.
   */
  search(query: Float32Array, k: number, options: SearchOptions = {}): IndexHit[] {
    return this.rankedSearch(query, k, options).hits;
  }

  /**
   * search, plus what it takes to rank any score among the searched units: the units of files in scope whose text
   * has a vector (`searched`), and `countBelow(score)`, exact for every score ≥ the k-th hit's (or ≥ minScore
   * when fewer than k units reach it). That holds because every unit not rescored has an upper bound below the
   * k-th hit, so it is known to be below without computing its score; the rescored ones have exact scores.
   * An excluded unit that never reached rescoring still counts as searched.
   */
  rankedSearch(query: Float32Array, k: number, options: SearchOptions = {}): RankedSearch {
    const minScore = options.minScore ?? -Infinity;
    const slots = this.texts.slots;
    if (this.slotState.length < slots) {
      this.slotState = new Uint8Array(this.vectors.matrix.rowCapacity);
      this.upper = new Float64Array(this.vectors.matrix.rowCapacity);
    }
    const state = this.slotState;
    let searched = 0;
    if (options.files) {
      // A scope is a filter of the search itself: only its texts get bounds and can become candidates.
      state.fill(0, 0, slots);
      this.forEachUnitSlot(options.files, (slot) => {
        if (!this.vectors.has(slot)) return;
        state[slot] = 1;
        searched++;
      });
    } else {
      for (let slot = 0; slot < slots; slot++) {
        const live = this.vectors.has(slot) && this.texts.references(slot) > 0;
        state[slot] = live ? 1 : 0;
        if (live) searched += this.texts.references(slot);
      }
    }
    if (k <= 0 || searched === 0) return { hits: [], searched, countBelow: () => 0 };
    const upper = this.upper.subarray(0, slots);
    this.vectors.matrix.upperBounds(query, slots, state, upper);

    const exact = new Map<number, number>();
    // Slots without a searchable vector have a bound of -Infinity; every real bound is finite.
    const selectFrom = Math.max(minScore, -Number.MAX_VALUE);
    for (let budget = k + EXTRA_CANDIDATES; ; budget *= 4) {
      // One more than the budget: the first candidate left out bounds every score not rescored.
      const ranked = topKIndices(upper, budget + 1, selectFrom);
      const candidates = ranked.slice(0, budget);
      const unrescoredBound = ranked.length > budget ? ranked[budget].score : -Infinity;
      for (const { index: slot } of candidates) {
        if (state[slot] === RESCORED) continue;
        this.vectors.exactRow(slot, this.exactScratch);
        exact.set(slot, exactDot(query, this.exactScratch));
        state[slot] = RESCORED;
      }
      const { hits, excluded } = this.unitsOf(exact, minScore, options);
      const decided = hits.length >= k ? hits[k - 1].score >= unrescoredBound : unrescoredBound === -Infinity;
      if (decided) return { hits: hits.slice(0, k), searched, countBelow: countBelowOf(hits, searched - excluded) };
    }
  }

  /** All units whose text slot was rescored (score ≥ minScore, in scope, not excluded), best first; and how many were excluded. */
  private unitsOf(exact: Map<number, number>, minScore: number, options: SearchOptions): { hits: IndexHit[]; excluded: number } {
    const hits: IndexHit[] = [];
    let excluded = 0;
    const state = this.slotState;
    for (const [relPath, entry] of this.fileEntries) {
      if (options.files && !options.files(relPath)) continue;
      const units = entry.units;
      for (let at = 0; at < units.length; at += UNIT_FIELDS) {
        if (state[units[at + 4]] !== RESCORED) continue;
        const unit = this.unitAt(units, at);
        if (options.exclude?.(relPath, unit)) {
          excluded++;
          continue;
        }
        const score = exact.get(units[at + 4])!;
        if (score >= minScore) hits.push({ relPath, unit, score });
      }
    }
    hits.sort(
      (a, b) =>
        b.score - a.score ||
        (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0) ||
        a.unit.line - b.unit.line ||
        a.unit.column - b.unit.column,
    );
    return { hits, excluded };
  }

  private unitAt(units: Int32Array, at: number): Unit {
    return { text: this.texts.textOf(units[at + 4]), line: units[at], endLine: units[at + 1], column: units[at + 2], endColumn: units[at + 3] };
  }

  /** Calls visit with the text slot of every unit of the files that `files` accepts (all files without it). */
  private forEachUnitSlot(files: FileFilter | undefined, visit: (slot: number) => void): void {
    for (const [relPath, entry] of this.fileEntries) {
      if (files && !files(relPath)) continue;
      const units = entry.units;
      for (let at = UNIT_FIELDS - 1; at < units.length; at += UNIT_FIELDS) visit(units[at]);
    }
  }

  /** The stored vector of a text some unit uses, or undefined when it has none (yet). */
  vectorOf(text: string): Float32Array | undefined {
    const slot = this.texts.idOf(text);
    if (slot === undefined || !this.vectors.has(slot)) return undefined;
    const out = new Float32Array(this.identity.dim);
    this.vectors.exactRow(slot, out);
    return out;
  }

  // Slot-level access for comparing every searchable text with every other (near-duplicates.ts). Slots are stable
  // between saves: a save may free slots and move vectors, so a caller holding slots keeps saves from running.

  /** For every slot: how many units of the files `files` accepts use it, if it has a vector (0 otherwise). */
  unitCountsBySlot(files?: FileFilter): Int32Array {
    const counts = new Int32Array(this.texts.slots);
    this.forEachUnitSlot(files, (slot) => {
      if (this.vectors.has(slot)) counts[slot]++;
    });
    return counts;
  }

  textOfSlot(slot: number): string {
    return this.texts.textOf(slot);
  }

  /** Copies the int8 row of a slot (which must have a vector) into row of target. */
  copyQuantizedRow(slot: number, target: PairMatrix, row: number): void {
    const { matrix } = this.vectors;
    target.setRow(row, matrix.rowBytes(slot), ...matrix.rowFactors(slot));
  }

  /** Copies the exact vector of a slot (which must have a vector) into out. */
  exactVector(slot: number, out: Float32Array): void {
    this.vectors.exactRow(slot, out);
  }

  /** Calls visit for every unit of the files `files` accepts whose slot `wanted` accepts, in file order. */
  forEachUnit(files: FileFilter | undefined, wanted: (slot: number) => boolean, visit: (relPath: string, unit: Unit, slot: number) => void): void {
    for (const [relPath, entry] of this.fileEntries) {
      if (files && !files(relPath)) continue;
      const units = entry.units;
      for (let at = 0; at < units.length; at += UNIT_FIELDS) {
        if (wanted(units[at + 4])) visit(relPath, this.unitAt(units, at), units[at + 4]);
      }
    }
  }

  /**
   * True when another process was writing this index at open, or its writer lock could not be written (a full
   * disk): save keeps changes in memory only.
   */
  get readOnly(): boolean {
    return this.writesDisabled;
  }

  stats(): IndexStats {
    return { files: this.fileEntries.size, units: this.unitCount, vectors: this.vectors.count, unsavedVectors: this.vectors.unsavedCount };
  }

  /**
   * Drops vectors no unit references, then (for a stored index) makes the current state durable: new and
   * relocated vectors go into one new segment, then the changes are appended to the journal (or the manifest is
   * replaced atomically when the journal has grown large). A no-op when nothing changed. Concurrent calls run
   * one after another. On any write error (ENOSPC included) the previous state stays loadable, this index keeps
   * working in memory, and an IndexWriteError naming the file is thrown.
   */
  save(): Promise<void> {
    const run = this.lastSave.catch(() => undefined).then(() => this.saveNow());
    this.lastSave = run;
    return run;
  }

  private async saveNow(): Promise<void> {
    if (this.version === this.savedVersion) return;
    if (this.lockUnwritable) throw this.lockUnwritable;
    // Taken before the segment is written: vectors added while it is written are not in it, so the version they
    // bumped must stay unsaved and the next save must write them.
    const snapshotVersion = this.version;
    const freed = this.texts.collectUnreferenced();
    for (const slot of freed) this.vectors.drop(slot);
    this.freedSlots.push(...freed);
    if (this.storage?.lock?.revoked && !this.writesDisabled) {
      this.writesDisabled = true;
      this.log(`index: ${this.storage.manifestName} was opened again in this process; this older copy stops saving`, 'info');
    }
    if (!this.storage || this.writesDisabled) {
      this.takeChanges();
      this.savedVersion = this.version;
      return;
    }
    const storage = this.storage;
    const { folder, manifestName, fileSystem } = storage;
    const plan = this.vectors.planSave();
    let written: WrittenSegment | undefined;
    if (plan.rows > 0) {
      const ref = { name: newSegmentName(baseOf(manifestName)), id: randomBytes(8).toString('hex'), rows: plan.rows };
      const slotsByRow = await writeSegment(fileSystem, folder, ref, this.vectors.matrix, this.vectors.rowsForSave(plan));
      written = { ref, slotsByRow };
    }
    // Everything from here to the bytes to write is synchronous, so they describe one consistent state.
    const changes = this.takeChanges();
    const oldJournal = storage.journalName;
    let rewroteManifest = false;
    try {
      const record = encodeRecord(this.journalRecord(changes, plan, written));
      const journalBytes = Math.max(storage.journalBytes, JOURNAL_HEADER_BYTES) + record.length;
      if (storage.manifestBytes > 0 && journalBytes <= Math.max(storage.manifestBytes * JOURNAL_SHARE, JOURNAL_MIN_BYTES)) {
        storage.journalBytes = await appendRecord(fileSystem, path.join(folder, oldJournal), storage.journalBytes, record);
      } else {
        const journalName = newJournalName(baseOf(manifestName));
        const chunks = encodeManifest(this.snapshot(plan, written, journalName));
        await writeFileAtomically(fileSystem, path.join(folder, manifestName), async (file) => {
          let position = 0;
          for (const chunk of chunks) {
            await file.write(chunk, position);
            position += chunk.length;
          }
        });
        Object.assign(storage, { manifestBytes: chunks.reduce((sum, chunk) => sum + chunk.length, 0), journalName, journalBytes: 0 });
        rewroteManifest = true;
      }
    } catch (error) {
      this.restoreChanges(changes);
      if (written) await rm(path.join(folder, written.ref.name), { force: true }).catch(() => undefined);
      throw error;
    }
    const retired = await this.vectors.commitSave(plan, folder, written);
    const obsolete = retired.map((segment) => segment.ref.name);
    if (rewroteManifest) obsolete.push(oldJournal);
    for (const segment of retired) await segment.close();
    for (const name of obsolete) await rm(path.join(folder, name), { force: true }).catch(() => undefined);
    this.savedVersion = snapshotVersion;
  }

  private takeChanges(): Changes {
    const changes = { files: [...this.dirtyFiles], assignedSlots: this.texts.takeAssigned(), freedSlots: this.freedSlots };
    this.dirtyFiles.clear();
    this.freedSlots = [];
    return changes;
  }

  /** After a failed save: the changes it took are still not durable, so the next save must carry them. */
  private restoreChanges(changes: Changes): void {
    for (const relPath of changes.files) this.dirtyFiles.add(relPath);
    this.texts.markAssigned(changes.assignedSlots);
    this.freedSlots = [...changes.freedSlots, ...this.freedSlots];
  }

  private journalRecord(changes: Changes, plan: SavePlan, written: WrittenSegment | undefined): JournalRecord {
    const textSlots = changes.assignedSlots.filter((slot) => this.texts.has(slot));
    const files: ManifestFile[] = [];
    const removed: string[] = [];
    for (const relPath of changes.files) {
      const entry = this.fileEntries.get(relPath);
      if (entry) files.push({ relPath, ...entry.meta, units: entry.units });
      else removed.push(relPath);
    }
    return {
      segments: this.vectors.locate([], plan, written).segments,
      freed: changes.freedSlots,
      textSlots,
      texts: textSlots.map((slot) => this.texts.textOf(slot)),
      vectorSlots: written?.slotsByRow ?? [],
      vectorRows: Int32Array.from({ length: written?.slotsByRow.length ?? 0 }, (_, row) => row),
      files,
      removed,
    };
  }

  /** The full state: every file and unit, the texts by slot and where each one's vector is. */
  private snapshot(plan: SavePlan, written: WrittenSegment | undefined, journal: string): Manifest {
    const files: ManifestFile[] = [];
    for (const [relPath, entry] of this.fileEntries) files.push({ relPath, ...entry.meta, units: entry.units });
    const texts = this.texts.bySlot();
    const { segments, textSegment, textRow } = this.vectors.locate(Int32Array.from({ length: texts.length }, (_, slot) => slot), plan, written);
    const { model, revision, dtype, maxLength, pooling, dim } = this.identity;
    const identity = { model, revision, dtype, maxLength, pooling, dim };
    return { root: path.resolve(this.root), identity, files, texts, textSegment, textRow, segments, journal };
  }

  /** Waits for a save in progress and closes the segment files. */
  async close(): Promise<void> {
    await this.lastSave.catch(() => undefined);
    await this.vectors.close();
    await this.storage?.lock?.release();
  }
}

/** A copy of exactly the FileMeta fields (callers may pass objects with more). */
function metaOf({ size, mtimeMs, contentHash, unitMode }: FileMeta): FileMeta {
  return unitMode ? { size, mtimeMs, contentHash, unitMode } : { size, mtimeMs, contentHash };
}

/** Same recorded file state; the same content hash and unit mode also mean the same units. */
function sameMeta(a: FileMeta, b: FileMeta): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.contentHash === b.contentHash && a.unitMode === b.unitMode;
}

/** countBelow for rankedSearch: hits are the rescored units, best first; the other searched units are below them all. */
function countBelowOf(hits: IndexHit[], searched: number): (score: number) => number {
  return (score) => {
    // Binary search for the number of hits scoring ≥ score.
    let low = 0;
    let high = hits.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (hits[middle].score >= score) low = middle + 1;
      else high = middle;
    }
    return searched - low;
  };
}
