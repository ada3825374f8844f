// An index met by a model of another dimension: the usual switch of model (each identity has its own files), a
// manifest of another dimension found under this identity's name, and a manifest whose identity claims this
// dimension while its vector segments hold rows of another. Never a crash and never a wrong-sized vector: the new
// index starts empty, a foreign file is set aside, and the other model's own index stays intact.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { decodeManifest, encodeManifest } from '../../src/core/index/manifest';
import { hashContent, indexFileName, WorkspaceIndex, type IndexIdentity } from '../../src/core/index/workspaceIndex';
import type { Unit } from '../../src/core/units';

const ROOT = path.resolve('/projects/workspace');
const SMALL: IndexIdentity = { model: 'test/model', revision: 'abc123', dtype: 'fp32', maxLength: 128, pooling: 'mean', dim: 24 };
const WIDE: IndexIdentity = { ...SMALL, dim: 384 };
const LINES = ['open the file', 'save the settings', 'close the window', 'print the report'];

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ss-identity-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A unit vector of the given dimension, different for each text. */
function vectorFor(text: string, dim: number): Float32Array {
  const seed = createHash('sha1').update(text).digest().readUInt32LE(0);
  const v = Float32Array.from({ length: dim }, (_, i) => Math.sin(seed + 7 * i));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

const unitsOf = (lines: string[]): Unit[] => lines.map((text, i) => ({ text, line: i + 1, endLine: i + 1, column: 0, endColumn: text.length }));

/** Puts LINES into a.txt and embeds them with vectors of the identity's dimension. */
function fill(index: WorkspaceIndex): void {
  const text = LINES.join('\n');
  index.setFile('a.txt', { size: text.length, mtimeMs: 1000, contentHash: hashContent(text) }, unitsOf(LINES));
  const texts = index.textsWithoutVectors();
  const { dim } = index.identity;
  const vectors = new Float32Array(texts.length * dim);
  texts.forEach((t, i) => vectors.set(vectorFor(t, dim), i * dim));
  index.addVectors(texts, vectors);
}

async function savedIndex(dir: string, identity: IndexIdentity): Promise<void> {
  const index = await WorkspaceIndex.open(dir, ROOT, identity);
  fill(index);
  await index.save();
  await index.close();
}

/** Opens the index, checks it holds LINES and answers each one exactly at score 1, closes it. */
async function assertHoldsLines(dir: string, identity: IndexIdentity): Promise<void> {
  const index = await WorkspaceIndex.open(dir, ROOT, identity);
  try {
    assert.deepEqual(index.stats(), { files: 1, units: LINES.length, vectors: LINES.length, unsavedVectors: 0 });
    for (const [i, line] of LINES.entries()) {
      const [top] = index.search(vectorFor(line, identity.dim), 1);
      assert.deepEqual([top.relPath, top.unit.line], ['a.txt', i + 1]);
      assert.ok(Math.abs(top.score - 1) < 1e-6, `${line}: ${top.score}`);
    }
  } finally {
    await index.close();
  }
}

/** Opens for `identity` what should be an empty index, checks that it is and that it searches, fills and saves. */
async function assertStartsEmptyAndWorks(dir: string, identity: IndexIdentity, log: (message: string, level: string) => void): Promise<void> {
  const index = await WorkspaceIndex.open(dir, ROOT, identity, log);
  assert.deepEqual(index.stats(), { files: 0, units: 0, vectors: 0, unsavedVectors: 0 });
  assert.deepEqual(index.search(vectorFor('open the file', identity.dim), 5), []);
  fill(index);
  await index.save();
  await index.close();
  await assertHoldsLines(dir, identity);
}

test('switching to a model of another dimension opens its own empty index and leaves the other one intact', async (t) => {
  const dir = tempDir(t);
  await savedIndex(dir, SMALL);
  const smallManifest = path.join(dir, indexFileName(ROOT, SMALL));
  const before = readFileSync(smallManifest);
  const messages: string[] = [];
  await assertStartsEmptyAndWorks(dir, WIDE, (message, level) => messages.push(`${level}: ${message}`));
  assert.deepEqual(messages.filter((m) => !m.startsWith('info: ')), [], 'another model\'s index is not damage');
  assert.deepEqual(readFileSync(smallManifest), before);
  // Switching back finds the first model's index as it was.
  await assertHoldsLines(dir, SMALL);
});

test('a manifest of another dimension under this identity\'s name is set aside as identity, never loaded', async (t) => {
  const dir = tempDir(t);
  await savedIndex(dir, SMALL);
  const wideManifest = path.join(dir, indexFileName(ROOT, WIDE));
  copyFileSync(path.join(dir, indexFileName(ROOT, SMALL)), wideManifest);
  const messages: string[] = [];
  await assertStartsEmptyAndWorks(dir, WIDE, (message, level) => messages.push(`${level}: ${message}`));
  assert.ok(messages.some((m) => m.startsWith('warn: index: cannot load') && m.includes(`"fp32",128,"mean",24]`)), messages.join('\n'));
  assert.ok(existsSync(`${wideManifest}.identity.bad`));
  await assertHoldsLines(dir, SMALL);
});

test('a manifest claiming this dimension over segments of another is set aside as corrupt; the real owner keeps its index', async (t) => {
  const dir = tempDir(t);
  await savedIndex(dir, SMALL);
  // The small index's manifest, relabelled as the wide model's (valid checksum), still naming the small segments.
  const manifest = decodeManifest(readFileSync(path.join(dir, indexFileName(ROOT, SMALL))));
  const wideManifest = path.join(dir, indexFileName(ROOT, WIDE));
  writeFileSync(wideManifest, Buffer.concat(encodeManifest({ ...manifest, identity: WIDE })));
  const messages: string[] = [];
  await assertStartsEmptyAndWorks(dir, WIDE, (message, level) => messages.push(`${level}: ${message}`));
  assert.ok(messages.some((m) => m.startsWith('warn: ') && m.includes('dimension differs from the index')), messages.join('\n'));
  assert.ok(existsSync(`${wideManifest}.corrupt.bad`));
  // The set-aside sweep touched only the wide index's files: the small model's segments and index are intact.
  assert.ok(manifest.segments.every((segment) => readdirSync(dir).includes(segment.name)));
  await assertHoldsLines(dir, SMALL);
});
