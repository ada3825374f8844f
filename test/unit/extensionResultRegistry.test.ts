import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileInsideWorkspace, ResultRegistry, type ResultLocation } from '../../src/extension/resultRegistry';

const location = (relPath: string): ResultLocation => ({ root: '/ws', relPath, line: 1, endLine: 1, column: 0, endColumn: 3, text: 'abc', score: 0.5 });

describe('ResultRegistry', () => {
  it('resolves only ids it issued', () => {
    const registry = new ResultRegistry();
    const ids = registry.issue('panel', [location('a.ts'), location('b.ts')]);
    assert.equal(new Set(ids).size, 2);
    assert.equal(registry.get(ids[1])?.relPath, 'b.ts');
    assert.equal(registry.get('b.ts'), undefined);
    assert.equal(registry.get('not-an-id'), undefined);
    assert.equal(registry.get('__proto__'), undefined);
  });

  it("keeps each owner's last two sets, whatever the other owners issue", () => {
    const registry = new ResultRegistry();
    const panel = registry.issue('panel', [location('panel.ts')]);
    const sidebar = [1, 2, 3, 4].map((n) => registry.issue('sidebar', [location(`${n}.ts`)]));
    assert.ok(registry.get(panel[0]), 'many side view searches (follow mode) leave the panel results working');
    assert.equal(registry.get(sidebar[0][0]), undefined);
    assert.equal(registry.get(sidebar[1][0]), undefined);
    assert.ok(registry.get(sidebar[2][0]));
    assert.ok(registry.get(sidebar[3][0]));
  });

  it('knows which query a result answered', () => {
    const registry = new ResultRegistry();
    const refine = { more: ['a cat'], less: [] };
    const [id] = registry.issue('sidebar', [location('a.ts')], { query: 'pets', refine });
    const [other] = registry.issue('duplicates', [location('b.ts')]);
    assert.deepEqual(registry.queryOf(id), { query: 'pets', refine });
    assert.equal(registry.queryOf(other), undefined);
    assert.equal(registry.queryOf('unknown'), undefined);
  });
});

describe('fileInsideWorkspace', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'ss-inside-'));
  after(() => rmSync(base, { recursive: true, force: true }));
  const root = path.join(base, 'ws');
  const outside = path.join(base, 'secret');
  mkdirSync(path.join(root, 'src'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(root, 'src', 'a.ts'), 'a');
  writeFileSync(path.join(outside, 'key.txt'), 'k');
  writeFileSync(path.join(base, 'ws-evil.txt'), 'e');
  symlinkSync(path.join(outside, 'key.txt'), path.join(root, 'link-out.txt'));
  symlinkSync(path.join(root, 'src', 'a.ts'), path.join(root, 'link-in.ts'));

  it('accepts files inside a workspace folder, symlinks that stay inside included', async () => {
    assert.equal(await fileInsideWorkspace([root], root, 'src/a.ts'), path.join(root, 'src', 'a.ts'));
    assert.equal(await fileInsideWorkspace([root], root, 'link-in.ts'), path.join(root, 'link-in.ts'));
  });

  it('refuses other roots, escapes, absolute paths, links out and missing files', async () => {
    assert.equal(await fileInsideWorkspace([root], outside, 'key.txt'), undefined);
    assert.equal(await fileInsideWorkspace([root], root, '../secret/key.txt'), undefined);
    assert.equal(await fileInsideWorkspace([root], root, '../ws-evil.txt'), undefined);
    assert.equal(await fileInsideWorkspace([root], root, path.join(outside, 'key.txt')), undefined);
    assert.equal(await fileInsideWorkspace([root], root, 'link-out.txt'), undefined);
    assert.equal(await fileInsideWorkspace([root], root, 'src/missing.ts'), undefined);
    assert.equal(await fileInsideWorkspace([root], root, ''), undefined);
    assert.equal(await fileInsideWorkspace([], root, 'src/a.ts'), undefined);
  });
});
