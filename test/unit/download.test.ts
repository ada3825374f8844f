// The model downloader against a local HTTP server on 127.0.0.1 that serves the Hub's URL layout from a temp folder of
// small fake model files, with faults injected per file: dropped connections, stalls, 5xx, 404, captive-portal HTML.
// Every test also checks that the cache holds either a complete folder or nothing at all.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type { Dtype } from '../../src/protocol';
import { MARKER_FILE, readMarker } from '../../src/core/model/cache';
import {
  cacheDirFor,
  downloadModel,
  DownloadOptions,
  DownloadProgress,
  ModelDownloadError,
  modelFilesFor,
  onnxFileFor,
  prepareModel,
  resolveModel,
  validateModelDir,
} from '../../src/core/model';

const ID = 'fake-org/fake-model';
const REVISION = '0123456789abcdef0123456789abcdef01234567';

type Context = { after: (fn: () => Promise<void> | void) => void };

// ---- the fake Hub ----------------------------------------------------------------------------------------------

/** Weights: a ModelProto's first bytes (ir_version, producer_name) followed by random payload. */
function fakeOnnx(size: number): Buffer {
  const head = Buffer.from([0x08, 0x08, 0x12, 0x07, ...Buffer.from('pytorch')]);
  return Buffer.concat([head, randomBytes(size - head.length)]);
}

