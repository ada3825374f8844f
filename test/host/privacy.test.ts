// Privacy: a full index and search through the CLI (dist/cli.js) with a local model folder makes no network request at
// all: not from the CLI process, not from the model host, not from its inference threads. Every process gets the
// recorder preloaded through NODE_OPTIONS (privacyNetworkRecorder.ts), which logs each call to the network APIs. The
// machine has no internet anyway, so the assertion is on attempts, not on traffic.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ensureTestModel } from '../fixtures/models/generate';
import type { NetworkRecord } from './privacyNetworkRecorder';
import { CLI_SCRIPT, HOST_SCRIPT } from './reference';

const run = promisify(execFile);
const RECORDER = join(__dirname, 'privacyNetworkRecorder.js');
const SAMPLE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'sample-workspace');

let model: string;
let work: string;

before(async () => {
  model = await ensureTestModel('semantic');
  work = mkdtempSync(join(tmpdir(), 'ss-privacy-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs node with the recorder preloaded into it and every process it starts; returns stdout and the records. */
async function recorded(name: string, args: string[]): Promise<{ stdout: string; records: NetworkRecord[] }> {
  const log = join(work, `${name}.jsonl`);
  const env = { ...process.env, NODE_OPTIONS: `--require ${RECORDER}`, SIMILAR_SENTENCES_NETWORK_LOG: log };
  const { stdout } = await run(process.execPath, args, { env, timeout: 120_000 });
  const records = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as NetworkRecord);
  return { stdout, records };
}

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
  const common = ['--model', model, '--cache-dir', cache, '--json'];
  const indexed = await recorded('index', [CLI_SCRIPT, 'index', SAMPLE, ...common]);
  const searched = await recorded('search', [CLI_SCRIPT, 'search', SAMPLE, '--query', 'the connection failed after a timeout', ...common]);

  // The work really happened: files embedded by the first run, results found by the second.
  assert.ok((JSON.parse(indexed.stdout) as { embedded: number }).embedded > 0);
  assert.ok((JSON.parse(searched.stdout) as { results: unknown[] }).results.length > 0);

  for (const { records } of [indexed, searched]) {
    // Watched: the CLI's own process, and the host process with its inference threads.
    const loaded = records.filter((r) => r.api === 'loaded');
    assert.ok(loaded.some((r) => r.script === CLI_SCRIPT && r.threadId === 0), 'the CLI process was not watched');
    const host = loaded.find((r) => r.script === HOST_SCRIPT && r.threadId === 0);
    assert.ok(host, 'the host process was not watched');
    assert.ok(loaded.some((r) => r.pid === host.pid && r.threadId > 0), 'no inference thread was watched');
    assert.deepEqual(records.filter((r) => r.api !== 'loaded'), []);
  }
});
