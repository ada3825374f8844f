// Search, save/load and memory figures of the workspace index at 10k, 100k and 1M random L2-normalised 384-d
// units, against a plain Float32Array dot-product scan of the same vectors in the same run.
//
//   part of `npm run bench`; alone: node out/test/bench/search.bench.js [sizes...]   e.g. … 10000 100000
//
// Every size runs in fresh child processes so resident-memory deltas are not polluted by earlier work: one child
// builds and saves the index (save times, file size), a second one loads it and queries (load time, RSS delta
// over bare Node, query latency). Files go to a temp folder that is removed afterwards.
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Unit } from '../../src/core/units';
import { exactDot, l2normalize, topKByDot } from '../../src/core/similarity';
import { WorkspaceIndex, type IndexIdentity } from '../../src/core/index/workspaceIndex';
import { SeededRandom } from '../fixtures/models/prng';

const DIM = 384;
const UNITS_PER_FILE = 1000;
const K = 10;
const IDENTITY: IndexIdentity = { model: 'bench/random', revision: 'r1', dtype: 'fp32', maxLength: 256, pooling: 'mean', dim: DIM };
const ROOT = '/bench/workspace';

/** Deterministic standard normal numbers, so both children see the same vectors. */
function normalSource(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.normal();
}

function randomUnitVectors(count: number, next: () => number): Float32Array {
  const out = new Float32Array(count * DIM);
  for (let i = 0; i < out.length; i++) out[i] = next();
  for (let r = 0; r < count; r++) l2normalize(out.subarray(r * DIM, (r + 1) * DIM));
  return out;
}

const textOf = (i: number): string => `unit ${i}: a sentence of the benchmark workspace`;

function unitsOfFile(file: number, count: number, edited = false): Unit[] {
  const units: Unit[] = [];
  for (let i = 0; i < count; i++) {
    const text = edited && i === 0 ? `${textOf(file * UNITS_PER_FILE)} (edited)` : textOf(file * UNITS_PER_FILE + i);
    units.push({ text, line: i + 1, endLine: i + 1, column: 0, endColumn: text.length });
  }
  return units;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function timings(run: () => void, times: number): { p50: number; p95: number } {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p95: percentile(samples, 0.95) };
}

const mb = (bytes: number): number => Math.round(bytes / 1048576);

/** Child 1: builds the index, saves it whole, then saves a one-line edit. */
async function build(size: number, folder: string): Promise<object> {
  const index = await WorkspaceIndex.open(folder, ROOT, IDENTITY);
  const files = Math.ceil(size / UNITS_PER_FILE);
  for (let f = 0; f < files; f++) {
    index.setFile(`dir${f % 50}/file${f}.txt`, { size: 1, mtimeMs: 1, contentHash: `h${f}` }, unitsOfFile(f, Math.min(UNITS_PER_FILE, size - f * UNITS_PER_FILE)));
  }
  const next = normalSource(42);
  const texts = index.textsWithoutVectors();
  const batch = 100_000;
  for (let first = 0; first < texts.length; first += batch) {
    const slice = texts.slice(first, first + batch);
    index.addVectors(slice, randomUnitVectors(slice.length, next));
  }
  let started = performance.now();
  await index.save();
  const fullSaveMs = performance.now() - started;
  const bytes = readdirSync(folder).reduce((sum, name) => sum + statSync(path.join(folder, name)).size, 0);

  index.setFile('dir0/file0.txt', { size: 2, mtimeMs: 2, contentHash: 'edited' }, unitsOfFile(0, Math.min(UNITS_PER_FILE, size), true));
  index.addVectors(index.textsWithoutVectors(), randomUnitVectors(1, normalSource(7)));
  started = performance.now();
  await index.save();
  const editSaveMs = performance.now() - started;
  await index.close();
  return { fullSaveMs, fileMB: mb(bytes), editSaveMs };
}

