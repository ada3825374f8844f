// The real model host (dist/host.js, a child process) with real transformers.js + onnxruntime-node on a generated
// BERT model, checked against the hand-written reference in reference.ts.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HostClient } from '../../src/client';
import { Embed, ModelInfo } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { cosine, HOST_SCRIPT, maxAbsDiff, Reference, referenceEmbedder } from './reference';
import { SEED_SENTENCES } from '../fixtures/seedSentences';

let client: HostClient;
let info: ModelInfo;
let reference: Reference;

before(async () => {
  const dir = await ensureTestModel('semantic');
  client = new HostClient({ hostScript: HOST_SCRIPT });
  info = await client.start({ model: { dir, id: 'generated/semantic', dtype: 'fp32' }, threads: 2 });
  reference = await referenceEmbedder(dir, info.maxLength);
});
after(() => client.stop());

const LONG = Array.from({ length: 60 }, (_, i) => (i % 2 ? 'error' : 'file')).join(' ');
const MIXED = [...SEED_SENTENCES, 'x = 1', 'open the file', LONG, 'the connection failed after a timeout', 'retry'];

test('the model info comes from the folder: mean pooling, the sentence-bert limit, the hidden size', () => {
  assert.equal(info.pooling, 'mean');
  assert.equal(info.maxLength, 32);
  assert.equal(info.dim, 64);
});

test('each text embedded in a mixed batch equals the reference: alone, padded to 128, pooled by hand (1e-5)', async () => {
  const { vectors } = await client.request(Embed, { texts: MIXED });
  for (const [i, text] of MIXED.entries()) {
    const expected = await reference.embed(text);
    assert.ok(maxAbsDiff(vectors[i], expected) < 1e-5, `"${text.slice(0, 30)}" differs by ${maxAbsDiff(vectors[i], expected)}`);
  }
});

test('batch composition never changes a vector: alone vs in any batch', async () => {
  const { vectors: together } = await client.request(Embed, { texts: MIXED });
  const reversed = await client.request(Embed, { texts: [...MIXED].reverse() });
  for (const [i, text] of MIXED.entries()) {
    const { vectors: [alone] } = await client.request(Embed, { texts: [text] });
    assert.ok(maxAbsDiff(alone, together[i]) < 1e-5);
    assert.ok(maxAbsDiff(reversed.vectors[MIXED.length - 1 - i], together[i]) < 1e-5);
  }
});

test('vectors are L2-normalised', async () => {
  const { vectors } = await client.request(Embed, { texts: SEED_SENTENCES });
  for (const v of vectors) assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5);
});

test('the seed ranking: sentence 0 is closest to sentence 2 (coffin/box, Jello/jelly, years/months)', async () => {
  const { vectors } = await client.request(Embed, { texts: SEED_SENTENCES });
  const row = vectors.slice(1).map((v) => cosine(vectors[0], v));
  assert.equal(row.indexOf(Math.max(...row)), 1, `row 0: ${row.map((s) => s.toFixed(4)).join(', ')}`);
});

test('texts longer than the model limit are reported as truncated, with their token count at the limit', async () => {
  const result = await client.request(Embed, { texts: ['open the file', LONG] });
  assert.deepEqual(result.truncated, [false, true]);
  assert.equal(result.tokenCounts[0], reference.tokenCount('open the file'));
  assert.equal(result.tokenCounts[1], info.maxLength);
  assert.ok(reference.tokenCount(LONG) > info.maxLength);
});

test('a text exactly at the limit is not reported as truncated', async () => {
  const words: string[] = [];
  while (reference.tokenCount(words.join(' ')) < info.maxLength) words.push('file');
  const exact = words.join(' ');
  assert.equal(reference.tokenCount(exact), info.maxLength);
  const result = await client.request(Embed, { texts: [exact] });
  assert.deepEqual(result.truncated, [false]);
});
