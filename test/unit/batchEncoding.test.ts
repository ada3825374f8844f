import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeBatch, specialTokensOf, Tokenizer } from '../../src/host/batchEncoding';

// A word-level tokenizer with a BERT template: [CLS]=101 … [SEP]=102, [PAD]=0, each word its length + 1000.
const bert: Tokenizer = {
  pad_token_id: 0,
  encode(text, options) {
    const ids = text.split(/\s+/).filter(Boolean).map((w) => 1000 + w.length);
    return options?.add_special_tokens === false ? ids : [101, ...ids, 102];
  },
};

test('the special-token template is learned from the tokenizer', () => {
  assert.deepEqual(specialTokensOf(bert), { prefix: [101], suffix: [102] });
  const none: Tokenizer = { encode: (text) => text.split(' ').map((w) => w.length) };
  assert.deepEqual(specialTokensOf(none), { prefix: [], suffix: [] });
});

test('truncation keeps [SEP] last, as the seed tokenizer does, and is reported', () => {
  const encoded = encodeBatch(bert, specialTokensOf(bert), ['a bb ccc dddd eeeee', 'a'], 4);
  assert.equal(encoded.sequence, 4);
  assert.deepEqual(Array.from(encoded.inputIds.subarray(0, 4), Number), [101, 1001, 1002, 102]);
  assert.deepEqual(Array.from(encoded.truncated), [1, 0]);
  assert.deepEqual(Array.from(encoded.tokenCounts), [4, 3]);
});

test('rows are right-padded with the pad id and a zero mask to the longest row', () => {
  const encoded = encodeBatch(bert, specialTokensOf(bert), ['a', 'a bb ccc'], 16);
  assert.equal(encoded.sequence, 5);
  assert.deepEqual(Array.from(encoded.inputIds.subarray(0, 5), Number), [101, 1001, 102, 0, 0]);
  assert.deepEqual(Array.from(encoded.attentionMask.subarray(0, 5), Number), [1, 1, 1, 0, 0]);
  assert.deepEqual(Array.from(encoded.attentionMask.subarray(5), Number), [1, 1, 1, 1, 1]);
});

test('a text exactly at the limit is not truncated', () => {
  const encoded = encodeBatch(bert, specialTokensOf(bert), ['a bb'], 4);
  assert.deepEqual(Array.from(encoded.truncated), [0]);
});
