import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { nodeFileSystem } from '../../src/core/index/storage';
import {
  clearIndexes,
  hashContent,
  indexFileName,
  IndexWriteError,
  WorkspaceIndex,
  type IndexFileSystem,
  type IndexHit,
  type IndexIdentity,
  type WritableIndexFile,
} from '../../src/core/index/workspaceIndex';
import { exactDot } from '../../src/core/similarity';
import type { Unit } from '../../src/core/units';

const DIM = 24; // not a multiple of 16, so rows are padded in the int8 matrix
const ROOT = path.resolve('/projects/workspace');
const IDENTITY: IndexIdentity = { model: 'test/model', revision: 'abc123', dtype: 'fp32', maxLength: 128, pooling: 'mean', dim: DIM };

/** A deterministic L2-normalised vector per text (seeded by its SHA-1), standing in for a model. */
function vectorFor(text: string, dim = DIM): Float32Array {
  let state = createHash('sha1').update(text).digest().readUInt32LE(0);
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const v = Float32Array.from({ length: dim }, () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** Embeds every text that lacks a vector, the way the host does; returns how many. */
function embed(index: WorkspaceIndex, dim = DIM): number {
  const texts = index.textsWithoutVectors();
  const vectors = new Float32Array(texts.length * dim);
  texts.forEach((text, i) => vectors.set(vectorFor(text, dim), i * dim));
  index.addVectors(texts, vectors);
  return texts.length;
}

const unitsOf = (lines: string[]): Unit[] => lines.map((text, i) => ({ text, line: i + 1, endLine: i + 1, column: 2, endColumn: 2 + text.length }));

function metaOf(lines: string[], mtimeMs = 1000) {
  const text = lines.join('\n');
  return { size: text.length, mtimeMs, contentHash: hashContent(text) };
}

/** Keeps the index and a plain model of its files in step. */
function setLines(index: WorkspaceIndex, truth: Map<string, string[]>, relPath: string, lines: string[]): void {
  index.setFile(relPath, metaOf(lines), unitsOf(lines));
  truth.set(relPath, lines);
}

/** The answer search must give: every unit scored by brute force, ordered as the index orders ties. */
function bruteForce(
  truth: Map<string, string[]>,
  query: Float32Array,
  k: number,
  minScore = -Infinity,
  exclude?: (relPath: string, unit: Unit) => boolean,
): IndexHit[] {
  const all: IndexHit[] = [];
  for (const [relPath, lines] of truth) {
    for (const unit of unitsOf(lines)) {
      const score = exactDot(query, vectorFor(unit.text, query.length));
      if (score >= minScore && !exclude?.(relPath, unit)) all.push({ relPath, unit, score });
    }
  }
  all.sort((a, b) => b.score - a.score || (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0) || a.unit.line - b.unit.line);
  return all.slice(0, k);
}

/** Lines with many repeats inside and across files, like real code. */
function corpus(files: number, lines: number, salt = ''): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let f = 0; f < files; f++) {
    out.set(`src/file${f}.ts`, Array.from({ length: lines }, (_, i) => `${salt}statement ${(f * 31 + i * 17) % 97} of kind ${i % 5}`));
  }
  return out;
}