const REQUIRED_JSON: Record<string, unknown> = {
  'config.json': { model_type: 'bert', hidden_size: 8 },
  'tokenizer.json': { version: '1.0', model: { type: 'WordPiece', vocab: { '[PAD]': 0, '[UNK]': 1, hello: 2 } } },
  'tokenizer_config.json': { do_lower_case: true, model_max_length: 512 },
};
const OPTIONAL_JSON: Record<string, unknown> = {
  'sentence_bert_config.json': { max_seq_length: 256, do_lower_case: false },
  '1_Pooling/config.json': { word_embedding_dimension: 8, pooling_mode_mean_tokens: true },
  'modules.json': [{ idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' }],
  'special_tokens_map.json': { unk_token: '[UNK]', pad_token: '[PAD]' },
};
const WEIGHT_SIZES: Record<Dtype, number> = { fp32: 300_000, q8: 200_000, fp16: 250_000 };

/** Writes the Hub repository's files into a temp folder; returns the folder. */
async function writeRepository(t: Context, { optional = true } = {}): Promise<string> {
  const root = await tempDir(t, 'hub-repo-');
  const files: Record<string, string | Buffer> = {};
  for (const [path, value] of Object.entries({ ...REQUIRED_JSON, ...(optional ? OPTIONAL_JSON : {}) })) {
    files[path] = JSON.stringify(value, null, 2);
  }
  for (const dtype of Object.keys(WEIGHT_SIZES) as Dtype[]) files[onnxFileFor(dtype)] = fakeOnnx(WEIGHT_SIZES[dtype]);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

interface Request {
  /** 1 for the first request of this path, 2 for the second… */
  attempt: number;
  /** The file in the repository folder, if there is one. */
  body: Buffer | undefined;
}
type Handler = (res: ServerResponse, request: Request) => void;

interface FakeHub {
  endpoint: string;
  /** File paths in request order. */
  requested: string[];
  attempts(path: string): number;
}

function serveFile(res: ServerResponse, path: string, body: Buffer): void {
  const type = path.endsWith('.json') ? 'text/plain; charset=utf-8' : 'application/octet-stream';
  res.writeHead(200, { 'content-type': type, 'content-length': body.length });
  res.end(body);
}

/** Serves `${endpoint}/${ID}/resolve/${REVISION}/${path}` from `root`; `handlers` replace the answer for a path ("*": all). */
async function startHub(t: Context, root: string, handlers: Record<string, Handler> = {}): Promise<FakeHub> {
  const requested: string[] = [];
  const sockets = new Set<Socket>();
  const prefix = `/${ID}/resolve/${REVISION}/`;
  const server = createServer(async (req, res) => {
    const url = req.url ?? '';
    if (!url.startsWith(prefix)) return void res.writeHead(404).end('Repository not found');
    const path = decodeURIComponent(url.slice(prefix.length));
    requested.push(path);
    const attempt = requested.filter((p) => p === path).length;
    const body = await readFile(join(root, path)).catch(() => undefined);
    const handler = handlers[path] ?? handlers['*'];
    if (handler) return handler(res, { attempt, body });
    if (!body) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
    serveFile(res, path, body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requested,
    attempts: (path) => requested.filter((p) => p === path).length,
  };
}

// ---- helpers ----------------------------------------------------------------------------------------------------

async function tempDir(t: Context, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Fast retries and a short stall timeout, so fault tests take milliseconds. */
function options(hub: FakeHub, cacheRoot: string, extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return {
    id: ID,
    revision: REVISION,
    dtype: 'q8',
    cacheRoot,
    endpoint: hub.endpoint,
    retries: 2,
    retryDelayMs: 5,
    stallTimeoutMs: 2_000,
    ...extra,
  };
}

async function downloadError(promise: Promise<unknown>): Promise<ModelDownloadError> {
  const error = await promise.then(
    () => assert.fail('expected the download to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ModelDownloadError, `expected a ModelDownloadError, got ${String(error)}`);
  return error;
}

/** Lists everything under the cache root (relative paths), to prove what a run left behind. */
async function cacheContents(cacheRoot: string): Promise<string[]> {
  if (!existsSync(cacheRoot)) return [];
  const entries = await readdir(cacheRoot, { recursive: true });
  return entries.map(String).sort();
}

async function assertCacheEmpty(cacheRoot: string): Promise<void> {
  assert.deepEqual(await cacheContents(cacheRoot), [], 'a failed download must leave nothing in the cache');
}

async function assertNoStagingLeft(cacheRoot: string): Promise<void> {
  const leftovers = (await readdir(cacheRoot)).filter((name) => name.startsWith('.'));
  assert.deepEqual(leftovers, [], 'no temporary folder may remain');
}

const failIfCalled = (calls: { count: number }): typeof fetch =>
  async () => {
    calls.count++;
    throw new Error('no network request was expected');
  };

// ---- success paths ----------------------------------------------------------------------------------------------

test('downloads every file of the dtype, verifies them, and installs a marked complete folder', async (t) => {
  const repo = await writeRepository(t);
  const hub = await startHub(t, repo);
  const cacheRoot = join(await tempDir(t, 'cache-'), 'models');
  const progress: DownloadProgress[] = [];

  const dir = await downloadModel(options(hub, cacheRoot, { onProgress: (p) => progress.push(p) }));

  assert.equal(dir, cacheDirFor(cacheRoot, ID, REVISION));
  const expected = modelFilesFor('q8').map((f) => f.path);
  assert.deepEqual(hub.requested, expected, 'each file requested once, weights last');
  for (const path of expected) {
    assert.deepEqual(await readFile(join(dir, path)), await readFile(join(repo, path)), path);
  }
  const marker = readMarker(dir);
  assert.equal(marker?.id, ID);
  assert.equal(marker?.revision, REVISION);
  assert.deepEqual(Object.keys(marker?.files ?? {}).sort(), [...expected].sort());
  assert.equal(marker?.files[onnxFileFor('q8')], WEIGHT_SIZES.q8);
  await validateModelDir(dir, 'q8');
  const resolved = resolveModel({ model: ID, revision: REVISION, dtype: 'q8' }, cacheRoot);
  assert.equal(resolved.kind === 'hub' && resolved.present, true);
  await assertNoStagingLeft(cacheRoot);

  // Progress: per-file counts grow to each file's size, the overall count never goes back, and the last report
  // (during the weights, whose size is known once all other files are done) reaches the overall total.
  const last = progress[progress.length - 1];
  const totalBytes = (await Promise.all(expected.map((p) => readFile(join(repo, p))))).reduce((n, b) => n + b.length, 0);
  assert.equal(last.file, onnxFileFor('q8'));
  assert.equal(last.received, WEIGHT_SIZES.q8);
  assert.equal(last.total, WEIGHT_SIZES.q8);
  assert.equal(last.overallReceived, totalBytes);
  assert.equal(last.overallTotal, totalBytes);
  progress.slice(1).forEach((p, i) => assert.ok(p.overallReceived >= progress[i].overallReceived));
  assert.ok(progress.filter((p) => p.file !== onnxFileFor('q8')).every((p) => p.overallTotal === undefined));
});

test('a cached model, or a local folder, is prepared without any network request', async (t) => {
  const repo = await writeRepository(t);
  const hub = await startHub(t, repo);
  const cacheRoot = await tempDir(t, 'cache-');
  await downloadModel(options(hub, cacheRoot));
  const requestsAfterDownload = hub.requested.length;

  const calls = { count: 0 };
  const again = await downloadModel(options(hub, cacheRoot, { fetch: failIfCalled(calls) }));
  assert.equal(again, cacheDirFor(cacheRoot, ID, REVISION));
  const spec = await prepareModel(
    { model: ID, revision: REVISION, dtype: 'q8' },
    { cacheRoot, endpoint: hub.endpoint, fetch: failIfCalled(calls), onDownloadStart: () => assert.fail('no download') },
  );
  assert.deepEqual(spec, { dir: again, id: ID, revision: REVISION, dtype: 'q8' });

  const local = await prepareModel({ model: repo, dtype: 'fp16' }, { cacheRoot, fetch: failIfCalled(calls) });
  assert.deepEqual(local, { dir: repo, id: repo, revision: undefined, dtype: 'fp16' });

  assert.equal(calls.count, 0);
  assert.equal(hub.requested.length, requestsAfterDownload);
  await assertNoStagingLeft(cacheRoot);
});

test('prepareModel downloads a missing Hub model once, announcing it first', async (t) => {
  const hub = await startHub(t, await writeRepository(t));
  const cacheRoot = await tempDir(t, 'cache-');
  const started: string[] = [];
  const spec = await prepareModel(
    { model: ID, revision: REVISION, dtype: 'fp16' },
    { cacheRoot, endpoint: hub.endpoint, retryDelayMs: 5, onDownloadStart: (m) => started.push(`${m.id}@${m.revision}`) },
  );
  assert.deepEqual(started, [`${ID}@${REVISION}`]);
  assert.equal(spec.dir, cacheDirFor(cacheRoot, ID, REVISION));
  await validateModelDir(spec.dir, 'fp16');
  await assertNoStagingLeft(cacheRoot);
});

test('adding a dtype to a cached model fetches only that dtype\'s weights', async (t) => {
  const hub = await startHub(t, await writeRepository(t));
  const cacheRoot = await tempDir(t, 'cache-');
  const dir = await downloadModel(options(hub, cacheRoot, { dtype: 'q8' }));
  hub.requested.length = 0;

  assert.equal(await downloadModel(options(hub, cacheRoot, { dtype: 'fp32' })), dir);
  // Optional files are in the marker from the first download, so only the new weights are fetched.
  assert.deepEqual(hub.requested, [onnxFileFor('fp32')]);
  await validateModelDir(dir, 'q8');
  await validateModelDir(dir, 'fp32');
  assert.deepEqual(Object.keys(readMarker(dir)?.files ?? {}).length, modelFilesFor('q8').length + 1);
  await assertNoStagingLeft(cacheRoot);
});

test('optional files answered with 404 are skipped', async (t) => {
  const hub = await startHub(t, await writeRepository(t, { optional: false }));
  const cacheRoot = await tempDir(t, 'cache-');
  const dir = await downloadModel(options(hub, cacheRoot));
  for (const path of Object.keys(OPTIONAL_JSON)) {
    assert.equal(existsSync(join(dir, path)), false, path);
    assert.equal(hub.attempts(path), 1, `${path}: a 404 is an answer, not retried`);
  }
  assert.deepEqual(Object.keys(readMarker(dir)?.files ?? {}).sort(), [...Object.keys(REQUIRED_JSON), onnxFileFor('q8')].sort());
  await validateModelDir(dir, 'q8');
  await assertNoStagingLeft(cacheRoot);
});

test('a 5xx answer is retried with backoff, then the download succeeds', async (t) => {
  const weights = onnxFileFor('q8');
  const hub = await startHub(t, await writeRepository(t), {
    [weights]: (res, { attempt, body }) =>
      attempt <= 2 ? void res.writeHead(503, { 'content-type': 'text/plain' }).end('busy') : serveFile(res, weights, body!),
  });
  const cacheRoot = await tempDir(t, 'cache-');
  const dir = await downloadModel(options(hub, cacheRoot));
  assert.equal(hub.attempts(weights), 3);
  await validateModelDir(dir, 'q8');
  await assertNoStagingLeft(cacheRoot);
});

test('a slow transfer succeeds as long as bytes keep arriving within the stall timeout', async (t) => {
  const weights = onnxFileFor('q8');
  const hub = await startHub(t, await writeRepository(t), {
    // Ten pieces 60 ms apart: the whole transfer takes longer than the stall timeout, no gap does.
    [weights]: (res, { body }) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body!.length });
      const piece = Math.ceil(body!.length / 10);
      let sent = 0;
      const send = setInterval(() => {
        res.write(body!.subarray(sent, (sent += piece)));
        if (sent >= body!.length) {
          clearInterval(send);
          res.end();
        }
      }, 60);
      res.on('close', () => clearInterval(send));
    },
  });
  const cacheRoot = await tempDir(t, 'cache-');
  const started = Date.now();
  const dir = await downloadModel(options(hub, cacheRoot, { stallTimeoutMs: 250, retries: 0 }));
  assert.ok(Date.now() - started > 250, 'the transfer outlasted the stall timeout');
  await validateModelDir(dir, 'q8');
  await assertNoStagingLeft(cacheRoot);
});

test('concurrent downloads of the same model both end with the one complete folder', async (t) => {
  const hub = await startHub(t, await writeRepository(t));
  const cacheRoot = await tempDir(t, 'cache-');
  const [a, b] = await Promise.all([downloadModel(options(hub, cacheRoot)), downloadModel(options(hub, cacheRoot))]);
  assert.equal(a, b);
  await validateModelDir(a, 'q8');
  assert.deepEqual(await readdir(cacheRoot), [ID.replace('/', '--')]);
  assert.deepEqual(await readdir(dirname(a)), [REVISION]);
});

test('temporary folders of crashed runs are swept; those of running processes are kept', async (t) => {
  const hub = await startHub(t, await writeRepository(t));
  const cacheRoot = await tempDir(t, 'cache-');
  const exited = spawnSync(process.execPath, ['-e', '']);
  assert.ok(exited.pid);
  const crashed = join(cacheRoot, `.partial-${exited.pid}-abc123`);
  const crashedTrash = join(cacheRoot, `.trash-${exited.pid}-def456`);
  const running = join(cacheRoot, `.partial-${process.pid}-live00`);
  for (const dir of [crashed, crashedTrash, running]) {
    await mkdir(join(dir, 'onnx'), { recursive: true });
    await writeFile(join(dir, 'onnx', 'model_quantized.onnx'), 'half a file');
  }
  await downloadModel(options(hub, cacheRoot));
  assert.equal(existsSync(crashed), false);
  assert.equal(existsSync(crashedTrash), false);
  assert.equal(existsSync(running), true, 'another download in a live process must not be touched');
  await rm(running, { recursive: true });
  await assertNoStagingLeft(cacheRoot);
});

test('a folder at the destination without a marker is replaced by the verified download', async (t) => {
  const hub = await startHub(t, await writeRepository(t));
  const cacheRoot = await tempDir(t, 'cache-');
  const dir = cacheDirFor(cacheRoot, ID, REVISION);
  await mkdir(join(dir, 'onnx'), { recursive: true });
  await writeFile(join(dir, 'onnx', 'model_quantized.onnx'), 'truncated by an old crash');
  await writeFile(join(dir, 'stray.txt'), 'x');
  await downloadModel(options(hub, cacheRoot));
  await validateModelDir(dir, 'q8');
  assert.equal(existsSync(join(dir, 'stray.txt')), false);
  assert.ok(existsSync(join(dir, MARKER_FILE)));
  await assertNoStagingLeft(cacheRoot);
});

// ---- failures: a clear error and nothing in the cache ------------------------------------------------------------

test('a transfer cut mid-body fails as interrupted after the retries', async (t) => {
  const weights = onnxFileFor('q8');
  const hub = await startHub(t, await writeRepository(t), {
    [weights]: (res, { body }) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body!.length });
      res.write(body!.subarray(0, body!.length / 2), () => res.socket?.destroy());
    },
  });
  const cacheRoot = await tempDir(t, 'cache-');
  const error = await downloadError(downloadModel(options(hub, cacheRoot)));
  assert.equal(error.kind, 'interrupted');
  assert.equal(error.details.file, weights);
  assert.match(error.message, /The connection dropped while downloading onnx\/model_quantized\.onnx from http:\/\/127\.0\.0\.1:\d+\/.* of 200000 bytes received/);
  assert.equal(hub.attempts(weights), 3, 'first attempt + 2 retries');
  await assertCacheEmpty(cacheRoot);
});

test('a body shorter than its Content-Length is caught even when the fetch implementation does not check', async (t) => {
  const hub = await startHub(t, await writeRepository(t));
  const cacheRoot = await tempDir(t, 'cache-');
  const weights = onnxFileFor('q8');
  // Some fetch implementations (proxies, polyfills) end the stream quietly when the connection closes early.
  const lenientFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!String(input).endsWith(weights)) return response;
    const body = new Uint8Array(await response.arrayBuffer());
    return new Response(body.subarray(0, 1_000), { headers: { 'content-length': String(body.length) } });
  };
  const error = await downloadError(downloadModel(options(hub, cacheRoot, { fetch: lenientFetch })));
  assert.equal(error.kind, 'interrupted');
  assert.match(error.message, /\(1000 of 200000 bytes received\)\.$/);
  await assertCacheEmpty(cacheRoot);
});

