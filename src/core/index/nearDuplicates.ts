// Near-duplicate clusters: groups of texts whose cosine with the group's representative reaches a threshold,
// across one or more indexes (workspace roots), for n distinct texts in time O(n²·dim) at worst (every text a
// leader) and memory O(n·dim) — never an n×n matrix. Measured for 87k texts of 384 dimensions on the 2-core dev
// machine (test/bench/duplicates.bench.ts): 66 s and +68 MB on one thread, 38 s with two comparison threads (the
// work they do ahead, see findNearDuplicates, costs ~20% more tiles). The host yields to other requests every SLICE_MS.
//
// Clustering is greedy leader clustering: texts are taken in order (most used first); a text that no earlier
// leader claimed becomes a leader and claims every later unclaimed text with cosine ≥ threshold. Chosen over
// union-find (connected components) because components chain: a ≈ b ≈ c … ≈ z puts a and z together however
// different they are, while here every member is provably within the threshold of the representative shown first.
// It also skips claimed texts as leaders, so duplicate-heavy workspaces cost less.
//
// Each pass compares four leaders with all later texts at once (PairMatrix: int8 upper bounds, no pair at or above
// the threshold is missed), and only candidates are rescored with the exact float32 vectors, read from the index.
// Texts equal in several places are one text (one vector), so exact duplicates cost nothing extra.
import { exactDot } from '../similarity';
import { PairMatrix, type SharedPairMatrix } from './pairMatrix';
import type { FileFilter, WorkspaceIndex } from './workspaceIndex';

export interface DuplicateSource {
  index: WorkspaceIndex;
  /** The files in scope (default all). */
  files?: FileFilter;
}

/** A text of a cluster: where its vector is, its units in scope, its exact cosine with the cluster's leader. */
export interface ClusterText {
  /** The same text in each source that has it: [source number, slot]. */
  places: Array<[source: number, slot: number]>;
  units: number;
  score: number;
}

export interface TextCluster {
  /** The leader first (score 1), then the other texts by descending score. */
  texts: ClusterText[];
  units: number;
}

export interface NearDuplicatesResult {
  /** Clusters of at least two units, most units first. */
  clusters: TextCluster[];
  /** Distinct texts compared and the units that use them. */
  texts: number;
  units: number;
}

export interface NearDuplicatesOptions {
  signal?: AbortSignal;
  /**
   * Pairs of texts covered so far, of n(n−1)/2: a text claimed by an earlier leader skips its share, so this tracks
   * the time left better than a count of texts (the first leaders compare with the most texts).
   */
  onProgress?: (done: number, total: number) => void;
  /** Other threads to compare in (host/pairWorkers.ts); without them, or for few texts, all runs on this thread. */
  threads?: PairThreads;
}

/** Threads that find the candidates of tiles of leaders in a PairMatrix they share with this one. */
export interface PairThreads {
  /** How many: the matrix gets a scratch area for each. */
  readonly count: number;
  start(matrix: SharedPairMatrix): TileComparer;
}

export interface TileComparer {
  /** PairMatrix.tileCandidates, computed in another thread. */
  compare(tile: readonly number[], threshold: number): Promise<Int32Array>;
  /** Stops the threads at once; compares still pending reject. */
  close(): Promise<void>;
}

/** The work between two yields to the event loop, so the host keeps answering while a long comparison runs. */
const SLICE_MS = 30;
const TILE = 4;
/**
 * Starting the threads costs ~0.15 s (measured: 8.8k texts take 0.72 s on one thread, 0.56 s with two), so below
 * this many texts, a third of a second on one thread, they would save less than they cost.
 */
const MIN_THREADED_TEXTS = 6000;
/** Tiles queued per thread, so none waits for this thread between two tiles. */
const TILES_PER_THREAD = 2;

interface Row {
  places: Array<[number, number]>;
  units: number;
}

/**
 * Finds the clusters. The caller must keep the indexes from saving until the promise settles (a save may free
 * slots and move vectors); other changes are harmless. Rejects with the signal's reason when aborted.
 *
 * With threads, tiles of leaders are handed out ahead, in row order, and their candidates are taken back in that
 * order, so every text is claimed exactly as on one thread and the result is the same. A text handed out ahead
 * that an earlier tile then claims costs a wasted comparison, no more: it is no longer a leader when its tile is
 * taken back. Candidates depend only on the two rows, not on the tile (the kernel's lanes are independent).
 */
