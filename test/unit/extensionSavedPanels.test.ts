import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ResultLocation } from '../../src/extension/resultRegistry';
import {
  duplicatesToSave,
  MAX_SAVED_MEMBERS,
  parseSavedComparison,
  parseSavedDuplicates,
  type SavedComparison,
  type SavedDuplicates,
} from '../../src/extension/savedPanels';

/** What the workspace state hands back: a JSON copy. */
const stored = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

const comparison: SavedComparison = {
  units: [
    { text: 'Retry the request after a timeout.', line: 2, endLine: 2, column: 2, endColumn: 38 },
    { text: 'Try the request again.', line: 3, endLine: 3, column: 2, endColumn: 24 },
  ],
  place: { root: '/ws', relPath: 'src/retry.ts' },
  fileLabel: 'src/retry.ts',
  mode: 'lines',
  limited: false,
  matrix: [
    [1, 0.8125],
    [0.8125, 1],
  ],
  model: 'Xenova/all-MiniLM-L6-v2',
};

const member = (relPath: string, line: number, text: string, score: number): ResultLocation => ({
  root: '/ws',
  relPath,
  line,
  endLine: line,
  column: 0,
  endColumn: text.length,
  text,
  score,
});

const duplicates: SavedDuplicates = {
  threshold: 0.85,
  units: 120,
  elapsedMs: 42,
  model: 'Xenova/all-MiniLM-L6-v2',
  limited: false,
  foundAt: Date.UTC(2026, 10, 27, 13, 48),
  clusters: [
    { distinctTexts: 2, members: [member('src/retry.ts', 2, 'Retry it.', 1), member('src/retry.ts', 7, 'Retry it.', 1), member('a.md', 1, 'Try again.', 0.9)] },
    { distinctTexts: 2, members: [member('b.md', 4, 'Hello there.', 1), member('c.md', 9, 'Hello, there.', 0.95)] },
  ],
};

describe('saved heatmap', () => {
  it('reads back what was kept', () => {
    assert.deepEqual(parseSavedComparison(stored(comparison)), comparison);
    const outside = { ...comparison, place: undefined };
    assert.deepEqual(parseSavedComparison(stored(outside)), { ...outside, place: undefined });
  });

  it('keeps only the fields of a comparison', () => {
    const extra = stored({ ...comparison, id: 'old-session-id', units: comparison.units.map((unit) => ({ ...unit, id: 'x' })) });
    assert.deepEqual(parseSavedComparison(extra), comparison);
  });

  it('rejects anything else: another shape, a matrix that does not fit the units, values that are not numbers', () => {
    for (const bad of [
      undefined,
      null,
      'text',
      [],
      { ...comparison, units: comparison.units.slice(0, 1), matrix: [[1]] },
      { ...comparison, matrix: [[1, 0.5]] },
      { ...comparison, matrix: [[1, 0.5], [0.5]] },
      { ...comparison, matrix: [[1, '0.5'], [0.5, 1]] },
      { ...comparison, mode: 'words' },
      { ...comparison, place: { root: '/ws' } },
      { ...comparison, units: [comparison.units[0], { ...comparison.units[1], line: '3' }] },
      { ...comparison, model: undefined },
    ]) {
      assert.equal(parseSavedComparison(stored(bad)), undefined, JSON.stringify(bad));
    }
    // NaN does not survive JSON; a value kept without it must be rejected too.
    assert.equal(parseSavedComparison({ ...comparison, matrix: [[1, Number.NaN], [Number.NaN, 1]] }), undefined);
  });
});

describe('saved near-duplicates', () => {
  it('reads back what was kept, places only', () => {
    assert.deepEqual(parseSavedDuplicates(stored(duplicates)), duplicates);
    const withExtras = { ...duplicates, clusters: duplicates.clusters.map((cluster) => ({ ...cluster, members: cluster.members.map((m) => ({ ...m, id: 'old', percentile: 99 })) })) };
    assert.deepEqual(parseSavedDuplicates(stored(withExtras)), duplicates);
  });

  it('rejects anything else', () => {
    const [first] = duplicates.clusters;
    for (const bad of [
      undefined,
      {},
      { ...duplicates, foundAt: undefined },
      { ...duplicates, threshold: '0.9' },
      { ...duplicates, clusters: {} },
      { ...duplicates, clusters: [{ ...first, members: [] }] },
      { ...duplicates, clusters: [{ ...first, members: [{ ...first.members[0], relPath: 3 }] }] },
      { ...duplicates, clusters: [{ ...first, members: [{ ...first.members[0], score: undefined }] }] },
      { ...duplicates, clusters: [{ members: first.members }] },
    ]) {
      assert.equal(parseSavedDuplicates(stored(bad)), undefined, JSON.stringify(bad));
    }
  });

  it('keeps whole clusters, largest first, up to the member limit, and then says the list is limited', () => {
    assert.deepEqual(duplicatesToSave(duplicates), duplicates);
    const big = (size: number) => ({ distinctTexts: 1, members: Array.from({ length: size }, (_, i) => member('big.md', i + 1, 'Same line.', 1)) });
    const many = { ...duplicates, clusters: [big(MAX_SAVED_MEMBERS - 3), big(3), big(2)] };
    const kept = duplicatesToSave(many);
    assert.deepEqual(kept.clusters.map((cluster) => cluster.members.length), [MAX_SAVED_MEMBERS - 3, 3]);
    assert.equal(kept.limited, true);
    assert.equal(duplicatesToSave({ ...many, clusters: many.clusters.slice(0, 2) }).limited, false);
  });
});
