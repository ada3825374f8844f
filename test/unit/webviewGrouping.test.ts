import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { displayOrder, groupResults } from '../../src/webview/grouping';
import type { ResultView } from '../../src/webview/protocol';

const result = (rank: number, file: string, score: number): ResultView => ({
  id: `id${rank}`,
  rank,
  score,
  file,
  line: rank,
  endLine: rank,
  snippet: [],
});

const results = [result(3, 'b.md', 0.7), result(1, 'a.ts', 0.9), result(2, 'b.md', 0.8), result(4, 'a.ts', 0.6), result(5, 'c.txt', 0.5)];

describe('groupResults', () => {
  it('keeps a flat ranking in rank order', () => {
    const groups = groupResults(results, 'flat');
    assert.equal(groups.length, 1);
    assert.deepEqual(groups[0].results.map((r) => r.rank), [1, 2, 3, 4, 5]);
    assert.equal(groups[0].best, 0.9);
  });

  it('groups by file, groups ordered by their best result, ranking kept inside', () => {
    const groups = groupResults(results, 'file');
    assert.deepEqual(groups.map((g) => g.file), ['a.ts', 'b.md', 'c.txt']);
    assert.deepEqual(groups.map((g) => g.results.map((r) => r.rank)), [[1, 4], [2, 3], [5]]);
    assert.deepEqual(groups.map((g) => g.best), [0.9, 0.8, 0.5]);
  });

  it('walks results in display order for the arrow keys', () => {
    assert.deepEqual(displayOrder(groupResults(results, 'file')).map((r) => r.rank), [1, 4, 2, 3, 5]);
    assert.deepEqual(displayOrder(groupResults(results, 'flat')).map((r) => r.rank), [1, 2, 3, 4, 5]);
  });

  it('has no groups for no results', () => {
    assert.deepEqual(groupResults([], 'flat'), []);
    assert.deepEqual(groupResults([], 'file'), []);
  });
});
