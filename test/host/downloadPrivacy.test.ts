// Privacy during a model download: the only network traffic is the download itself, to the configured endpoint.
// A local HTTP server on 127.0.0.1 serves the generated test model in the Hub's URL layout; the CLI downloads it
// (--endpoint) and indexes while privacyNetworkRecorder.ts, preloaded through NODE_OPTIONS into the CLI, its host
// and the host's threads, records every call to the network APIs. Every call must go to 127.0.0.1 on that server's
// port. Then the CLI indexes and searches with the downloaded model, found in its cache, without a single network
// call from the CLI, the host or its inference threads.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cacheDirFor, modelFilesFor } from '../../src/core/model';
import { ensureTestModel } from '../fixtures/models/generate';
import { assertOfflineIndexAndSearch, runRecorded } from './recordedRun';
import { CLI_SCRIPT, HOST_SCRIPT } from './reference';

const SAMPLE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'sample-workspace');
const ID = 'local-org/semantic-test';
const REVISION = '89abcdef0123456789abcdef0123456789abcdef';

let model: string;
let work: string;
let server: Server;
let endpoint: string;
/** Paths the server was asked for, in order. */
const served: string[] = [];
/** TCP connections the server accepted. */
let connections = 0;

before(async () => {
  model = await ensureTestModel('semantic');
  work = mkdtempSync(join(tmpdir(), 'ss-download-privacy-'));
  const prefix = `/${ID}/resolve/${REVISION}/`;
  server = createServer((req, res) => {
    const url = req.url ?? '';
    const path = decodeURIComponent(url.slice(prefix.length));
    let body: Buffer | undefined;
    try {
      if (url.startsWith(prefix) && !path.split('/').includes('..')) body = readFileSync(join(model, path));
    } catch {
      // not in the model folder: a 404, as the Hub answers
    }
    served.push(path);
    if (!body) return void res.writeHead(404).end('Entry not found');
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

const recorded = (name: string, args: string[]) => runRecorded(work, name, args);

test('a model download reaches only the configured endpoint on 127.0.0.1; the CLI then works offline from the cache', async () => {
  const cacheDir = join(work, 'cache');
  const cacheRoot = join(cacheDir, 'models'); // where the CLI looks for Hub models under --cache-dir
  const common = ['--model', ID, '--revision', REVISION, '--cache-dir', cacheDir, '--no-cache', '--json'];
  const download = await recorded('download', [CLI_SCRIPT, 'index', SAMPLE, ...common, '--endpoint', endpoint]);
  assert.ok((JSON.parse(download.stdout) as { embedded: number }).embedded > 0, 'the downloaded model indexed the folder');

  // The download happened: every file of the model was asked for once, and the cache holds them byte for byte.
  const cached = cacheDirFor(cacheRoot, ID, REVISION);
  const files = modelFilesFor('fp32').map((file) => file.path);
  assert.deepEqual([...served].sort(), [...files].sort());
  for (const path of files) assert.deepEqual(readFileSync(join(cached, path)), readFileSync(join(model, path)), path);

  // Watched, and every network call was to the local endpoint: one fetch per file, each to its Hub URL.
  const loaded = download.records.filter((r) => r.api === 'loaded');
  const host = loaded.find((r) => r.script === HOST_SCRIPT && r.threadId === 0);
  assert.ok(loaded.some((r) => r.script === CLI_SCRIPT) && host && loaded.some((r) => r.pid === host.pid && r.threadId > 0), 'the CLI, its host and its threads were watched');
  const calls = download.records.filter((r) => r.api !== 'loaded');
  const fetched = calls.filter((r) => r.api === 'fetch').map((r) => /'([^']+)'/.exec(r.args)?.[1]);
  assert.deepEqual(fetched.sort(), files.map((path) => `${endpoint}/${ID}/resolve/${REVISION}/${path}`).sort());
  // Below fetch, sockets: the recorder does not show where one connects to, so each must be one the server accepted.
  const connects = calls.filter((r) => r.api === 'net.Socket.connect');
  assert.ok(connects.length > 0 && connects.length === connections, `${connects.length} socket connects, ${connections} reached the server`);
  assert.deepEqual(calls.filter((r) => r.api !== 'fetch' && r.api !== 'net.Socket.connect'), [], 'no name lookup, datagram or other request');

  // The CLI finds the model in its cache by id and revision: no call at all, from any of its processes or threads.
  served.length = 0;
  connections = 0;
  await assertOfflineIndexAndSearch(work, SAMPLE, ['--model', ID, '--revision', REVISION, '--cache-dir', cacheDir, '--no-cache']);
  assert.deepEqual([served, connections], [[], 0], 'the server saw nothing after the download');
});