test('a slow drip that pauses longer than the stall timeout fails as stalled', async (t) => {
  const weights = onnxFileFor('q8');
  const hub = await startHub(t, await writeRepository(t), {
    [weights]: (res, { body }) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body!.length });
      let sent = 1_000;
      res.write(body!.subarray(0, sent));
      const drip = setInterval(() => res.write(body!.subarray(sent, ++sent)), 1_000);
      res.on('close', () => clearInterval(drip));
    },
  });
  const cacheRoot = await tempDir(t, 'cache-');
  const started = Date.now();
  const error = await downloadError(downloadModel(options(hub, cacheRoot, { stallTimeoutMs: 150, retries: 1 })));
  assert.equal(error.kind, 'stalled');
  assert.match(error.message, /^No data arrived for 0\.2 s while downloading onnx\/model_quantized\.onnx from http/);
  assert.equal(hub.attempts(weights), 2);
  assert.ok(Date.now() - started < 900, 'the stall is detected before the next drip arrives');
  await assertCacheEmpty(cacheRoot);
});

test('a server that accepts the request but never answers fails as stalled', async (t) => {
  const hub = await startHub(t, await writeRepository(t), { 'config.json': () => undefined });
  const cacheRoot = await tempDir(t, 'cache-');
  const error = await downloadError(downloadModel(options(hub, cacheRoot, { stallTimeoutMs: 100, retries: 0 })));
  assert.equal(error.kind, 'stalled');
  assert.equal(error.details.file, 'config.json');
  await assertCacheEmpty(cacheRoot);
});

