// One writer per index: two real processes opening and saving the same index at the same time. Exactly one writes;
// the other loads, searches, keeps its changes in memory and never touches the folder. Stale locks are taken over.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { hashContent, indexFileName, WorkspaceIndex, type IndexIdentity } from '../../src/core/index/workspaceIndex';

const DIM = 8;
const ROOT = path.resolve('/projects/locked');
const IDENTITY: IndexIdentity = { model: 'test/lock', revision: 'r1', dtype: 'fp32', maxLength: 64, pooling: 'mean', dim: DIM };
const LOCK_FILE = indexFileName(ROOT, IDENTITY).replace(/\.ssidx$/, '.sslock');
const CHILD_ENV = 'SS_INDEX_LOCK_TEST_DIR';
const SAVES = 40;

/** A distinct unit vector per generation number, so a search for a generation finds exactly its file. */
function vectorOf(text: string): Float32Array {
  const n = Number(/\d+/.exec(text)?.[0] ?? 0);
  const v = Float32Array.from({ length: DIM }, (_, i) => Math.cos((n + 1) * (i + 1)));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function write(index: WorkspaceIndex, relPath: string, text: string): void {
  index.setFile(relPath, { size: text.length, mtimeMs: 1, contentHash: hashContent(text) }, [{ text, line: 1, endLine: 1, column: 0, endColumn: text.length }]);
  const texts = index.textsWithoutVectors();
  const vectors = new Float32Array(texts.length * DIM);
  texts.forEach((t, i) => vectors.set(vectorOf(t), i * DIM));
  index.addVectors(texts, vectors);
}

/** Child: opens the index, says whether it writes, then saves SAVES generations of its own file, acknowledging each. */
async function child(dir: string, name: string): Promise<void> {
  const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
  process.stdout.write(`${index.readOnly ? 'reader' : 'writer'}\n`);
  // Both processes hold the index open before either saves: the parent closes stdin once both said their role.
  await new Promise((resolve) => process.stdin.once('end', resolve).resume());
  for (let generation = 1; generation <= SAVES; generation++) {
    write(index, `${name}.txt`, `${name} generation ${generation}`);
    write(index, `${name}-${generation % 3}.txt`, `${name} churn ${generation}`);
    await index.save();
    // The reader must still find what it added, from memory.
    const own = index.search(vectorOf(`x ${generation}`), 1, { files: (relPath) => relPath === `${name}.txt` });
    assert.equal(own[0]?.unit.text, `${name} generation ${generation}`);
    process.stdout.write(`${generation}\n`);
  }
  await index.close();
}

if (process.env[CHILD_ENV]) {
  void child(process.env[CHILD_ENV], process.argv[2]);
} else {
  function tempDir(t: TestContext): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'ss-index-lock-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  interface Run {
    process: ChildProcess;
    role: Promise<string>;
    acknowledged: () => number;
    exited: Promise<number | null>;
  }

  function startChild(dir: string, name: string): Run {
    const proc = spawn(process.execPath, [__filename, name], { env: { ...process.env, [CHILD_ENV]: dir }, stdio: ['pipe', 'pipe', 'inherit'] });
    let acknowledged = 0;
    let pending = '';
    let setRole: (role: string) => void = () => undefined;
    const role = new Promise<string>((resolve) => (setRole = resolve));
    proc.stdout!.on('data', (data: Buffer) => {
      const lines = (pending + data.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (/^\d+$/.test(line)) acknowledged = Number(line);
        else setRole(line);
      }
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    return { process: proc, role, acknowledged: () => acknowledged, exited };
  }

  test('two processes saving one index at once: one writes, the other reads, nothing is lost or corrupted', async (t) => {
    const dir = tempDir(t);
    for (let round = 0; round < 4; round++) {
      const runs = { a: startChild(dir, `a${round}`), b: startChild(dir, `b${round}`) };
      const roles = { a: await runs.a.role, b: await runs.b.role };
      runs.a.process.stdin!.end();
      runs.b.process.stdin!.end();
      assert.deepEqual([roles.a, roles.b].sort(), ['reader', 'writer'], `round ${round}: exactly one writer`);
      assert.deepEqual([await runs.a.exited, await runs.b.exited], [0, 0]);
      const [writer, reader] = roles.a === 'writer' ? (['a', 'b'] as const) : (['b', 'a'] as const);
      const writerName = `${writer}${round}`;
      const readerName = `${reader}${round}`;
      assert.equal(runs[writer].acknowledged(), SAVES);

      // The writer's acknowledged saves are all there; nothing of the reader's ever reached the disk.
      const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
      assert.equal(index.readOnly, false);
      const files = [...index.files()];
      assert.ok(files.includes(`${writerName}.txt`), files.join());
      assert.ok(!files.some((f) => f.startsWith(readerName)), `reader ${readerName} wrote: ${files.join()}`);
      assert.deepEqual(index.textsWithoutVectors(), []);
      assert.deepEqual(
        index.search(vectorOf(`x ${SAVES}`), 10, { files: (f) => f === `${writerName}.txt` }).map((hit) => hit.unit.text)[0],
        `${writerName} generation ${SAVES}`,
      );
      await index.close();
      const readerPid = runs[reader].process.pid!;
      assert.ok(!readdirSync(dir).some((n) => n.includes(`.${readerPid}-`)), 'no file named by the reader');
      assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp') || n.endsWith('.sslock')), readdirSync(dir).join());
    }
  });

  test('a live other writer makes this open read-only: logged once at info, saves write nothing', async (t) => {
    const dir = tempDir(t);
    const seed = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    write(seed, 'kept.txt', 'kept generation 7');
    await seed.save();
    await seed.close();

    const other = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 60000)'], { stdio: 'ignore' });
    t.after(() => other.kill('SIGKILL'));
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: other.pid, startedAt: Date.now() }));
    const listing = () => readdirSync(dir).map((n) => `${n}:${readFileSync(path.join(dir, n)).length}`).sort();
    const before = listing();

    const messages: Array<[string, string]> = [];
    const reader = await WorkspaceIndex.open(dir, ROOT, IDENTITY, (message, level) => messages.push([level, message]));
    assert.equal(reader.readOnly, true);
    assert.equal(reader.search(vectorOf('x 7'), 1)[0].unit.text, 'kept generation 7');
    write(reader, 'new.txt', 'new generation 9');
    await reader.save();
    write(reader, 'new.txt', 'new generation 10');
    await reader.save();
    assert.equal(reader.search(vectorOf('x 10'), 1)[0].unit.text, 'new generation 10', 'new vectors are kept in memory');
    await reader.close();
    assert.deepEqual(listing(), before, 'the reader wrote nothing, and left the other process its lock');
    const readOnlyNotes = messages.filter(([, m]) => m.includes('read-only'));
    assert.equal(readOnlyNotes.length, 1);
    assert.equal(readOnlyNotes[0][0], 'info');
    assert.ok(readOnlyNotes[0][1].includes(String(other.pid)));
  });

  test('a lock left by a process that is gone is taken over', async (t) => {
    const dir = tempDir(t);
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid, startedAt: 1 }));
    const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    assert.equal(index.readOnly, false);
    assert.equal(JSON.parse(readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
    write(index, 'a.txt', 'a generation 1');
    await index.save();
    await index.close();
    assert.ok(!readdirSync(dir).includes(LOCK_FILE), 'released on close');
  });

  test('opening again in the same process (a host initialized twice) moves the writer role to the new object', async (t) => {
    const dir = tempDir(t);
    const messages: string[] = [];
    const older = await WorkspaceIndex.open(dir, ROOT, IDENTITY, (m) => messages.push(m));
    const newer = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    assert.equal(newer.readOnly, false);
    write(older, 'old.txt', 'old generation 1');
    await older.save();
    assert.ok(messages.some((m) => m.includes('older copy stops saving')), messages.join('; '));
    write(newer, 'new.txt', 'new generation 2');
    await newer.save();
    await older.close();
    assert.ok(readdirSync(dir).includes(LOCK_FILE), 'closing the older copy leaves the newer one its lock');
    await newer.close();
    const reopened = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    assert.deepEqual([...reopened.files()], ['new.txt']);
    await reopened.close();
    assert.ok(!readdirSync(dir).includes(LOCK_FILE));
  });

  test('a writer killed with SIGKILL leaves a stale lock that the next open takes over', async (t) => {
    const dir = tempDir(t);
    const run = startChild(dir, 'killed');
    assert.equal(await run.role, 'writer');
    run.process.stdin!.end();
    let exitedEarly = false;
    void run.exited.then(() => (exitedEarly = true));
    while (run.acknowledged() < 3 && !exitedEarly) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(!exitedEarly, 'the writer ran until killed');
    run.process.kill('SIGKILL');
    await run.exited;
    const index = await WorkspaceIndex.open(dir, ROOT, IDENTITY);
    assert.equal(index.readOnly, false);
    await index.close();
  });
}
