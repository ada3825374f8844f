// The CLI end to end: dist/cli.js, its real model host, a generated model, the sample workspace. Top results and
// scores are checked against the independent reference (bare onnxruntime + pooling by hand).
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ensureTestModel } from '../fixtures/models/generate';
import { generateSyntheticWorkspace } from '../fixtures/syntheticWorkspace';
import { CLI_SCRIPT, cosine, Reference, referenceEmbedder } from '../host/reference';
import { SEED_SENTENCES } from '../fixtures/seedSentences';

const run = promisify(execFile);
const SAMPLE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'sample-workspace');

let model: string;
let cache: string;
let reference: Reference;

before(async () => {
  model = await ensureTestModel('semantic');
  cache = mkdtempSync(join(tmpdir(), 'ss-cli-'));
  reference = await referenceEmbedder(model, 32);
});
after(() => rmSync(cache, { recursive: true, force: true }));

function cli(args: string[]) {
  return run(process.execPath, [CLI_SCRIPT, ...args, '--model', model, '--cache-dir', cache], { timeout: 120_000 });
}

interface SearchOutput {
  model: string;
  query: string;
  results: Array<{ file: string; line: number; endLine: number; text: string; score: number }>;
}

test('search --json: the contract shape, descending scores, the expected top results, exact scores', async () => {
  const query = 'the connection failed after a timeout';
  const { stdout } = await cli(['search', SAMPLE, '--query', query, '--json', '--top-k', '5']);
  const out = JSON.parse(stdout) as SearchOutput;
  assert.equal(out.query, query);
  assert.equal(out.model, model);
  assert.equal(out.results.length, 5);
  for (let i = 1; i < out.results.length; i++) assert.ok(out.results[i - 1].score >= out.results[i].score);

  const top = out.results.slice(0, 2).map((r) => `${r.file}:${r.line}`);
  assert.deepEqual(top.sort(), ['docs/troubleshooting.txt:2', 'src/connection.ts:6']);
  const connection = out.results.find((r) => r.file === 'src/connection.ts')!;
  assert.equal(connection.text, 'throw new Error(`connection to ${host} failed after a timeout`);');
  assert.equal(connection.endLine, 6);

  const q = await reference.embed(query);
  for (const r of out.results) {
    const expected = cosine(q, await reference.embed(r.text));
    assert.ok(Math.abs(r.score - expected) < 1e-5, `${r.file}:${r.line} score ${r.score} vs reference ${expected}`);
  }
});

test('prose is split into sentences with exact line ranges; code into lines', async () => {
  const { stdout } = await cli(['search', SAMPLE, '--query', 'The person box was packed with jelly many dozens of months later.', '--json', '--top-k', '3']);
  const out = JSON.parse(stdout) as SearchOutput;
  assert.deepEqual(
    { file: out.results[0].file, line: out.results[0].line, text: out.results[0].text },
    { file: 'README.md', line: 8, text: 'The person box was packed with jelly many dozens of months later.' },
  );
  assert.ok(Math.abs(out.results[0].score - 1) < 1e-5);
  // The seed's closest paraphrase comes next, from the first paragraph.
  assert.equal(out.results[1].text, 'Three years later, the coffin was still full of Jello.');
  assert.equal(out.results[1].line, 3);
});

test('search without --json prints a ranked table', async () => {
  const { stdout } = await cli(['search', SAMPLE, '--query', 'delete the file', '--top-k', '3']);
  const lines = stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^\s+1\s+0\.\d{4}\s+\S+:\d+\s+\S/);
});

test('similarity --json reproduces the seed cell shape: a symmetric matrix, ones on the diagonal, row 0 closest to 2', async () => {
  const { stdout } = await cli(['similarity', ...SEED_SENTENCES, '--json']);
  const out = JSON.parse(stdout) as { model: string; sentences: string[]; matrix: number[][] };
  assert.deepEqual(out.sentences, SEED_SENTENCES);
  for (let i = 0; i < 6; i++) {
    assert.ok(Math.abs(out.matrix[i][i] - 1) < 1e-5);
    for (let j = 0; j < 6; j++) assert.ok(Math.abs(out.matrix[i][j] - out.matrix[j][i]) < 1e-6);
  }
  const row = out.matrix[0].slice(1);
  assert.equal(row.indexOf(Math.max(...row)), 1);
  const [a, c] = [await reference.embed(SEED_SENTENCES[0]), await reference.embed(SEED_SENTENCES[2])];
  assert.ok(Math.abs(out.matrix[0][2] - cosine(a, c)) < 1e-5);
});

