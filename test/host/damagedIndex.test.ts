// A damaged index on disk, met by a new model host: the manifest truncated (`truncate`), overwritten in the middle
// (`dd`), stamped with another format version, a vector segment damaged or missing. The host says so at warn, sets
// the manifest aside (renamed to <name>.<reason>.bad, its bytes kept for diagnosis), rebuilds on IndexFolders
// without anyone deleting anything, answers every search exactly as before the damage, and the rebuilt index is
// loaded by the next host as a healthy one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HostClient } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import { IndexFolders, Search, type FolderSpec, type IndexSummary, type InitializeParams, type SearchHit } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { withHost } from './hostSession';

const SAMPLE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'sample-workspace');
const QUERIES = ['the connection failed after a timeout', 'delete the file', 'Three years later, the coffin was still full of Jello.', 'a user logs in'];

let work: string;
let init: InitializeParams;
/** The index as the first host saved it, copied before any damage. */
let pristine: string;
let folders: FolderSpec[];
let built: IndexSummary;
let answers: SearchHit[][];


const search = (client: HostClient): Promise<SearchHit[][]> =>
  Promise.all(QUERIES.map(async (query) => (await client.request(Search, { query, topK: 10 })).hits));

before(async () => {
  init = { model: { dir: await ensureTestModel('semantic'), id: 'generated/semantic', dtype: 'fp32' }, threads: 1 };
  work = mkdtempSync(join(tmpdir(), 'ss-damaged-'));
  folders = [{ root: SAMPLE, walk: DEFAULT_WALK }];
  pristine = join(work, 'pristine');
  [built, answers] = await withHost(init, pristine, async (client) => [await client.request(IndexFolders, { folders }), await search(client)] as const);
  assert.ok(built.embedded > 0 && answers.every((hits) => hits.length === 10));
});
after(() => rmSync(work, { recursive: true, force: true }));

const manifestOf = (dir: string): string => join(dir, readdirSync(dir).find((name) => name.endsWith('.ssidx'))!);
const segmentsOf = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.sseg')).map((name) => join(dir, name));

/** Writes bytes over a file at an offset, keeping its length, as a stray write would. */
function overwrite(file: string, offset: number, bytes: Buffer): void {
  execFileSync('dd', [`of=${file}`, 'bs=1', `seek=${offset}`, 'conv=notrunc', 'status=none'], { input: bytes });
}

const damages: Array<{ name: string; reason: string; damage: (dir: string) => void }> = [
  {
    name: 'a manifest truncated to half its size',
    reason: 'truncated',
    damage: (dir) => execFileSync('truncate', ['-s', String(Math.floor(statSync(manifestOf(dir)).size / 2)), manifestOf(dir)]),
  },
  {
    name: 'a manifest overwritten in the middle',
    reason: 'corrupt',
    damage: (dir) => overwrite(manifestOf(dir), Math.floor(statSync(manifestOf(dir)).size / 2), Buffer.alloc(16, 0xa5)),
  },
  {
    name: 'a manifest of another format version',
    reason: 'version',
    // Bytes 8–11: the format version, little-endian, after the 8-byte magic.
    damage: (dir) => overwrite(manifestOf(dir), 8, Buffer.from([2, 0, 0, 0])),
  },
  {
    name: 'a vector segment overwritten in its rows',
    reason: 'corrupt',
    // Past the 64-byte segment header: inside the float32 rows.
    damage: (dir) => overwrite(segmentsOf(dir)[0], 64 + 40, Buffer.alloc(8, 0x7f)),
  },
  {
    name: 'a vector segment deleted',
    reason: 'missing-segment',
    damage: (dir) => rmSync(segmentsOf(dir)[0]),
  },
];

for (const [i, { name, reason, damage }] of damages.entries()) {
  test(`${name}: set aside as ${reason}, rebuilt on IndexFolders, the same search results as before`, async () => {
    const indexDir = join(work, `damaged-${i}`);
    cpSync(pristine, indexDir, { recursive: true });
    assert.equal(segmentsOf(indexDir).length, 1, 'one segment, so the damage hits the only one');
    const manifest = manifestOf(indexDir);
    const oldSegments = segmentsOf(indexDir);
    damage(indexDir);
    const damagedBytes = readFileSync(manifest);

    await withHost(init, indexDir, async (client, logs) => {
      const rebuilt = await client.request(IndexFolders, { folders });
      const warnings = logs.filter((log) => log.level !== 'info').map((log) => log.message);
      assert.ok(warnings.some((message) => message.startsWith(`index: cannot load ${manifest}`)), warnings.join('\n'));
      assert.ok(warnings.includes(`index: set aside ${manifest} as ${manifest.split('/').pop()}.${reason}.bad`), warnings.join('\n'));
      assert.ok(logs.every((log) => log.level !== 'error'), JSON.stringify(logs));
      // Everything embedded again, nothing trusted from the damaged files.
      assert.deepEqual(
        [rebuilt.files, rebuilt.units, rebuilt.embedded, rebuilt.reused, rebuilt.skippedCount],
        [built.files, built.units, built.embedded, 0, built.skippedCount],
      );
      assertSameAnswers(await search(client));
    });

    // Renamed, not deleted: the damaged manifest is kept byte for byte beside the rebuilt one.
    assert.deepEqual(readFileSync(`${manifest}.${reason}.bad`), damagedBytes);
    assert.ok(existsSync(manifest), 'the rebuilt index was saved under the usual name');
    assert.deepEqual(oldSegments.filter((segment) => existsSync(segment)), [], 'the vectors of the set-aside index are swept');
    await withHost(init, indexDir, async (client, logs) => {
      const reloaded = await client.request(IndexFolders, { folders });
      assert.deepEqual(logs.filter((log) => log.level !== 'info'), [], 'the rebuilt index loads cleanly');
      assert.deepEqual([reloaded.files, reloaded.embedded, reloaded.reused], [built.files, 0, built.embedded]);
      assertSameAnswers(await search(client));
    });
  });
}

function assertSameAnswers(actual: SearchHit[][]): void {
  const places = (hits: SearchHit[]) => hits.map((hit) => `${hit.relPath}:${hit.line}:${hit.column} ${hit.text}`);
  actual.forEach((hits, q) => {
    assert.deepEqual(places(hits), places(answers[q]), QUERIES[q]);
    hits.forEach((hit, i) => assert.ok(Math.abs(hit.score - answers[q][i].score) < 1e-6, `${QUERIES[q]}: ${hit.score} vs ${answers[q][i].score}`));
  });
}
