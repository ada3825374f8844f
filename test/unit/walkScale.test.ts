// The walk on a 200k-file tree (generated under the temp folder, removed after): the first file arrives within a
// second, the heap stays bounded while every file streams through, and maxFiles stops the walk with one skip.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_WALK, walkFolder, type SkippedFile } from '../../src/core/walk';

const FOLDERS = 400;
const FILES_PER_FOLDER = 500;
const TOTAL = FOLDERS * FILES_PER_FOLDER;

let root: string;

before(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ss-walk-scale-'));
  for (let f = 0; f < FOLDERS; f++) {
    const folder = path.join(root, `pkg${f}`, 'src');
    mkdirSync(folder, { recursive: true });
    for (let i = 0; i < FILES_PER_FOLDER; i++) writeFileSync(path.join(folder, `file${i}.ts`), `export const v${i} = ${f};\n`);
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** Heap still in use after a full collection: what the walk retains, not garbage it has yet to free. */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
function retainedHeap(): number {
  collect();
  return process.memoryUsage().heapUsed;
}

test(`a ${TOTAL}-file tree: first file within a second, every file streamed with a bounded heap`, async (t) => {
  const heapBefore = retainedHeap();
  const retained: number[] = [];
  const started = performance.now();
  let firstFileMs = -1;
  let count = 0;
  const skipped: SkippedFile[] = [];
  for await (const file of walkFolder(root, DEFAULT_WALK, (skip) => skipped.push(skip))) {
    if (count === 0) firstFileMs = performance.now() - started;
    assert.ok(file.relPath.endsWith('.ts'));
    if (++count % (TOTAL / 4) === 0) retained.push(retainedHeap() - heapBefore);
  }
  const totalMs = performance.now() - started;
  assert.equal(count, TOTAL);
  assert.deepEqual(skipped, []);
  assert.ok(firstFileMs < 1000, `first file after ${firstFileMs.toFixed(0)} ms`);
  // Paths of 200k files alone would be ~20 MB of strings: the walk holds folders, not files, so what it retains
  // after a quarter of the tree is about what it retains at the end.
  const growth = retained[3] - retained[0];
  assert.ok(growth < 4 * 2 ** 20, `retained heap grew by ${mb(growth)} from ${TOTAL / 4} to ${TOTAL} files`);
  t.diagnostic(
    `first file ${firstFileMs.toFixed(1)} ms; ${count} files in ${(totalMs / 1000).toFixed(1)} s; ` +
      `retained heap after each quarter ${retained.map(mb).join(', ')}; rss ${mb(process.memoryUsage().rss)}`,
  );
});

test('maxFiles stops a 200k-file walk early with one max-files skip', async (t) => {
  const maxFiles = 5000;
  const started = performance.now();
  let count = 0;
  const skipped: SkippedFile[] = [];
  for await (const _file of walkFolder(root, { ...DEFAULT_WALK, maxFiles }, (skip) => skipped.push(skip))) count++;
  const ms = performance.now() - started;
  assert.equal(count, maxFiles);
  assert.equal(skipped.length, 1);
  assert.equal(skipped[0].reason, 'max-files');
  assert.match(skipped[0].detail ?? '', /limit of 5000 files/);
  t.diagnostic(`stopped after ${count} files in ${ms.toFixed(0)} ms`);
});
