// Odd and hostile files in a workspace, through the real CLI (dist/cli.js) and the real model host: files the
// indexing user may not read, character devices and FIFOs, and text in UTF-16 (both byte orders, with a BOM) and in
// Latin-1/windows-1252. Each is injected for real: a child run as an unprivileged user (root may read anything),
// `mknod`, `mkfifo`, and bytes written in each encoding.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { HostClient } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import { IndexFolders, Search, UpdateFiles, type IndexSummary, type InitializeParams, type SkippedReport } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { CLI_SCRIPT, HOST_SCRIPT } from './reference';

const run = promisify(execFile);
/** nobody:nogroup on Debian and most Linux systems. */
const UNPRIVILEGED = 65534;
const EXACT = 0.99999;

let model: string;
let work: string;

before(async () => {
  model = await ensureTestModel('semantic');
  work = mkdtempSync(join(tmpdir(), 'ss-hostile-'));
  // mkdtemp makes a 0700 folder; the unprivileged user must be able to reach what it is meant to read.
  chmodSync(work, 0o755);
});
after(() => rmSync(work, { recursive: true, force: true }));

function workspace(name: string, files: Record<string, string | Buffer>): string {
  const root = join(work, name);
  mkdirSync(root, { recursive: true });
  for (const [relPath, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, relPath)), { recursive: true });
    writeFileSync(join(root, relPath), content);
  }
  return root;
}

interface CliSearch {
  results: Array<{ file: string; line: number; text: string; score: number }>;
}

/** The CLI's --json output for `index` or `search`; uid runs it as that user (its group too). */
async function cli<T>(args: string[], options: { uid?: number; cacheDir: string; modelDir?: string }): Promise<T> {
  const { uid, cacheDir, modelDir = model } = options;
  const { stdout } = await run(process.execPath, [CLI_SCRIPT, ...args, '--model', modelDir, '--cache-dir', cacheDir, '--json'], {
    timeout: 120_000,
    cwd: work,
    ...(uid !== undefined && { uid, gid: uid, env: { ...process.env, HOME: cacheDir } }),
  });
  return JSON.parse(stdout) as T;
}

const skippedAs = (summary: IndexSummary, reason: string): Array<Pick<SkippedReport, 'relPath' | 'detail'>> =>
  summary.skipped
    .filter((s) => s.reason === reason)
    .map(({ relPath, detail }) => ({ relPath, detail }))
    .sort((a, b) => a.relPath.localeCompare(b.relPath));

test('files the indexing user cannot read are skipped as unreadable (EACCES); the rest is indexed and searchable', async () => {
  const readable = 'the cat dreamed of a big fish';
  const secret = 'the leprechaun escaped through the toilet';
  const locked = 'the goblin hid the walnut in a crate';
  const root = workspace('unreadable', {
    'notes/readable.log': `${readable}\n`,
    'notes/secret.log': `${secret}\n`,
    'private/inside.log': `${locked}\n`,
    'z-last.log': 'the puppy watched the goldfish\n',
  });
  chmodSync(join(root, 'notes', 'secret.log'), 0o000);
  chmodSync(join(root, 'private'), 0o700); // owned by root: the user can neither list nor enter it
  // The model and the cache as an installation would have them: readable model, a cache folder the user owns.
  const modelDir = join(work, 'unreadable-model');
  cpSync(model, modelDir, { recursive: true });
  execFileSync('chmod', ['-R', 'a+rX', modelDir]);
  const cacheDir = join(work, 'unreadable-cache');
  mkdirSync(cacheDir);
  chownSync(cacheDir, UNPRIVILEGED, UNPRIVILEGED);
  const as = { uid: UNPRIVILEGED, cacheDir, modelDir };

  const summary = await cli<IndexSummary>(['index', root], as);
  assert.deepEqual(skippedAs(summary, 'unreadable'), [
    { relPath: 'notes/secret.log', detail: 'EACCES' },
    { relPath: 'private', detail: 'EACCES' },
  ]);
  assert.equal(summary.skippedCount, 2, JSON.stringify(summary.skipped));
  assert.deepEqual([summary.files, summary.units], [2, 2]);

  const found = await cli<CliSearch>(['search', root, '--query', readable, '--min-score', String(EXACT)], as);
  assert.deepEqual(found.results.map((r) => [r.file, r.line, r.text]), [['notes/readable.log', 1, readable]]);
  for (const hidden of [secret, locked]) {
    const none = await cli<CliSearch>(['search', root, '--query', hidden, '--min-score', String(EXACT)], as);
    assert.deepEqual(none.results, [], `${hidden} must not be in the index`);
  }
});

