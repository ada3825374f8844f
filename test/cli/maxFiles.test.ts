// The CLI's --max-files: the walk stops at the cap, the user is warned on stderr naming the cap and the flag, the
// JSON summary carries the cap and its skip report, and files past the cap are not searched. Runs dist/cli.js with
// its real model host and the generated model.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { DEFAULT_MAX_FILES } from '../../src/core/walk';
import type { IndexSummary } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { CLI_SCRIPT } from '../host/reference';

const run = promisify(execFile);
const FOLDERS = ['a', 'b', 'c'];
const FILES_PER_FOLDER = 5;
const MAX_FILES = 7;

let model: string;
let work: string;
let tree: string;

/** A different sentence per file, so a search at score 1 finds exactly one place. */
const textOf = (folder: string, i: number) => `the ${folder} folder keeps note number ${i} about the file`;

before(async () => {
  model = await ensureTestModel('semantic');
  work = mkdtempSync(join(tmpdir(), 'ss-cli-max-files-'));
  tree = join(work, 'tree');
  for (const folder of FOLDERS) {
    mkdirSync(join(tree, folder), { recursive: true });
    for (let i = 0; i < FILES_PER_FOLDER; i++) writeFileSync(join(tree, folder, `f${i}.txt`), `${textOf(folder, i)}\n`);
  }
});
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]) {
  return run(process.execPath, [CLI_SCRIPT, ...args, '--model', model, '--cache-dir', join(work, 'cache'), '--no-cache'], { timeout: 120_000 });
}

test('index --max-files stops at the cap, warns on stderr naming the cap and the flag, and reports it in --json', async () => {
  const { stdout, stderr } = await cli(['index', tree, '--max-files', String(MAX_FILES), '--json']);
  const out = JSON.parse(stdout) as IndexSummary & { maxFiles: number };
  assert.equal(out.maxFiles, MAX_FILES);
  assert.equal(out.files, MAX_FILES);
  // Depth first in name order: all of a/, then b/f0 and b/f1; b/f2 is the first file over the cap, and the walk ends.
  assert.deepEqual(out.skipped.map((s) => [s.relPath, s.reason, s.detail]), [['b/f2.txt', 'max-files', `limit of ${MAX_FILES} files reached`]]);
  assert.equal(out.skippedCount, 1);
  assert.match(stderr, new RegExp(`warn: ${tree.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has more than ${MAX_FILES} files: only the first ${MAX_FILES} were indexed\\. Raise the limit with --max-files <n>\\.`));
});

test('without --max-files the default cap applies and a small tree gets no warning', async () => {
  const { stdout, stderr } = await cli(['index', tree, '--json']);
  const out = JSON.parse(stdout) as IndexSummary & { maxFiles: number };
  assert.equal(out.maxFiles, DEFAULT_MAX_FILES);
  assert.equal(out.files, FOLDERS.length * FILES_PER_FOLDER);
  assert.equal(out.skippedCount, 0);
  assert.doesNotMatch(stderr, /max-files/);
});

test('search --max-files finds only files the capped walk reached', async () => {
  const search = async (text: string, maxFiles: number) => {
    const { stdout } = await cli(['search', tree, '--query', text, '--max-files', String(maxFiles), '--min-score', '0.99999', '--json']);
    return (JSON.parse(stdout) as { results: Array<{ file: string }> }).results.map((r) => r.file);
  };
  assert.deepEqual(await search(textOf('b', 1), MAX_FILES), ['b/f1.txt']);
  assert.deepEqual(await search(textOf('c', 4), MAX_FILES), [], 'c/f4.txt is past the cap');
  assert.deepEqual(await search(textOf('c', 4), FOLDERS.length * FILES_PER_FOLDER), ['c/f4.txt']);
});

test('--max-files must be a whole number of at least 1: anything else is a usage error', async () => {
  for (const value of ['0', '-3', 'many', '2.5']) {
    await assert.rejects(cli(['index', tree, `--max-files=${value}`]), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2, value);
      assert.match(error.stderr, /--max-files/);
      assert.match(error.stderr, /Usage:/);
      return true;
    });
  }
});
