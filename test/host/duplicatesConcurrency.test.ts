// A long near-duplicate search in the real host: searches and editor updates are answered while it runs, the save
// they ask for waits until it ends (it holds the index's slots) and then happens, and a cancel stops it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { HostClient } from '../../src/client';
import { WorkspaceIndex } from '../../src/core/index/workspaceIndex';
import { DEFAULT_WALK } from '../../src/core/walk';
import { ErrorCodes, FindDuplicates, IndexFolders, Search, UpdateFiles, type ModelInfo } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { generateSyntheticWorkspace } from '../fixtures/syntheticWorkspace';
import { HOST_SCRIPT } from './reference';

let work: string;
let root: string;
let indexDir: string;
let client: HostClient;
let info: ModelInfo;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'ss-duplicates-'));
  root = generateSyntheticWorkspace(join(work, 'ws'), { lines: 40_000, seed: 4 }).root;
  indexDir = join(work, 'index');
  client = new HostClient({ hostScript: HOST_SCRIPT });
  info = await client.start({ model: { dir: await ensureTestModel('semantic'), id: 'generated/semantic', dtype: 'fp32' }, threads: 2, indexDir });
  await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
});
after(async () => {
  await client.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Whether the index on disk has the file, read the way the next host would. */
async function storedFiles(): Promise<string[]> {
  const { id: model, revision, dtype, maxLength, pooling, dim } = info;
  const stored = await WorkspaceIndex.open(indexDir, root, { model, revision, dtype, maxLength, pooling, dim });
  try {
    return [...stored.files()];
  } finally {
    await stored.close();
  }
}

test('searches and updates are answered during a near-duplicate search; the save waits for it, then happens', async () => {
  const settled: string[] = [];
  const duplicates = client.request(FindDuplicates, { threshold: 0.95 }).then((result) => (settled.push('duplicates'), result));
  const search = client.request(Search, { query: 'open the file', topK: 5 }).then((result) => (settled.push('search'), result));
  const text = 'the cat dreamed of a big fish while the server crashed';
  const update = client
    .request(UpdateFiles, { changes: [{ root, relPath: 'zz-unsaved.ts', text }] })
    .then((result) => (settled.push('update'), result));
  const [found, hits] = await Promise.all([duplicates, search, update]);
  assert.deepEqual(settled.slice(0, 2).sort(), ['search', 'update'], `order: ${settled.join(', ')}`);
  assert.equal(hits.hits.length, 5);
  assert.ok(found.clusters.length > 100 && found.units > 30_000);
  // The update is searchable at once, and on disk once the comparison has ended.
  assert.equal((await client.request(Search, { query: text, topK: 1 })).hits[0].relPath, 'zz-unsaved.ts');
  for (let waited = 0; !(await storedFiles()).includes('zz-unsaved.ts'); waited += 50) {
    assert.ok(waited < 10_000, 'the deferred save happens');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

test('a cancelled near-duplicate search stops with Cancelled', async () => {
  const source = new CancellationTokenSource();
  const pending = client.request(FindDuplicates, { threshold: 0.95 }, source.token);
  setTimeout(() => source.cancel(), 100);
  await assert.rejects(pending, (error: unknown) => {
    assert.ok(error instanceof ResponseError && error.code === ErrorCodes.Cancelled, String(error));
    return true;
  });
  // The host is fine afterwards.
  assert.equal((await client.request(Search, { query: 'open the file', topK: 3 })).hits.length, 3);
});
