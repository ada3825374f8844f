// Two windows on one workspace, as two real model hosts sharing one index folder: the second opens the index
// read-only while the first writes it. When the first closes (cleanly or by dying), the second becomes the writer
// within seconds, without a restart, and saves what it had only in memory, so nothing it embedded is lost.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HostClient } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import { IndexFolders, Search, Status, UpdateFiles, type FolderSpec, type InitializeParams, type LogParams } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { HOST_SCRIPT } from './reference';

const OWNER_ENV = 'SS_TAKEOVER_TEST_OWNER';
const TAKEOVER_LOG = /this host writes it now/;
const READ_ONLY_LOG = /opening it read-only/;

let work: string;
let init: InitializeParams;

/** A window: a host on the shared index folder, with its log. */
interface Window {
  client: HostClient;
  logs: LogParams[];
}

async function openWindow(indexDir: string): Promise<Window> {
  const logs: LogParams[] = [];
  const client = new HostClient({ hostScript: HOST_SCRIPT, onLog: (log) => logs.push(log) });
  await client.start({ ...init, indexDir });
  return { client, logs };
}

function workspace(name: string): FolderSpec {
  const root = join(work, name);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'garden.md'), 'the roses need water every morning\nthe hedge was trimmed last week\n');
  writeFileSync(join(root, 'kitchen.md'), 'bread rises in a warm oven\n');
  return { root, walk: DEFAULT_WALK };
}

async function waitForLog(window: Window, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!window.logs.some((log) => pattern.test(log.message))) {
    if (Date.now() > deadline) throw new Error(`no log line matching ${pattern} within ${timeoutMs} ms:\n${window.logs.map((l) => l.message).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function lockOwnerPid(indexDir: string): number {
  const [lock] = readdirSync(indexDir).filter((name) => name.endsWith('.sslock'));
  assert.ok(lock, `a lock file in ${readdirSync(indexDir).join(', ')}`);
  return (JSON.parse(readFileSync(join(indexDir, lock), 'utf8')) as { pid: number }).pid;
}

async function placesOf(client: HostClient, text: string): Promise<string[]> {
  const { hits } = await client.request(Search, { query: text, topK: 10, minScore: 0.99999 });
  return hits.map((hit) => hit.relPath);
}

/**
 * The second window's part after the first one is gone: it takes over, and a third window opened on the index
 * afterwards finds the line only the second one had embedded, without embedding anything.
 */
async function assertTakesOverAndKeeps(second: Window, spec: FolderSpec, indexDir: string, newLine: string): Promise<void> {
  await waitForLog(second, TAKEOVER_LOG, 15_000);
  const { pid } = await second.client.request(Status);
  assert.equal(lockOwnerPid(indexDir), pid, 'the second window holds the writer lock');
  assert.deepEqual(await placesOf(second.client, newLine), ['notes.md'], 'still searchable after the takeover');
  await second.client.stop();

  const third = await openWindow(indexDir);
  try {
    const summary = await third.client.request(IndexFolders, { folders: [spec] });
    assert.equal(summary.embedded, 0, 'everything, the line embedded only in memory by the reader included, was saved');
    assert.deepEqual(await placesOf(third.client, newLine), ['notes.md']);
    assert.ok(!third.logs.some((log) => READ_ONLY_LOG.test(log.message)), 'nobody else writes the index now');
  } finally {
    await third.client.stop();
  }
}

/** Adds a file while the first window is still open; only the read-only second window is told about it. */
async function addNoteSeenBySecond(second: Window, spec: FolderSpec, newLine: string): Promise<void> {
  writeFileSync(join(spec.root, 'notes.md'), `${newLine}\n`);
  const update = await second.client.request(UpdateFiles, { changes: [{ root: spec.root, relPath: 'notes.md', reread: true }] });
  assert.equal(update.embedded, 1, 'the reader embeds the new line (in memory only)');
}

if (process.env[OWNER_ENV]) {
  // The first window as its own process, so the test can kill it like a crashed VS Code window; its host exits
  // when this process dies (the orphan check), leaving a stale lock behind.
  const [indexDir, root] = JSON.parse(process.env[OWNER_ENV]) as [string, string];
  void (async () => {
    init = JSON.parse(process.argv[2]) as InitializeParams;
    const first = await openWindow(indexDir);
    await first.client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    process.send!('indexed');
  })();
} else {
  before(async () => {
    init = { model: { dir: await ensureTestModel('semantic'), id: 'generated/semantic', dtype: 'fp32' }, threads: 1 };
    work = mkdtempSync(join(tmpdir(), 'ss-takeover-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('a read-only second window becomes the writer when the first window closes, and saves what it embedded meanwhile', async () => {
    const spec = workspace('closed');
    const indexDir = join(work, 'closed-index');
    const first = await openWindow(indexDir);
    const second = await openWindow(indexDir);
    try {
      await first.client.request(IndexFolders, { folders: [spec] });
      await second.client.request(IndexFolders, { folders: [spec] });
      await waitForLog(second, READ_ONLY_LOG, 0);
      const newLine = 'the lighthouse keeper painted the stairs blue';
      await addNoteSeenBySecond(second, spec, newLine);
      assert.ok(!second.logs.some((log) => TAKEOVER_LOG.test(log.message)), 'no takeover while the first window is open');

      await first.client.stop();
      await assertTakesOverAndKeeps(second, spec, indexDir, newLine);
    } finally {
      await Promise.all([first.client.stop(), second.client.stop()]);
    }
  });

  test('a read-only second window becomes the writer when the first window is killed', async () => {
    const spec = workspace('killed');
    const indexDir = join(work, 'killed-index');
    const owner = fork(__filename, [JSON.stringify(init)], { env: { ...process.env, [OWNER_ENV]: JSON.stringify([indexDir, spec.root]) }, stdio: 'inherit' });
    const second = await openWindow(indexDir);
    try {
      await new Promise((resolve, reject) => owner.once('message', resolve).once('exit', reject));
      const ownerHostPid = lockOwnerPid(indexDir);
      await second.client.request(IndexFolders, { folders: [spec] });
      await waitForLog(second, READ_ONLY_LOG, 0);
      const newLine = 'a heron stood still in the shallow pond';
      await addNoteSeenBySecond(second, spec, newLine);

      owner.kill('SIGKILL');
      await assertTakesOverAndKeeps(second, spec, indexDir, newLine);
      assert.throws(() => process.kill(ownerHostPid, 0), 'the killed window left no model host behind');
    } finally {
      owner.kill('SIGKILL');
      await second.client.stop();
    }
  });
}
