import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { MAX_RECENT_QUERIES, RecentQueries, type MementoLike } from '../../src/extension/recentQueries';

function memento(initial?: unknown): MementoLike {
  const store = new Map<string, unknown>(initial === undefined ? [] : [['similarSentences.recentQueries', initial]]);
  return { get: <T>(key: string) => store.get(key) as T | undefined, update: async (key, value) => void store.set(key, value) };
}

describe('RecentQueries', () => {
  it('keeps the newest first, trimmed, without duplicates, bounded', async () => {
    const recent = new RecentQueries(memento());
    await recent.add(' a ');
    await recent.add('b');
    await recent.add('a');
    await recent.add('   ');
    assert.deepEqual(recent.list(), ['a', 'b']);
    for (let i = 0; i < 30; i++) await recent.add(`q${i}`);
    assert.equal(recent.list().length, MAX_RECENT_QUERIES);
    assert.equal(recent.list()[0], 'q29');
  });

  it('ignores stored junk', () => {
    assert.deepEqual(new RecentQueries(memento({ not: 'a list' })).list(), []);
    assert.deepEqual(new RecentQueries(memento(['ok', 3, null])).list(), ['ok']);
  });
});