function load(index: WorkspaceIndex, files: Map<string, string[]>): Map<string, string[]> {
  const truth = new Map<string, string[]>();
  for (const [relPath, lines] of files) setLines(index, truth, relPath, lines);
  return truth;
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-index-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const manifestName = (identity = IDENTITY, root = ROOT): string => indexFileName(root, identity);
const segmentFiles = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.sseg'));
const folderBytes = (dir: string): number => readdirSync(dir).reduce((sum, name) => sum + statSync(path.join(dir, name)).size, 0);
const queries = (): Float32Array[] => [vectorFor('a query'), vectorFor('statement 5 of kind 0'), vectorFor('another query').map((x) => -x)];

function assertSameSearch(index: WorkspaceIndex, truth: Map<string, string[]>): void {
  for (const query of queries()) {
    for (const k of [1, 7, 40]) assert.deepEqual(index.search(query, k), bruteForce(truth, query, k), `k=${k}`);
  }
}

/** The real file system, with a hook that sees every write first (and may fail it). */
function watchedDisk(beforeWrite: (filePath: string, data: Uint8Array) => void): IndexFileSystem {
  const watch = async (filePath: string, opening: Promise<WritableIndexFile>): Promise<WritableIndexFile> => {
    const file = await opening;
    return { ...file, write: async (data, position) => (beforeWrite(filePath, data), file.write(data, position)) };
  };
  return {
    create: (filePath) => watch(filePath, nodeFileSystem.create(filePath)),
    open: (filePath) => watch(filePath, nodeFileSystem.open(filePath)),
  };
}

/** Simulates a disk that fills up after `budget` bytes: writes past it fail with ENOSPC. */
function fullDisk(budget: () => number): IndexFileSystem {
  let used = 0;
  return watchedDisk((_, data) => {
    if (used + data.length > budget()) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    used += data.length;
  });
}

/** Counts the bytes a save writes to segments and to other files (journal or manifest). */
function countingDisk(counts: { segment: number; other: number }): IndexFileSystem {
  return watchedDisk((filePath, data) => (counts[filePath.endsWith('.sseg') || filePath.includes('.sseg.') ? 'segment' : 'other'] += data.length));
}

/** A process id that is certainly not running any more. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

const CRASH_CHILD_ENV = 'SS_INDEX_CRASH_TEST_DIR';
const bulkLines = (generation: number): string[] => Array.from({ length: 300 }, (_, i) => `generation ${generation} bulk line ${i}`);

/** Child process for the kill -9 test: keeps editing and saving, printing each committed generation. */
async function crashChild(dir: string): Promise<void> {
  const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
  const truth = new Map<string, string[]>();
  for (let generation = (index.fileMeta('gen.txt')?.size ?? 0) + 1; ; generation++) {
    setLines(index, truth, `bulk${generation % 4}.txt`, bulkLines(generation));
    index.setFile('gen.txt', { size: generation, mtimeMs: generation, contentHash: String(generation) }, unitsOf([`generation ${generation}`]));
    embed(index);
    await index.save();
    process.stdout.write(`${generation}\n`);
  }
}

if (process.env[CRASH_CHILD_ENV]) {
  void crashChild(process.env[CRASH_CHILD_ENV]);
} else {
  test('search returns the exact top k with exact float32 scores', async () => {
    {
      const index = await WorkspaceIndex.open(undefined, ROOT, IDENTITY);
      const truth = load(index, corpus(20, 50));
      const distinct = new Set([...truth.values()].flat()).size;
      assert.ok(distinct < 1000);
      assert.equal(embed(index), distinct, 'each distinct text is embedded once');
      assertSameSearch(index, truth);
      const all = index.search(vectorFor('x'), 5000);
      assert.equal(all.length, 1000);
      assert.deepEqual(all, bruteForce(truth, vectorFor('x'), 5000));
      const [hit] = index.search(vectorFor('statement 5 of kind 0'), 1);
      assert.equal(hit.unit.text, 'statement 5 of kind 0');
      assert.equal(hit.unit.column, 2);
      assert.equal(hit.unit.endColumn, 2 + hit.unit.text.length);
      assert.equal(hit.score, exactDot(vectorFor(hit.unit.text), vectorFor(hit.unit.text)));
      assert.deepEqual(index.search(vectorFor('x'), 0), []);
      assert.deepEqual(index.stats(), { files: 20, units: 1000, vectors: distinct, unsavedVectors: distinct });
    }
  });

  test('minScore and exclude filter exactly, even when they remove most candidates', async () => {
    const index = await WorkspaceIndex.open(undefined, ROOT, IDENTITY);
    const truth = load(index, corpus(30, 40));
    embed(index);
    const query = vectorFor('statement 12 of kind 3');
    assert.deepEqual(index.search(query, 50, { minScore: 0.2 }), bruteForce(truth, query, 50, 0.2));
    assert.ok(index.search(query, 50, { minScore: 0.2 }).every((hit) => hit.score >= 0.2));
    assert.deepEqual(index.search(query, 10, { minScore: 2 }), []);
    const notFile3 = (relPath: string): boolean => relPath !== 'src/file3.ts';
    assert.deepEqual(index.search(query, 25, { exclude: notFile3 }), bruteForce(truth, query, 25, -Infinity, notFile3));
    const ownLine = (relPath: string, unit: Unit): boolean => relPath === 'src/file0.ts' && unit.line === 1;
    assert.deepEqual(index.search(query, 25, { exclude: ownLine }), bruteForce(truth, query, 25, -Infinity, ownLine));
  });

  test('a text used in many places is embedded once and every use is found', async () => {
    const index = await WorkspaceIndex.open(undefined, ROOT, IDENTITY);
    const truth = new Map<string, string[]>();
    for (let f = 0; f < 10; f++) setLines(index, truth, `f${f}.txt`, ['shared line', `own line ${f}`]);
    setLines(index, truth, 'twice.txt', ['shared line', 'x y z', 'shared line']);
    const missing = index.textsWithoutVectors();
    assert.equal(missing.filter((t) => t === 'shared line').length, 1);
    assert.equal(missing.length, 12);
    embed(index);
    const hits = index.search(vectorFor('shared line'), 20, { minScore: 0.999 });
    assert.equal(hits.length, 12);
    assert.deepEqual(hits, bruteForce(truth, vectorFor('shared line'), 20, 0.999));
    assert.equal(index.stats().vectors, 12);
  });

  test('only texts with vectors are searched; addVectors ignores unknown and repeated texts', async () => {
    const index = await WorkspaceIndex.open(undefined, ROOT, IDENTITY);
    const truth = new Map<string, string[]>();
    setLines(index, truth, 'a.txt', ['alpha one', 'beta two', 'gamma three']);
    const vectors = new Float32Array(4 * DIM);
    ['alpha one', 'not in any file', 'alpha one', 'gamma three'].forEach((t, i) => vectors.set(vectorFor(t), i * DIM));
    index.addVectors(['alpha one', 'not in any file', 'alpha one', 'gamma three'], vectors);
    assert.deepEqual(index.textsWithoutVectors(), ['beta two']);
    assert.equal(index.stats().vectors, 2);
    const hits = index.search(vectorFor('beta two'), 10);
    assert.deepEqual(hits.map((h) => h.unit.text).sort(), ['alpha one', 'gamma three']);
    assert.throws(() => index.addVectors(['beta two'], new Float32Array(DIM - 1)), /need 24 floats/);
  });

  test('incremental updates: edits re-embed only changed lines, renames and moved lines keep their vectors', async () => {
    const index = await WorkspaceIndex.open(undefined, ROOT, IDENTITY);
    const truth = new Map<string, string[]>();
    setLines(index, truth, 'a.txt', ['line one', 'line two', 'line three']);
    setLines(index, truth, 'b.txt', ['line four']);
    assert.equal(embed(index), 4);
    setLines(index, truth, 'a.txt', ['line one', 'line two, edited', 'line three']);
    assert.deepEqual(index.textsWithoutVectors(), ['line two, edited']);
    assert.equal(embed(index), 1);
    // Rename = remove + add: nothing to embed.
    index.removeFile('a.txt');
    truth.delete('a.txt');
    setLines(index, truth, 'c.txt', ['line one', 'line two, edited', 'line three']);
    assert.deepEqual(index.textsWithoutVectors(), []);
    // A line moving from b.txt to c.txt keeps its vector.
    setLines(index, truth, 'b.txt', []);
    setLines(index, truth, 'c.txt', ['line one', 'line two, edited', 'line three', 'line four']);
    assert.deepEqual(index.textsWithoutVectors(), []);
    index.removeFile('b.txt');
    truth.delete('b.txt');
    index.removeFile('never-added.txt');
    assert.deepEqual([...index.files()], ['c.txt']);
    assert.equal(index.fileMeta('a.txt'), undefined);
    assert.deepEqual(index.fileMeta('c.txt'), metaOf(truth.get('c.txt')!));
    assert.equal(index.stats().units, 4);
    assertSameSearch(index, truth);
  });

  test('save and reopen round trip, across several saves', async (t) => {
    const dir = tempDir(t);
    const index = await WorkspaceIndex.open(path.join(dir, 'nested', 'indexes'), ROOT, IDENTITY);
    const truth = load(index, corpus(15, 30));
    embed(index);
    setLines(index, truth, 'pending.md', ['not embedded yet', 'statement 3 of kind 1']);
    await index.save();
    const savedStats = index.stats();
    await index.close();
    let reopened = await WorkspaceIndex.open(path.join(dir, 'nested', 'indexes'), ROOT, IDENTITY);
    assert.deepEqual([...reopened.files()].sort(), [...truth.keys()].sort());
    assert.deepEqual(reopened.fileMeta('pending.md'), metaOf(truth.get('pending.md')!));
    assert.deepEqual(reopened.textsWithoutVectors(), ['not embedded yet']);
    assert.deepEqual(reopened.stats(), { ...savedStats, unsavedVectors: 0 });
    assertSameSearch(reopened, truth);

    // More saves on the reopened index: new segments next to the loaded one, all of it reloads.
    embed(reopened);
    setLines(reopened, truth, 'src/file2.ts', ['a brand new line', 'statement 3 of kind 1']);
    reopened.removeFile('src/file4.ts');
    truth.delete('src/file4.ts');
    embed(reopened);
    await reopened.save();
    setLines(reopened, truth, 'late.txt', ['added after the second save']);
    embed(reopened);
    await reopened.save();
    assertSameSearch(reopened, truth);
    await reopened.close();
    reopened = await WorkspaceIndex.open(path.join(dir, 'nested', 'indexes'), ROOT, IDENTITY);
    assert.deepEqual(reopened.textsWithoutVectors(), []);
    assertSameSearch(reopened, truth);
    assert.equal(readdirSync(path.join(dir, 'nested', 'indexes')).filter((n) => n.endsWith('.tmp')).length, 0);
    await reopened.close();
  });

  test('save is a no-op when nothing changed', async (t) => {
    const dir = tempDir(t);
    const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    load(index, corpus(3, 10));
    embed(index);
    await index.save();
    const before = statSync(path.join(dir, manifestName()));
    const listing = readdirSync(dir).sort();
    await index.save();
    const after = statSync(path.join(dir, manifestName()));
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.deepEqual(readdirSync(dir).sort(), listing);
    await index.close();
  });

  test('vectors no unit uses are dropped on save, and the files stay bounded under churn', async (t) => {
    const dir = tempDir(t);
    const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    const truth = load(index, corpus(5, 40));
    const stable = embed(index);
    await index.save();
    const firstBytes = folderBytes(dir);
    let manifestRewrites = 0;
    for (let generation = 0; generation < 60; generation++) {
      const manifest = statSync(path.join(dir, manifestName())).ino;
      setLines(index, truth, 'churn.txt', Array.from({ length: 60 }, (_, i) => `churn ${generation} line ${i}`));
      embed(index);
      await index.save();
      assert.equal(index.stats().vectors, stable + 60, 'only referenced vectors are kept');
      if (statSync(path.join(dir, manifestName())).ino !== manifest) manifestRewrites++;
    }
    // Saves append to the journal, which is folded into a new manifest once it reaches 64 KiB.
    assert.ok(manifestRewrites >= 1 && manifestRewrites <= 10, `${manifestRewrites} manifest rewrites`);
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.ssjournal')).length, 1);
    assert.ok(folderBytes(dir) < 3 * firstBytes + 100_000, `index files grew to ${folderBytes(dir)} bytes from ${firstBytes}`);
    assert.ok(segmentFiles(dir).length <= 9, `${segmentFiles(dir).length} segment files`);
    await index.close();
    const reopened = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    assertSameSearch(reopened, truth);
    // A text dropped by an earlier save must be embedded again when it comes back.
    setLines(reopened, truth, 'back.txt', ['churn 0 line 0']);
    assert.deepEqual(reopened.textsWithoutVectors(), ['churn 0 line 0']);
    await reopened.close();
  });

  test('search is right while a save runs, and changes made during a save are saved by the next one', async (t) => {
    const dir = tempDir(t);
    const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    const truth = load(index, corpus(10, 30));
    embed(index);
    const saving = index.save();
    assertSameSearch(index, truth);
    setLines(index, truth, 'during.txt', ['written while saving']);
    embed(index);
    const savingAgain = index.save();
    assertSameSearch(index, truth);
    await Promise.all([saving, savingAgain]);
    assert.equal(index.stats().unsavedVectors, 0);
    assertSameSearch(index, truth);
    const reopened = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    assertSameSearch(reopened, truth);
    await Promise.all([index.close(), reopened.close()]);
  });

  test('a small edit appends to the journal instead of rewriting the manifest, and reloads exactly', async (t) => {
    const dir = tempDir(t);
    const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    const truth = load(index, corpus(40, 50));
    embed(index);
    await index.save();
    const manifest = statSync(path.join(dir, manifestName()));
    for (let edit = 0; edit < 5; edit++) {
      setLines(index, truth, `src/file${edit}.ts`, [`edited line ${edit}`, 'statement 5 of kind 0']);
      embed(index);
      await index.save();
    }
    index.removeFile('src/file9.ts');
    truth.delete('src/file9.ts');
    await index.save();
    const after = statSync(path.join(dir, manifestName()));
    assert.equal(after.ino, manifest.ino);
    assert.equal(after.size, manifest.size);
    const [journal] = readdirSync(dir).filter((n) => n.endsWith('.ssjournal'));
    assert.ok(statSync(path.join(dir, journal)).size < manifest.size / 4);
    await index.close();
    const reopened = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    assert.deepEqual([...reopened.files()].sort(), [...truth.keys()].sort());
    assert.deepEqual(reopened.textsWithoutVectors(), []);
    assertSameSearch(reopened, truth);
    await reopened.close();
  });

  test('a torn journal record (crash during an append) is ignored: the index loads as of the save before it', async (t) => {
    for (const damage of ['torn record', 'bad checksum']) {
      const dir = tempDir(t);
      const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
      const truth = load(index, corpus(10, 20));
      embed(index);
      await index.save();
      setLines(index, truth, 'one.txt', ['first journal record']);
      embed(index);
      await index.save();
      const [journal] = readdirSync(dir).filter((n) => n.endsWith('.ssjournal')).map((n) => path.join(dir, n));
      const beforeLast = readFileSync(journal);
      const committed = new Map(truth);
      // Only texts that already have vectors: the last save writes no segment, just its record.
      setLines(index, truth, 'two.txt', [...truth.get('src/file1.ts')!.slice(0, 3)]);
      assert.equal(embed(index), 0);
      await index.save();
      await index.close();
      const full = readFileSync(journal);
      assert.ok(full.length > beforeLast.length);
      if (damage === 'torn record') {
        writeFileSync(journal, full.subarray(0, beforeLast.length + Math.floor((full.length - beforeLast.length) / 2)));
      } else {
        const bogus = Buffer.alloc(24, 7);
        bogus.writeUInt32LE(16, 0);
        writeFileSync(journal, Buffer.concat([full, bogus]));
        committed.set('two.txt', truth.get('two.txt')!);
      }
      const reopened = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
      assert.deepEqual([...reopened.files()].sort(), [...committed.keys()].sort(), damage);
      assertSameSearch(reopened, committed);
      // Saving again appends after the last good record.
      setLines(reopened, committed, 'three.txt', ['after the damage']);
      embed(reopened);
      await reopened.save();
      await reopened.close();
      const again = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
      assertSameSearch(again, committed);
      await again.close();
    }
  });

  test('a 384-dimensional index answers exactly after a reload', async (t) => {
    const dir = tempDir(t);
    const identity = { ...IDENTITY, dim: 384 };
    const index = await WorkspaceIndex.open(dir, ROOT, identity);
    const files = corpus(40, 60, 'wide ');
    for (const [relPath, lines] of files) index.setFile(relPath, metaOf(lines), unitsOf(lines));
    embed(index, 384);
    await index.save();
    await index.close();
    const reopened = await WorkspaceIndex.open(dir, ROOT, identity);
    for (const text of ['wide statement 7 of kind 2', 'unrelated words']) {
      const query = vectorFor(text, 384);
      assert.deepEqual(reopened.search(query, 30), bruteForce(files, query, 30));
    }
    await reopened.close();
  });

  test('each model identity and root gets its own file, and clearIndexes removes them', async (t) => {
    const dir = tempDir(t);
    const other = { ...IDENTITY, model: 'test/other-model', dim: 16 };
    assert.equal(indexFileName(ROOT, IDENTITY), indexFileName(ROOT + path.sep, { ...IDENTITY }));
    assert.notEqual(indexFileName(ROOT, IDENTITY), indexFileName(ROOT, other));
    assert.notEqual(indexFileName(ROOT, IDENTITY), indexFileName(ROOT, { ...IDENTITY, maxLength: 64 }));
    assert.notEqual(indexFileName(ROOT, IDENTITY), indexFileName('/projects/elsewhere', IDENTITY));
    for (const [root, identity] of [[ROOT, IDENTITY], [ROOT, other], ['/projects/elsewhere', IDENTITY]] as const) {
      const index = await WorkspaceIndex.open(dir, root, identity);
      const lines = ['some text', 'more text'];
      index.setFile('a.txt', metaOf(lines), unitsOf(lines));
      embed(index, identity.dim);
      await index.save();
      await index.close();
    }
    writeFileSync(path.join(dir, 'notes.txt'), 'not an index');
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.ssidx')).length, 3);
    const reopened = await WorkspaceIndex.open(dir, ROOT, other);
    assert.equal(reopened.stats().vectors, 2);
    await reopened.close();
    assert.equal(await clearIndexes(dir, ROOT), 2);
    assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.ssidx')), [manifestName(IDENTITY, '/projects/elsewhere')]);
    assert.equal(await clearIndexes(dir), 1);
    assert.deepEqual(readdirSync(dir), ['notes.txt']);
    assert.equal(await clearIndexes(path.join(dir, 'missing')), 0);
  });

  test('an index written for another identity is set aside and an empty one returned', async (t) => {
    const dir = tempDir(t);
    const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    load(index, corpus(2, 5));
    embed(index);
    await index.save();
    await index.close();
    const other = { ...IDENTITY, revision: 'def456' };
    copyFileSync(path.join(dir, manifestName()), path.join(dir, manifestName(other)));
    const messages: string[] = [];
    const wrong = await WorkspaceIndex.open(dir, ROOT, other, (m) => messages.push(m));
    assert.deepEqual(wrong.stats(), { files: 0, units: 0, vectors: 0, unsavedVectors: 0 });
    assert.ok(existsSync(path.join(dir, `${manifestName(other)}.identity.bad`)));
    assert.ok(messages.some((m) => m.includes('set aside')));
    await wrong.close();
    const right = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    assert.equal(right.stats().files, 2);
    await right.close();
  });

  const damages: Array<[string, string, (file: string) => void]> = [
    ['a flipped byte', 'corrupt', (file) => flipByte(file, Math.floor(statSync(file).size / 2))],
    ['a flipped byte in the checksum', 'corrupt', (file) => flipByte(file, statSync(file).size - 1)],
    ['truncation', 'truncated', (file) => truncateSync(file, Math.floor(statSync(file).size / 2))],
    ['a tiny file', 'truncated', (file) => truncateSync(file, 10)],
    ['a newer format version', 'version', (file) => writeUInt32(file, 8, 99)],
    ['foreign content', 'corrupt', (file) => writeFileSync(file, 'x'.repeat(100))],
  ];
  for (const [damage, reason, apply] of damages) {
    test(`a manifest with ${damage} is set aside as ${reason} and the index starts empty`, async (t) => {
      await checkDamage(t, (dir) => apply(path.join(dir, manifestName())), reason);
    });
  }

  test('a journal that is not a journal sets the index aside', async (t) => {
    await checkDamage(
      t,
      (dir) => {
        const index = readdirSync(dir).find((n) => n.endsWith('.ssidx'))!;
        // The manifest names a journal that does not exist yet; put something foreign in its place.
        const journal = readFileSync(path.join(dir, index)).toString('latin1').match(/[\w.-]+\.ssjournal/)![0];
        writeFileSync(path.join(dir, journal), 'this is not a journal at all');
      },
      'corrupt',
    );
  });

  const segmentDamages: Array<[string, string, (file: string) => void]> = [
    ['a flipped byte in a vector', 'corrupt', (file) => flipByte(file, 64 + 5)],
    ['a flipped byte in an int8 row', 'corrupt', (file) => flipByte(file, statSync(file).size - 3)],
    ['truncation', 'truncated', (file) => truncateSync(file, statSync(file).size - 1)],
    ['deletion', 'missing-segment', (file) => rmSync(file)],
  ];
  for (const [damage, reason, apply] of segmentDamages) {
    test(`a segment with ${damage} sets the index aside as ${reason}`, async (t) => {
      await checkDamage(t, (dir) => apply(path.join(dir, segmentFiles(dir)[0])), reason);
    });
  }

  test('leftovers of dead writers are swept; files of live writers and other indexes are kept', async (t) => {
    const dir = tempDir(t);
    const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    load(index, corpus(2, 5));
    embed(index);
    await index.save();
    await index.close();
    const base = manifestName().replace(/\.ssidx$/, '');
    const otherBase = manifestName(IDENTITY, '/projects/elsewhere').replace(/\.ssidx$/, '');
    const dead = deadPid();
    const live = process.ppid; // the test runner (or shell): running, and not this process
    const stale = [`${base}.ssidx.${dead}-0a0a.tmp`, `${base}.${dead}-1b1b.sseg`, `${base}.${dead}-1b1b.sseg.${dead}-2c2c.tmp`];
    const kept = [`${base}.ssidx.${live}-3d3d.tmp`, `${base}.${live}-4e4e.sseg`, `${otherBase}.${dead}-5f5f.sseg`];
    for (const name of [...stale, ...kept]) writeFileSync(path.join(dir, name), 'partial');
    const messages: string[] = [];
    const reopened = await WorkspaceIndex.open(dir, ROOT, IDENTITY, (m) => messages.push(m));
    assert.equal(reopened.stats().files, 2);
    for (const name of stale) assert.ok(!existsSync(path.join(dir, name)), `${name} should be swept`);
    for (const name of kept) assert.ok(existsSync(path.join(dir, name)), `${name} should be kept`);
    assert.ok(messages.some((m) => m.includes('leftover')));
    await reopened.close();
  });

  // A small change goes to the journal; a large one makes the save rewrite the manifest.
  const changes: Array<[string, number]> = [['a journal append', 20], ['a manifest rewrite', 3000]];
  for (const [kind, lines] of changes) {
    test(`a full disk (ENOSPC) at any point of ${kind} keeps the previous index loadable`, async (t) => {
      const change = (index: WorkspaceIndex, truth: Map<string, string[]>): void => {
        setLines(index, truth, 'src/file1.ts', Array.from({ length: lines }, (_, i) => `rewritten line ${i}`));
        index.removeFile('src/file0.ts');
        truth.delete('src/file0.ts');
        embed(index);
      };
      const prepare = async (dir: string) => {
        const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
        const truth = load(index, corpus(6, 30));
        embed(index);
        await index.save();
        await index.close();
        return truth;
      };
      // Learn how many bytes the change writes to each kind of file.
      const sizes = { segment: 0, other: 0 };
      const probeDir = tempDir(t);
      const probeTruth = await prepare(probeDir);
      const manifestBefore = statSync(path.join(probeDir, manifestName())).ino;
      const probe = await WorkspaceIndex.open(probeDir, ROOT, IDENTITY, undefined, countingDisk(sizes));
      change(probe, probeTruth);
      await probe.save();
      await probe.close();
      assert.ok(sizes.segment > 0 && sizes.other > 0);
      assert.equal(statSync(path.join(probeDir, manifestName())).ino !== manifestBefore, lines > 100, 'the change takes the intended path');

      for (const budget of [0, Math.floor(sizes.segment / 2), sizes.segment + Math.floor(sizes.other / 2), sizes.segment + sizes.other - 1]) {
        const dir = tempDir(t);
        const before = await prepare(dir);
        const listing = readdirSync(dir).sort();
        const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY, undefined, fullDisk(() => budget));
        const after = new Map(before);
        change(index, after);
        await assert.rejects(index.save(), (error: unknown) => {
          assert.ok(error instanceof IndexWriteError);
          assert.equal(error.code, 'ENOSPC');
          assert.ok(error.message.includes(dir), error.message);
          return true;
        });
        const ownLock = (n: string) => n.endsWith('.ssjournal') || n.endsWith('.sslock');
        assert.deepEqual(readdirSync(dir).sort().filter((n) => !ownLock(n)), listing, `budget ${budget}: nothing left behind`);
        const old = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
        assertSameSearch(old, before);
        await old.close();
        // The failed index keeps working in memory.
        assertSameSearch(index, after);
        await index.close();
      }
    });
  }

  test('a save that failed can be retried once space is back', async (t) => {
    const dir = tempDir(t);
    let budget = 0;
    const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY, undefined, fullDisk(() => budget));
    const truth = load(index, corpus(4, 20));
    embed(index);
    await assert.rejects(index.save(), /no space left/);
    budget = Infinity;
    await index.save();
    // The same for a journal append: the failed record's changes must be carried by the retry.
    setLines(index, truth, 'src/file2.ts', ['changed during a full disk', 'statement 3 of kind 1']);
    index.removeFile('src/file3.ts');
    truth.delete('src/file3.ts');
    embed(index);
    budget = 0;
    await assert.rejects(index.save(), /no space left/);
    budget = Infinity;
    await index.save();
    await index.close();
    const reopened = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    assertSameSearch(reopened, truth);
    await reopened.close();
  });

  // INDEX_KILL_TRIALS sets the number of kills (default 100, ~20 s on 2 cores); INDEX_KILL_SEED replays a run.
  const killTrials = Number(process.env.INDEX_KILL_TRIALS) || 100;
  test(`kill -9 at random moments during saves (${killTrials} trials) always leaves the last acknowledged state`, async (t) => {
    const dir = tempDir(t);
    const seed = Number(process.env.INDEX_KILL_SEED) || Date.now() % 1_000_000;
    let state = seed;
    const random = (): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
    let acknowledged = 0;
    let inFlightCommitted = 0;
    for (let trial = 0; trial < killTrials; trial++) {
      const context = `seed ${seed}, trial ${trial}`;
      const child = spawn(process.execPath, [__filename], { env: { ...process.env, [CRASH_CHILD_ENV]: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // Kill after 1-3 acknowledged saves of this child, 0-25 ms into the next save (a save takes a few ms).
      const savesBeforeKill = 1 + Math.floor(random() * 3);
      const delay = random() * 25;
      let seen = 0;
      let pending = '';
      child.stdout!.on('data', (data: Buffer) => {
        const lines = (pending + data.toString()).split('\n');
        pending = lines.pop()!; // an incomplete last line waits for the next chunk
        for (const line of lines.filter((l) => /^\d+$/.test(l))) {
          acknowledged = Math.max(acknowledged, Number(line));
          if (++seen === savesBeforeKill) setTimeout(() => child.kill('SIGKILL'), delay);
        }
      });
      await exited;
      const messages: string[] = [];
      const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY, (m) => messages.push(m));
      assert.ok(!readdirSync(dir).some((n) => n.endsWith('.bad')), `${context}: ${messages.join('; ')}`);
      assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp')), `${context}: temp files of the killed writer are swept`);
      const generation = index.fileMeta('gen.txt')!.size;
      // The last acknowledged save, or the one after it if it completed before the kill but was not yet printed.
      assert.ok(generation === acknowledged || generation === acknowledged + 1, `${context}: loaded generation ${generation}, acknowledged ${acknowledged}`);
      if (generation > acknowledged) inFlightCommitted++;
      acknowledged = generation;
      assert.deepEqual(index.textsWithoutVectors(), []);
      // Rebuild what the committed generation must contain and compare searches with brute force.
      const truth = new Map<string, string[]>([['gen.txt', [`generation ${generation}`]]]);
      for (let g = generation; g > Math.max(0, generation - 4); g--) truth.set(`bulk${g % 4}.txt`, bulkLines(g));
      assert.deepEqual(new Set(index.files()), new Set(truth.keys()));
      for (const query of [vectorFor(`generation ${generation}`), vectorFor(`generation ${generation} bulk line 7`)]) {
        assert.deepEqual(index.search(query, 10), bruteForce(truth, query, 10));
      }
      await index.close();
    }
    t.diagnostic(`${killTrials} kills (seed ${seed}): ${inFlightCommitted} landed after a save committed but before it was acknowledged`);
  });

  test('a scope filters the search itself: the exact top k inside the scope, however small it is', async () => {
    const index = await WorkspaceIndex.open(undefined, ROOT, IDENTITY);
    const truth = load(index, corpus(60, 40));
    embed(index);
    const inScope = (relPath: string) => relPath === 'src/file7.ts' || relPath === 'src/file42.ts';
    const scoped = new Map([...truth].filter(([relPath]) => inScope(relPath)));
    for (const query of queries()) {
      for (const k of [1, 10, 80, 200]) {
        const hits = index.search(query, k, { files: inScope });
        assert.deepEqual(hits, bruteForce(scoped, query, k), `k=${k}`);
        // 80 units are in scope: a post-filtered top k of the whole index would return far fewer.
        assert.equal(hits.length, Math.min(k, 80));
      }
    }
    const ranked = index.rankedSearch(vectorFor('q'), 5, { files: inScope });
    assert.equal(ranked.searched, 80);
    assert.deepEqual(index.search(vectorFor('q'), 5, { files: () => false }), []);
  });

  test('rankedSearch counts exactly how many searched units score below each hit (percentiles)', async () => {
    const index = await WorkspaceIndex.open(undefined, ROOT, IDENTITY);
    const truth = load(index, corpus(30, 40));
    embed(index);
    setLines(index, truth, 'later.txt', ['added after embedding, so not searched']);
    truth.delete('later.txt');
    const all = (query: Float32Array, files?: (relPath: string) => boolean) =>
      bruteForce(new Map([...truth].filter(([relPath]) => !files || files(relPath))), query, Infinity).map((hit) => hit.score);
    const scopes = [undefined, (relPath: string) => relPath < 'src/file2'];
    for (const query of queries()) {
      for (const files of scopes) {
        const scores = all(query, files);
        const ranked = index.rankedSearch(query, 12, { files });
        assert.equal(ranked.searched, scores.length);
        for (const hit of ranked.hits) assert.equal(ranked.countBelow(hit.score), scores.filter((s) => s < hit.score).length);
      }
      // Excluding the best unit (the query's own location): it is neither a hit nor counted.
      const [best] = bruteForce(truth, query, 1);
      const own = (relPath: string, unit: Unit) => relPath === best.relPath && unit.line === best.unit.line;
      const ranked = index.rankedSearch(query, 12, { exclude: own });
      const scores = bruteForce(truth, query, Infinity, -Infinity, own).map((hit) => hit.score);
      for (const hit of ranked.hits) assert.equal(ranked.countBelow(hit.score), scores.filter((s) => s < hit.score).length);
    }
  });

  test('vectorOf returns the stored vector of a text some unit uses, and nothing for others', async () => {
    const index = await WorkspaceIndex.open(undefined, ROOT, IDENTITY);
    load(index, corpus(2, 5));
    setLines(index, new Map(), 'waiting.txt', ['not embedded']);
    embed(index);
    setLines(index, new Map(), 'new.txt', ['still waiting']);
    assert.deepEqual(index.vectorOf('statement 0 of kind 0'), vectorFor('statement 0 of kind 0'));
    assert.equal(index.vectorOf('still waiting'), undefined);
    assert.equal(index.vectorOf('never seen'), undefined);
  });

  test('adoptFrom gives a writer what a read-only copy saw: its files, and its vectors without embedding again', async (t) => {
    const dir = tempDir(t);
    const onDisk = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    const start = corpus(3, 4);
    load(onDisk, start);
    embed(onDisk);
    await onDisk.save();
    await onDisk.close();

    // The read-only copy's view moved on: a file edited, one deleted, one added, one still waiting for a vector.
    const reader = await WorkspaceIndex.open(undefined, ROOT, IDENTITY);
    const truth = load(reader, start);
    setLines(reader, truth, 'src/file0.ts', ['an edited first line', ...start.get('src/file0.ts')!.slice(1)]);
    reader.removeFile('src/file1.ts');
    truth.delete('src/file1.ts');
    setLines(reader, truth, 'added.txt', ['a line only the reader saw']);
    embed(reader);
    setLines(reader, truth, 'waiting.txt', ['not embedded anywhere yet']);

    const writer = (await WorkspaceIndex.openIfWritable(dir, ROOT, IDENTITY))!;
    t.after(() => writer.close());
    writer.adoptFrom(reader);
    assert.deepEqual([...writer.files()].sort(), [...truth.keys()].sort());
    assert.deepEqual(writer.textsWithoutVectors(), ['not embedded anywhere yet'], 'every vector the reader had was carried over');
    embed(writer);
    assertSameSearch(writer, truth);
    await writer.save();
    const reopened = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    t.after(() => reopened.close());
    // The writer still holds the lock in this process, so this open takes it over and must have loaded the save.
    assertSameSearch(reopened, truth);
  });

  test('vectors added while a save writes its segment are saved by the next save', async (t) => {
    const dir = tempDir(t);
    let index: WorkspaceIndex | undefined;
    const truth = new Map<string, string[]>();
    let added = false;
    // The moment the segment file is created, the save has planned its rows: embed the pending texts then.
    const disk = watchedDisk((filePath) => {
      if (added || !filePath.includes('.sseg')) return;
      added = true;
      embed(index!);
    });
    index = await WorkspaceIndex.open(dir, ROOT, IDENTITY, undefined, disk);
    load(index, corpus(5, 10));
    embed(index);
    setLines(index, truth, 'late.txt', ['embedded while the segment is written']);
    await index.save();
    assert.ok(added);
    assert.equal(index.stats().unsavedVectors, 1, 'the late vector is not in the segment');
    await index.save();
    assert.equal(index.stats().unsavedVectors, 0);
    await index.close();
    const reopened = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    assert.deepEqual(reopened.textsWithoutVectors(), []);
    assert.deepEqual(reopened.vectorOf('embedded while the segment is written'), vectorFor('embedded while the segment is written'));
    await reopened.close();
  });

  test('the unit mode of each file is saved with it, in the manifest and in journal records', async (t) => {
    const dir = tempDir(t);
    const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    index.setFile('a.md', { ...metaOf(['one']), unitMode: 'sentences' }, unitsOf(['one sentence here']));
    index.setFile('b.ts', metaOf(['two']), unitsOf(['two lines here']));
    embed(index);
    await index.save(); // manifest
    index.setFile('c.md', { ...metaOf(['three']), unitMode: 'lines' }, unitsOf(['three lines here']));
    embed(index);
    await index.save(); // journal
    await index.close();
    const reopened = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    assert.equal(reopened.fileMeta('a.md')!.unitMode, 'sentences');
    assert.equal(reopened.fileMeta('b.ts')!.unitMode, undefined);
    assert.equal(reopened.fileMeta('c.md')!.unitMode, 'lines');
    await reopened.close();
  });

  test('loading logs at info; nothing is logged at warn for a normal open', async (t) => {
    const dir = tempDir(t);
    const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    load(index, corpus(2, 3));
    embed(index);
    await index.save();
    await index.close();
    const messages: string[] = [];
    const reopened = await WorkspaceIndex.open(dir, ROOT, IDENTITY, (message, level) => messages.push(`${level}: ${message}`));
    await reopened.close();
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0], /^info: index: loaded 2 files/);
  });
}

