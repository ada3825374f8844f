import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { csvText, similarityCsv } from '../../src/extension/csv';

describe('similarity CSV', () => {
  it('writes a header row and column of labels, values with six decimals, CRLF line ends', () => {
    const csv = similarityCsv(['a.md:1 One', 'a.md:2 Two'], [[1, 0.25], [0.25, 1]]);
    assert.equal(csv, ',a.md:1 One,a.md:2 Two\r\na.md:1 One,1.000000,0.250000\r\na.md:2 Two,0.250000,1.000000\r\n');
  });

  it('quotes what would break a row, and keeps formula-like text as text', () => {
    assert.equal(csvText('say "hi", then\nleave'), '"say ""hi"", then\nleave"');
    assert.equal(csvText('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
    assert.equal(csvText('+1'), "'+1");
    assert.equal(csvText('-2+3'), "'-2+3");
    assert.equal(csvText('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvText(' padded'), '" padded"');
    assert.equal(csvText('plain text'), 'plain text');
    // Negative similarities are numbers written by us, not text: never prefixed.
    assert.match(similarityCsv(['x', 'y'], [[1, -0.5], [-0.5, 1]]), /x,1\.000000,-0\.500000/);
  });
});
