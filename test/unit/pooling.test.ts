import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanPool, poolAndNormalize, TokenStates } from '../../src/core/pooling';

// Two sentences, sequence 4, dim 3. Sentence 0 has 3 real tokens and one pad; sentence 1 has 2 real tokens.
// Pad positions carry huge values: any pooling that lets them in is visibly wrong.
const PAD = [1000, -1000, 1000];
const states: TokenStates = {
  data: Float32Array.from([
    ...[1, 2, 3], ...[3, 2, 1], ...[2, 2, 2], ...PAD,
    ...[-1, 0, 1], ...[1, 0, 1], ...PAD, ...PAD,
  ]),
  mask: BigInt64Array.from([1n, 1n, 1n, 0n, 1n, 1n, 0n, 0n]),
  batch: 2,
  sequence: 4,
  dim: 3,
};

test('mean pooling follows the seed: sum(embeddings * mask) / clamp(sum(mask), 1e-9)', () => {
  const row0 = new Float32Array(3);
  const row1 = new Float32Array(3);
  meanPool(states, 0, row0);
  meanPool(states, 1, row1);
  // summed = [6, 6, 6], summed_mask = 3  →  [2, 2, 2]
  assert.deepEqual(Array.from(row0), [2, 2, 2]);
  // summed = [0, 0, 2], summed_mask = 2  →  [0, 0, 1]
  assert.deepEqual(Array.from(row1), [0, 0, 1]);
});

test('an all-zero mask gives a zero vector, not NaN (the seed clamps the count at 1e-9)', () => {
  const out = new Float32Array(3);
  meanPool({ ...states, mask: BigInt64Array.from([0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]) }, 0, out);
  assert.deepEqual(Array.from(out), [0, 0, 0]);
});

test('poolAndNormalize returns unit vectors, and padding length does not change them', () => {
  const pooled = poolAndNormalize(states, 'mean');
  const inv = 1 / Math.sqrt(3);
  assert.ok(Math.abs(pooled[0] - inv) < 1e-7 && Math.abs(pooled[2] - inv) < 1e-7);
  assert.deepEqual(Array.from(pooled.subarray(3)), [0, 0, 1]);

  // The same first sentence alone, padded to 6 instead of 4.
  const alone: TokenStates = {
    data: Float32Array.from([...[1, 2, 3], ...[3, 2, 1], ...[2, 2, 2], ...PAD, ...PAD, ...PAD]),
    mask: BigInt64Array.from([1n, 1n, 1n, 0n, 0n, 0n]),
    batch: 1,
    sequence: 6,
    dim: 3,
  };
  assert.deepEqual(Array.from(poolAndNormalize(alone, 'mean')), Array.from(pooled.subarray(0, 3)));
});

test('cls and max pooling ignore padding too', () => {
  const cls = poolAndNormalize(states, 'cls');
  const n = Math.hypot(1, 2, 3);
  assert.deepEqual(Array.from(cls.subarray(0, 3)), [1 / n, 2 / n, 3 / n].map(Math.fround));
  const max = poolAndNormalize(states, 'max');
  const m = Math.hypot(3, 2, 3);
  assert.deepEqual(Array.from(max.subarray(0, 3)), [3 / m, 2 / m, 3 / m].map(Math.fround));
});
