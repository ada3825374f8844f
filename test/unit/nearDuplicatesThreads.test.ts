import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { findNearDuplicates, type PairThreads } from '../../src/core/index/nearDuplicates';
import { WorkspaceIndex, type IndexIdentity } from '../../src/core/index/workspaceIndex';
import { l2normalize } from '../../src/core/similarity';
import { pairThreads } from '../../src/host/pairWorkers';
import { SeededRandom } from '../fixtures/models/prng';

const DIM = 96;
const IDENTITY: IndexIdentity = { model: 'test/dups-threads', revision: 'r', dtype: 'fp32', maxLength: 64, pooling: 'mean', dim: DIM };
/** The worker script as tsc compiles it (the host uses the bundled dist/pair-worker.js). */
const PAIR_WORKER = join(__dirname, '../../src/host/pairWorker.js');

/**
 * An in-memory index of `size` distinct texts: unrelated ones, and groups of 2–8 near copies written next to each
 * other (so tiles handed out ahead often hold texts an earlier tile claims), some texts used twice.
 */
async function plantedIndex(seed: number, size: number): Promise<WorkspaceIndex> {
  const random = new SeededRandom(seed);
  const fresh = () => l2normalize(random.normals(DIM, 1));
  const texts: string[] = [];
  const vectors = new Map<string, Float32Array>();
  while (vectors.size < size) {
    if (random.uniform() < 0.6) {
      const text = `unrelated ${vectors.size}`;
      vectors.set(text, fresh());
      texts.push(text);
      continue;
    }
    const centre = fresh();
    const copies = 2 + Math.floor(random.uniform() * 7);
    for (let c = 0; c < copies; c++) {
      const text = `copy ${vectors.size}`;
      const noise = 0.1 + 0.4 * random.uniform();
      vectors.set(text, l2normalize(centre.map((x) => x + (noise / Math.sqrt(DIM)) * random.normal())));
      texts.push(text);
      if (random.uniform() < 0.1) texts.push(text);
    }
  }
  const index = await WorkspaceIndex.open(undefined, `/root/threads${seed}`, IDENTITY);
  for (let first = 0; first < texts.length; first += 100) {
    const lines = texts.slice(first, first + 100);
    index.setFile(`file${first}.txt`, { size: 1, mtimeMs: 1, contentHash: `h${first}` }, lines.map((text, i) => ({ text, line: i + 1, endLine: i + 1, column: 0, endColumn: text.length })));
  }
  const missing = index.textsWithoutVectors();
  const rows = new Float32Array(missing.length * DIM);
  missing.forEach((text, i) => rows.set(vectors.get(text)!, i * DIM));
  index.addVectors(missing, rows);
  return index;
}

/** pairThreads, counting the comparers started and those whose threads were terminated (close settled). */
function countedThreads(script = PAIR_WORKER): { threads: PairThreads; started: () => number; closed: () => number } {
  const real = pairThreads(2, script)!;
  let started = 0;
  let closed = 0;
  const threads: PairThreads = {
    count: real.count,
    start: (matrix) => {
      started++;
      const comparer = real.start(matrix);
      let counted = false;
      const close = async () => {
        await comparer.close();
        if (!counted) closed++;
        counted = true;
      };
      return { compare: (tile, threshold) => comparer.compare(tile, threshold), close };
    },
  };
  return { threads, started: () => started, closed: () => closed };
}

test('two comparison threads find exactly the clusters, order and scores of one thread', async () => {
  const index = await plantedIndex(1, 6500);
  // 0.3 on random 96-d vectors makes many chance candidates and long claim chains, 0.95 only close copies.
  for (const threshold of [0.3, 0.8, 0.95]) {
    const single = await findNearDuplicates([{ index }], threshold);
    const counted = countedThreads();
    const threaded = await findNearDuplicates([{ index }], threshold, { threads: counted.threads });
    assert.equal(counted.started(), 1, 'the threads were used');
    assert.equal(counted.closed(), 1, 'and stopped at the end');
    assert.deepEqual(threaded, single, `threshold ${threshold}`);
    assert.ok(single.clusters.length > 100, `threshold ${threshold}: planted groups are found (${single.clusters.length})`);
  }
});

test('progress counts pairs up to n(n−1)/2; aborting stops the threads promptly and rejects with the abort', async () => {
  const index = await plantedIndex(2, 12_000);
  const reports: Array<[number, number]> = [];
  const done = await findNearDuplicates([{ index }], 0.9, { threads: pairThreads(2, PAIR_WORKER), onProgress: (d, t) => reports.push([d, t]) });
  const total = (done.texts * (done.texts - 1)) / 2;
  assert.ok(reports.length >= 2, 'progress is reported during the run');
  assert.deepEqual(reports.at(-1), [total, total]);
  for (let i = 1; i < reports.length; i++) assert.ok(reports[i][0] >= reports[i - 1][0] && reports[i][1] === total);

  const controller = new AbortController();
  const counted = countedThreads();
  let abortedAt = 0;
  const onProgress = () => {
    if (abortedAt) return;
    abortedAt = performance.now();
    controller.abort();
  };
  await assert.rejects(findNearDuplicates([{ index }], 0.9, { threads: counted.threads, signal: controller.signal, onProgress }), { name: 'AbortError' });
  assert.ok(abortedAt > 0, 'aborted mid-run');
  assert.ok(performance.now() - abortedAt < 500, `rejected ${Math.round(performance.now() - abortedAt)} ms after the abort`);
  assert.equal(counted.closed(), 1, 'the threads were terminated before the search rejected');
});

test('a comparison thread that cannot start fails the search instead of hanging', async () => {
  const index = await plantedIndex(3, 6500);
  await assert.rejects(findNearDuplicates([{ index }], 0.9, { threads: pairThreads(2, join(__dirname, 'no-such-worker.js')) }), /Cannot find module/);
});
