import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultUnitMode, isTrivialUnit, splitUnits, Unit } from '../../src/core/units';

/** The original text a unit's range covers, with line ends as they are in the document. */
function rangeText(doc: string, unit: Unit): string {
  const lineStarts = [0];
  for (const match of doc.matchAll(/\r\n|\r|\n/g)) lineStarts.push(match.index! + match[0].length);
  return doc.slice(lineStarts[unit.line - 1] + unit.column, lineStarts[unit.endLine - 1] + unit.endColumn);
}

const collapse = (s: string) => s.replace(/\s+/g, ' ');

/** Every unit's text is exactly what its range selects (modulo whitespace runs and line breaks). */
function assertRangesExact(doc: string, units: Unit[]): void {
  for (const unit of units) assert.equal(collapse(rangeText(doc, unit)), unit.text, JSON.stringify(unit));
}

test('lines: one unit per meaningful line, trimmed, with exact columns', () => {
  const doc = [
    'function greet(name) {',
    '    return `Hello, ${name}`;',
    '  }',
    '',
    '});',
    '  */',
    '//',
    '  if',
    '\tconst answer = 42;  ',
  ].join('\n');
  const units = splitUnits(doc, { mode: 'lines' });
  assert.deepEqual(units, [
    { text: 'function greet(name) {', line: 1, endLine: 1, column: 0, endColumn: 22 },
    { text: 'return `Hello, ${name}`;', line: 2, endLine: 2, column: 4, endColumn: 28 },
    { text: 'const answer = 42;', line: 9, endLine: 9, column: 1, endColumn: 19 },
  ]);
});

test('lines: CRLF, lone CR and LF all end lines, and the terminators never enter a unit', () => {
  const doc = 'first line here\r\nsecond line here\rthird line here\nfourth line here\r\n';
  const units = splitUnits(doc, { mode: 'lines' });
  assert.deepEqual(units.map((u) => [u.line, u.text]), [
    [1, 'first line here'], [2, 'second line here'], [3, 'third line here'], [4, 'fourth line here'],
  ]);
  assertRangesExact(doc, units);
});

test('isTrivialUnit drops punctuation and fragments under three letters or digits', () => {
  for (const trivial of ['', '   ', '}', '});', '*/', '//', '/**', '---', 'if', '{ a }', '# 1', '😀😀😀']) {
    assert.equal(isTrivialUnit(trivial), true, JSON.stringify(trivial));
  }
  for (const meaningful of ['end', 'x = 1 + 2', 'a + b + c', '東京都', 'Ωμέγα', '123', 'yes.']) {
    assert.equal(isTrivialUnit(meaningful), false, JSON.stringify(meaningful));
  }
});

test('lines: a long line is cut at spaces into bounded pieces with exact columns', () => {
  const words = Array.from({ length: 300 }, (_, i) => `word${i}`);
  const doc = `  ${words.join(' ')}`;
  const units = splitUnits(doc, { mode: 'lines', maxUnitChars: 100 });
  assert.ok(units.length > 1);
  for (const unit of units) {
    assert.ok(unit.text.length <= 100, `${unit.text.length}`);
    assert.equal(doc.slice(unit.column, unit.endColumn), unit.text);
    assert.ok(!unit.text.startsWith(' ') && !unit.text.endsWith(' '));
  }
  // No word is cut in two and nothing is lost.
  assert.deepEqual(units.flatMap((u) => u.text.split(' ')), words);
  assert.equal(units[0].column, 2);
});

