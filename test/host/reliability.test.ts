// Faults injected into the real model host (dist/host.js) and what the caller sees: an input that crashes inference,
// a kill during a long build, a resident-memory ceiling, a cancel. The crash hook is SIMILAR_SENTENCES_TEST_CRASH_ON
// (src/host/inferenceWorker.ts): a batch containing that text aborts the host like a native crash would.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { HostClient, HostClientOptions } from '../../src/client';
import { WorkspaceIndex } from '../../src/core/index/workspaceIndex';
import { DEFAULT_WALK } from '../../src/core/walk';
import { ErrorCodes, IndexFolders, IndexSummary, InitializeParams, ModelInfo, ProgressParams, Search, SearchHit } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { generateSyntheticWorkspace } from '../fixtures/syntheticWorkspace';
import { HOST_SCRIPT } from './reference';

const CRASH_ON = 'SIMILAR_SENTENCES_TEST_CRASH_ON';
const MARKER = 'POISON_7f3a';
const POISON_LINE = `const trigger = '${MARKER}'; // this line crashes inference`;
const QUERIES = ['throw new Error', 'return a promise that resolves', 'the configuration file'];

let model: InitializeParams['model'];
let work: string;
/** A build of several seconds, indexed once in full for reference. */
let big: { root: string; texts: number; hits: SearchHit[][]; info: ModelInfo };

before(async () => {
  model = { dir: await ensureTestModel('semantic'), id: 'generated/semantic', dtype: 'fp32' };
  work = mkdtempSync(join(tmpdir(), 'ss-reliability-'));
  const root = generateSyntheticWorkspace(join(work, 'big'), { lines: 40_000, seed: 11 }).root;
  const c = client();
  try {
    const info = await c.start({ model, threads: 2, indexDir: join(work, 'big-reference') });
    const summary = await c.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    const hits = await searchAll(c);
    big = { root, texts: summary.embedded, hits, info };
  } finally {
    await c.stop();
  }
});
after(() => rmSync(work, { recursive: true, force: true }));

function client(options: Partial<HostClientOptions> = {}): HostClient {
  return new HostClient({ hostScript: HOST_SCRIPT, ...options });
}

function index(c: HostClient, root: string, progressToken?: string, token?: CancellationTokenSource['token']): Promise<IndexSummary> {
  return c.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }], progressToken }, token);
}

async function searchAll(c: HostClient): Promise<SearchHit[][]> {
  const results: SearchHit[][] = [];
  for (const query of QUERIES) results.push((await c.request(Search, { query, topK: 10 })).hits);
  return results;
}