/** Child 2: loads the saved index, measures memory and queries, then the plain scan on the same vectors. */
async function query(size: number, folder: string): Promise<object> {
  const rssBefore = process.memoryUsage().rss;
  let started = performance.now();
  const index = await WorkspaceIndex.open(folder, ROOT, IDENTITY);
  const loadMs = performance.now() - started;
  const rssIndexMB = mb(process.memoryUsage().rss - rssBefore);

  const next = normalSource(99);
  const queries = Array.from({ length: 40 }, () => l2normalize(Float32Array.from({ length: DIM }, next)));
  // The first search after loading also pays for compiling the hot paths (WebAssembly tier-up, JIT).
  started = performance.now();
  index.search(l2normalize(Float32Array.from({ length: DIM }, next)), K);
  const firstQueryMs = performance.now() - started;
  let q = 0;
  const random = timings(() => index.search(queries[q++ % queries.length], K), 40);

  // The unedited vectors, regenerated: the reference scan and "near" queries (a stored vector plus noise).
  const matrix = randomUnitVectors(size, normalSource(42));
  const near = Array.from({ length: 40 }, (_, i) => {
    const row = ((i * 7919) % (size - 1)) + 1;
    return l2normalize(Float32Array.from({ length: DIM }, (_, d) => matrix[row * DIM + d] + 0.05 * next()));
  });
  q = 0;
  const nearTimes = timings(() => index.search(near[q++ % near.length], K), 40);
  q = 0;
  const plain = timings(() => topKByDot(matrix, DIM, queries[q++ % queries.length], K), size >= 1_000_000 ? 5 : 20);

  // Same answers: the index's scores must equal the plain scan's exact scores (row 0 was edited, so skip it).
  let mismatches = 0;
  for (const query of [...queries.slice(0, 5), ...near.slice(0, 5)]) {
    const hits = index.search(query, K, { exclude: (relPath, unit) => relPath === 'dir0/file0.txt' && unit.line === 1 });
    const reference = topKByDot(matrix.subarray(DIM), DIM, query, K);
    hits.forEach((hit, i) => {
      if (hit.score !== reference[i].score || hit.score !== exactDot(query, matrix, (reference[i].index + 1) * DIM)) mismatches++;
    });
  }
  await index.close();
  return { loadMs, rssIndexMB, firstQueryMs, random, near: nearTimes, plain, mismatches };
}

function runChild(mode: string, size: number, folder: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [mode, String(size), folder], { execArgv: ['--max-old-space-size=8192'] });
    child.once('message', (message) => resolve(message as Record<string, unknown>));
    child.once('exit', (code) => code !== 0 && reject(new Error(`${mode} ${size} exited with ${code}`)));
  });
}

/** Prints the figures for each size (default 10k, 100k, 1M units). */
export async function runSearchBench(print: (line: string) => void, sizes: number[] = [10_000, 100_000, 1_000_000]): Promise<void> {
  const fmt = (n: unknown): string => (typeof n === 'number' ? n.toFixed(n < 10 ? 2 : 0) : String(n));
  print(`workspace index benchmark: dim ${DIM}, top ${K}, node ${process.version}`);
  for (const size of sizes) {
    const folder = mkdtempSync(path.join(tmpdir(), 'ss-index-bench-'));
    try {
      const built = await runChild('build', size, folder);
      const measured = await runChild('query', size, folder);
      const random = measured.random as { p50: number; p95: number };
      const near = measured.near as { p50: number; p95: number };
      const plain = measured.plain as { p50: number; p95: number };
      print(
        [
          `\n${size.toLocaleString('en')} units`,
          `  query (random)   p50 ${fmt(random.p50)} ms  p95 ${fmt(random.p95)} ms`,
          `  query (near dup) p50 ${fmt(near.p50)} ms  p95 ${fmt(near.p95)} ms`,
          `  plain f32 scan   p50 ${fmt(plain.p50)} ms  p95 ${fmt(plain.p95)} ms  (${fmt(plain.p50 / random.p50)}× the index p50)`,
          `  scores equal to the plain scan: ${measured.mismatches === 0 ? 'yes' : `NO (${String(measured.mismatches)} differ)`}`,
          `  full save ${fmt(built.fullSaveMs)} ms, ${fmt(built.fileMB)} MB on disk; save after a one-line edit ${fmt(built.editSaveMs)} ms`,
          `  load ${fmt(measured.loadMs)} ms, first query after load ${fmt(measured.firstQueryMs)} ms, RSS +${fmt(measured.rssIndexMB)} MB over bare Node`,
        ].join('\n'),
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }
}

/** Child mode: `build|query <size> <folder>`, forked by runChild; alone: the sizes to run. */
async function main(): Promise<void> {
  const [mode, sizeArg, folder] = process.argv.slice(2);
  if (mode === 'build' || mode === 'query') {
    const result = mode === 'build' ? await build(Number(sizeArg), folder) : await query(Number(sizeArg), folder);
    process.send!(result);
    return;
  }
  const sizes = process.argv.slice(2).map(Number);
  await runSearchBench(console.log, sizes.length ? sizes : undefined);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
