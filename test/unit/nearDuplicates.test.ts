import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findNearDuplicates, type DuplicateSource } from '../../src/core/index/nearDuplicates';
import { WorkspaceIndex, type IndexIdentity } from '../../src/core/index/workspaceIndex';
import { exactDot, l2normalize } from '../../src/core/similarity';
import type { Unit } from '../../src/core/units';
import { SeededRandom } from '../fixtures/models/prng';

const DIM = 32;
const IDENTITY: IndexIdentity = { model: 'test/dups', revision: 'r', dtype: 'fp32', maxLength: 64, pooling: 'mean', dim: DIM };

/** Texts and their vectors: groups of near copies of a centre (cosine ≈ 0.95–0.99), and unrelated texts. */
function corpus(seed: number) {
  const random = new SeededRandom(seed);
  const vectors = new Map<string, Float32Array>();
  const fresh = () => l2normalize(random.normals(DIM, 1));
  for (let c = 0; c < 40; c++) {
    const centre = fresh();
    const copies = 1 + (c % 5);
    for (let v = 0; v < copies; v++) {
      const noise = 0.05 + 0.1 * random.uniform();
      vectors.set(`group ${c} variant ${v}`, l2normalize(centre.map((x) => x + noise * random.normal() / Math.sqrt(DIM) * 3)));
    }
  }
  for (let r = 0; r < 1200; r++) vectors.set(`unrelated ${r}`, fresh());
  return { vectors, random };
}

const unitsOf = (texts: string[]): Unit[] => texts.map((text, i) => ({ text, line: i + 1, endLine: i + 1, column: 0, endColumn: text.length }));

/** Spreads the texts over files; a few texts are repeated in several places (exact duplicates). */
async function indexOf(vectors: Map<string, Float32Array>, random: SeededRandom, texts: string[], prefix: string): Promise<{ index: WorkspaceIndex; files: Map<string, string[]> }> {
  const index = await WorkspaceIndex.open(undefined, `/root/${prefix}`, IDENTITY);
  const files = new Map<string, string[]>();
  texts.forEach((text, i) => {
    const file = `${prefix}/file${i % 23}.txt`;
    const lines = files.get(file) ?? [];
    lines.push(text);
    if (random.uniform() < 0.05) lines.push(text); // the same line twice in one file
    if (random.uniform() < 0.05) (files.get(`${prefix}/file${(i + 5) % 23}.txt`) ?? lines).push(text);
    files.set(file, lines);
  });
  for (const [file, lines] of files) index.setFile(file, { size: 1, mtimeMs: 1, contentHash: file }, unitsOf(lines));
  const missing = index.textsWithoutVectors();
  const rows = new Float32Array(missing.length * DIM);
  missing.forEach((text, i) => rows.set(vectors.get(text)!, i * DIM));
  index.addVectors(missing, rows);
  return { index, files };
}

/**
 * The clustering written the slow, obvious way: distinct texts in order of first appearance (sources, files, lines),
 * stably sorted by how many units use them; each text not yet claimed leads and claims later unclaimed texts with
 * cosine ≥ threshold.
 */
function reference(sources: Array<{ files: Map<string, string[]>; accept?: (relPath: string) => boolean }>, vectors: Map<string, Float32Array>, threshold: number) {
  const counts = new Map<string, number>();
  for (const { files, accept } of sources) {
    for (const [file, lines] of files) if (!accept || accept(file)) for (const text of lines) counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  const order = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)!);
  const leaderOf = new Map<string, string>();
  const clusters: Array<{ texts: Array<[string, number]>; units: number }> = [];
  for (const leader of order) {
    if (leaderOf.has(leader)) continue;
    leaderOf.set(leader, leader);
    const texts: Array<[string, number]> = [[leader, 1]];
    for (const other of order.slice(order.indexOf(leader) + 1)) {
      if (leaderOf.has(other)) continue;
      const score = exactDot(vectors.get(leader)!, vectors.get(other)!);
      if (score >= threshold) {
        leaderOf.set(other, leader);
        texts.push([other, score]);
      }
    }
    const units = texts.reduce((sum, [text]) => sum + counts.get(text)!, 0);
    if (units >= 2) clusters.push({ texts: [texts[0], ...texts.slice(1).sort((a, b) => b[1] - a[1])], units });
  }
  // Stable: clusters of equal size keep the order of their leaders.
  return clusters.sort((a, b) => b.units - a.units);
}

async function clustersOf(sources: DuplicateSource[], threshold: number) {
  const result = await findNearDuplicates(sources, threshold);
  return {
    ...result,
    clusters: result.clusters.map(({ texts, units }) => ({
      units,
      texts: texts.map(({ places, score }): [string, number] => [sources[places[0][0]].index.textOfSlot(places[0][1]), score]),
    })),
  };
}

test('near-duplicate clusters equal the obvious leader clustering, exact scores included', async () => {
  const { vectors, random } = corpus(1);
  const texts = [...vectors.keys()].sort(() => random.uniform() - 0.5);
  const { index, files } = await indexOf(vectors, random, texts, 'a');
  for (const threshold of [0.9, 0.97, 0.5]) {
    const result = await clustersOf([{ index }], threshold);
    assert.deepEqual(result.clusters, reference([{ files }], vectors, threshold), `threshold ${threshold}`);
    assert.equal(result.texts, vectors.size);
    assert.equal(result.units, index.stats().units);
  }
  const { clusters } = await clustersOf([{ index }], 0.9);
  assert.ok(clusters.some((c) => c.texts.length >= 4), 'groups of near copies are found');
  assert.ok(clusters.some((c) => c.texts.length === 1), 'a text repeated in several places is a cluster of exact duplicates');
  for (const cluster of clusters) for (const [, score] of cluster.texts) assert.ok(score >= 0.9);
});

test('several sources: the same text in two roots is one text; a scope limits which units take part', async () => {
  const { vectors, random } = corpus(2);
  const texts = [...vectors.keys()];
  const a = await indexOf(vectors, random, texts.slice(0, 900), 'a');
  const b = await indexOf(vectors, random, texts.slice(700), 'b'); // 200 texts in both
  const both = await clustersOf([{ index: a.index }, { index: b.index }], 0.9);
  assert.deepEqual(both.clusters, reference([{ files: a.files }, { files: b.files }], vectors, 0.9));
  assert.equal(both.texts, vectors.size);

  const accept = (relPath: string) => /file(1|2)\.txt$/.test(relPath);
  const scoped = await clustersOf([{ index: a.index, files: accept }, { index: b.index, files: accept }], 0.9);
  assert.deepEqual(scoped.clusters, reference([{ files: a.files, accept }, { files: b.files, accept }], vectors, 0.9));
  assert.ok(scoped.units < both.units / 5);
});

test('an empty scope gives no clusters; an aborted signal rejects', async () => {
  const { vectors, random } = corpus(3);
  const { index } = await indexOf(vectors, random, [...vectors.keys()].slice(0, 50), 'a');
  assert.deepEqual(await findNearDuplicates([{ index, files: () => false }], 0.9), { clusters: [], texts: 0, units: 0 });
  assert.deepEqual(await findNearDuplicates([], 0.9), { clusters: [], texts: 0, units: 0 });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(findNearDuplicates([{ index }], 0.9, { signal: controller.signal }), { name: 'AbortError' });
});
