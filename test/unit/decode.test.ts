import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY_SNIFF_BYTES, decodeText } from '../../src/core/decode';

const text = 'Grüße, “quoted” — 東京 😀\nsecond line';

function utf16be(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16();
}

test('plain UTF-8 decodes as UTF-8', () => {
  assert.deepEqual(decodeText(Buffer.from(text, 'utf8')), { text, encoding: 'utf-8' });
  assert.deepEqual(decodeText(new Uint8Array(0)), { text: '', encoding: 'utf-8' });
});

test('a UTF-8 BOM is dropped from the text', () => {
  const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
  assert.deepEqual(decodeText(bytes), { text, encoding: 'utf-8' });
});

test('UTF-16 LE and BE with a BOM decode to searchable text, NUL bytes notwithstanding', () => {
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const be = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]);
  assert.ok(le.includes(0) && be.includes(0));
  assert.deepEqual(decodeText(le), { text, encoding: 'utf-16le' });
  assert.deepEqual(decodeText(be), { text, encoding: 'utf-16be' });
});

test('a NUL byte in the first 8 KB means binary; one after it does not', () => {
  const early = Buffer.concat([Buffer.from('PNG header'), Buffer.from([0, 1, 2]), Buffer.from('rest')]);
  assert.deepEqual(decodeText(early), { binary: true });
  const utf16WithoutBom = Buffer.from('hello', 'utf16le');
  assert.deepEqual(decodeText(utf16WithoutBom), { binary: true });
  const late = Buffer.concat([Buffer.alloc(BINARY_SNIFF_BYTES, 'a'), Buffer.from([0]), Buffer.from('tail')]);
  const decoded = decodeText(late);
  assert.ok('text' in decoded);
  assert.equal(decoded.text.length, BINARY_SNIFF_BYTES + 5);
});

test('invalid UTF-8 falls back to windows-1252, one character per byte', () => {
  // "café “smart” – naïve" as written by a Windows editor.
  const bytes = Buffer.from([
    0x63, 0x61, 0x66, 0xe9, 0x20, 0x93, 0x73, 0x6d, 0x61, 0x72, 0x74, 0x94, 0x20, 0x96, 0x20, 0x6e, 0x61, 0xef, 0x76, 0x65,
  ]);
  const decoded = decodeText(bytes);
  assert.deepEqual(decoded, { text: 'café “smart” – naïve', encoding: 'windows-1252' });
  assert.equal((decoded as { text: string }).text.length, bytes.length);
});

test('Latin-1 text and truncated UTF-8 never throw', () => {
  const latin1 = Buffer.from('Ça coûte 5 £, señor. Ünïcödé ß ø å', 'latin1');
  assert.deepEqual(decodeText(latin1), { text: 'Ça coûte 5 £, señor. Ünïcödé ß ø å', encoding: 'windows-1252' });

  const truncated = Buffer.from('ok 東', 'utf8').subarray(0, 5); // a multi-byte character cut in half
  const fallback = decodeText(truncated);
  assert.ok('text' in fallback);
  assert.equal(fallback.encoding, 'windows-1252');
  assert.ok(fallback.text.startsWith('ok '));
});
