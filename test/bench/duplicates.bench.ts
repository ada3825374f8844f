// Near-duplicate clusters on 10k and 100k units of 384-d vectors (time and peak memory) on the host's thread alone and
// with two comparison threads (the same result, checked), and what percentiles add to a search, on a stored index as
// the host uses it (exact rows read from segment files).
//
//   part of `npm run bench`; alone: node out/test/bench/duplicates.bench.js [sizes...]   e.g. … 10000 100000
//
// The workspace imitates a real one: 60% of units are distinct unrelated texts, 20% are near copies of another
// text (groups of 2–6 around a centre, cosine ≈ 0.93–0.99 to it), 20% repeat a text used elsewhere (exact
// duplicates). Each size runs in fresh child processes: one builds and saves the index, one loads it and measures,
// so the peak resident memory is that of the comparison (plus the loaded index), not of building.
import { deepStrictEqual } from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findNearDuplicates } from '../../src/core/index/nearDuplicates';
import { pairThreads } from '../../src/host/pairWorkers';
import { WorkspaceIndex, type IndexIdentity } from '../../src/core/index/workspaceIndex';
import { l2normalize } from '../../src/core/similarity';
import type { Unit } from '../../src/core/units';
import { SeededRandom } from '../fixtures/models/prng';

const DIM = 384;
const UNITS_PER_FILE = 500;
const THRESHOLD = 0.9;
const IDENTITY: IndexIdentity = { model: 'bench/duplicates', revision: 'r1', dtype: 'fp32', maxLength: 256, pooling: 'mean', dim: DIM };
const ROOT = '/bench/duplicates';
const THREADS = 2;
/** The worker script as tsc compiles it (the host uses the bundled dist/pair-worker.js). */
const PAIR_WORKER = path.join(__dirname, '../../src/host/pairWorker.js');

/** The unit texts of the workspace, in file order, and a vector for each distinct text. */
function workspace(size: number): { texts: string[]; vectors: Map<string, Float32Array> } {
  const random = new SeededRandom(size);
  const vectors = new Map<string, Float32Array>();
  const fresh = () => l2normalize(random.normals(DIM, 1));
  const texts: string[] = [];
  while (texts.length < size) {
    const roll = random.uniform();
    if (roll < 0.6 || texts.length === 0) {
      const text = `text ${vectors.size}`;
      vectors.set(text, fresh());
      texts.push(text);
    } else if (roll < 0.8) {
      const centre = fresh();
      const copies = 2 + Math.floor(random.uniform() * 5);
      for (let c = 0; c < copies && texts.length < size; c++) {
        const text = `text ${vectors.size} (near copy)`;
        const noise = 0.1 + 0.25 * random.uniform();
        vectors.set(text, l2normalize(centre.map((x) => x + (noise / Math.sqrt(DIM)) * random.normal())));
        texts.push(text);
      }
    } else {
      texts.push(texts[Math.floor(random.uniform() * texts.length)]);
    }
  }
  return { texts, vectors };
}

function unitsOf(texts: string[]): Unit[] {
  return texts.map((text, i) => ({ text, line: i + 1, endLine: i + 1, column: 0, endColumn: text.length }));
}

const mb = (bytes: number): number => Math.round(bytes / 1048576);

/** Child 1: builds and saves the index. */
async function build(size: number, folder: string): Promise<object> {
  const { texts, vectors } = workspace(size);
  const index = await WorkspaceIndex.open(folder, ROOT, IDENTITY);
  for (let first = 0, file = 0; first < texts.length; first += UNITS_PER_FILE, file++) {
    index.setFile(`dir${file % 20}/file${file}.txt`, { size: 1, mtimeMs: 1, contentHash: `h${file}` }, unitsOf(texts.slice(first, first + UNITS_PER_FILE)));
  }
  const missing = index.textsWithoutVectors();
  const rows = new Float32Array(missing.length * DIM);
  missing.forEach((text, i) => rows.set(vectors.get(text)!, i * DIM));
  index.addVectors(missing, rows);
  await index.save();
  await index.close();
  return { distinct: vectors.size };
}

