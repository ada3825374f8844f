// Files that change while readTextFile reads them: written by another process all along, or changed at a chosen
// moment inside a read (the test wraps FileHandle.read, so the change lands between the two halves of the read, as
// a concurrent writer's would). The text returned is one version of the file, with that version's size and mtime,
// or carries UNSETTLED_MTIME so that an index built from it reads the file again.
import { after, afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTextFile, UNSETTLED_MTIME, type ReadTextResult, type TextFile } from '../../src/core/walk';
import { appendedText, startWriter, versionLine, versionText, type WriterMode } from '../fixtures/changingFile';

const MAX_BYTES = 64 * 1024 * 1024;
/** An hour ago, in seconds: far outside the same-tick window, so a file stamped with it reads as settled. */
const HOUR_AGO = Date.now() / 1000 - 3600;

const roots: string[] = [];
after(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));

async function tempFile(name: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'walk-changing-'));
  roots.push(root);
  return join(root, name);
}

function textOf(result: ReadTextResult): TextFile {
  assert.ok('text' in result, `not read: ${JSON.stringify(result)}`);
  return result;
}

/** The result's stamps are the file's as it is now. */
function assertStampsOfFile(result: TextFile, path: string): void {
  const stats = statSync(path);
  assert.deepEqual({ size: result.size, mtimeMs: result.mtimeMs }, { size: stats.size, mtimeMs: stats.mtimeMs });
}

type ReadMethod = (this: FileHandle, buffer: Buffer, offset: number, length: number, position: number) => Promise<{ bytesRead: number; buffer: Buffer }>;
let restoreRead: (() => void) | undefined;
afterEach(() => restoreRead?.());

/**
 * Makes every read of a file from its start (one attempt of readTextFile) stop after half its bytes and call
 * `change(attempt)` before the rest is read. Returns how many attempts were made so far.
 */
async function changeDuringReads(path: string, change: (attempt: number) => void): Promise<() => number> {
  const probe = await open(path);
  const prototype = Object.getPrototypeOf(probe) as { read: ReadMethod };
  await probe.close();
  const original = prototype.read;
  let attempts = 0;
  prototype.read = async function (buffer, offset, length, position) {
    if (position !== 0) return original.call(this, buffer, offset, length, position);
    attempts++;
    const firstHalf = await original.call(this, buffer, offset, Math.max(1, Math.floor(length / 2)), position);
    change(attempts);
    return firstHalf;
  };
  restoreRead = () => {
    prototype.read = original;
    restoreRead = undefined;
  };
  return () => attempts;
}

test('a file that grows during a read is read again and returned whole, with the stamps of what was read', async () => {
  const path = await tempFile('growing.txt');
  writeFileSync(path, versionText(1, 50));
  utimesSync(path, HOUR_AGO, HOUR_AGO);
  const attempts = await changeDuringReads(path, (attempt) => {
    if (attempt !== 1) return;
    appendFileSync(path, versionText(2, 10));
    utimesSync(path, HOUR_AGO + 60, HOUR_AGO + 60);
  });
  const result = textOf(await readTextFile(path, MAX_BYTES));
  assert.equal(attempts(), 2);
  assert.equal(result.text, versionText(1, 50) + versionText(2, 10));
  assertStampsOfFile(result, path);
});

test('a file truncated during a read is read again: never the torn half, never bytes past the end', async () => {
  const path = await tempFile('truncated.txt');
  writeFileSync(path, versionText(1, 50));
  utimesSync(path, HOUR_AGO, HOUR_AGO);
  const keep = versionLine(1, 0).length * 3;
  const attempts = await changeDuringReads(path, (attempt) => {
    if (attempt !== 1) return;
    truncateSync(path, keep);
    utimesSync(path, HOUR_AGO + 60, HOUR_AGO + 60);
  });
  const result = textOf(await readTextFile(path, MAX_BYTES));
  assert.equal(attempts(), 2);
  assert.equal(result.text, versionText(1, 3));
  assertStampsOfFile(result, path);
});

test('a same-size rewrite during a read that keeps the mtime is still caught (by ctime) and the new version returned', async () => {
  const path = await tempFile('rewritten.txt');
  writeFileSync(path, versionText(1, 50));
  utimesSync(path, HOUR_AGO, HOUR_AGO);
  const before = statSync(path);
  // Past the file system's timestamp tick, so the rewrite's ctime differs from the one set just above.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const attempts = await changeDuringReads(path, (attempt) => {
    if (attempt !== 1) return;
    // As a restore or `rsync -t` would: new bytes, same size, the old mtime put back.
    writeFileSync(path, versionText(2, 50));
    utimesSync(path, before.atime, before.mtime);
  });
  const result = textOf(await readTextFile(path, MAX_BYTES));
  assert.equal(attempts(), 2);
  assert.equal(result.text, versionText(2, 50), 'not half of each version');
  assert.equal(result.mtimeMs, before.mtimeMs);
  assertStampsOfFile(result, path);
});