/** Processes blocked opening FIFOs for writing: each gets past open() only if someone opens its FIFO to read. */
function blockedWriters(fifos: string[]): { opened: () => string[]; kill: () => void } {
  const writers = fifos.map((fifo) => {
    const writer = { fifo, opened: false, process: spawn('sh', ['-c', 'printf "the cat dreamed of a big fish\\n" > "$0"', fifo], { stdio: 'ignore' }) };
    writer.process.on('exit', () => (writer.opened = true));
    return writer;
  });
  return {
    opened: () => writers.filter((writer) => writer.opened).map((writer) => writer.fifo),
    kill: () => writers.forEach((writer) => writer.process.kill('SIGKILL')),
  };
}

function makeFifos(root: string, relPaths: string[]): string[] {
  return relPaths.map((relPath) => {
    mkdirSync(dirname(join(root, relPath)), { recursive: true });
    execFileSync('mkfifo', [join(root, relPath)]);
    return join(root, relPath);
  });
}

test('character devices and FIFOs are never opened: reported as not-regular with their type, the walk ends', async () => {
  const text = 'the goldfish watched the kitten';
  const root = workspace('devices', { 'docs/plain.log': `${text}\n` });
  // /dev/zero's numbers: reading it would never end, and would never be text.
  execFileSync('mknod', [join(root, 'docs', 'zero'), 'c', '1', '5']);
  // Ignore files are read by the walk itself, outside the indexed files: FIFOs there must not be opened either.
  const writers = blockedWriters(makeFifos(root, ['docs/pipe', '.gitignore', '.git/info/exclude']));
  symlinkSync('zero', join(root, 'docs', 'zero-link'));
  symlinkSync('pipe', join(root, 'docs', 'pipe-link'));
  try {
    const cacheDir = join(work, 'devices-cache');
    const summary = await cli<IndexSummary>(['index', root], { cacheDir });
    assert.deepEqual(skippedAs(summary, 'not-regular'), [
      { relPath: '.gitignore', detail: 'fifo' },
      { relPath: 'docs/pipe', detail: 'fifo' },
      { relPath: 'docs/pipe-link', detail: 'fifo' },
      { relPath: 'docs/zero', detail: 'device' },
      { relPath: 'docs/zero-link', detail: 'device' },
    ]);
    assert.equal(summary.skippedCount, 5);
    assert.deepEqual([summary.files, summary.units], [1, 1]);
    const found = await cli<CliSearch>(['search', root, '--query', text, '--min-score', String(EXACT)], { cacheDir });
    assert.deepEqual(found.results.map((r) => [r.file, r.line]), [['docs/plain.log', 1]]);
    // Had the CLI or its host opened a FIFO to read, its writer would have got past open() and exited.
    assert.deepEqual(writers.opened(), []);
  } finally {
    writers.kill();
  }
});

test('a file replaced by a FIFO or a device after it was indexed: file events and the next build drop and report it without opening it', async () => {
  const root = workspace('swapped', { 'a.log': 'the cat dreamed of a big fish\n', 'b.log': 'the puppy dreamed of a walnut\n', 'c.log': 'the trout fled the aquarium\n' });
  const client = new HostClient({ hostScript: HOST_SCRIPT });
  const exact = async (query: string) => (await client.request(Search, { query, topK: 5, minScore: EXACT })).hits.map((hit) => hit.relPath);
  let writers: ReturnType<typeof blockedWriters> | undefined;
  try {
    await client.start({ model: { dir: model, id: 'generated/semantic', dtype: 'fp32' }, threads: 1 });
    const folders = [{ root, walk: DEFAULT_WALK }];
    assert.equal((await client.request(IndexFolders, { folders })).files, 3);
    // Swapped behind the index's back, as another program might: a.log becomes a FIFO, b.log /dev/zero.
    rmSync(join(root, 'a.log'));
    rmSync(join(root, 'b.log'));
    writers = blockedWriters(makeFifos(root, ['a.log']));
    execFileSync('mknod', [join(root, 'b.log'), 'c', '1', '5']);
    // What a file watcher reports: both changed on disk.
    const updated = await client.request(UpdateFiles, { changes: ['a.log', 'b.log'].map((relPath) => ({ root, relPath, reread: true as const })) });
    assert.deepEqual([updated.files, updated.units], [1, 1]);
    const notRegular = [
      { relPath: 'a.log', detail: 'fifo' },
      { relPath: 'b.log', detail: 'device' },
    ];
    assert.deepEqual(skippedAs(updated, 'not-regular'), notRegular, 'reported by the file events already');
    assert.deepEqual(await exact('the cat dreamed of a big fish'), []);
    assert.deepEqual(await exact('the puppy dreamed of a walnut'), []);
    assert.deepEqual(await exact('the trout fled the aquarium'), ['c.log']);
    const rebuilt = await client.request(IndexFolders, { folders });
    assert.deepEqual(skippedAs(rebuilt, 'not-regular'), notRegular);
    assert.equal(rebuilt.files, 1);
    assert.deepEqual(writers.opened(), []);
  } finally {
    writers?.kill();
    await client.stop();
  }
});

