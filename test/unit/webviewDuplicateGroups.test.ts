import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { clusterEntries, lowestScore } from '../../src/webview/duplicateGroups';
import type { DuplicateMemberView } from '../../src/webview/protocol';

const member = (id: string, text: string, score: number): DuplicateMemberView => ({ id, file: `${id}.ts`, line: 1, endLine: 1, text, score });

describe('near-duplicate clusters', () => {
  const members = [member('a', 'retry the request', 1), member('b', 'try the request again', 0.93), member('c', 'retry the request', 1), member('d', 'retry the request', 1)];

  it('folds members with the same text into one entry, in first-appearance order', () => {
    const entries = clusterEntries(members, true);
    assert.equal(entries.length, 2);
    assert.equal(entries[0].kind, 'identical');
    assert.deepEqual(entries[0].kind === 'identical' && entries[0].members.map((m) => m.id), ['a', 'c', 'd']);
    assert.deepEqual(entries[1], { kind: 'member', member: members[1] });
  });

  it('lists every member when folding is off', () => {
    assert.deepEqual(clusterEntries(members, false).map((entry) => entry.kind === 'member' && entry.member.id), ['a', 'b', 'c', 'd']);
  });

  it('knows how close the loosest member is to the representative', () => {
    assert.equal(lowestScore(members), 0.93);
    assert.equal(lowestScore([members[0]]), 1);
  });
});