test('a file that changes during every read is returned as last read, with an mtime no walk takes as unchanged', async () => {
  const path = await tempFile('restless.txt');
  writeFileSync(path, versionText(1, 50));
  utimesSync(path, HOUR_AGO, HOUR_AGO);
  let appended = 0;
  const attempts = await changeDuringReads(path, () => {
    appendFileSync(path, versionText(2 + appended++, 5));
    utimesSync(path, HOUR_AGO + appended, HOUR_AGO + appended);
  });
  const result = textOf(await readTextFile(path, MAX_BYTES));
  assert.equal(attempts(), 3);
  assert.equal(result.mtimeMs, UNSETTLED_MTIME);
  // The third read's view: the original and the two lines appended during the first two reads.
  assert.equal(result.text, versionText(1, 50) + versionText(2, 5) + versionText(3, 5));
  assert.equal(result.size, Buffer.byteLength(result.text));
});

test('a file modified within the same-tick window is not vouched for; once older, its stamps are returned', async () => {
  const path = await tempFile('fresh.txt');
  writeFileSync(path, versionText(1, 5));
  const fresh = textOf(await readTextFile(path, MAX_BYTES));
  assert.deepEqual(fresh, { text: versionText(1, 5), encoding: 'utf-8', size: statSync(path).size, mtimeMs: UNSETTLED_MTIME });
  utimesSync(path, HOUR_AGO, HOUR_AGO);
  const settled = textOf(await readTextFile(path, MAX_BYTES));
  assert.equal(settled.text, versionText(1, 5));
  assertStampsOfFile(settled, path);
});

/** Starts a writer, reads the file over and over for durationMs, stops the writer; every result and what was written. */
async function readWhileWriting(path: string, mode: WriterMode, lines: number, durationMs: number): Promise<{ results: ReadTextResult[]; written: number }> {
  const writer = await startWriter(path, mode, lines);
  const results: ReadTextResult[] = [];
  try {
    const until = Date.now() + durationMs;
    while (Date.now() < until) results.push(await readTextFile(path, MAX_BYTES));
  } catch (error) {
    await writer.stop().catch(() => undefined);
    throw error;
  }
  return { results, written: await writer.stop() };
}

test('another process appending all along: every read is a prefix of the final file, never garbage', async (t) => {
  const path = await tempFile('appended.log');
  const { results, written } = await readWhileWriting(path, 'append', 1, 1_000);
  const final = appendedText(written);
  const lengths = new Set<number>();
  for (const result of results) {
    const { text, size, mtimeMs } = textOf(result);
    assert.ok(final.startsWith(text), `not a prefix of the final file: ${JSON.stringify(text.slice(-80))}`);
    assert.equal(size, Buffer.byteLength(text));
    assert.equal(mtimeMs, UNSETTLED_MTIME, 'a file being written is never recorded as settled');
    lengths.add(size);
  }
  t.diagnostic(`${results.length} reads while ${written} lines were appended, ${lengths.size} distinct lengths`);
  assert.ok(lengths.size > 1, 'the reads saw the file grow');
  assert.equal(textOf(await readTextFile(path, MAX_BYTES)).text, final);
});

test('another process rewriting all along, in place and by truncating: reads hold only lines written, and the final version is read whole', async (t) => {
  const path = await tempFile('rewritten.txt');
  const lines = 400;
  const { results, written } = await readWhileWriting(path, 'rewrite', lines, 1_500);
  let whole = 0;
  let mixed = 0;
  for (const result of results) {
    const { text, size, mtimeMs } = textOf(result);
    assert.equal(size, Buffer.byteLength(text));
    assert.equal(mtimeMs, UNSETTLED_MTIME, 'a file being written is never recorded as settled');
    // Versions are the same length line by line, so even a mix of two has each line k from some version.
    const versions = new Set<number>();
    const parts = text.split('\n');
    const tail = parts.pop()!;
    parts.forEach((line, k) => {
      const version = versionOfLine(line, k);
      assert.ok(version >= 1 && version <= written, `line ${k} was never written: ${JSON.stringify(line)}`);
      versions.add(version);
    });
    // A read that ends inside a line (the writer truncated the file and is writing it again) ends in a prefix of one.
    assert.ok(tail === '' || parts.length < lines, 'no line past the last');
    assert.ok(tail === '' || versionOfLine(tail + versionLine(1, parts.length).slice(tail.length, -1), parts.length) >= 0, `a torn last line that was never written: ${JSON.stringify(tail)}`);
    if (versions.size > 1) mixed++;
    else if (parts.length === lines) whole++;
  }
  t.diagnostic(`${results.length} reads while ${written} versions were written: ${whole} whole versions, ${mixed} mixes of versions (every attempt saw a change)`);
  assert.ok(whole > 0, 'most reads fall between two versions');
  const final = textOf(await readTextFile(path, MAX_BYTES));
  assert.equal(final.text, versionText(written, lines));
  utimesSync(path, HOUR_AGO, HOUR_AGO);
  assertStampsOfFile(textOf(await readTextFile(path, MAX_BYTES)), path);
});

/** The version a line of the changing file belongs to, or -1 when it is not line k of any version. */
function versionOfLine(line: string, k: number): number {
  const match = /^version (\d{6}) line (\d{4}) of the changing file$/.exec(line);
  return match && Number(match[2]) === k ? Number(match[1]) : -1;
}