// ---- encodings, through the model host ----------------------------------------------------------------------------

/** windows-1252 bytes for the few characters it puts in 0x80–0x9F; everything else here is ISO-8859-1. */
const WINDOWS_1252: Record<string, number> = { '€': 0x80, '’': 0x92, '“': 0x93, '”': 0x94, '—': 0x97, 'œ': 0x9c };

function windows1252(text: string): Buffer {
  return Buffer.from(Array.from(text, (char) => WINDOWS_1252[char] ?? char.charCodeAt(0)).map((code) => {
    assert.ok(code <= 0xff, `${String.fromCharCode(code)} has no windows-1252 byte`);
    return code;
  }));
}

const withBom = (bom: number[], body: Buffer): Buffer => Buffer.concat([Buffer.from(bom), body]);
const utf16be = (text: string): Buffer => Buffer.from(text, 'utf16le').swap16();

/** Each file's lines, all different, so a search for one line has exactly one right answer. */
const ENCODED: Record<string, { lines: string[]; encode: (text: string) => Buffer }> = {
  'utf16le.log': {
    lines: ['wide text from a windows editor', 'the naïve kitten dreamed of jello', '🐟 the trout escaped from the aquarium'],
    encode: (text) => withBom([0xff, 0xfe], Buffer.from(text, 'utf16le')),
  },
  'utf16be.log': {
    lines: ['big endian lines are rare', 'the puppy dreamed of a walnut', 'the elves fled from the lavatory'],
    encode: (text) => withBom([0xfe, 0xff], utf16be(text)),
  },
  'latin1.log': {
    lines: ['déjà vu at the façade', 'the gnome ate crème brûlée', 'señor salmon saw the aquarium'],
    encode: (text) => Buffer.from(text, 'latin1'),
  },
  'cp1252.log': {
    lines: ['“quoted” words cost €5', 'the hound’s dinner — a pudding', 'the œuvre of the leprechaun'],
    encode: windows1252,
  },
};

test('UTF-16 LE and BE with a BOM, Latin-1 and windows-1252 files are decoded and each line is found at score 1', async () => {
  const files = Object.fromEntries(Object.entries(ENCODED).map(([name, { lines, encode }]) => [name, encode(`${lines.join('\n')}\n`)]));
  // The bytes really are in those encodings: UTF-16 has NUL bytes, the 8-bit files are not valid UTF-8.
  assert.ok(files['utf16le.log'].includes(0) && files['utf16be.log'].includes(0));
  for (const name of ['latin1.log', 'cp1252.log']) assert.throws(() => new TextDecoder('utf-8', { fatal: true }).decode(files[name]), name);
  const root = workspace('encodings', files);
  const init: InitializeParams = { model: { dir: model, id: 'generated/semantic', dtype: 'fp32' }, threads: 1 };
  const client = new HostClient({ hostScript: HOST_SCRIPT });
  try {
    await client.start(init);
    const summary = await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    assert.deepEqual(summary.skipped, []);
    assert.deepEqual([summary.files, summary.units], [4, 12]);
    for (const [name, { lines }] of Object.entries(ENCODED)) {
      for (const [i, line] of lines.entries()) {
        const { hits } = await client.request(Search, { query: line, topK: 3 });
        const top = hits[0];
        assert.deepEqual([top.relPath, top.line, top.text], [name, i + 1, line], `${name}:${i + 1}`);
        assert.ok(top.score > EXACT, `${name}:${i + 1} scored ${top.score}`);
        assert.ok(hits[1].score < EXACT, `${name}:${i + 1} has a second exact match: ${JSON.stringify(hits[1])}`);
      }
    }
  } finally {
    await client.stop();
  }
});