test('duplicates --json: clusters of near-duplicate units with their locations and scores, largest first', async () => {
  const { stdout, stderr } = await cli(['duplicates', SAMPLE, '--threshold', '0.8', '--json']);
  const out = JSON.parse(stdout) as { model: string; threshold: number; clusters: Array<{ members: SearchOutput['results'] }> };
  assert.equal(out.model, model);
  assert.equal(out.threshold, 0.8);
  assert.ok(out.clusters.length > 0);
  for (let i = 1; i < out.clusters.length; i++) assert.ok(out.clusters[i - 1].members.length >= out.clusters[i].members.length);
  for (const { members } of out.clusters) {
    assert.ok(members.length >= 2);
    assert.deepEqual(Object.keys(members[0]).sort(), ['endLine', 'file', 'line', 'score', 'text']);
    assert.equal(members[0].score, 1);
    const representative = await reference.embed(members[0].text);
    for (const member of members.slice(1)) {
      assert.ok(member.score >= 0.8);
      assert.ok(Math.abs(member.score - cosine(representative, await reference.embed(member.text))) < 1e-5);
    }
  }
  const users = out.clusters.find((c) => c.members.some((m) => m.text === 'password: string;'))!;
  assert.deepEqual(users.members.map((m) => `${m.file}:${m.line}`).sort(), ['src/users.ts:2', 'src/users.ts:3']);
  assert.equal(stderr, '', 'a normal run prints nothing on stderr');
});

test('duplicates without --json prints clusters; a threshold out of range is a usage error', async () => {
  const { stdout } = await cli(['duplicates', SAMPLE, '--threshold', '0.8']);
  assert.match(stdout, /^Cluster 1: \d+ units, \d+ distinct texts?\n  1\.0000  \S+:\d+  \S/);
  const none = await cli(['duplicates', SAMPLE, '--threshold', '1']);
  assert.equal(none.stdout.trim(), 'No near-duplicates found.');
  const error = await cli(['duplicates', SAMPLE, '--threshold', '2']).then(
    () => assert.fail('expected failure'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(error.code, 2);
  assert.match(error.stderr, /--threshold must be a cosine in \(0, 1\]/);
});

test('search --explain adds the words behind each score: their shares add up to it with the special tokens', async () => {
  const query = 'the connection failed after a timeout';
  const { stdout } = await cli(['search', SAMPLE, '--query', query, '--json', '--top-k', '3', '--explain']);
  const out = JSON.parse(stdout) as { results: Array<SearchOutput['results'][number] & { words: Array<{ text: string; start: number; end: number; contribution: number }> }> };
  for (const result of out.results) {
    const words = result.words.reduce((sum, w) => sum + w.contribution, 0);
    assert.ok(words > 0 && words < result.score + 0.2);
    for (const word of result.words) assert.equal(word.text, result.text.slice(word.start, word.end));
  }
  const human = await cli(['search', SAMPLE, '--query', query, '--top-k', '2', '--explain']);
  assert.match(human.stdout, /^\s+1\s+0\.\d{4}\s+\S+:\d+\s+.+\n\s+why: \S+ [+-]\d\.\d{3}/);
});

test('index persists: a second run re-embeds nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-cli-index-'));
  try {
    const ws = generateSyntheticWorkspace(join(dir, 'ws'), { lines: 500, seed: 5 }).root;
    const first = JSON.parse((await cli(['index', ws, '--json'])).stdout);
    const again = await cli(['index', ws, '--json']);
    const second = JSON.parse(again.stdout);
    assert.equal(again.stderr, '', 'loading the stored index is not a warning');
    assert.ok(first.embedded > 0);
    assert.equal(second.embedded, 0);
    assert.equal(second.units, first.units);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('errors go to stderr with a non-zero exit: a missing model folder is named', async () => {
  const missing = join(cache, 'nope');
  const error = await run(process.execPath, [CLI_SCRIPT, 'search', SAMPLE, '--query', 'x', '--model', missing]).then(
    () => assert.fail('expected failure'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(error.code, 1);
  assert.ok(error.stderr.includes(missing), error.stderr);
});

test('usage errors exit with 2 and print the usage', async () => {
  const error = await cli(['frobnicate', SAMPLE]).then(
    () => assert.fail('expected failure'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(error.code, 2);
  assert.match(error.stderr, /unknown command: frobnicate/);
  assert.match(error.stderr, /Usage:/);
});

test('an --endpoint that is not an http(s) URL, or carries credentials, is a usage error before any download', async () => {
  for (const endpoint of ['ftp://mirror.example', 'https://user:secret@mirror.example', 'not a url']) {
    const error = await cli(['index', SAMPLE, '--model', 'owner/name', '--endpoint', endpoint]).then(
      () => assert.fail(`expected failure for ${endpoint}`),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(error.code, 2, endpoint);
    assert.match(error.stderr, /--endpoint must be an http\(s\) URL without credentials/);
  }
});

test('killing the model host during a search makes the CLI fail with a clear message, never hang', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-cli-kill-'));
  try {
    const ws = generateSyntheticWorkspace(join(dir, 'ws'), { lines: 20_000, seed: 9 }).root;
    const child = spawn(process.execPath, [CLI_SCRIPT, 'search', ws, '--query', 'open the file', '--model', model, '--cache-dir', join(dir, 'cache')]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const hostPid = await waitForChild(child.pid!);
    process.kill(hostPid, 'SIGKILL');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('hang'), 30_000))]);
    assert.equal(code, 1, `exit ${code}; stderr: ${stderr}`);
    assert.match(stderr, /model host stopped unexpectedly \(signal SIGKILL\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The pid of the first child process of `pid` (the model host), read from /proc. */
async function waitForChild(pid: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    try {
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      if (children) return Number(children.split(' ')[0]);
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`process ${pid} started no child`);
}
