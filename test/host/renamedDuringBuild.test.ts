// Files renamed and deleted while the real model host builds the index: once at the first progress notification
// (the walk is running) and once when embedding starts. The build completes without error and its summary agrees
// with the index; the follow-up a client sends (a new build, or the file events VS Code would send) leaves the
// index holding exactly the files on disk: renamed files under their new names only, deleted files gone, and the
// texts embedded before a rename reused rather than embedded again.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HostClient } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import {
  IndexFolders,
  Search,
  Status,
  UpdateFiles,
  type FileChange,
  type IndexSummary,
  type InitializeParams,
  type ProgressParams,
} from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { SYNONYM_GROUPS } from '../fixtures/models/semantic-vocabulary';
import { HOST_SCRIPT } from './reference';

const FOLDERS = 10;
const FILES_PER_FOLDER = 30;
const LINES_PER_FILE = 50;
const EXACT = 0.99999;

let work: string;
let init: InitializeParams;

before(async () => {
  init = { model: { dir: await ensureTestModel('semantic'), id: 'generated/semantic', dtype: 'fp32' }, threads: 1 };
  work = mkdtempSync(join(tmpdir(), 'ss-renamed-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

/**
 * Every line a different set of three words from different synonym groups (the test model puts unrelated groups
 * far apart), so each line is the only exact match for its own text, in whichever file it ends up.
 */
function distinctLines(count: number): string[] {
  const words = SYNONYM_GROUPS.map((group) => group.words[0]);
  const lines: string[] = [];
  for (let a = 0; a < words.length && lines.length < count; a++) {
    for (let b = a + 1; b < words.length && lines.length < count; b++) {
      for (let c = b + 1; c < words.length && lines.length < count; c++) lines.push(`${words[a]} ${words[b]} ${words[c]}`);
    }
  }
  assert.equal(lines.length, count);
  return lines;
}

/** part<d>/file<n>.log, LINES_PER_FILE lines each (.log: one unit per line). */
function writeWorkspace(name: string): string {
  const root = join(work, name);
  const lines = distinctLines(FOLDERS * FILES_PER_FOLDER * LINES_PER_FILE);
  for (let d = 0; d < FOLDERS; d++) {
    mkdirSync(join(root, `part${d}`), { recursive: true });
    for (let f = 0; f < FILES_PER_FOLDER; f++) {
      const n = d * FILES_PER_FOLDER + f;
      writeFileSync(join(root, filePath(n)), `${lines.slice(n * LINES_PER_FILE, (n + 1) * LINES_PER_FILE).join('\n')}\n`);
    }
  }
  return root;
}

const filePath = (n: number): string => `part${Math.floor(n / FILES_PER_FOLDER)}/file${n}.log`;

/** The files on disk and their lines, as the index should hold them. */
function onDisk(root: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const relPath = join(entry.parentPath, entry.name).slice(root.length + 1);
    files.set(relPath, readFileSync(join(root, relPath), 'utf8').trimEnd().split('\n'));
  }
  return sorted(files);
}

/** Every unit of the index, by file, in line order: one search that ranks them all. */
async function inIndex(client: HostClient): Promise<Map<string, string[]>> {
  const { hits } = await client.request(Search, { query: 'everything', topK: 1_000_000, minScore: -2 });
  const files = new Map<string, string[]>();
  for (const hit of [...hits].sort((a, b) => a.line - b.line)) {
    const lines = files.get(hit.relPath) ?? [];
    assert.equal(hit.line, lines.length + 1, `${hit.relPath} has a gap or a repeated line before ${hit.line}`);
    lines.push(hit.text);
    files.set(hit.relPath, lines);
  }
  return sorted(files);
}

const sorted = (files: Map<string, string[]>): Map<string, string[]> => new Map([...files].sort(([a], [b]) => a.localeCompare(b)));

/** Progress notifications of the host started by withHost go here. */
let onProgress = (_: ProgressParams): void => undefined;

async function withHost(name: string, run: (client: HostClient) => Promise<void>): Promise<void> {
  const client = new HostClient({ hostScript: HOST_SCRIPT, onProgress: (params) => onProgress(params) });
  try {
    await client.start({ ...init, indexDir: join(work, `${name}-index`) });
    await run(client);
  } finally {
    await client.stop();
  }
}

interface Mutations {
  /** [old relPath, new relPath] */
  renamed: Array<[string, string]>;
  deleted: string[];
  /** Folders renamed as a whole, [old, new]. */
  renamedFolders: Array<[string, string]>;
  /** The progress phase each batch of changes was made in. */
  phases: string[];
}

/**
 * Sends IndexFolders and changes the workspace twice while it runs: at the first progress notification (renames
 * and deletes in every folder) and at the first embedding notification (more of both, plus a whole folder renamed
 * if moveFolder). Resolves with the build's summary once it has answered; fails if the build ended before the
 * changes were made, since nothing would have been tested.
 */
async function buildWhileChanging(client: HostClient, root: string, moveFolder: boolean): Promise<{ summary: IndexSummary; mutations: Mutations }> {
  const mutations: Mutations = { renamed: [], deleted: [], renamedFolders: [], phases: [] };
  // The folder moved as a whole keeps its files as they are, so each path is changed once.
  const lastFolder = `part${FOLDERS - 1}`;
  const change = (phase: string, residue: number, folder?: [string, string]) => {
    mutations.phases.push(phase);
    for (let n = 0; n < FOLDERS * FILES_PER_FOLDER; n++) {
      const from = filePath(n);
      if (moveFolder && from.startsWith(`${lastFolder}/`)) continue;
      if (n % 15 === residue) {
        const to = from.replace(/file(\d+)\.log$/, 'renamed-$1.log');
        renameSync(join(root, from), join(root, to));
        mutations.renamed.push([from, to]);
      } else if (n % 15 === residue + 1) {
        unlinkSync(join(root, from));
        mutations.deleted.push(from);
      }
    }
    if (folder) {
      renameSync(join(root, folder[0]), join(root, folder[1]));
      mutations.renamedFolders.push(folder);
    }
  };
  onProgress = ({ phase }) => {
    if (mutations.phases.length === 0) change(phase, 1);
    else if (mutations.phases.length === 1 && phase === 'embedding') change(phase, 3, moveFolder ? [lastFolder, `${lastFolder}-moved`] : undefined);
  };
  try {
    const summary = await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }], progressToken: 'build' });
    assert.equal(mutations.phases.length, 2, `the build ended before both rounds of changes (phases: ${mutations.phases.join(', ')})`);
    return { summary, mutations };
  } finally {
    onProgress = () => undefined;
  }
}

