import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rocchio, ROCCHIO_ALPHA, ROCCHIO_BETA, ROCCHIO_GAMMA } from '../../src/core/refine';
import { dot } from '../../src/core/similarity';

const unit = (...values: number[]) => {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (v) => v / norm);
};

test('the classic Rocchio weights', () => {
  assert.deepEqual([ROCCHIO_ALPHA, ROCCHIO_BETA, ROCCHIO_GAMMA], [1, 0.75, 0.15]);
});

test("q' = normalize(α·q + β·mean(more) − γ·mean(less)), unit length", () => {
  const q = unit(1, 0, 0);
  const more = [unit(0, 1, 0), unit(0, 0, 1)];
  const less = [unit(1, 1, 0)];
  const refined = rocchio(q, more, less);
  const l = less[0];
  const expected = [1 - 0.15 * l[0], 0.75 * 0.5 - 0.15 * l[1], 0.75 * 0.5];
  const norm = Math.hypot(...expected);
  expected.forEach((value, d) => assert.ok(Math.abs(refined[d] - value / norm) < 1e-6, `dimension ${d}`));
  assert.ok(Math.abs(dot(refined, refined) - 1) < 1e-6);
});

test('more moves the query toward the examples, less away from them; no feedback keeps it', () => {
  const q = unit(1, 0.2, 0);
  const example = unit(0, 1, 0);
  assert.ok(dot(rocchio(q, [example], []), example) > dot(q, example));
  assert.ok(dot(rocchio(q, [], [example]), example) < dot(q, example));
  Array.from(rocchio(q, [], [])).forEach((value, d) => assert.ok(Math.abs(value - q[d]) < 1e-7));
});

test('feedback vectors of another dimension are refused', () => {
  assert.throws(() => rocchio(unit(1, 0), [unit(1, 0, 0)], []), /dimension 3, the query 2/);
});