test('a persistent 5xx fails with the status after a bounded number of attempts', async (t) => {
  const hub = await startHub(t, await writeRepository(t), {
    'tokenizer.json': (res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Error'),
  });
  const cacheRoot = await tempDir(t, 'cache-');
  const error = await downloadError(downloadModel(options(hub, cacheRoot)));
  assert.equal(error.kind, 'http');
  assert.equal(error.details.status, 500);
  assert.match(error.message, /^Downloading tokenizer\.json failed with HTTP 500 from http:\/\/127\.0\.0\.1:\d+\/fake-org\/fake-model\/resolve\//);
  assert.equal(hub.attempts('tokenizer.json'), 3);
  assert.ok(!hub.requested.includes(onnxFileFor('q8')), 'stops at the first failing file');
  await assertCacheEmpty(cacheRoot);
});

test('a 404 of required weights fails at once as not-found, suggesting another dtype', async (t) => {
  const repo = await writeRepository(t);
  await rm(join(repo, onnxFileFor('fp16')));
  const hub = await startHub(t, repo);
  const cacheRoot = await tempDir(t, 'cache-');
  const error = await downloadError(downloadModel(options(hub, cacheRoot, { dtype: 'fp16' })));
  assert.equal(error.kind, 'not-found');
  assert.equal(error.details.status, 404);
  assert.equal(
    error.message,
    `${ID} at revision ${REVISION} has no onnx/model_fp16.onnx (HTTP 404 from ${hub.endpoint}/${ID}/resolve/${REVISION}/` +
      'onnx/model_fp16.onnx). This model may not publish fp16 weights; try another dtype.',
  );
  assert.equal(hub.attempts(onnxFileFor('fp16')), 1, 'a 404 is not retried');
  await assertCacheEmpty(cacheRoot);
});

test('a captive portal answering 200 text/html is rejected without retrying', async (t) => {
  const portal = '<!DOCTYPE html><html><body><form>Accept the terms to use the Wi-Fi</form></body></html>';
  const hub = await startHub(t, await writeRepository(t), {
    '*': (res) => void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(portal),
  });
  const cacheRoot = await tempDir(t, 'cache-');
  const error = await downloadError(downloadModel(options(hub, cacheRoot)));
  assert.equal(error.kind, 'not-a-model');
  assert.match(error.message, /^Asked http:\/\/127\.0\.0\.1:\d+\/\S+\/config\.json for config\.json but received a web page \(text\/html; charset=utf-8\)\. A proxy or captive portal/);
  assert.deepEqual(hub.requested, ['config.json']);
  await assertCacheEmpty(cacheRoot);
});

test('HTML served as application/octet-stream in place of the weights is recognised by its bytes', async (t) => {
  const weights = onnxFileFor('q8');
  const page = Buffer.from('\n\n<html><head><title>Proxy authentication required</title></head></html>');
  const hub = await startHub(t, await writeRepository(t), {
    [weights]: (res) => serveFile(res, weights, page),
  });
  const cacheRoot = await tempDir(t, 'cache-');
  const error = await downloadError(downloadModel(options(hub, cacheRoot)));
  assert.equal(error.kind, 'not-a-model');
  assert.equal(error.details.file, weights);
  assert.match(error.message, /but received a web page\. A proxy or captive portal/);
  await assertCacheEmpty(cacheRoot);
});

test('a 200 answer that is neither HTML nor the file fails verification before anything is installed', async (t) => {
  const weights = onnxFileFor('q8');
  const hub = await startHub(t, await writeRepository(t), {
    [weights]: (res) => serveFile(res, weights, Buffer.from('{"error":"Entry not found"}')),
  });
  const cacheRoot = await tempDir(t, 'cache-');
  const error = await downloadError(downloadModel(options(hub, cacheRoot)));
  assert.equal(error.kind, 'not-a-model');
  assert.match(error.message, /for onnx\/model_quantized\.onnx but received a file that does not look like ONNX weights \(starts with 7b 22 65/);
  await assertCacheEmpty(cacheRoot);
});

test('a JSON file truncated to invalid JSON (with a matching Content-Length) is rejected', async (t) => {
  const hub = await startHub(t, await writeRepository(t), {
    'tokenizer.json': (res, { body }) => serveFile(res, 'tokenizer.json', body!.subarray(0, 20)),
  });
  const cacheRoot = await tempDir(t, 'cache-');
  const error = await downloadError(downloadModel(options(hub, cacheRoot)));
  assert.equal(error.kind, 'not-a-model');
  assert.match(error.message, /for tokenizer\.json but received a file that is not valid JSON/);
  await assertCacheEmpty(cacheRoot);
});

test('cancelling mid-download stops at once and leaves nothing behind', async (t) => {
  const weights = onnxFileFor('q8');
  const hub = await startHub(t, await writeRepository(t), {
    // Half the weights, then silence: only the cancellation can end this transfer before the stall timeout.
    [weights]: (res, { body }) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body!.length });
      res.write(body!.subarray(0, body!.length / 2));
    },
  });
  const cacheRoot = await tempDir(t, 'cache-');
  const controller = new AbortController();
  const started = Date.now();
  const error = await downloadError(
    downloadModel(
      options(hub, cacheRoot, {
        signal: controller.signal,
        stallTimeoutMs: 10_000,
        onProgress: (p) => {
          if (p.file === weights && p.received > 0) controller.abort();
        },
      }),
    ),
  );
  assert.equal(error.kind, 'cancelled');
  assert.equal(error.message, `The download of ${ID} was cancelled.`);
  assert.equal(hub.attempts(weights), 1, 'a cancellation is not retried');
  assert.ok(Date.now() - started < 5_000);
  await assertCacheEmpty(cacheRoot);
});

