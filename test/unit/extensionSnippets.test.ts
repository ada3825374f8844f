import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildSnippet } from '../../src/extension/snippets';

const limits = { contextLines: 1, maxLineChars: 40, maxUnitLines: 3 };
const text = ['zero', 'The cat sat. The dog ran', 'away fast. Birds fly.', 'three', 'four'].join('\r\n');

describe('buildSnippet', () => {
  it('shows the unit with context lines and marks exactly the unit', () => {
    // "The dog ran away fast." spans lines 2-3, columns 13..10
    const snippet = buildSnippet(text, { line: 2, endLine: 3, column: 13, endColumn: 10 }, 'The dog ran away fast.', limits);
    assert.deepEqual(snippet, [
      { line: 1, text: 'zero' },
      { line: 2, text: 'The cat sat. The dog ran', unitStart: 13, unitEnd: 24, unitTextOffset: 0 },
      { line: 3, text: 'away fast. Birds fly.', unitStart: 0, unitEnd: 10, unitTextOffset: 'The dog ran '.length },
      { line: 4, text: 'three' },
    ]);
    const marked = snippet.filter((l) => l.unitStart !== undefined).map((l) => l.text.slice(l.unitStart, l.unitEnd)).join(' ');
    assert.equal(marked, 'The dog ran away fast.');
  });

  it('clips context at the file edges', () => {
    const snippet = buildSnippet(text, { line: 1, endLine: 1, column: 0, endColumn: 4 }, 'zero', { ...limits, contextLines: 3 });
    assert.deepEqual(snippet.map((l) => l.line), [1, 2, 3, 4]);
  });

  it('cuts long lines to a window that keeps the unit in view', () => {
    const long = `${'x'.repeat(100)}NEEDLE${'y'.repeat(100)}`;
    const [line] = buildSnippet(long, { line: 1, endLine: 1, column: 100, endColumn: 106 }, 'NEEDLE', { ...limits, contextLines: 0 });
    assert.ok(line.text.length <= 42);
    assert.ok(line.text.startsWith('…') && line.text.endsWith('…'));
    assert.equal(line.text.slice(line.unitStart, line.unitEnd), 'NEEDLE');
  });

  it('shows only the first lines of a very long unit', () => {
    const many = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n');
    const snippet = buildSnippet(many, { line: 2, endLine: 15, column: 0, endColumn: 7 }, '…', limits);
    assert.deepEqual(snippet.map((l) => l.line), [1, 2, 3, 4, 5]);
    assert.deepEqual(snippet.map((l) => l.unitStart !== undefined), [false, true, true, true, false]);
  });

  it('falls back to the indexed text when the file no longer has those lines', () => {
    const snippet = buildSnippet('one line', { line: 7, endLine: 7, column: 0, endColumn: 5 }, 'stale', limits);
    assert.deepEqual(snippet, [{ line: 7, text: 'stale', unitStart: 0, unitEnd: 5, unitTextOffset: 0 }]);
  });

  it('places each unit line in the unit text despite collapsed whitespace and dropped quote markers', () => {
    const quoted = ['> A  timeout   means the', '> deadline expired.'].join('\n');
    const unitText = 'A timeout means the deadline expired.';
    const snippet = buildSnippet(quoted, { line: 1, endLine: 2, column: 2, endColumn: 19 }, unitText, { ...limits, contextLines: 0 });
    assert.deepEqual(snippet.map((l) => l.unitTextOffset), [0, unitText.indexOf('deadline')]);
  });

  it('gives the unit-text offset of the first shown character of a cut line', () => {
    const words = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ');
    const [line] = buildSnippet(words, { line: 1, endLine: 1, column: 0, endColumn: words.length }, words, { ...limits, contextLines: 0 });
    // The window starts at the unit's start: nothing is cut before it.
    assert.equal(line.unitTextOffset, 0);
    const later = words.indexOf('w20');
    const [cut] = buildSnippet(`${'x'.repeat(80)} ${words}`, { line: 1, endLine: 1, column: 81 + later, endColumn: 81 + words.length }, words.slice(later), { ...limits, contextLines: 0 });
    assert.equal(cut.unitTextOffset, 0);
    assert.equal(cut.text.slice(cut.unitStart, cut.unitStart! + 3), 'w20');
  });
});
