import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AutoTokenizer } from '@huggingface/transformers';
import { alignPieces, tokensAndWords, type Piece } from '../../src/core/tokenAlignment';
import { ensureTestModel } from '../fixtures/models/generate';

const UNK = '[UNK]';
const pieces = (...tokens: string[]): Piece[] => [
  { token: '[CLS]', special: true },
  ...tokens.map((token) => ({ token, special: false })),
  { token: '[SEP]', special: true },
];
/** Each piece's original text, or null where it has no range. */
const slices = (text: string, tokens: string[]) => alignPieces(text, pieces(...tokens), UNK).map(({ start, end }) => (start < 0 ? null : text.slice(start, end)));

test('pieces map back to the original text: case, accents, word pieces, punctuation', () => {
  const text = 'Naïve CAFÉ connections failed!';
  assert.deepEqual(slices(text, ['naive', 'ca', '##fe', 'connections', 'failed', '!']), [null, 'Naïve', 'CA', 'FÉ', 'connections', 'failed', '!', null]);
  // A cased vocabulary keeps capitals in its pieces: matched all the same.
  assert.deepEqual(slices('Hello World', ['Hello', 'World']), [null, 'Hello', 'World', null]);
});

test('normalization that changes lengths still maps to the right UTF-16 ranges', () => {
  // İ lowercases to two code units (i + combining dot), the dot is stripped; controls and zero-width characters vanish.
  assert.deepEqual(slices('Straße İstanbul', [UNK, 'is', '##tan', '##bul']), [null, 'Straße', 'İs', 'tan', 'bul', null]);
  assert.deepEqual(slices('x\u0000y\u200bz tab\there', ['xyz', 'tab', 'here']), [null, 'x\u0000y\u200bz', 'tab', 'here', null]);
  // Decomposed input (e + combining acute) and a surrogate pair before the match.
  assert.deepEqual(slices('😀 cafe\u0301 ok', [UNK, 'cafe', 'ok']), [null, '😀', 'cafe\u0301', 'ok', null]);
});

test('[UNK] covers a whole pre-token; CJK ideographs are one each', () => {
  assert.deepEqual(slices('emoji 😀😀 ok', ['emoji', UNK, 'ok']), [null, 'emoji', '😀😀', 'ok', null]);
  assert.deepEqual(slices('中文测试 hello', [UNK, UNK, UNK, UNK, 'hello']), [null, '中', '文', '测', '试', 'hello', null]);
  assert.deepEqual(slices('a ﬁle, b', ['a', UNK, ',', 'b']), [null, 'a', 'ﬁle', ',', 'b', null]);
});

test('a piece that cannot be placed gets -1 and the next ones still align', () => {
  assert.deepEqual(slices('alpha beta gamma', ['alpha', 'zeta', 'beta', 'gamma']), [null, 'alpha', null, 'beta', 'gamma', null]);
});

test('tokens and words: pieces merge into words, special tokens into none, shares add up', () => {
  const text = 'Unbelievably fast.';
  const list = pieces('unb', '##elie', '##vabl', '##y', 'fast', '.');
  const spans = alignPieces(text, list, UNK);
  const shares = [0.01, 0.1, 0.2, 0.05, 0.02, 0.3, 0.04, 0.03];
  const { tokens, words } = tokensAndWords(text, list, spans, shares);
  assert.deepEqual(tokens.map((t) => [t.text, t.start, t.end]), [['[CLS]', -1, -1], ['Unb', 0, 3], ['elie', 3, 7], ['vabl', 7, 11], ['y', 11, 12], ['fast', 13, 17], ['.', 17, 18], ['[SEP]', -1, -1]]);
  assert.deepEqual(words.map((w) => [w.text, w.start, w.end]), [['Unbelievably', 0, 12], ['fast', 13, 17], ['.', 17, 18]]);
  assert.ok(Math.abs(words[0].contribution - 0.37) < 1e-12);
  const sum = (list: { contribution: number }[]) => list.reduce((a, b) => a + b.contribution, 0);
  assert.ok(Math.abs(sum(words) - (sum(tokens) - 0.01 - 0.03)) < 1e-12);
});

test('the real tokenizers of the generated models: every piece but [UNK] lands on its own text', async () => {
  const texts = [
    'Naïve CAFÉ connections failed!',
    'throw new Error(`connection to ${host} failed after a timeout`);',
    'Straße İstanbul ﬁle 中文测试 — “quoted”… x\u0000y\u200bz',
    'const ÅNGSTRÖM = 1e-10; // ångström, ça va?',
    'The person box was packed with jelly many dozens of months later.',
  ];
  for (const kind of ['semantic', 'minilm'] as const) {
    const tokenizer = await AutoTokenizer.from_pretrained(await ensureTestModel(kind), { local_files_only: true });
    for (const text of texts) {
      const tokens = tokenizer.tokenize(text);
      const spans = alignPieces(text, tokens.map((token) => ({ token, special: false })), tokenizer.unk_token);
      tokens.forEach((token, i) => {
        const { start, end } = spans[i];
        assert.ok(start >= 0 && end > start, `${kind}: "${token}" of ${JSON.stringify(text)} not placed`);
        if (token === tokenizer.unk_token) return;
        const original = text.slice(start, end).toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '').replace(/[\u0000\u200b]/g, '');
        assert.equal(original, token.replace(/^##/, ''), `${kind}: "${token}" of ${JSON.stringify(text)}`);
        if (i > 0) assert.ok(start >= spans[i - 1].end, 'pieces are in order and do not overlap');
      });
    }
  }
});
