import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { MAX_RECENT_QUERIES, RecentQueries, type MementoLike } from '../../src/extension/recentQueries';

function memento(initial?: unknown): MementoLike & { stored: () => unknown } {
  const store = new Map<string, unknown>(initial === undefined ? [] : [['similarSentences.recentQueries', initial]]);
  return {
    get: <T>(key: string) => store.get(key) as T | undefined,
    update: async (key, value) => void store.set(key, value),
    stored: () => store.get('similarSentences.recentQueries'),
  };
}

describe('RecentQueries', () => {
  it('keeps the newest first, trimmed, without duplicates, bounded', async () => {
    const recent = new RecentQueries(memento());
    await recent.add({ query: ' a ' });
    await recent.add({ query: 'b' });
    await recent.add({ query: 'a' });
    await recent.add({ query: '   ' });
    assert.deepEqual(recent.list(), [{ query: 'a' }, { query: 'b' }]);
    for (let i = 0; i < 30; i++) await recent.add({ query: `q${i}` });
    assert.equal(recent.list().length, MAX_RECENT_QUERIES);
    assert.deepEqual(recent.list()[0], { query: 'q29' });
  });

  it('keeps a refined query as its own entry, next to the plain one', async () => {
    const store = memento();
    const recent = new RecentQueries(store);
    await recent.add({ query: 'pets' });
    await recent.add({ query: 'pets', refine: { more: ['a cat sat'], less: [] } });
    await recent.add({ query: 'pets', refine: { more: ['a cat sat'], less: ['a dog ran'] } });
    await recent.add({ query: 'pets', refine: { more: ['a cat sat'], less: [] } });
    assert.deepEqual(recent.list(), [
      { query: 'pets', refine: { more: ['a cat sat'], less: [] } },
      { query: 'pets', refine: { more: ['a cat sat'], less: ['a dog ran'] } },
      { query: 'pets' },
    ]);
    // An empty refinement is a plain query; plain queries stay strings in storage (as before refinements existed).
    await recent.add({ query: 'pets', refine: { more: [], less: [] } });
    assert.equal(recent.list().length, 3);
    assert.equal((store.stored() as unknown[])[0], 'pets');
  });

  it('reads what older versions stored and ignores junk', () => {
    assert.deepEqual(new RecentQueries(memento({ not: 'a list' })).list(), []);
    assert.deepEqual(new RecentQueries(memento(['ok', 3, null, { query: 'r', refine: { more: [1], less: [] } }, { query: 'fine', refine: { more: ['x'], less: [] } }])).list(), [
      { query: 'ok' },
      { query: 'fine', refine: { more: ['x'], less: [] } },
    ]);
  });
});
