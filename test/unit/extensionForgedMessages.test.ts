// Forged messages from a webview page, through the two checks every `open` passes on its way to an editor:
// parseWebviewMessage (WebviewConnection drops what it rejects) and ResultRegistry.openable (ResultsPresenter.open
// opens only what it returns as `open`). A compromised page can send anything; only an id issued to that very view,
// for a file still inside the workspace, may open a file, and no message can name a command.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { ResultRegistry, type OpenDecision, type ResultLocation, type ResultOwner } from '../../src/extension/resultRegistry';
import { parseWebviewMessage } from '../../src/webview/protocol';

const base = mkdtempSync(path.join(tmpdir(), 'ss-forged-'));
const root = path.join(base, 'ws');
const outside = path.join(base, 'outside');
mkdirSync(path.join(root, 'src'), { recursive: true });
mkdirSync(outside);
for (const name of ['a.ts', 'b.ts', 'swapped.ts']) writeFileSync(path.join(root, 'src', name), 'text\n');
writeFileSync(path.join(outside, 'secret.txt'), 'secret\n');

const at = (relPath: string, placeRoot = root): ResultLocation => ({ root: placeRoot, relPath, line: 1, endLine: 1, column: 0, endColumn: 4, text: 'text', score: 0.9 });

/** What a raw message from `viewer`'s page leads to: dropped, routed elsewhere, or the open decision. */
async function outcome(registry: ResultRegistry, viewer: ResultOwner, raw: unknown): Promise<'dropped' | string | OpenDecision> {
  const message = parseWebviewMessage(raw);
  if (!message) return 'dropped';
  if (message.type !== 'open') return `routed as ${message.type}`;
  return registry.openable(viewer, message.id, [root]);
}

const open = (id: string) => ({ type: 'open', id, toSide: false });
const opens = (file: string) => ({ open: path.join(root, ...file.split('/')), location: at(file) });
const refusedUnknown = { refused: 'unknown id' };

describe('forged webview messages never open a file or run a command', () => {
  after(() => rmSync(base, { recursive: true, force: true }));

  it('an id issued to the view opens its file (the path the forgeries below must not take)', async () => {
    const registry = new ResultRegistry();
    const [id] = registry.issue('panel', [at('src/a.ts')]);
    assert.deepEqual(await outcome(registry, 'panel', open(id)), opens('src/a.ts'));
    // The side view is sent the panel's results too, so its page may open them.
    assert.deepEqual(await outcome(registry, 'sidebar', open(id)), opens('src/a.ts'));
  });

  it('an id never issued opens nothing: made up, a path, a relative path, an escape, a prototype key', async () => {
    const registry = new ResultRegistry();
    registry.issue('panel', [at('src/a.ts')]);
    const forged = [randomUUID(), 'src/a.ts', path.join(root, 'src', 'a.ts'), '../outside/secret.txt', path.join(outside, 'secret.txt'), '__proto__', 'constructor', 'file:///etc/passwd'];
    for (const id of forged) {
      for (const viewer of ['panel', 'sidebar', 'compare', 'duplicates'] as const) {
        assert.deepEqual(await outcome(registry, viewer, open(id)), refusedUnknown, `${viewer} opened ${id}`);
      }
    }
  });

  it('an id issued to another view opens nothing in this one', async () => {
    const registry = new ResultRegistry();
    const [compareId] = registry.issue('compare', [at('src/a.ts')]);
    const [duplicateId] = registry.issue('duplicates', [at('src/a.ts')]);
    const [sideId] = registry.issue('sidebar', [at('src/a.ts')]);
    const [panelId] = registry.issue('panel', [at('src/a.ts')]);
    const cases: Array<[string, ResultOwner, ResultOwner[]]> = [
      [compareId, 'compare', ['panel', 'sidebar', 'duplicates']],
      [duplicateId, 'duplicates', ['panel', 'sidebar', 'compare']],
      [sideId, 'sidebar', ['panel', 'compare', 'duplicates']],
      [panelId, 'panel', ['compare', 'duplicates']],
    ];
    for (const [id, owner, others] of cases) {
      assert.deepEqual(await outcome(registry, owner, open(id)), opens('src/a.ts'), `${owner} opens its own`);
      for (const other of others) assert.deepEqual(await outcome(registry, other, open(id)), refusedUnknown, `${other} opened an id of ${owner}`);
    }
  });

  it('an id of an earlier render opens nothing once two newer renders replaced it', async () => {
    const registry = new ResultRegistry();
    const [first] = registry.issue('panel', [at('src/a.ts')]);
    const [second] = registry.issue('panel', [at('src/b.ts')]);
    assert.deepEqual(await outcome(registry, 'panel', open(first)), opens('src/a.ts'), 'the page may still show the previous render');
    registry.issue('panel', [at('src/b.ts')]);
    assert.deepEqual(await outcome(registry, 'panel', open(first)), refusedUnknown);
    assert.deepEqual(await outcome(registry, 'panel', open(second)), opens('src/b.ts'));
  });

  it('an issued id whose file is not (or no longer) inside the workspace opens nothing', async () => {
    const registry = new ResultRegistry();
    const escaping = at('../outside/secret.txt');
    const otherRoot = at('secret.txt', outside);
    const swapped = at('src/swapped.ts');
    const ids = registry.issue('panel', [escaping, otherRoot, swapped]);
    // After the results were shown, the file is replaced by a link to a file outside the workspace.
    unlinkSync(path.join(root, 'src', 'swapped.ts'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'src', 'swapped.ts'));
    assert.deepEqual(await outcome(registry, 'panel', open(ids[0])), { refused: 'outside the workspace', location: escaping });
    assert.deepEqual(await outcome(registry, 'panel', open(ids[1])), { refused: 'outside the workspace', location: otherRoot });
    assert.deepEqual(await outcome(registry, 'panel', open(ids[2])), { refused: 'outside the workspace', location: swapped });
  });

  it('a message naming a path, a command or anything beyond the protocol is dropped before it is routed', async () => {
    const registry = new ResultRegistry();
    const [id] = registry.issue('panel', [at('src/a.ts')]);
    const forged: unknown[] = [
      { ...open(id), path: path.join(outside, 'secret.txt') },
      { ...open(id), uri: `file://${path.join(outside, 'secret.txt')}` },
      { ...open(id), command: 'workbench.action.reloadWindow' },
      { type: 'open', id: 'x'.repeat(65), toSide: false },
      { type: 'open', id, toSide: 'yes' },
      { type: 'action', action: 'workbench.action.reloadWindow' },
      { type: 'action', action: 'showLog', args: ['workbench.action.terminal.new'] },
      { type: 'command', command: 'workbench.action.terminal.new' },
      { type: 'executeCommand', command: 'workbench.action.openSettings', args: [] },
      { type: 'ready', command: 'workbench.action.reloadWindow' },
      JSON.stringify(open(id)),
      [open(id)],
      Object.assign(Object.create({ type: 'open', id, toSide: false }), {}),
    ];
    for (const raw of forged) assert.equal(await outcome(registry, 'panel', raw), 'dropped', JSON.stringify(raw));
    // A well-formed action is routed as one of the protocol's fixed actions, never as a command name.
    assert.equal(await outcome(registry, 'panel', { type: 'action', action: 'showLog' }), 'routed as action');
  });
});