test('a signal that is already aborted makes no request', async (t) => {
  const hub = await startHub(t, await writeRepository(t));
  const cacheRoot = await tempDir(t, 'cache-');
  const error = await downloadError(downloadModel(options(hub, cacheRoot, { signal: AbortSignal.abort() })));
  assert.equal(error.kind, 'cancelled');
  assert.deepEqual(hub.requested, []);
  await assertCacheEmpty(cacheRoot);
});

test('cancelling during the backoff between retries ends the download as cancelled', async (t) => {
  const hub = await startHub(t, await writeRepository(t), {
    'config.json': (res) => void res.writeHead(503).end(),
  });
  const cacheRoot = await tempDir(t, 'cache-');
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const error = await downloadError(
    downloadModel(options(hub, cacheRoot, { signal: controller.signal, retryDelayMs: 60_000 })),
  );
  assert.equal(error.kind, 'cancelled');
  assert.equal(hub.attempts('config.json'), 1);
  await assertCacheEmpty(cacheRoot);
});

test('no server listening fails as offline, naming the host and the cause', async (t) => {
  const cacheRoot = await tempDir(t, 'cache-');
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise((resolve) => closed.close(resolve));
  const hub: FakeHub = { endpoint: `http://127.0.0.1:${port}`, requested: [], attempts: () => 0 };
  const error = await downloadError(downloadModel(options(hub, cacheRoot)));
  assert.equal(error.kind, 'offline');
  assert.equal(
    error.message,
    `Could not connect to http://127.0.0.1:${port} to download config.json of ${ID} (ECONNREFUSED). ` +
      'Check the network and proxy settings, or use a local model folder.',
  );
  await assertCacheEmpty(cacheRoot);
});

test('an injected fetch is the only way out: every request goes through it', async (t) => {
  const hub = await startHub(t, await writeRepository(t));
  const cacheRoot = await tempDir(t, 'cache-');
  const seen: string[] = [];
  const proxyAwareFetch: typeof fetch = (input, init) => {
    seen.push(String(input));
    return fetch(input, init);
  };
  await downloadModel(options(hub, cacheRoot, { fetch: proxyAwareFetch }));
  assert.deepEqual(
    seen,
    modelFilesFor('q8').map((f) => `${hub.endpoint}/${ID}/resolve/${REVISION}/${f.path}`),
  );
});
