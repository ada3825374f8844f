import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instantiateKernels } from '../../src/core/index/int8Kernel';
import { PairMatrix } from '../../src/core/index/pairMatrix';
import { QuantizedMatrix } from '../../src/core/index/quantizedMatrix';
import { dot, l2normalize } from '../../src/core/similarity';
import { SeededRandom } from '../fixtures/models/prng';

/** Deterministic, irregular values in [-1, 1). */
const wave = (i: number, seed: number): number => Math.sin(i * 12.9898 + seed * 78.233) * Math.cos(i * 0.731 + seed);

test('the WebAssembly kernel computes exact int8 dot products, extremes included', () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const { dots } = instantiateKernels(memory);
  const stride = 48;
  const rows = 20;
  const bytes = new Int8Array(memory.buffer);
  const query = 0, matrix = 64, out = 4096;
  for (let j = 0; j < stride; j++) bytes[query + j] = j % 2 === 0 ? -127 : 127;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < stride; j++) {
      // Row 0 maximises every product, row 1 minimises it; the rest are irregular.
      const value = r === 0 ? bytes[query + j] : r === 1 ? -bytes[query + j] : Math.round(wave(r * stride + j, 2) * 127);
      bytes[matrix + r * stride + j] = value;
    }
  }
  dots(query, matrix, rows, stride, out);
  const results = new Int32Array(memory.buffer, out, rows);
  for (let r = 0; r < rows; r++) {
    let expected = 0;
    for (let j = 0; j < stride; j++) expected += bytes[query + j] * bytes[matrix + r * stride + j];
    assert.equal(results[r], expected, `row ${r}`);
  }
  // Every product at the extreme: the i16 sums of product pairs must not overflow.
  assert.equal(results[0], stride * 127 * 127);
  assert.equal(results[1], -stride * 127 * 127);
  dots(query, matrix, 0, stride, out); // zero rows must not touch anything or trap
});

test('the four-query kernel finds exactly the rows whose bound reaches each query\'s threshold', () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const { candidates4 } = instantiateKernels(memory);
  const stride = 48;
  const rows = 21;
  const bytes = new Int8Array(memory.buffer);
  const queries = 0, constants = 256, out = 512, factors = 1024, matrix = 2048;
  for (let j = 0; j < 4 * stride; j++) bytes[queries + j] = Math.round(wave(j, 5) * 127);
  // Query 3 is at the extremes, so row 0 (its copy) maximises every product and row 1 (its negation) minimises it.
  for (let j = 0; j < stride; j++) bytes[queries + 3 * stride + j] = j % 3 === 0 ? -127 : 127;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < stride; j++) {
      const extreme = bytes[queries + 3 * stride + j];
      bytes[matrix + r * stride + j] = r === 0 ? extreme : r === 1 ? -extreme : Math.round(wave(r * stride + j, 3) * 127);
    }
  }
  const factorValues = new Float32Array(memory.buffer, factors, rows * 4);
  for (let r = 0; r < rows; r++) factorValues.set([1 + r / 10, 0.01 * r, 0.5], r * 4);
  // bound_k = dot·A_k·s + B_k·e + C_k·n ≥ T_k, with a different scale and threshold per query.
  const A = [1e-4, 2e-4, 1e-4, 1e-5], B = [1, 0, 2, 1], C = [0.5, 1, 0, 0.1], T = [0.5, 0, -1, 2];
  new Float32Array(memory.buffer, constants, 16).set([...A, ...B, ...C, ...T]);
  const exactDots = (r: number, k: number): number => {
    let sum = 0;
    for (let j = 0; j < stride; j++) sum += bytes[queries + k * stride + j] * bytes[matrix + r * stride + j];
    return sum;
  };
  const entries = candidates4(queries, matrix, rows, stride, out, factors, constants);
  const output = new Int32Array(memory.buffer, out, entries * 2);
  const expected: number[][] = [];
  for (let r = 0; r < rows; r++) {
    let mask = 0;
    for (let k = 0; k < 4; k++) {
      const [s, e, n] = factorValues.subarray(r * 4, r * 4 + 3);
      const bound = Math.fround(exactDots(r, k)) * Math.fround(A[k]) * s + Math.fround(B[k]) * e + Math.fround(C[k]) * n;
      // Skip the rare pair within float32 rounding of its threshold: either answer is right there.
      if (Math.abs(bound - T[k]) < 1e-4) return assert.fail(`row ${r}, query ${k} is ambiguous; change the data`);
      if (bound >= T[k]) mask |= 1 << k;
    }
    if (mask) expected.push([r, mask]);
  }
  assert.deepEqual(Array.from({ length: entries }, (_, i) => [output[2 * i], output[2 * i + 1]]), expected);
  assert.ok(expected.length > 3 && expected.length < rows, `${expected.length} rows pass: the data should separate them`);
  assert.equal(exactDots(0, 3), stride * 127 * 127, 'the extremes are in the data');
  assert.equal(candidates4(queries, matrix, 0, stride, out, factors, constants), 0); // zero rows must not trap
});