/** The build's own summary agrees with the index, and it skipped only files that vanished under it. */
async function assertConsistent(client: HostClient, summary: IndexSummary, mutations: Mutations): Promise<void> {
  const status = await client.request(Status);
  assert.deepEqual([summary.files, summary.units], [status.files, status.units], 'summary and index disagree');
  assert.equal(summary.units, summary.files * LINES_PER_FILE, 'a file is in the index with part of its lines');
  assert.equal(summary.reused, 0, 'nothing to reuse in a new index');
  const vanished = new Set([...mutations.renamed.map(([from]) => from), ...mutations.deleted]);
  const inVanishedFolder = (relPath: string) => mutations.renamedFolders.some(([from]) => relPath === from || relPath.startsWith(`${from}/`));
  assert.equal(summary.skippedCount, summary.skipped.length);
  for (const skipped of summary.skipped) {
    assert.ok(vanished.has(skipped.relPath) || inVanishedFolder(skipped.relPath), `skipped a file that did not move: ${JSON.stringify(skipped)}`);
    assert.deepEqual([skipped.reason, skipped.detail], ['unreadable', 'ENOENT'], JSON.stringify(skipped));
  }
}

/** The index holds exactly the files on disk; exact searches find renamed lines under the new name only, deleted lines nowhere. */
async function assertMatchesDisk(client: HostClient, root: string, mutations: Mutations): Promise<void> {
  assert.deepEqual(await inIndex(client), onDisk(root));
  const exact = async (text: string) => (await client.request(Search, { query: text, topK: 5, minScore: EXACT })).hits.map((hit) => [hit.relPath, hit.line]);
  for (const [from, to] of mutations.renamed) {
    const line = readFileSync(join(root, to), 'utf8').split('\n')[6];
    assert.deepEqual(await exact(line), [[to, 7]], `renamed ${from} → ${to}`);
  }
  for (const [from, to] of mutations.renamedFolders) {
    for (const name of readdirSync(join(root, to))) {
      const line = readFileSync(join(root, to, name), 'utf8').split('\n')[0];
      assert.deepEqual(await exact(line), [[`${to}/${name}`, 1]], `moved with ${from}`);
    }
  }
  const lines = distinctLines(FOLDERS * FILES_PER_FOLDER * LINES_PER_FILE);
  for (const relPath of mutations.deleted) {
    const n = Number(/file(\d+)\.log$/.exec(relPath)![1]);
    assert.deepEqual(await exact(lines[n * LINES_PER_FILE + 6]), [], `deleted ${relPath}`);
  }
}

const textsOf = (files: Map<string, string[]>): Set<string> => new Set([...files.values()].flat());

test('files renamed and deleted during a build: the build completes consistently, and the next build leaves exactly the files on disk', async () => {
  const root = writeWorkspace('rebuild');
  await withHost('rebuild', async (client) => {
    const { summary, mutations } = await buildWhileChanging(client, root, true);
    await assertConsistent(client, summary, mutations);
    const indexedBefore = textsOf(await inIndex(client));
    const disk = onDisk(root);
    const next = await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    assert.deepEqual([next.files, next.units, next.skippedCount], [disk.size, disk.size * LINES_PER_FILE, 0]);
    // Only texts the first build never stored are embedded; a renamed file's stored vectors move with it.
    const missing = [...textsOf(disk)].filter((text) => !indexedBefore.has(text));
    assert.equal(next.embedded, missing.length);
    assert.equal(next.reused, disk.size * LINES_PER_FILE - missing.length);
    await assertMatchesDisk(client, root, mutations);
  });
});

test('files renamed and deleted during a build: the file events an editor sends afterwards leave exactly the files on disk', async () => {
  const root = writeWorkspace('events');
  await withHost('events', async (client) => {
    const { summary, mutations } = await buildWhileChanging(client, root, false);
    await assertConsistent(client, summary, mutations);
    const indexedBefore = textsOf(await inIndex(client));
    // What VS Code's file watcher reports, in its order: a rename is a delete of the old path and a create of the new.
    const changes: FileChange[] = [
      ...mutations.renamed.flatMap(([from, to]): FileChange[] => [
        { root, relPath: from, deleted: true },
        { root, relPath: to, reread: true },
      ]),
      ...mutations.deleted.map((relPath): FileChange => ({ root, relPath, deleted: true })),
    ];
    const updated = await client.request(UpdateFiles, { changes });
    const disk = onDisk(root);
    assert.deepEqual([updated.files, updated.units, updated.skippedCount], [disk.size, disk.size * LINES_PER_FILE, 0]);
    const missing = [...textsOf(disk)].filter((text) => !indexedBefore.has(text));
    assert.equal(updated.embedded, missing.length, 'a renamed file whose text was stored is not embedded again');
    await assertMatchesDisk(client, root, mutations);
  });
});
