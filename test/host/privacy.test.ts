// Privacy: a full index and search through the CLI (dist/cli.js) with a local model folder makes no network request at
// all: not from the CLI process, not from the model host, not from its inference threads. Every process gets the
// recorder preloaded through NODE_OPTIONS (privacyNetworkRecorder.ts), which logs each call to the network APIs. The
// machine has no internet anyway, so the assertion is on attempts, not on traffic.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureTestModel } from '../fixtures/models/generate';
import { assertOfflineIndexAndSearch, runRecorded } from './recordedRun';

const SAMPLE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'sample-workspace');

let model: string;
let work: string;

before(async () => {
  model = await ensureTestModel('semantic');
  work = mkdtempSync(join(tmpdir(), 'ss-privacy-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

const recorded = (name: string, args: string[]) => runRecorded(work, name, args);

test('the recorder catches each wrapped API, in the main thread and in worker threads', async () => {
  // Nothing listens on port 9 of this machine: every attempt fails fast, and is recorded first.
  const probe = `
    const attempts = () => Promise.allSettled([
      fetch('http://127.0.0.1:9/'),
      new Promise((r) => require('node:dns').lookup('localhost', r)),
      new Promise((r) => require('node:net').connect(9, '127.0.0.1').on('error', r)),
      new Promise((r) => require('node:http').request('http://127.0.0.1:9/').on('error', r).end()),
      new Promise((r) => require('node:https').request('https://127.0.0.1:9/').on('error', r).end()),
    ]);
    const { Worker, isMainThread } = require('node:worker_threads');
    if (isMainThread) attempts().then(() => new Worker(__filename));
    else attempts();
  `;
  const script = join(work, 'probe.js');
  writeFileSync(script, probe);
  const { records } = await recorded('probe', [script]);
  for (const thread of [0, 1]) {
    const apis = new Set(records.filter((r) => r.threadId === thread).map((r) => r.api));
    for (const api of ['loaded', 'fetch', 'dns.lookup', 'net.Socket.connect', 'http.request', 'https.request']) {
      assert.ok(apis.has(api), `thread ${thread}: ${api} not recorded (got ${[...apis].join(', ')})`);
    }
  }
});

test('index and search through the CLI with a local model: no network request from the CLI, the host or its workers', async () => {
  const cache = join(work, 'cache');
  await assertOfflineIndexAndSearch(work, SAMPLE, ['--model', model, '--cache-dir', cache]);
});
