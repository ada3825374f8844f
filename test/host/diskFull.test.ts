// A full disk, for real: the index folder lives on a small tmpfs that a filler file fills up. Saving the index then
// fails with ENOSPC. The requests must still succeed, searches must keep working (the old index plus the changes kept
// in memory), the failure must say where the space ran out, and the index on disk must stay the old one, byte for
// byte. Once space is back, the next save writes everything, and a new host sees it.
//
// Mounting needs root. CI runs as root on machines like the ones this suite is developed on, so a failed mount
// fails the suite with the reason instead of skipping it.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { HostClient } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import { IndexFolders, Search, UpdateFiles, type IndexSummary, type InitializeParams } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { SEED_SENTENCES } from '../fixtures/seedSentences';
import { withHost } from './hostSession';
import { CLI_SCRIPT } from './reference';

const TMPFS_BYTES = 1024 * 1024;
const PAGE = Buffer.alloc(4096, 1);
/** The warning the user reads: what failed, where, and that searching goes on. */
const SAVE_WARNING = /^warn: Similar Sentences could not save its index: no space left on device at (\S+)\. Searching still works; changes are kept in memory until space is freed\.$/;

let work: string;
/** The tmpfs mount point. */
let disk: string;
let model: string;
let init: InitializeParams;

before(async () => {
  model = await ensureTestModel('semantic');
  init = { model: { dir: model, id: 'generated/semantic', dtype: 'fp32' }, threads: 1 };
  work = mkdtempSync(join(tmpdir(), 'ss-disk-full-'));
  disk = join(work, 'disk');
  mkdirSync(disk);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', disk], { stdio: 'pipe' });
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw new Error(`the disk-full tests need a small tmpfs and so root (CI runs as root): mount failed: ${(error as Error).message}`);
  }
});

