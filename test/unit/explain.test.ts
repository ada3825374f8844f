import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExplanationUnsupportedError, tokenContributions } from '../../src/core/explain';
import { poolAndNormalize } from '../../src/core/pooling';
import { dot, l2normalize } from '../../src/core/similarity';
import { SeededRandom } from '../fixtures/models/prng';

const random = new SeededRandom(3);
const dim = 48;
const tokens = 9;
const states = random.normals(tokens * dim, 1);
const query = l2normalize(random.normals(dim, 1));
const pooled = (pooling: 'mean' | 'max') =>
  poolAndNormalize({ data: states, mask: new Array<number>(tokens).fill(1), batch: 1, sequence: tokens, dim }, pooling);

for (const pooling of ['mean', 'max'] as const) {
  test(`${pooling} pooling: the token shares sum to the cosine of the pooled vector, as the index scores it`, () => {
    const shares = tokenContributions(query, { states, tokens, dim }, pooling);
    assert.equal(shares.length, tokens);
    const sum = shares.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - dot(query, pooled(pooling))) < 1e-6, `${sum} vs ${dot(query, pooled(pooling))}`);
  });
}

test('mean pooling: a share is the token state projected on the query, scaled by the pooled norm', () => {
  const shares = tokenContributions(query, { states, tokens, dim }, 'mean');
  // Scaling every state changes no share (the cosine is scale-free); a token aligned with the query gains.
  const doubled = tokenContributions(query, { states: states.map((v) => 2 * v), tokens, dim }, 'mean');
  shares.forEach((share, t) => assert.ok(Math.abs(share - doubled[t]) < 1e-9));
  const boosted = states.slice();
  for (let d = 0; d < dim; d++) boosted[4 * dim + d] += 3 * query[d];
  const after = tokenContributions(query, { states: boosted, tokens, dim }, 'mean');
  assert.ok(after[4] > shares[4] && after[4] === Math.max(...after));
});

test('max pooling: dimensions whose maximum a token holds make up its share; others get none', () => {
  const lonely = new Float32Array(3 * 2);
  lonely.set([5, 5, 1, 1, 0, 0]); // token 0 holds both maxima
  const shares = tokenContributions(Float32Array.from([0.6, 0.8]), { states: lonely, tokens: 3, dim: 2 }, 'max');
  assert.ok(Math.abs(shares[0] - (0.6 * 5 + 0.8 * 5) / Math.hypot(5, 5)) < 1e-6);
  assert.deepEqual(Array.from(shares.subarray(1)), [0, 0]);
});

test('CLS pooling is refused with an error that says why', () => {
  assert.throws(() => tokenContributions(query, { states, tokens, dim }, 'cls'), (error: unknown) => {
    assert.ok(error instanceof ExplanationUnsupportedError);
    assert.match(error.message, /mean or max pooling.*cls pooling/);
    return true;
  });
});

test('a zero pooled vector gives zero shares, not NaN', () => {
  const zero = new Float32Array(2 * dim);
  for (const pooling of ['mean', 'max'] as const) assert.deepEqual(Array.from(tokenContributions(query, { states: zero, tokens: 2, dim }, pooling)), [0, 0]);
});
