// A 200k-file tree indexed by the real model host: the first progress notification comes within a second of the
// request, the host's resident memory stays bounded, and the per-folder file cap stops the walk exactly at the cap
// and says so in the summary. Every file holds one short line drawn from a few hundred texts, so each distinct text
// is embedded once and what is measured is the walk, the reads and the index, not the model. The tree goes on a
// tmpfs when there is one (about 800 MB of memory for 200k one-page files): on a disk, writing and removing it
// takes minutes, and the disk rather than the host would be measured.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { HostClient } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import { FileLimitNotice } from '../../src/extension/fileLimitNotice';
import { IndexFolders, Search, Status, type FolderSpec, type IndexSummary, type InitializeParams, type ProgressParams } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { HOST_SCRIPT } from './reference';

const FOLDERS = 200;
const FILES_PER_FOLDER = 1000;
const TOTAL = FOLDERS * FILES_PER_FOLDER;
const DISTINCT_TEXTS = 400;
/** Files over the size limit at the root, walked first: more skips than the summary's sample of 50 lists. */
const OVERSIZED = 60;
const MAX_FILE_BYTES = 1024;
const MB = 2 ** 20;
/**
 * The host's peak resident memory over the 200k-file build: 0.4–0.6 GB measured (about 110 MB of it the runtime
 * and the model before indexing; the rest the index's files and units and the garbage between collections). The
 * bound leaves room for collector timing on other machines and is a quarter of the default memory ceiling
 * (similarSentences.maxMemoryMB, 4 GB), so a tree of real files, with more units each, still fits under it.
 */
const RSS_LIMIT = 1024 * MB;
/**
 * Progress comes at least this often through the build, to its end. The longest gaps measured (0.6–2 s) are the
 * periodic save of the growing index, which the walk waits for; the bound leaves room for a loaded CI machine.
 */
const SILENCE_LIMIT_MS = 10_000;

let work: string;
let root: string;
let init: InitializeParams;

const textOf = (n: number): string => `note ${n % DISTINCT_TEXTS} about the open file`;

before(async () => {
  init = { model: { dir: await ensureTestModel('semantic'), id: 'generated/semantic', dtype: 'fp32' }, threads: 1 };
  work = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'ss-large-tree-'));
  root = join(work, 'tree');
  mkdirSync(root);
  for (let i = 0; i < OVERSIZED; i++) writeFileSync(join(root, `big${i}.txt`), `${'x'.repeat(MAX_FILE_BYTES)}\n`);
  for (let f = 0; f < FOLDERS; f++) {
    const folder = join(root, `pkg${String(f).padStart(3, '0')}`);
    mkdirSync(folder);
    for (let i = 0; i < FILES_PER_FOLDER; i++) writeFileSync(join(folder, `file${i}.txt`), `${textOf(f * FILES_PER_FOLDER + i)}\n`);
  }
});
after(() => rmSync(work, { recursive: true, force: true }));

interface Measured {
  firstProgressMs: number;
  /** The longest wait between two progress notifications, the end of the request included. */
  longestSilenceMs: number;
  peakRssBytes: number;
  rssBeforeBytes: number;
  phases: Set<ProgressParams['phase']>;
}

/** Indexes spec in a fresh host with its own index folder, sampling the host's RSS (Status) while it runs. */
async function indexMeasured(spec: FolderSpec, check: (client: HostClient, measured: Measured, summary: IndexSummary) => Promise<void>) {
  const measured: Measured = { firstProgressMs: -1, longestSilenceMs: 0, peakRssBytes: 0, rssBeforeBytes: 0, phases: new Set() };
  let started = 0;
  let lastProgress = 0;
  const silence = () => {
    const now = performance.now();
    measured.longestSilenceMs = Math.max(measured.longestSilenceMs, now - lastProgress);
    lastProgress = now;
  };
  const client = new HostClient({
    hostScript: HOST_SCRIPT,
    onProgress: ({ phase }) => {
      if (measured.firstProgressMs < 0) measured.firstProgressMs = performance.now() - started;
      silence();
      measured.phases.add(phase);
    },
  });
  const indexDir = mkdtempSync(join(work, 'index-'));
  try {
    await client.start({ ...init, indexDir });
    measured.rssBeforeBytes = (await client.request(Status)).rssBytes;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        measured.peakRssBytes = Math.max(measured.peakRssBytes, (await client.request(Status)).rssBytes);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    started = lastProgress = performance.now();
    const summary = await client.request(IndexFolders, { folders: [spec], progressToken: 'large-tree' }).finally(() => (sampling = false));
    silence();
    await sampler;
    measured.peakRssBytes = Math.max(measured.peakRssBytes, (await client.request(Status)).rssBytes);
    await check(client, measured, summary);
  } finally {
    await client.stop();
  }
}