function hasCode(code: number) {
  return (error: unknown) => {
    assert.ok(error instanceof ResponseError, `not a ResponseError: ${error}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

/** Vectors stored on disk for a root, read by opening the index the way the next host will. */
async function storedVectors(indexDir: string, root: string, info: ModelInfo): Promise<number> {
  const { id: model, revision, dtype, maxLength, pooling, dim } = info;
  const stored = await WorkspaceIndex.open(indexDir, root, { model, revision, dtype, maxLength, pooling, dim });
  try {
    return stored.stats().vectors;
  } finally {
    await stored.close();
  }
}

/** The same generated files with and without two files that contain the poison line. */
function poisonWorkspaces(name: string): { clean: string; poisoned: string } {
  const clean = generateSyntheticWorkspace(join(work, name, 'clean'), { lines: 3_000, seed: 5 }).root;
  const poisoned = generateSyntheticWorkspace(join(work, name, 'poisoned'), { lines: 3_000, seed: 5 }).root;
  writeFileSync(join(poisoned, 'aaa-poison.ts'), `const before = 1;\n${POISON_LINE}\nconst after = 2;\n`);
  writeFileSync(join(poisoned, 'pkg0', 'copy-of-poison.ts'), `${POISON_LINE}\n`);
  return { clean, poisoned };
}

function crashedHost(summary: IndexSummary): string[] {
  return summary.skipped.filter((s) => s.reason === 'crashed-host').map((s) => s.relPath).sort();
}

function crashes(logs: string[]): number {
  return logs.filter((m) => m.startsWith('model host exited')).length;
}

async function poisonScenario(name: string, saveIntervalMs: number | undefined, expectRescan: boolean): Promise<void> {
  const { clean, poisoned } = poisonWorkspaces(name);
  const reference = client();
  let expected: IndexSummary;
  try {
    await reference.start({ model, threads: 2 });
    expected = await index(reference, clean);
  } finally {
    await reference.stop();
  }

  process.env[CRASH_ON] = MARKER;
  try {
    await crashAndRecover(poisoned, expected, { model, threads: 2, indexDir: join(work, name, 'index'), saveIntervalMs }, expectRescan);
  } finally {
    delete process.env[CRASH_ON];
  }
}

async function crashAndRecover(poisoned: string, expected: IndexSummary, init: InitializeParams, expectRescan: boolean): Promise<void> {
  const logs: string[] = [];
  const c = client({ onLog: (l) => logs.push(l.message) });
  try {
    await c.start(init);
    const summary = await index(c, poisoned);
    // One crash with the poison in a batch, one with it alone; then the request, sent again, completes.
    assert.equal(crashes(logs), 2, logs.join('\n'));
    assert.equal(logs.filter((m) => m.includes('sending it again')).length, 2);
    assert.equal(logs.some((m) => m.includes('reading every file again')), expectRescan, logs.join('\n'));
    assert.deepEqual(crashedHost(summary), ['aaa-poison.ts', 'pkg0/copy-of-poison.ts']);
    // Everything else is indexed exactly as in the workspace without the poison.
    assert.equal(summary.files, expected.files);
    assert.equal(summary.units, expected.units);
    assert.equal(summary.embedded + summary.reused, expected.embedded);

    // The poison is remembered: embedding it is refused instead of crashing again, and a new build skips the files.
    await assert.rejects(c.request(Search, { query: POISON_LINE, topK: 1 }), hasCode(ErrorCodes.InputCrashesHost));
    const again = await index(c, poisoned);
    assert.deepEqual(crashedHost(again), ['aaa-poison.ts', 'pkg0/copy-of-poison.ts']);
    assert.equal(again.embedded, 0);
    assert.equal(crashes(logs), 2);
  } finally {
    await c.stop();
  }

  // A new session (new host, new journal) reads the quarantine from the index: no crash at all.
  const laterLogs: string[] = [];
  const later = client({ onLog: (l) => laterLogs.push(l.message) });
  try {
    await later.start(init);
    const summary = await index(later, poisoned);
    assert.deepEqual(crashedHost(summary), ['aaa-poison.ts', 'pkg0/copy-of-poison.ts']);
    // Once edited, a quarantined file is indexed again.
    writeFileSync(join(poisoned, 'aaa-poison.ts'), 'const before = 1;\nconst after = 2;\n');
    const edited = await index(later, poisoned);
    assert.deepEqual(crashedHost(edited), ['pkg0/copy-of-poison.ts']);
    assert.equal(edited.files, expected.files + 1);
    assert.equal(crashes(laterLogs), 0);
  } finally {
    await later.stop();
  }
}

test('poison input: the text that crashes the host twice is isolated, its files are skipped as crashed-host, the rest is indexed', async () => {
  // Default save interval: the crashed build stored nothing, so the walk reads the poisoned files again and finds it.
  await poisonScenario('poison-unsaved', undefined, false);
});

test('poison input already stored in the index before the crash is found by reading the stored files again', async () => {
  // Saving after every file: the poisoned files are on disk, without vectors, before their batch crashes the host.
  await poisonScenario('poison-saved', 0, true);
});

test('a kill during a long build: the next build embeds only what was not stored, and finds the same results', async (t) => {
  let onProgress: (p: ProgressParams) => void = () => undefined;
  const c = client({ onProgress: (p) => onProgress(p) });
  const indexDir = join(work, 'resume');
  try {
    await c.start({ model, threads: 2, indexDir, saveIntervalMs: 250 });
    const pid = c.pid!;
    onProgress = ({ phase, done }) => {
      if (phase === 'embedding' && done >= big.texts / 2) {
        onProgress = () => undefined;
        process.kill(pid, 'SIGKILL');
      }
    };
    // An outside kill is not retried (unlike a native crash): the caller learns about it.
    await assert.rejects(index(c, big.root, 'resume'), hasCode(ErrorCodes.HostCrashed));
    const stored = await storedVectors(indexDir, big.root, big.info);
    assert.ok(stored > 0 && stored < big.texts, `stored ${stored} of ${big.texts}`);

    const resumed = await index(c, big.root);
    t.diagnostic(`killed at half of ${big.texts} texts: ${stored} stored, ${resumed.embedded} embedded again`);
    assert.equal(resumed.reused, stored);
    assert.equal(resumed.embedded, big.texts - stored);
    assert.deepEqual(await searchAll(c), big.hits);
  } finally {
    await c.stop();
  }
});

test('cancelling a long IndexFolders rejects with Cancelled promptly and keeps what was embedded before the cancel', async (t) => {
  let onProgress: (p: ProgressParams) => void = () => undefined;
  const c = client({ onProgress: (p) => onProgress(p) });
  const indexDir = join(work, 'cancel');
  try {
    await c.start({ model, threads: 2, indexDir });
    const source = new CancellationTokenSource();
    let embeddedAtCancel = 0;
    let cancelledAt = 0;
    onProgress = ({ phase, done }) => {
      if (phase === 'embedding' && done >= big.texts / 3) {
        onProgress = () => undefined;
        embeddedAtCancel = done;
        cancelledAt = Date.now();
        source.cancel();
      }
    };
    await assert.rejects(index(c, big.root, 'cancel', source.token), hasCode(ErrorCodes.Cancelled));
    const tookMs = Date.now() - cancelledAt;
    t.diagnostic(`cancelled after ${embeddedAtCancel} texts; rejected ${tookMs} ms later`);
    assert.ok(tookMs < 2_000, `the cancel took ${tookMs} ms`);

    const stored = await storedVectors(indexDir, big.root, big.info);
    assert.ok(stored >= embeddedAtCancel && stored < big.texts, `stored ${stored}, embedded at the cancel ${embeddedAtCancel}`);
    const resumed = await index(c, big.root);
    assert.equal(resumed.reused, stored);
    assert.equal(resumed.embedded, big.texts - stored);
  } finally {
    await c.stop();
  }
});

test('above the memory ceiling the host is killed and pending requests fail with HostMemoryLimit', async () => {
  const c = client({ heartbeatIntervalMs: 100 });
  try {
    await c.start({ model, threads: 2, maxMemoryMB: 32 });
    const pid = c.pid!;
    const error = await index(c, big.root).then(
      () => assert.fail('expected the request to fail'),
      (e: unknown) => e,
    );
    hasCode(ErrorCodes.HostMemoryLimit)(error);
    assert.match((error as Error).message, /used \d+ MB of memory, above the limit of 32 MB/);
    assert.throws(() => process.kill(pid, 0), 'the host above the ceiling is gone');
  } finally {
    await c.stop();
  }
});

test('a ceiling the host stays under changes nothing; threads above the core count are clamped', async () => {
  const logs: string[] = [];
  const c = client({ heartbeatIntervalMs: 100, onLog: (l) => logs.push(l.message) });
  try {
    await c.start({ model, threads: 64, maxMemoryMB: 4096 });
    const pid = c.pid;
    const summary = await index(c, big.root);
    assert.equal(summary.embedded, big.texts);
    assert.equal(c.pid, pid);
    const [, workers, threads] = logs.map((m) => /(\d+) worker\(s\) × (\d+) thread\(s\)/.exec(m)).find(Boolean)!;
    assert.ok(Number(workers) * Number(threads) <= availableParallelism(), `${workers} × ${threads} on ${availableParallelism()} cores`);
  } finally {
    await c.stop();
  }
});
