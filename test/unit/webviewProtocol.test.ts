import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ACTIONS, MAX_GLOBS_LENGTH, MAX_QUERY_LENGTH, parseWebviewMessage, SCOPE_KINDS } from '../../src/webview/protocol';

describe('parseWebviewMessage', () => {
  it('accepts every message shape of the protocol', () => {
    const valid = [
      { type: 'ready' },
      { type: 'open', id: 'f47ac10b-58cc-4372-a567-0e02b2c3d479', toSide: false },
      { type: 'open', id: 'abc', toSide: true },
      { type: 'copy', id: 'abc' },
      { type: 'rerun' },
      { type: 'search', query: 'retry after a timeout' },
      ...ACTIONS.map((action) => ({ type: 'action', action })),
      { type: 'explain', id: 'abc' },
      { type: 'refine', id: 'abc', direction: 'more' },
      { type: 'refine', id: 'abc', direction: 'less' },
      { type: 'clearRefinement' },
      { type: 'follow', on: true },
      ...SCOPE_KINDS.map((kind) => ({ type: 'scope', kind, include: '*.md, src/**', exclude: '' })),
      { type: 'exportCsv', to: 'file' },
      { type: 'exportCsv', to: 'clipboard' },
      { type: 'changeThreshold' },
    ];
    for (const message of valid) assert.deepEqual(parseWebviewMessage(message), message);
  });

  it('rejects anything that is not an object of a known type', () => {
    for (const raw of [undefined, null, 42, 'open', [], [{ type: 'ready' }], {}, { type: 'exec' }, { type: 'toString' }, { type: '__proto__' }]) {
      assert.equal(parseWebviewMessage(raw), undefined, JSON.stringify(raw));
    }
  });

  it('rejects missing, mistyped and extra fields', () => {
    const invalid = [
      { type: 'open', id: 'abc' },
      { type: 'open', id: 7, toSide: false },
      { type: 'open', id: 'abc', toSide: 'yes' },
      { type: 'open', id: 'abc', toSide: false, path: '/etc/passwd' },
      { type: 'ready', command: 'workbench.action.terminal.new' },
      { type: 'copy' },
      { type: 'search', query: ['a'] },
      { type: 'action', action: 'workbench.action.reloadWindow' },
      { type: 'action', action: 'showLog', args: [] },
      { type: 'refine', id: 'abc', direction: 'sideways' },
      { type: 'refine', id: 'abc' },
      { type: 'follow', on: 'yes' },
      { type: 'scope', kind: 'everything', include: '', exclude: '' },
      { type: 'scope', kind: 'folder', include: '', exclude: '', folder: '/etc' },
      { type: 'exportCsv', to: '/tmp/out.csv' },
      { type: 'changeThreshold', threshold: 0.5 },
    ];
    for (const raw of invalid) assert.equal(parseWebviewMessage(raw), undefined, JSON.stringify(raw));
  });

  it('bounds ids and queries', () => {
    assert.equal(parseWebviewMessage({ type: 'open', id: '', toSide: false }), undefined);
    assert.equal(parseWebviewMessage({ type: 'open', id: 'x'.repeat(65), toSide: false }), undefined);
    assert.equal(parseWebviewMessage({ type: 'search', query: '   ' }), undefined);
    assert.equal(parseWebviewMessage({ type: 'search', query: 'a'.repeat(MAX_QUERY_LENGTH + 1) }), undefined);
    assert.ok(parseWebviewMessage({ type: 'search', query: 'a'.repeat(MAX_QUERY_LENGTH) }));
    assert.equal(parseWebviewMessage({ type: 'explain', id: 'x'.repeat(65) }), undefined);
    assert.equal(parseWebviewMessage({ type: 'refine', id: '', direction: 'more' }), undefined);
    assert.equal(parseWebviewMessage({ type: 'scope', kind: 'workspace', include: 'a'.repeat(MAX_GLOBS_LENGTH + 1), exclude: '' }), undefined);
  });

  it('does not read inherited properties', () => {
    const proto = { id: 'abc', toSide: false };
    const raw = Object.assign(Object.create(proto), { type: 'open' });
    assert.equal(parseWebviewMessage(raw), undefined);
  });
});