const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;

test(`a ${TOTAL}-file tree: first progress within a second, every file indexed, host memory bounded`, async (t) => {
  // DEFAULT_WALK has no file cap: every file of the tree is indexed.
  await indexMeasured({ root, walk: { ...DEFAULT_WALK, maxFileBytes: MAX_FILE_BYTES } }, async (client, measured, summary) => {
    t.diagnostic(
      `first progress ${measured.firstProgressMs.toFixed(0)} ms, longest silence ${measured.longestSilenceMs.toFixed(0)} ms; ${summary.files} files in ${(summary.elapsedMs / 1000).toFixed(1)} s; ` +
        `host rss ${mb(measured.rssBeforeBytes)} before, peak ${mb(measured.peakRssBytes)}`,
    );
    assert.ok(measured.firstProgressMs >= 0 && measured.firstProgressMs < 1000, `first progress after ${measured.firstProgressMs.toFixed(0)} ms`);
    assert.ok(measured.longestSilenceMs < SILENCE_LIMIT_MS, `no progress for ${measured.longestSilenceMs.toFixed(0)} ms`);
    assert.ok(measured.phases.has('walking') && measured.phases.has('saving'), [...measured.phases].join(', '));
    assert.equal(summary.files, TOTAL);
    assert.equal(summary.units, TOTAL);
    assert.equal(summary.embedded, DISTINCT_TEXTS, 'each distinct text is embedded once');
    assert.equal(summary.skippedCount, OVERSIZED);
    assert.ok(summary.skipped.every((s) => s.reason === 'too-large'));
    assert.equal((await client.request(Status)).files, TOTAL);
    assert.ok(measured.peakRssBytes < RSS_LIMIT, `host rss peaked at ${mb(measured.peakRssBytes)}`);
    // The last file of the tree is searchable: the walk reached the end.
    const last = TOTAL - 1;
    const { hits } = await client.request(Search, { query: textOf(last), topK: TOTAL / DISTINCT_TEXTS, minScore: 0.99999 });
    assert.ok(hits.some((hit) => hit.relPath === `pkg${String(FOLDERS - 1).padStart(3, '0')}/file${FILES_PER_FOLDER - 1}.txt`));
  });
});

test('maxFiles stops the build exactly at the cap and reports it, even after a full sample of other skips', async (t) => {
  const maxFiles = 50_000;
  await indexMeasured({ root, walk: { ...DEFAULT_WALK, maxFileBytes: MAX_FILE_BYTES, maxFiles } }, async (client, measured, summary) => {
    t.diagnostic(`stopped at ${summary.files} files in ${(summary.elapsedMs / 1000).toFixed(1)} s; host rss peak ${mb(measured.peakRssBytes)}`);
    assert.equal(summary.files, maxFiles);
    assert.equal((await client.request(Status)).files, maxFiles);
    const capped = summary.skipped.filter((s) => s.reason === 'max-files');
    assert.equal(capped.length, 1, 'one cap report, listed although 60 too-large files filled the sample first');
    assert.equal(summary.skipped.length, 50 + 1);
    // The oversized files at the root, then pkg000 to pkg049: the first file over the cap opens pkg050.
    assert.deepEqual(capped[0], { root, relPath: 'pkg050/file0.txt', reason: 'max-files', detail: 'limit of 50000 files reached' });
    // What VS Code shows for this summary names the folder, the cap and the setting.
    const warning = new FileLimitNotice().onIndexed(summary.skipped, maxFiles, (folder) => basename(folder));
    assert.match(warning ?? '', new RegExp(`^"tree" has more than ${maxFiles.toLocaleString()} files, the limit of "similarSentences\\.maxFiles"`));
    // The walk stops at the cap: the skipped count is the oversized files and the one file over the cap, not the rest.
    assert.equal(summary.skippedCount, OVERSIZED + 1);
  });
});