test('lines: minified code without spaces is cut after punctuation, then hard, never inside a surrogate pair', () => {
  const minified = 'a=f(b);c={d:[1,2]};'.repeat(200);
  const units = splitUnits(minified, { mode: 'lines', maxUnitChars: 64 });
  assert.equal(units.map((u) => u.text).join(''), minified);
  for (const unit of units) {
    assert.ok(unit.text.length <= 64);
    assert.match(unit.text, /[!-/:-@[-`{-~]$/, 'cut after punctuation');
    assert.equal(minified.slice(unit.column, unit.endColumn), unit.text);
  }

  const emoji = '😀'.repeat(40) + 'abc'.repeat(40); // astral characters are two UTF-16 units each
  const pieces = splitUnits(emoji, { mode: 'lines', maxUnitChars: 7 });
  for (const unit of pieces) {
    assert.ok(unit.text.length <= 7);
    assert.ok(!/[\uD800-\uDBFF]$/.test(unit.text) && !/^[\uDC00-\uDFFF]/.test(unit.text), 'no split surrogate pair');
    assert.equal(emoji.slice(unit.column, unit.endColumn), unit.text);
  }
});

test('sentences: a sentence spanning lines gets its exact start and end, and text with collapsed whitespace', () => {
  const doc = 'Intro line.\n\nThe quick brown fox\n   jumps over\tthe lazy dog. Then it\nsleeps.\n';
  const units = splitUnits(doc, { mode: 'sentences' });
  assert.deepEqual(units, [
    { text: 'Intro line.', line: 1, endLine: 1, column: 0, endColumn: 11 },
    { text: 'The quick brown fox jumps over the lazy dog.', line: 3, endLine: 4, column: 0, endColumn: 27 },
    { text: 'Then it sleeps.', line: 4, endLine: 5, column: 28, endColumn: 7 },
  ]);
  assertRangesExact(doc, units);
});

test('sentences: CRLF and lone CR documents give the same units as LF', () => {
  const lf = 'One sentence runs\nover two lines. A second\nsentence follows.\n\nNew paragraph here.';
  const expected = splitUnits(lf, { mode: 'sentences' });
  assert.equal(expected.length, 3);
  for (const eol of ['\r\n', '\r']) {
    const doc = lf.replace(/\n/g, eol);
    const units = splitUnits(doc, { mode: 'sentences' });
    assert.deepEqual(units, expected);
    assertRangesExact(doc, units);
  }
});

test('sentences: markdown headings, lists, quotes, tables and rules start blocks and lose their markers', () => {
  const doc = [
    '# Getting started ##',           // 1
    'Install the tool first',         // 2  (no period: still ends at the list)
    '- run the installer',            // 3
    '  and wait a while.',            // 4  lazy continuation of the item
    '* [x] check the box',            // 5
    '12. twelfth step here',          // 6
    '> A quoted remark',              // 7
    '> continues here.',              // 8
    'Back to normal text.',           // 9
    '',                               // 10
    'Setext title',                   // 11
    '============',                   // 12
    '| name | value |',               // 13
    '|------|-------|',               // 14
    '***',                            // 15
    '## Final heading',               // 16
  ].join('\n');
  const units = splitUnits(doc, { mode: 'sentences' });
  assert.deepEqual(units.map((u) => [u.line, u.endLine, u.text]), [
    [1, 1, 'Getting started'],
    [2, 2, 'Install the tool first'],
    [3, 4, 'run the installer and wait a while.'],
    [5, 5, 'check the box'],
    [6, 6, 'twelfth step here'],
    [7, 8, 'A quoted remark continues here.'],
    [9, 9, 'Back to normal text.'],
    [11, 11, 'Setext title'],
    [13, 13, '| name | value |'],
    [16, 16, 'Final heading'],
  ]);
  const quoted = units[5];
  assert.equal(quoted.column, 2);
  assert.equal(quoted.endColumn, '> continues here.'.length);
  assert.deepEqual([units[2].column, units[3].column, units[4].column], [2, 6, 4]);
  assertRangesExact(doc, units.filter((u) => u !== quoted));
});

test('sentences: fenced code inside markdown is split as lines and the fences are dropped', () => {
  const doc = [
    'Call it like this.',
    '```typescript',
    'const result = compute(input);',
    '}',
    '',
    'No sentence joining. Inside fences',
    '```',
    'After the fence. Prose again.',
    '~~~~',
    '  indented code line',
    '```',
    'still code in the tilde fence',
    '~~~~',
  ].join('\n');
  const units = splitUnits(doc, { mode: 'sentences' });
  assert.deepEqual(units.map((u) => [u.line, u.text]), [
    [1, 'Call it like this.'],
    [3, 'const result = compute(input);'],
    [6, 'No sentence joining. Inside fences'],
    [8, 'After the fence.'],
    [8, 'Prose again.'],
    [10, 'indented code line'],
    [12, 'still code in the tilde fence'],
  ]);
  assert.equal(units[5].column, 2);
  assertRangesExact(doc, units);
});

test('sentences: a 50 KB paragraph without a period is cut into bounded pieces covering every word', () => {
  const words = Array.from({ length: 10_000 }, (_, i) => `w${i}`);
  const lines: string[] = [];
  for (let i = 0; i < words.length; i += 10) lines.push(words.slice(i, i + 10).join(' '));
  const doc = lines.join('\n');
  assert.ok(doc.length > 50_000);
  const units = splitUnits(doc, { mode: 'sentences' });
  for (const unit of units) assert.ok(unit.text.length <= 1000);
  assert.deepEqual(units.flatMap((u) => u.text.split(' ')), words);
  assertRangesExact(doc, units);
});

test('sentences: a long block keeps every sentence whole across segmentation windows', () => {
  const sentences = Array.from({ length: 500 }, (_, i) => `Sentence number ${i} says something, e.g. this.`);
  const doc = sentences.join(' ').replace(/ (?=Sentence number \d+0 )/g, '\n');
  const units = splitUnits(doc, { mode: 'sentences' });
  assert.deepEqual(units.map((u) => u.text), sentences);
  assertRangesExact(doc, units);
});

test('sentences: columns count UTF-16 units, and CJK sentence ends split', () => {
  const doc = '😀 Emoji first. 東京は大きい。大阪も大きいです。';
  const units = splitUnits(doc, { mode: 'sentences' });
  assert.deepEqual(units.map((u) => u.text), ['😀 Emoji first.', '東京は大きい。', '大阪も大きいです。']);
  assert.equal(units[0].endColumn, 15);
  assertRangesExact(doc, units);
});

test('sentences: a huge block is processed in linear time', () => {
  const paragraph = 'This is one sentence of a very long block. And here is another one!\n'.repeat(30_000); // ~2 MB
  const started = performance.now();
  const units = splitUnits(paragraph, { mode: 'sentences' });
  const elapsed = performance.now() - started;
  assert.equal(units.length, 60_000);
  assert.equal(units[59_999].line, 30_000);
  // Quadratic segmentation of a 2 MB block takes minutes; linear takes well under a second here.
  assert.ok(elapsed < 20_000, `${elapsed} ms`);
});

test('defaultUnitMode: prose by extension or conventional name, overrides by name or extension', () => {
  assert.equal(defaultUnitMode('docs/guide.md'), 'sentences');
  assert.equal(defaultUnitMode('notes.TXT'), 'sentences');
  assert.equal(defaultUnitMode('a/b/README'), 'sentences');
  assert.equal(defaultUnitMode('src/index.ts'), 'lines');
  assert.equal(defaultUnitMode('Makefile'), 'lines');
  assert.equal(defaultUnitMode('.gitignore'), 'lines');
  const overrides = { '.TXT': 'lines', 'makefile': 'sentences', '.md': 'lines', 'CHANGES.md': 'sentences' } as const;
  assert.equal(defaultUnitMode('notes.txt', overrides), 'lines');
  assert.equal(defaultUnitMode('build/Makefile', overrides), 'sentences');
  assert.equal(defaultUnitMode('docs/guide.md', overrides), 'lines');
  assert.equal(defaultUnitMode('CHANGES.md', overrides), 'sentences', 'a file name beats an extension');
});
