// A workspace file that another process keeps rewriting (in place and by truncating) while the real model host
// indexes the workspace: every build and file event completes, the other files stay searchable, and once the writer
// stops, the next build or file event leaves exactly the file's final version in the index, whatever torn or old
// text was indexed while it was being written.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { HostClient } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import { IndexFolders, Search, UpdateFiles, type FolderSpec, type IndexSummary, type InitializeParams } from '../../src/protocol';
import { startWriter, versionLine } from '../fixtures/changingFile';
import { ensureTestModel } from '../fixtures/models/generate';
import { HOST_SCRIPT } from './reference';

/** Split into lines (not prose), so each unit is one line of a version. */
const CHANGING = 'changing.log';
const LINES = 12;
const STEADY: Record<string, string> = {
  'notes/cat.txt': 'the cat dreamed of a big fish',
  'notes/harbour.md': 'rain fell on the quiet harbour all night',
  'src/add.ts': 'export function add(a: number, b: number) { return a + b; }',
};

let work: string;
let init: InitializeParams;

before(async () => {
  init = { model: { dir: await ensureTestModel('semantic'), id: 'generated/semantic', dtype: 'fp32' }, threads: 1 };
  work = mkdtempSync(join(tmpdir(), 'ss-changing-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Unit texts of one file, in line order, from a search scoped to it that returns every unit. */
async function unitsOf(client: HostClient, root: string, relPath: string): Promise<string[]> {
  const { hits } = await client.request(Search, { query: 'line of the file', topK: 10_000, scope: { files: [{ root, relPath }] } });
  return hits.sort((a, b) => a.line - b.line).map((hit) => hit.text);
}

/** Where a text is found, exactly (score 1). */
async function placesOf(client: HostClient, text: string): Promise<string[]> {
  const { hits } = await client.request(Search, { query: text, topK: 50, minScore: 0.99999 });
  return hits.map((hit) => hit.relPath);
}

function finalUnits(version: number): string[] {
  return Array.from({ length: LINES }, (_, line) => versionLine(version, line).trimEnd());
}

async function assertSteadyFilesSearchable(client: HostClient): Promise<void> {
  for (const [relPath, text] of Object.entries(STEADY)) assert.deepEqual(await placesOf(client, text), [relPath], text);
}

/** Runs `during` while another process rewrites the file; returns how many versions it wrote (the last is final). */
async function whileRewriting(path: string, during: () => Promise<void>): Promise<number> {
  const writer = await startWriter(path, 'rewrite', LINES);
  try {
    await during();
  } catch (error) {
    await writer.stop().catch(() => undefined);
    throw error;
  }
  return writer.stop();
}

function assertWholeBuild(summary: IndexSummary): void {
  assert.equal(summary.files, Object.keys(STEADY).length + 1);
  assert.deepEqual(summary.skipped, []);
}

test('a file rewritten during indexing: builds and file events complete, the rest stays searchable, and the final version replaces whatever was read', async (t) => {
  const root = join(work, 'workspace');
  for (const [relPath, text] of Object.entries(STEADY)) {
    mkdirSync(dirname(join(root, relPath)), { recursive: true });
    writeFileSync(join(root, relPath), `${text}\n`);
  }
  const spec: FolderSpec = { root, walk: DEFAULT_WALK };
  const client = new HostClient({ hostScript: HOST_SCRIPT });
  try {
    await client.start({ ...init, indexDir: join(work, 'index') });

    // Found by a build: builds while the writer runs, then one after it stops.
    let seenWhileWriting = new Set<string>();
    let written = await whileRewriting(join(root, CHANGING), async () => {
      for (let build = 0; build < 3; build++) {
        assertWholeBuild(await client.request(IndexFolders, { folders: [spec] }));
        await assertSteadyFilesSearchable(client);
        for (const text of await unitsOf(client, root, CHANGING)) seenWhileWriting.add(text);
      }
    });
    assertWholeBuild(await client.request(IndexFolders, { folders: [spec] }));
    assert.deepEqual(await unitsOf(client, root, CHANGING), finalUnits(written));
    assert.deepEqual(await placesOf(client, versionLine(written, 0).trimEnd()), [CHANGING]);
    await assertSteadyFilesSearchable(client);
    const stale = [...seenWhileWriting].filter((text) => !finalUnits(written).includes(text));
    t.diagnostic(`build: ${written} versions written, ${seenWhileWriting.size} distinct lines indexed while writing`);
    assert.ok(stale.length > 0, 'the builds during writing indexed versions that are gone now');
    for (const text of stale.slice(0, 5)) assert.deepEqual(await placesOf(client, text), [], `old line still found: ${text}`);

    // Found by file events: events while the writer runs, then one after it stops.
    seenWhileWriting = new Set<string>();
    written = await whileRewriting(join(root, CHANGING), async () => {
      for (let event = 0; event < 20; event++) {
        await client.request(UpdateFiles, { changes: [{ root, relPath: CHANGING, reread: true }] });
        for (const text of await unitsOf(client, root, CHANGING)) seenWhileWriting.add(text);
      }
      await assertSteadyFilesSearchable(client);
    });
    await client.request(UpdateFiles, { changes: [{ root, relPath: CHANGING, reread: true }] });
    assert.deepEqual(await unitsOf(client, root, CHANGING), finalUnits(written));
    t.diagnostic(`file events: ${written} versions written, ${seenWhileWriting.size} distinct lines indexed while writing`);
    // And the next build agrees with the event: nothing older comes back.
    assertWholeBuild(await client.request(IndexFolders, { folders: [spec] }));
    assert.deepEqual(await unitsOf(client, root, CHANGING), finalUnits(written));
    await assertSteadyFilesSearchable(client);
  } finally {
    await client.stop();
  }
});