test('PairMatrix never misses a pair at or above the threshold, and proposes few far below it', () => {
  const dim = 100;
  const count = 5000; // more than one tile of rows
  const random = new SeededRandom(11);
  const rows = random.normals(count * dim, 1);
  for (let r = 0; r < count; r++) l2normalize(rows.subarray(r * dim, (r + 1) * dim));
  // Near copies of rows 10 and 20 further down, so some pairs are above a high threshold.
  for (let r = 4000; r < 4010; r++) {
    for (let d = 0; d < dim; d++) rows[r * dim + d] = rows[(r < 4005 ? 10 : 20) * dim + d] + 0.02 * random.normal();
    l2normalize(rows.subarray(r * dim, (r + 1) * dim));
  }
  const quantized = new QuantizedMatrix(dim);
  quantized.reserve(count);
  for (let r = 0; r < count; r++) quantized.setRow(r, rows, r * dim);
  const pairs = new PairMatrix(dim, count);
  for (let r = 0; r < count; r++) pairs.setRow(r, quantized.rowBytes(r), ...quantized.rowFactors(r));
  const queries = [10, 20, 30, 4003];
  for (const threshold of [0.9, 0.3, -0.2]) {
    for (const used of [queries, queries.slice(1, 2)]) {
      const found = used.map(() => new Set<number>());
      pairs.candidates(used, 0, count, threshold, (k, row) => found[k].add(row));
      used.forEach((query, k) => {
        let above = 0;
        for (let r = 0; r < count; r++) {
          const exact = Math.fround(dot(rows.subarray(query * dim, (query + 1) * dim), rows, r * dim));
          if (exact >= threshold) {
            above++;
            assert.ok(found[k].has(r), `query ${query}, row ${r}: exact ${exact} ≥ ${threshold} but not a candidate`);
          } else {
            assert.ok(!found[k].has(r) || exact > threshold - 0.1, `query ${query}, row ${r}: exact ${exact} proposed for ${threshold}`);
          }
        }
        assert.ok(found[k].size <= above * 1.2 + 20, `query ${query}: ${found[k].size} candidates for ${above} pairs at ${threshold}`);
      });
    }
  }
  const near: number[] = [];
  pairs.candidates([10], 0, count, 0.9, (_, row) => near.push(row));
  assert.deepEqual(near, [10, 4000, 4001, 4002, 4003, 4004]);
  const later: number[] = [];
  pairs.candidates([10], 4001, 4003, 0.9, (_, row) => later.push(row));
  assert.deepEqual(later, [4001, 4002]);
});

