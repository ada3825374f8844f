import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { MAX_REFINEMENT_TEXTS, refined, withoutRefinement } from '../../src/extension/refinement';

describe('refinement', () => {
  it('adds a text to one direction once and takes it out of the other', () => {
    const more = refined(undefined, 'a cat sat', 'more');
    assert.deepEqual(more, { more: ['a cat sat'], less: [] });
    assert.deepEqual(refined(more, 'a cat sat', 'more'), more);
    const changed = refined(refined(more, 'a dog ran', 'less'), 'a cat sat', 'less');
    assert.deepEqual(changed, { more: [], less: ['a dog ran', 'a cat sat'] });
    assert.deepEqual(more, { more: ['a cat sat'], less: [] }, 'the earlier refinement is not changed');
  });

  it('keeps the newest texts when there are too many', () => {
    let refinement = refined(undefined, 't0', 'more');
    for (let i = 1; i <= MAX_REFINEMENT_TEXTS + 2; i++) refinement = refined(refinement, `t${i}`, 'more');
    assert.equal(refinement.more.length, MAX_REFINEMENT_TEXTS);
    assert.equal(refinement.more.at(-1), `t${MAX_REFINEMENT_TEXTS + 2}`);
  });

  it('drops the refinement from a request and keeps the rest', () => {
    const request = { query: 'pets', origin: { line: 1 }, refine: { more: ['x'], less: [] } };
    assert.deepEqual(withoutRefinement(request), { query: 'pets', origin: { line: 1 } });
  });
});
