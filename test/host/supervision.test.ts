// Supervision of the real model host: crashes, hangs, crash loops and a dying parent never leave a caller hanging.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { HostClient, HostClientOptions } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import { Embed, ErrorCodes, IndexFolders, InitializeParams } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { generateSyntheticWorkspace } from '../fixtures/syntheticWorkspace';
import { HOST_SCRIPT } from './reference';

let init: InitializeParams;
let work: string;
let workspace: string;

before(async () => {
  const dir = await ensureTestModel('semantic');
  init = { model: { dir, id: 'generated/semantic', dtype: 'fp32' }, threads: 1 };
  work = mkdtempSync(join(tmpdir(), 'ss-supervision-'));
  workspace = generateSyntheticWorkspace(join(work, 'ws'), { lines: 20_000, seed: 3 }).root;
});
after(() => rmSync(work, { recursive: true, force: true }));

function client(options: Partial<HostClientOptions> = {}): HostClient {
  return new HostClient({ hostScript: HOST_SCRIPT, ...options });
}

async function rejectsWithCode(promise: Promise<unknown>, code: number): Promise<ResponseError<void>> {
  const error = await promise.then(
    () => assert.fail('expected the request to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ResponseError, `not a ResponseError: ${error}`);
  assert.equal(error.code, code, error.message);
  return error;
}

test('SIGKILL during indexing: the pending request fails with HostCrashed, the host restarts and answers again', async () => {
  const c = client();
  try {
    await c.start(init);
    const firstPid = c.pid!;
    const indexing = c.request(IndexFolders, { folders: [{ root: workspace, walk: DEFAULT_WALK }] });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(firstPid, 'SIGKILL');
    const error = await rejectsWithCode(indexing, ErrorCodes.HostCrashed);
    assert.match(error.message, /SIGKILL/);
    const { vectors } = await c.request(Embed, { texts: ['open the file'] });
    assert.equal(vectors.length, 1);
    assert.notEqual(c.pid, firstPid);
  } finally {
    await c.stop();
  }
});

test('a hung host (SIGSTOP) is detected by the heartbeat, killed and restarted; the caller gets an error, not a hang', async () => {
  const c = client({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 500 });
  try {
    await c.start(init);
    const firstPid = c.pid!;
    process.kill(firstPid, 'SIGSTOP');
    const pending = c.request(Embed, { texts: ['open the file'] });
    await rejectsWithCode(pending, ErrorCodes.HostCrashed);
    const { vectors } = await c.request(Embed, { texts: ['open the file'] });
    assert.equal(vectors.length, 1);
    assert.notEqual(c.pid, firstPid);
  } finally {
    await c.stop();
  }
});

test('after too many crashes in the window the client gives up with a clear error instead of restarting forever', async () => {
  const states: string[] = [];
  let failed: () => void;
  const gaveUp = new Promise<void>((resolve) => (failed = resolve));
  const c = client({ maxRestarts: 1, onStateChange: (s) => (states.push(s), s === 'failed' && failed()) });
  try {
    await c.start(init);
    process.kill(c.pid!, 'SIGKILL');
    await c.request(Embed, { texts: ['a'] }).catch(() => undefined);
    await c.request(Embed, { texts: ['restarted'] });
    process.kill(c.pid!, 'SIGKILL');
    await gaveUp;
    const error = await rejectsWithCode(c.request(Embed, { texts: ['b'] }), ErrorCodes.HostCrashed);
    assert.match(error.message, /crashed 2 times/);
    assert.equal(c.currentState, 'failed');
    assert.ok(states.includes('restarting'));
  } finally {
    await c.stop();
  }
});

test('the host exits when its parent dies: no orphan process', async () => {
  const script = `
    const { HostClient } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'client.js'))});
    const c = new HostClient({ hostScript: ${JSON.stringify(HOST_SCRIPT)} });
    c.start(${JSON.stringify(init)}).then(() => process.stdout.write(String(c.pid) + '\\n'));
  `;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const hostPid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d) => resolve(String(d)))));
  assert.ok(isAlive(hostPid));
  parent.kill('SIGKILL');
  const deadline = Date.now() + 5_000;
  while (isAlive(hostPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!isAlive(hostPid), `host ${hostPid} outlived its parent`);
});

test('a broken model folder fails initialize with ModelInvalid naming the folder', async () => {
  const c = client();
  try {
    const broken = { ...init, model: { ...init.model, dir: join(work, 'no-such-model') } };
    const error = await rejectsWithCode(c.start(broken), ErrorCodes.ModelInvalid);
    assert.ok(error.message.includes(join(work, 'no-such-model')));
  } finally {
    await c.stop();
  }
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