after(() => {
  try {
    execFileSync('umount', [disk], { stdio: 'pipe' });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

function workspace(name: string, files: Record<string, string>): string {
  const root = join(work, name);
  mkdirSync(root);
  for (const [relPath, text] of Object.entries(files)) writeFileSync(join(root, relPath), text);
  return root;
}

/**
 * Fills the tmpfs up to the last page, or up to `freePages` pages (tmpfs counts whole pages); returns a function
 * that frees the space again.
 */
function fillDisk(freePages = 0): () => void {
  const filler = join(disk, 'filler');
  const fd = openSync(filler, 'w');
  try {
    for (;;) writeSync(fd, PAGE);
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'ENOSPC');
  }
  try {
    const full = Math.floor(fstatSync(fd).size / PAGE.length) * PAGE.length;
    ftruncateSync(fd, full - freePages * PAGE.length);
  } finally {
    closeSync(fd);
  }
  if (freePages === 0) {
    assert.throws(() => writeFileSync(join(disk, 'probe'), 'x'), { code: 'ENOSPC' });
    rmSync(join(disk, 'probe'), { force: true });
  }
  return () => rmSync(filler);
}

/** Every file of the index folder with a digest of its bytes. */
function snapshot(indexDir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(indexDir).sort()) files[name] = createHash('sha256').update(readFileSync(join(indexDir, name))).digest('hex');
  return files;
}


/** Where a text is found, exactly (score 1). */
async function placesOf(client: HostClient, text: string): Promise<string[]> {
  const { hits } = await client.request(Search, { query: text, topK: 50, minScore: 0.99999 });
  return hits.map((hit) => hit.relPath).sort();
}

function assertSaveFailedIn(summary: IndexSummary, indexDir: string): void {
  assert.ok(summary.saveError, 'the summary reports the failed save');
  assert.equal(summary.saveError.code, 'ENOSPC');
  assert.ok(summary.saveError.path.startsWith(`${indexDir}/`), `${summary.saveError.path} is in the index folder`);
  assert.match(summary.saveError.message, /no space left on device/);
}

test('on a full disk no request fails: searches see the old index and the changes in memory, the failure names the file, the stored index stays the old one', async () => {
  const [s0, s1, s2, s3, s4, s5] = SEED_SENTENCES;
  const root = workspace('kept', { 'a.txt': `${s0}\n${s1}\n`, 'b.txt': `${s2}\n` });
  const indexDir = join(disk, 'kept-index');
  const folders = [{ root, walk: DEFAULT_WALK }];
  let freeSpace: (() => void) | undefined;
  try {
    const stored = await withHost(init, indexDir, async (client, logs) => {
      const built = await client.request(IndexFolders, { folders });
      assert.equal(built.saveError, undefined);
      const before = snapshot(indexDir);
      freeSpace = fillDisk();

      // A file added on disk and an unsaved edit, as the extension sends them.
      writeFileSync(join(root, 'c.txt'), `${s3}\n`);
      const updated = await client.request(UpdateFiles, { changes: [{ root, relPath: 'c.txt', reread: true }, { root, relPath: 'b.txt', text: `${s4}\n` }] });
      assertSaveFailedIn(updated, indexDir);
      assert.equal(updated.embedded, 2);
      assert.deepEqual(await placesOf(client, s3), ['c.txt']);
      assert.deepEqual(await placesOf(client, s4), ['b.txt']);
      assert.deepEqual(await placesOf(client, s2), [], 'the edit replaced the old text in memory');
      assert.deepEqual(await placesOf(client, s0), ['a.txt'], 'the old index still answers');

      // A walk of the folder (the next search after a settings change, or the CLI) finds new files as well.
      writeFileSync(join(root, 'd.txt'), `${s5}\n`);
      const walked = await client.request(IndexFolders, { folders });
      assertSaveFailedIn(walked, indexDir);
      assert.deepEqual(await placesOf(client, s5), ['d.txt']);
      assert.deepEqual(await placesOf(client, s1), ['a.txt']);

      assert.deepEqual(snapshot(indexDir), before, 'nothing written, nothing left behind, nothing damaged');
      assert.deepEqual(logs.filter((log) => log.level === 'error'), []);
      return before;
    });
    // The host tried a last save on its way out; that failed as well and changed nothing.
    assert.deepEqual(snapshot(indexDir), stored);
    freeSpace!();
    freeSpace = undefined;
    assert.deepEqual(snapshot(indexDir), stored);

    // A new host loads the old index: a.txt and b.txt as they were stored, so only the texts of c.txt and d.txt are new.
    await withHost(init, indexDir, async (client) => {
      const reloaded = await client.request(IndexFolders, { folders });
      assert.equal(reloaded.saveError, undefined);
      assert.deepEqual([reloaded.files, reloaded.embedded, reloaded.reused], [4, 2, 3]);
      assert.deepEqual(await placesOf(client, s2), ['b.txt'], 'b.txt as on disk: the unsaved edit was never stored');
      assert.deepEqual(await placesOf(client, s5), ['d.txt']);
    });
  } finally {
    freeSpace?.();
  }
});

test('once space is freed the next save stores everything kept in memory, and a new host sees it', async () => {
  const [s0, s1, s2, s3] = SEED_SENTENCES;
  const root = workspace('recovered', { 'a.txt': `${s0}\n`, 'b.txt': `${s1}\n` });
  const indexDir = join(disk, 'recovered-index');
  const folders = [{ root, walk: DEFAULT_WALK }];
  let freeSpace: (() => void) | undefined;
  try {
    await withHost(init, indexDir, async (client) => {
      await client.request(IndexFolders, { folders });
      freeSpace = fillDisk();
      writeFileSync(join(root, 'c.txt'), `${s2}\n`);
      assertSaveFailedIn(await client.request(UpdateFiles, { changes: [{ root, relPath: 'c.txt', reread: true }] }), indexDir);
      freeSpace();
      freeSpace = undefined;
      writeFileSync(join(root, 'd.txt'), `${s3}\n`);
      const saved = await client.request(UpdateFiles, { changes: [{ root, relPath: 'd.txt', reread: true }] });
      assert.equal(saved.saveError, undefined);
      assert.deepEqual(readdirSync(indexDir).filter((name) => name.endsWith('.tmp')), []);
    });
    await withHost(init, indexDir, async (client) => {
      const reloaded = await client.request(IndexFolders, { folders });
      assert.deepEqual([reloaded.files, reloaded.embedded, reloaded.reused], [4, 0, 4], 'every text, c.txt included, was stored');
      assert.deepEqual(await placesOf(client, s2), ['c.txt']);
      assert.deepEqual(await placesOf(client, s3), ['d.txt']);
    });
  } finally {
    freeSpace?.();
  }
});

test('a host started on a full disk loads the stored index read-only, reports where the lock could not be written, and takes over once space is back', async () => {
  const [s0, s1, s2] = SEED_SENTENCES;
  const root = workspace('started-full', { 'a.txt': `${s0}\n`, 'b.txt': `${s1}\n` });
  const indexDir = join(disk, 'started-full-index');
  const folders = [{ root, walk: DEFAULT_WALK }];
  await withHost(init, indexDir, (client) => client.request(IndexFolders, { folders }));
  const stored = snapshot(indexDir);
  let freeSpace: (() => void) | undefined = fillDisk();
  try {
    await withHost(init, indexDir, async (client) => {
      writeFileSync(join(root, 'c.txt'), `${s2}\n`);
      const summary = await client.request(IndexFolders, { folders });
      assertSaveFailedIn(summary, indexDir);
      assert.match(summary.saveError!.path, /\.sslock$/, 'the first write of a new host is its writer lock');
      assert.deepEqual([summary.embedded, summary.reused], [1, 2], 'the stored index was loaded');
      assert.deepEqual(await placesOf(client, s0), ['a.txt']);
      assert.deepEqual(await placesOf(client, s2), ['c.txt']);
      assert.deepEqual(snapshot(indexDir), stored, 'no lock, no temp file, nothing changed');

      freeSpace!();
      freeSpace = undefined;
      // The host checks every few seconds whether it can write the index, then takes it over and saves.
      const deadline = Date.now() + 20_000;
      while (!readdirSync(indexDir).some((name) => name.endsWith('.sslock')) || JSON.stringify(snapshot(indexDir)) === JSON.stringify(stored)) {
        assert.ok(Date.now() < deadline, 'the host took the index over once space was back');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const saved = await client.request(UpdateFiles, { changes: [{ root, relPath: 'c.txt', reread: true }] });
      assert.equal(saved.saveError, undefined);
    });
  } finally {
    freeSpace?.();
  }
  await withHost(init, indexDir, async (client) => {
    const reloaded = await client.request(IndexFolders, { folders });
    assert.deepEqual([reloaded.files, reloaded.embedded, reloaded.reused], [3, 0, 3], 'c.txt was stored by the takeover');
  });
});

// Each CLI run starts a host that first takes the index's writer lock (a small file): one page is left for it, so
// the space runs out in the save, as it does when the disk fills up during a run.
test('the CLI when the space runs out in the save: search prints its results and the warning, and exits 0; index exits 1', async () => {
  const [s0, s1, s2] = SEED_SENTENCES;
  const root = workspace('cli', { 'a.txt': `${s0}\n${s1}\n` });
  const cache = join(disk, 'cli-cache');
  const cli = (args: string[]) => promisify(execFile)(process.execPath, [CLI_SCRIPT, ...args, '--model', model, '--cache-dir', cache], { timeout: 120_000 });
  await cli(['index', root]);
  const freeSpace = fillDisk(1);
  try {
    writeFileSync(join(root, 'b.txt'), `${s2}\n`);
    const { stdout, stderr } = await cli(['search', root, '--query', s2, '--json', '--top-k', '1']);
    const out = JSON.parse(stdout) as { results: Array<{ file: string; score: number }> };
    assert.equal(out.results[0].file, 'b.txt');
    assert.ok(Math.abs(out.results[0].score - 1) < 1e-5);
    const [warning, ...more] = stderr.trimEnd().split('\n');
    assert.deepEqual(more, [], 'one line on stderr');
    assert.ok(SAVE_WARNING.exec(warning)?.[1].startsWith(`${join(cache, 'indexes')}/`), stderr);

    const failed = await cli(['index', root]).then(
      () => assert.fail('index must fail when the index cannot be saved'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /Similar Sentences could not save its index: no space left on device at /);
  } finally {
    freeSpace();
  }
});
