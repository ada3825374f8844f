// Index maintenance in the real model host: editor changes follow the folder's walk rules, deleted folders, changed
// unit modes, Clear Index releasing its files, and what a normal index load logs.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { HostClient } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import { ClearIndex, IndexFolders, Search, Status, UpdateFiles, type FolderSpec, type InitializeParams } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { withHost } from './hostSession';

let work: string;
let init: InitializeParams;

before(async () => {
  init = { model: { dir: await ensureTestModel('semantic'), id: 'generated/semantic', dtype: 'fp32' }, threads: 1 };
  work = mkdtempSync(join(tmpdir(), 'ss-updates-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function workspace(name: string, files: Record<string, string>): string {
  const root = join(work, name);
  for (const [relPath, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, relPath)), { recursive: true });
    writeFileSync(join(root, relPath), text);
  }
  return root;
}


/** Where a text is found, exactly (score 1). */
async function placesOf(client: HostClient, text: string): Promise<string[]> {
  const { hits } = await client.request(Search, { query: text, topK: 50, minScore: 0.99999 });
  return hits.map((hit) => hit.relPath).sort();
}

test('unsaved text changes follow the walk rules: ignored, excluded and default-excluded files are dropped', async () => {
  const root = workspace('rules', { '.gitignore': 'ignored/\n*.log\n', 'src/main.ts': 'open the file\n', 'src/deep/.ignore': 'private.ts\n' });
  const spec: FolderSpec = { root, walk: { ...DEFAULT_WALK, exclude: ['generated'] } };
  await withHost(init, undefined, async (client) => {
    await client.request(IndexFolders, { folders: [spec] });
    const text = 'the cat dreamed of a big fish';
    const changes = ['ignored/a.ts', 'debug.log', 'node_modules/pkg/x.js', 'src/generated/y.ts', 'src/deep/private.ts', 'src/new.ts', 'src/deep/public.ts'];
    const summary = await client.request(UpdateFiles, { changes: changes.map((relPath) => ({ root, relPath, text })) });
    assert.deepEqual(await placesOf(client, text), ['src/deep/public.ts', 'src/new.ts']);
    assert.equal(summary.files, 5, 'the two new files, src/main.ts and the two ignore files');
    // A change that makes a known file too large drops it, as the walk would.
    const large = await client.request(UpdateFiles, { changes: [{ root, relPath: 'src/new.ts', text: `${text}\n${'x'.repeat(DEFAULT_WALK.maxFileBytes)}` }] });
    assert.deepEqual(await placesOf(client, text), ['src/deep/public.ts']);
    assert.deepEqual(large.skipped.map((s) => [s.relPath, s.reason]), [['src/new.ts', 'too-large']]);
  });
});

test('a deleted folder removes every file under it, and nothing beside it', async () => {
  const root = workspace('deleted', { 'src/a.ts': 'open the file\n', 'src/sub/b.ts': 'open the file\n', 'srcx/c.ts': 'open the file\n', 'd.ts': 'open the file\n' });
  await withHost(init, undefined, async (client) => {
    await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    assert.deepEqual(await placesOf(client, 'open the file'), ['d.ts', 'src/a.ts', 'src/sub/b.ts', 'srcx/c.ts']);
    await client.request(UpdateFiles, { changes: [{ root, relPath: 'src', deleted: true }] });
    assert.deepEqual(await placesOf(client, 'open the file'), ['d.ts', 'srcx/c.ts']);
    assert.equal((await client.request(Status)).files, 2);
  });
});

test('a changed unit mode re-splits files whose size and time did not change, reusing the vectors of equal texts', async () => {
  const root = workspace('modes', { 'notes.txt': 'Open the file.\nSave the settings to disk. Write the configuration to storage.\n' });
  await withHost(init, join(work, 'modes-index'), async (client) => {
    const index = (unitModes?: FolderSpec['unitModes']) => client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK, unitModes }] });
    const prose = await index();
    assert.deepEqual([prose.units, prose.embedded], [3, 3], 'prose: three sentences');
    const lines = await index({ '.txt': 'lines' });
    assert.deepEqual([lines.units, lines.embedded], [2, 1], 'lines: two lines, of which only the second is a new text');
    assert.deepEqual(await placesOf(client, 'Save the settings to disk. Write the configuration to storage.'), ['notes.txt']);
  });
});

test('Clear Index closes the index files before deleting them: the host keeps no deleted file open', async () => {
  const root = workspace('clear', { 'a.ts': 'open the file\nsave the settings\n' });
  const indexDir = join(work, 'clear-index');
  await withHost(init, indexDir, async (client) => {
    await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    await client.request(Search, { query: 'open', topK: 1 });
    const pid = client.pid!;
    const openIndexFiles = () => readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' })).filter((target) => target.includes(indexDir));
    assert.ok(openIndexFiles().some((target) => target.endsWith('.sseg')), 'a segment is open while the index is in use');
    await client.request(ClearIndex, {});
    assert.deepEqual(openIndexFiles(), []);
    assert.deepEqual(readdirSync(indexDir), []);
    // And the next request builds it again.
    await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    assert.deepEqual(await placesOf(client, 'open the file'), ['a.ts']);
  });
});

test('loading a stored index logs at info only; a damaged one is reported at warn', async () => {
  const root = workspace('logs', { 'a.ts': 'open the file\n' });
  const indexDir = join(work, 'logs-index');
  await withHost(init, indexDir, (client) => client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] }).then(() => undefined));
  await withHost(init, indexDir, async (client, logs) => {
    await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    assert.ok(logs.some((log) => log.level === 'info' && /index: loaded 1 files/.test(log.message)), JSON.stringify(logs));
    assert.deepEqual(logs.filter((log) => log.level !== 'info'), []);
  });
  const manifest = join(indexDir, readdirSync(indexDir).find((name) => name.endsWith('.ssidx'))!);
  writeFileSync(manifest, 'not an index');
  await withHost(init, indexDir, async (client, logs) => {
    await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    assert.ok(logs.some((log) => log.level === 'warn' && /set aside/.test(log.message)), JSON.stringify(logs));
  });
});

test('after Clear Index, a rebuild still leaves out .git, node_modules and ignored paths', async () => {
  const root = workspace('cleared', {
    '.gitignore': 'secret/\n',
    '.git/notes.txt': 'the cat dreamed of a big fish',
    'node_modules/pkg/readme.md': 'the cat dreamed of a big fish',
    'secret/plan.txt': 'the cat dreamed of a big fish',
    'docs/kept.txt': 'the cat dreamed of a big fish',
  });
  const indexDir = join(work, 'cleared-index');
  await withHost(init, indexDir, async (client) => {
    const folders = [{ root, walk: DEFAULT_WALK }];
    await client.request(IndexFolders, { folders });
    await client.request(ClearIndex, { roots: [root] });
    await client.request(IndexFolders, { folders });
    assert.deepEqual(await placesOf(client, 'the cat dreamed of a big fish'), ['docs/kept.txt']);
  });
});
