import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cosine, cosineMatrix, dot, exactDot, l2normalize, topKByDot, topKIndices, TopK } from '../../src/core/similarity';

/** Deterministic values with many ties: a scrambled sequence over 0..100. */
const tiedScores = (n: number): number[] => Array.from({ length: n }, (_, i) => ((i * 7919) % 101) / 100);

/** The reference: sort everything, best first, ties by smaller index. */
function naiveTopK(scores: number[], k: number, minScore = -Infinity) {
  return scores
    .map((score, index) => ({ index, score }))
    .filter((s) => s.score >= minScore)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, Math.max(k, 0));
}

test('dot, cosine and l2normalize', () => {
  assert.equal(dot([1, 2, 3], [4, 5, 6]), 32);
  assert.equal(dot([1, 2], [9, 9, 3, 4], 2), 11);
  assert.equal(cosine([1, 0], [0, 5]), 0);
  assert.ok(Math.abs(cosine([1, 1], [3, 3]) - 1) < 1e-12);
  assert.equal(cosine([0, 0], [1, 2]), 0);
  const v = l2normalize(Float32Array.from([3, 4]));
  assert.deepEqual([...v], [Math.fround(0.6), Math.fround(0.8)]);
  assert.deepEqual([...l2normalize(new Float32Array(3))], [0, 0, 0]);
  assert.equal(exactDot(v, v), Math.fround(dot(v, v)));
});

test('cosineMatrix is symmetric with ones on the diagonal', () => {
  const vectors = [Float32Array.from([1, 2, 3]), Float32Array.from([-1, 0, 2]), Float32Array.from([0.5, 0.5, 0])];
  const m = cosineMatrix(vectors);
  for (let i = 0; i < 3; i++) {
    assert.ok(Math.abs(m[i][i] - 1) < 1e-12);
    for (let j = 0; j < 3; j++) assert.equal(m[i][j], m[j][i]);
  }
  assert.equal(m[0][1], cosine(vectors[0], vectors[1]));
});

test('topKIndices equals a full sort, ties broken by index, for every k', () => {
  const scores = tiedScores(500);
  for (const k of [0, 1, 2, 10, 99, 500, 800]) assert.deepEqual(topKIndices(scores, k), naiveTopK(scores, k), `k=${k}`);
  assert.deepEqual(topKIndices(scores, 50, 0.9), naiveTopK(scores, 50, 0.9));
  assert.deepEqual(topKIndices([], 5), []);
});

test('topKIndices never selects NaN and handles -Infinity', () => {
  const scores = [0.5, NaN, -Infinity, 0.7, NaN];
  assert.deepEqual(topKIndices(scores, 5), [
    { index: 3, score: 0.7 },
    { index: 0, score: 0.5 },
    { index: 2, score: -Infinity },
  ]);
});

test('TopK keeps the k best of a stream in any arrival order', () => {
  const scores = tiedScores(300);
  const heap = new TopK(7);
  for (let i = scores.length - 1; i >= 0; i--) heap.push(i, scores[i]);
  assert.equal(heap.size, 7);
  assert.deepEqual(heap.sorted(), naiveTopK(scores, 7));
  assert.equal(heap.threshold, naiveTopK(scores, 7)[6].score);
});

test('topKByDot equals scoring every row and sorting', () => {
  const dim = 5;
  const rows = 64;
  const matrix = new Float32Array(rows * dim);
  for (let i = 0; i < matrix.length; i++) matrix[i] = Math.sin(i * 1.37) * Math.cos(i * 0.11);
  for (let r = 0; r < rows; r++) l2normalize(matrix.subarray(r * dim, (r + 1) * dim));
  const query = l2normalize(Float32Array.from([0.3, -0.2, 0.9, 0.1, -0.4]));
  const all = Array.from({ length: rows }, (_, r) => Math.fround(dot(query, matrix, r * dim)));
  assert.deepEqual(topKByDot(matrix, dim, query, 10), naiveTopK(all, 10));
  assert.deepEqual(topKByDot(matrix, dim, query, 10, 0.5), naiveTopK(all, 10, 0.5));
});