function flipByte(file: string, offset: number): void {
  const data = readFileSync(file);
  data[offset] ^= 0xff;
  writeFileSync(file, data);
}

function writeUInt32(file: string, offset: number, value: number): void {
  const data = readFileSync(file);
  data.writeUInt32LE(value, offset);
  writeFileSync(file, data);
}

/** Saves an index, damages it, reopens: expects an empty index, the manifest set aside, and a working save. */
async function checkDamage(t: TestContext, damage: (dir: string) => void, reason: string): Promise<void> {
  const dir = tempDir(t);
  const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
  load(index, corpus(3, 10));
  embed(index);
  await index.save();
  await index.close();
  damage(dir);
  const messages: string[] = [];
  const reopened = await WorkspaceIndex.open(dir, ROOT, IDENTITY, (message, level) => messages.push(`${level}: ${message}`));
  assert.ok(messages.some((m) => m.startsWith('warn: index: set aside')), messages.join('\n'));
  assert.ok(messages.every((m) => m.startsWith('warn: ')), `a damaged index is reported at warn: ${messages.join('\n')}`);
  assert.deepEqual(reopened.stats(), { files: 0, units: 0, vectors: 0, unsavedVectors: 0 });
  assert.deepEqual([...reopened.files()], []);
  assert.ok(existsSync(path.join(dir, `${manifestName()}.${reason}.bad`)), `${readdirSync(dir).join(', ')} / ${messages.join('; ')}`);
  assert.deepEqual(segmentFiles(dir), [], 'segments of the set-aside index are removed');
  const truth = load(reopened, corpus(2, 4, 'fresh '));
  embed(reopened);
  await reopened.save();
  await reopened.close();
  const rebuilt = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
  assertSameSearch(rebuilt, truth);
  await rebuilt.close();
}