function unitRows(count: number, dim: number, seed: number): Float32Array {
  const rows = new Float32Array(count * dim);
  for (let i = 0; i < rows.length; i++) rows[i] = wave(i, seed);
  for (let r = 0; r < count; r++) l2normalize(rows.subarray(r * dim, (r + 1) * dim));
  return rows;
}

for (const dim of [384, 100, 7]) {
  test(`upper bounds are never below the exact score (dim ${dim}, stride padding included)`, () => {
    const count = 300;
    const rows = unitRows(count, dim, dim);
    // Adversarial rows: one-hot, all components equal, one dominant component, the zero vector, a tiny vector.
    const special = new Float32Array(5 * dim);
    special[0] = 1;
    special.fill(1 / Math.sqrt(dim), dim, 2 * dim);
    for (let i = 0; i < dim; i++) special[2 * dim + i] = i === 3 % dim ? 0.999 : 0.001;
    for (let i = 0; i < dim; i++) special[4 * dim + i] = 1e-30 * wave(i, 9);
    const matrix = new QuantizedMatrix(dim);
    matrix.reserve(count + 5);
    for (let r = 0; r < count; r++) matrix.setRow(r, rows, r * dim);
    for (let r = 0; r < 5; r++) matrix.setRow(count + r, special, r * dim);
    const live = new Uint8Array(count + 5).fill(1);
    live[7] = 0;
    const upper = new Float64Array(count + 5);
    const queries = [unitRows(1, dim, 1000 + dim), rows.slice(5 * dim, 6 * dim), special.slice(0, dim), special.slice(dim, 2 * dim)];
    let slackSum = 0;
    for (const query of queries) {
      matrix.upperBounds(query, count + 5, live, upper);
      assert.equal(upper[7], -Infinity, 'rows that are not live get -Infinity');
      for (let r = 0; r < count + 5; r++) {
        if (r === 7) continue;
        const source = r < count ? rows : special;
        const exact = Math.fround(dot(query, source, (r < count ? r : r - count) * dim));
        assert.ok(upper[r] >= exact, `row ${r}: bound ${upper[r]} < exact ${exact}`);
        slackSum += upper[r] - exact;
      }
    }
    // The bound must also be useful: on average close to the exact score, or rescoring would read every row.
    assert.ok(slackSum / (queries.length * (count + 4)) < 0.05, `mean slack ${slackSum / (queries.length * (count + 4))}`);
  });
}

test('rows survive growth of the matrix and restore from their saved form', () => {
  const dim = 16;
  const rows = unitRows(3000, dim, 5);
  const matrix = new QuantizedMatrix(dim);
  matrix.reserve(1);
  for (let r = 0; r < 3000; r++) {
    matrix.reserve(r + 1);
    matrix.setRow(r, rows, r * dim);
  }
  const copy = new QuantizedMatrix(dim);
  copy.reserve(3000);
  // Restored in uneven runs, the way a segment restores rows.
  const [scales, norms, residuals] = matrix.factorColumns(Array.from({ length: 3000 }, (_, r) => r));
  for (let first = 0, run = 1; first < 3000; first += run, run = (run * 7) % 97 + 1) {
    const count = Math.min(run, 3000 - first);
    const column = (values: Float32Array): Float32Array => values.subarray(first, first + count);
    copy.restoreRows(first, matrix.rowBytes(first, count).slice(), column(scales), column(norms), column(residuals));
  }
  const query = unitRows(1, dim, 77);
  const live = new Uint8Array(3000).fill(1);
  const a = new Float64Array(3000);
  const b = new Float64Array(3000);
  matrix.upperBounds(query, 3000, live, a);
  copy.upperBounds(query, 3000, live, b);
  assert.deepEqual(a, b);
  assert.throws(() => matrix.setRow(0, Float32Array.from({ length: dim }, (_, i) => (i === 2 ? NaN : 0)), 0), /non-finite/);
  assert.throws(() => matrix.upperBounds(new Float32Array(dim + 1), 3000, live, a), /dimension/);
});
