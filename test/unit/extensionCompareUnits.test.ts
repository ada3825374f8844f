import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { unitsOfSelections } from '../../src/extension/compareUnits';

const code = ['function a() {', '  // open the file', '  }', '  // read the file', 'return 1;'].join('\r\n');
const prose = 'Intro text here. The cat sat on the mat.\nThe dog ran away fast. Birds fly south.\n';

describe('unitsOfSelections', () => {
  it('takes every non-trivial line a selection touches in lines mode, with document positions', () => {
    const units = unitsOfSelections(code, [{ startLine: 1, startColumn: 5, endLine: 3, endColumn: 4 }], 'lines');
    assert.deepEqual(units.map((u) => [u.text, u.line, u.column, u.endColumn]), [
      ['// open the file', 2, 2, 18],
      ['// read the file', 4, 2, 18],
    ]);
  });

  it('leaves out a last line the selection only reaches the start of', () => {
    const units = unitsOfSelections(code, [{ startLine: 1, startColumn: 0, endLine: 4, endColumn: 0 }], 'lines');
    assert.deepEqual(units.map((u) => u.line), [2, 4]);
  });

  it('takes the sentences inside the selection in sentences mode', () => {
    const start = prose.indexOf('The cat');
    const units = unitsOfSelections(prose, [{ startLine: 0, startColumn: start, endLine: 1, endColumn: 'The dog ran away fast.'.length }], 'sentences');
    assert.deepEqual(units.map((u) => [u.text, u.line, u.column, u.endLine, u.endColumn]), [
      ['The cat sat on the mat.', 1, start, 1, start + 'The cat sat on the mat.'.length],
      ['The dog ran away fast.', 2, 0, 2, 'The dog ran away fast.'.length],
    ]);
  });

  it('joins several selections in document order, once each, and ignores empty ones', () => {
    const units = unitsOfSelections(
      code,
      [
        { startLine: 3, startColumn: 0, endLine: 3, endColumn: 3 },
        { startLine: 1, startColumn: 0, endLine: 1, endColumn: 1 },
        { startLine: 3, startColumn: 4, endLine: 3, endColumn: 6 },
        { startLine: 0, startColumn: 2, endLine: 0, endColumn: 2 },
      ],
      'lines',
    );
    assert.deepEqual(units.map((u) => u.line), [2, 4]);
  });
});