/** Child 2: loads the index, finds the clusters, then times searches with and without percentiles. */
async function measure(folder: string): Promise<object> {
  const rssBefore = process.memoryUsage().rss;
  const index = await WorkspaceIndex.open(folder, ROOT, IDENTITY);
  const rssLoaded = process.memoryUsage().rss;
  const started = performance.now();
  const result = await findNearDuplicates([{ index }], THRESHOLD);
  const duplicatesMs = performance.now() - started;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const threadedStarted = performance.now();
  const threaded = await findNearDuplicates([{ index }], THRESHOLD, { threads: pairThreads(THREADS, PAIR_WORKER) });
  const threadedMs = performance.now() - threadedStarted;
  deepStrictEqual(threaded, result, 'the threaded comparison must find exactly what one thread finds');

  // Alternating the two, so warm-up and caches favour neither.
  const random = new SeededRandom(7);
  const queries = Array.from({ length: 200 }, () => l2normalize(random.normals(DIM, 1)));
  const plain: number[] = [];
  const withPercentiles: number[] = [];
  queries.forEach((query, i) => {
    const start = performance.now();
    if (i % 2 === 0) {
      index.search(query, 10);
      plain.push(performance.now() - start);
    } else {
      const ranked = index.rankedSearch(query, 10);
      for (const hit of ranked.hits) ranked.countBelow(hit.score);
      withPercentiles.push(performance.now() - start);
    }
  });
  const median = (samples: number[]) => samples.slice(10).sort((a, b) => a - b)[(samples.length - 10) >> 1];
  const plainMs = median(plain);
  const withPercentilesMs = median(withPercentiles);
  await index.close();
  return {
    duplicatesMs,
    threadedMs,
    clusters: result.clusters.length,
    clusteredUnits: result.clusters.reduce((sum, c) => sum + c.units, 0),
    texts: result.texts,
    units: result.units,
    indexMB: mb(rssLoaded - rssBefore),
    peakMB: mb(peakRss),
    peakOverLoadedMB: mb(peakRss - rssLoaded),
    plainMs,
    withPercentilesMs,
  };
}

function runChild(mode: string, size: number, folder: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [mode, String(size), folder]);
    child.once('message', (message) => resolve(message as Record<string, number>));
    child.once('exit', (code) => code !== 0 && reject(new Error(`${mode} ${size} exited with ${code}`)));
  });
}

export async function runDuplicatesBench(print: (line: string) => void, sizes: number[] = [10_000, 100_000]): Promise<void> {
  const fmt = (n: number): string => n.toFixed(n < 10 ? 2 : 0);
  print(`near-duplicates benchmark: dim ${DIM}, threshold ${THRESHOLD}, host thread alone vs ${THREADS} comparison threads, node ${process.version}`);
  for (const size of sizes) {
    const folder = mkdtempSync(path.join(tmpdir(), 'ss-duplicates-bench-'));
    try {
      await runChild('build', size, folder);
      const m = await runChild('measure', size, folder);
      print(
        [
          `\n${size.toLocaleString('en')} units (${m.texts.toLocaleString('en')} distinct texts compared)`,
          `  near-duplicates   ${fmt(m.duplicatesMs / 1000)} s on one thread: ${m.clusters.toLocaleString('en')} clusters, ${m.clusteredUnits.toLocaleString('en')} units in them`,
          `  ${THREADS} threads         ${fmt(m.threadedMs / 1000)} s, ${(m.duplicatesMs / m.threadedMs).toFixed(2)}× faster, identical clusters`,
          `  peak RSS          ${m.peakMB} MB on one thread (loaded index ${m.indexMB} MB over bare Node; the comparison adds ${m.peakOverLoadedMB} MB)`,
          `  search top 10     p50 ${fmt(m.plainMs)} ms; with percentiles p50 ${fmt(m.withPercentilesMs)} ms`,
        ].join('\n'),
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }
}

/** Child mode: `build|measure <size> <folder>`, forked by runChild; alone: the sizes to run. */
async function main(): Promise<void> {
  const [mode, sizeArg, folder] = process.argv.slice(2);
  if (mode === 'build' || mode === 'measure') {
    process.send!(mode === 'build' ? await build(Number(sizeArg), folder) : await measure(folder));
    return;
  }
  const sizes = process.argv.slice(2).map(Number);
  await runDuplicatesBench(console.log, sizes.length ? sizes : undefined);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
