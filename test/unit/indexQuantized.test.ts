import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instantiateDotsKernel } from '../../src/core/index/int8Kernel';
import { QuantizedMatrix } from '../../src/core/index/quantizedMatrix';
import { dot, l2normalize } from '../../src/core/similarity';

/** Deterministic, irregular values in [-1, 1). */
const wave = (i: number, seed: number): number => Math.sin(i * 12.9898 + seed * 78.233) * Math.cos(i * 0.731 + seed);

test('the WebAssembly kernel computes exact int8 dot products, extremes included', () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const dots = instantiateDotsKernel(memory);
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