export async function findNearDuplicates(sources: DuplicateSource[], threshold: number, options: NearDuplicatesOptions = {}): Promise<NearDuplicatesResult> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const rows = collectRows(sources);
  const n = rows.length;
  const dim = sources[0]?.index.identity.dim ?? 0;
  const units = rows.reduce((sum, row) => sum + row.units, 0);
  if (n === 0) return { clusters: [], texts: 0, units };
  const threads = options.threads && n >= MIN_THREADED_TEXTS ? options.threads : undefined;
  const pairs = new PairMatrix(dim, n, threads?.count ?? 1);
  rows.forEach((row, i) => {
    const [source, slot] = row.places[0];
    sources[source].index.copyQuantizedRow(slot, pairs, i);
  });

  const exactOf = (row: number, out: Float32Array): Float32Array => {
    const [source, slot] = rows[row].places[0];
    sources[source].index.exactVector(slot, out);
    return out;
  };
  const leaderOf = new Int32Array(n).fill(-1);
  const scores = new Float32Array(n);
  const leaderVector = new Float32Array(dim);
  const otherVector = new Float32Array(dim);
  /** Claims, in order, the candidates (k, row) of each tile row still unclaimed: it leads (see the header). */
  const lead = (tile: number[], found: Int32Array): void => {
    tile.forEach((leader, k) => {
      if (leaderOf[leader] !== -1) return;
      leaderOf[leader] = leader;
      scores[leader] = 1;
      let loaded = false;
      for (let i = 0; i < found.length; i += 2) {
        const row = found[i + 1];
        if (found[i] !== k || row <= leader || leaderOf[row] !== -1) continue;
        if (!loaded) loaded = Boolean(exactOf(leader, leaderVector));
        const score = exactDot(leaderVector, exactOf(row, otherVector));
        if (score < threshold) continue;
        leaderOf[row] = leader;
        scores[row] = score;
      }
    });
  };

  const comparer = threads?.start(pairs.shared);
  const stop = () => void comparer?.close();
  signal?.addEventListener('abort', stop);
  const ahead: Array<{ tile: number[]; found: Int32Array | Promise<Int32Array> }> = [];
  const window = comparer ? TILES_PER_THREAD * threads!.count : 1;
  const totalPairs = (n * (n - 1)) / 2;
  /** The pairs of rows before `row` with every later row. */
  const pairsBefore = (row: number) => totalPairs - ((n - row) * (n - row - 1)) / 2;
  let next = 0;
  let sliceStart = performance.now();
  try {
    for (;;) {
      while (ahead.length < window && next < n) {
        const tile: number[] = [];
        for (; next < n && tile.length < TILE; next++) if (leaderOf[next] === -1) tile.push(next);
        if (tile.length === 0) continue;
        const found = comparer ? comparer.compare(tile, threshold) : pairs.tileCandidates(tile, threshold);
        // A failure rejects every tile ahead; the first one awaited reports it, the others must not go unhandled.
        if (found instanceof Promise) found.catch(() => undefined);
        ahead.push({ tile, found });
      }
      const taken = ahead.shift();
      if (!taken) break;
      lead(taken.tile, await taken.found);
      if (performance.now() - sliceStart > SLICE_MS) {
        onProgress?.(pairsBefore(taken.tile[taken.tile.length - 1] + 1), totalPairs);
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
        sliceStart = performance.now();
      }
    }
  } catch (error) {
    // Closing the threads on abort rejects the compare awaited: report the abort, not that.
    signal?.throwIfAborted();
    throw error;
  } finally {
    signal?.removeEventListener('abort', stop);
    await comparer?.close();
  }
  onProgress?.(totalPairs, totalPairs);
  return { clusters: clustersOf(rows, leaderOf, scores), texts: n, units };
}

/** The distinct texts with vectors of the files in scope, merged across sources, most used first. */
function collectRows(sources: DuplicateSource[]): Row[] {
  const byText = new Map<string, Row>();
  sources.forEach(({ index, files }, source) => {
    const counts = index.unitCountsBySlot(files);
    for (let slot = 0; slot < counts.length; slot++) {
      if (counts[slot] === 0) continue;
      const text = index.textOfSlot(slot);
      const row = byText.get(text);
      if (row) {
        row.places.push([source, slot]);
        row.units += counts[slot];
      } else {
        byText.set(text, { places: [[source, slot]], units: counts[slot] });
      }
    }
  });
  // Most used first, so a text repeated in many places leads its cluster; the sort is stable for equal counts.
  return [...byText.values()].sort((a, b) => b.units - a.units);
}

function clustersOf(rows: Row[], leaderOf: Int32Array, scores: Float32Array): TextCluster[] {
  const byLeader = new Map<number, number[]>();
  leaderOf.forEach((leader, row) => {
    const members = byLeader.get(leader);
    if (members) members.push(row);
    else byLeader.set(leader, [row]);
  });
  const clusters: Array<TextCluster & { leader: number }> = [];
  for (const [leader, members] of byLeader) {
    const texts = members
      .map((row) => ({ places: rows[row].places, units: rows[row].units, score: scores[row], row }))
      .sort((a, b) => (a.row === leader ? -1 : b.row === leader ? 1 : b.score - a.score || a.row - b.row))
      .map(({ places, units, score }) => ({ places, units, score }));
    const total = texts.reduce((sum, text) => sum + text.units, 0);
    if (total >= 2) clusters.push({ texts, units: total, leader });
  }
  clusters.sort((a, b) => b.units - a.units || a.leader - b.leader);
  return clusters.map(({ texts, units }) => ({ texts, units }));
}
