// Scopes, refinement, percentiles, explained scores and near-duplicates in the real model host (dist/host.js) with the
// generated semantic model, checked against brute force over the host's own full ranking and against the
// independent reference embedder (reference.ts).
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { HostClient } from '../../src/client';
import { rocchio } from '../../src/core/refine';
import { DEFAULT_WALK } from '../../src/core/walk';
import {
  Embed,
  ErrorCodes,
  Explain,
  FindDuplicates,
  IndexFolders,
  Search,
  type SearchHit,
  type SearchParams,
  type SearchScope,
} from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { cosine, HOST_SCRIPT, type Reference, referenceEmbedder } from './reference';

const A = 'the connection failed after a timeout';
const A2 = 'the socket crashed when the deadline expired';
const B = 'open the file and read the document';
const B2 = 'load the files and parse the docs';
const C = 'delete the user account';
const C2 = 'remove the member profile';
const RETRY = 'retry the request again';

const FILES: Record<string, string> = {
  'src/net.ts': [A, 'the cat dreamed of a big fish', RETRY].join('\n'),
  'src/files.ts': [B, 'the server sent a response', RETRY].join('\n'),
  'src/users.ts': [C, 'send the reply to the client'].join('\n'),
  'lib/legacy.ts': [A2, B2, C2, RETRY].join('\n'),
  // Prose: split into sentences, two on one line.
  'docs/notes.txt': 'Save the settings to disk. Write the configuration to storage.\nThe person box was packed with jelly.\n',
};

let dir: string;
let work: string;
let root: string;
let client: HostClient;
let reference: Reference;
/** Every unit with its score for a query, from the host's unscoped, unrefined search. */
let everything: (query: string) => Promise<SearchHit[]>;

before(async () => {
  dir = await ensureTestModel('semantic');
  work = mkdtempSync(join(tmpdir(), 'ss-features-'));
  root = join(work, 'ws');
  for (const [relPath, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, relPath)), { recursive: true });
    writeFileSync(join(root, relPath), text);
  }
  client = new HostClient({ hostScript: HOST_SCRIPT });
  const info = await client.start({ model: { dir, id: 'generated/semantic', dtype: 'fp32' }, threads: 2 });
  await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
  reference = await referenceEmbedder(dir, info.maxLength);
  everything = async (query) => (await client.request(Search, { query, topK: 1000 })).hits;
});
after(async () => {
  await client.stop();
  rmSync(work, { recursive: true, force: true });
});

const where = (hit: SearchHit) => `${hit.relPath}:${hit.line}:${hit.column}`;
const search = (params: Omit<SearchParams, 'topK'> & { topK?: number }) => client.request(Search, { topK: 3, ...params });

test('a scoped search returns the exact top k from inside the scope: files, a folder, include and exclude globs', async () => {
  const query = 'the server failed to send a response';
  const all = await everything(query);
  const scopes: Array<[SearchScope, (hit: SearchHit) => boolean]> = [
    [{ files: [{ root, relPath: 'lib/legacy.ts' }, { root, relPath: 'docs/notes.txt' }] }, (h) => h.relPath === 'lib/legacy.ts' || h.relPath === 'docs/notes.txt'],
    [{ folder: { root, relPath: 'src' } }, (h) => h.relPath.startsWith('src/')],
    [{ include: ['*.ts'], exclude: ['src/files.ts'] }, (h) => h.relPath.endsWith('.ts') && h.relPath !== 'src/files.ts'],
    [{ folder: { root, relPath: 'lib' }, include: ['*.md'] }, () => false],
  ];
  for (const [scope, inScope] of scopes) {
    const expected = all.filter(inScope);
    const result = await search({ query, scope });
    assert.deepEqual(result.hits.map(where), expected.slice(0, 3).map(where), JSON.stringify(scope));
    result.hits.forEach((hit, i) => assert.equal(hit.score, expected[i].score));
    assert.equal(result.searched, expected.length, 'searched counts the units in scope');
  }
  // A folder scope of another root finds nothing in this one.
  assert.deepEqual((await search({ query, scope: { folder: { root: '/elsewhere', relPath: '' } } })).hits, []);
});

test('refine: more like this raises the paraphrase of the example, less like this lowers it, as Rocchio says', async () => {
  const query = 'the server sent a response';
  const plain = await everything(query);
  const rank = (hits: SearchHit[], text: string) => hits.findIndex((h) => h.text === text);
  const more = await client.request(Search, { query, topK: 1000, refine: { more: [B], less: [] } });
  assert.ok(rank(more.hits, B2) < rank(plain, B2) - 3, `"${B2}" rises: rank ${rank(plain, B2)} → ${rank(more.hits, B2)}`);
  assert.ok(more.hits.find((h) => h.text === B2)!.score > plain.find((h) => h.text === B2)!.score + 0.1);
  const less = await client.request(Search, { query, topK: 1000, refine: { more: [], less: [A] } });
  assert.ok(rank(less.hits, A2) > rank(plain, A2), `"${A2}" falls: rank ${rank(plain, A2)} → ${rank(less.hits, A2)}`);

  // The refined scores are exactly cos(normalize(q + 0.75·mean(more) − 0.15·mean(less)), unit); B is stored in the
  // index, the made-up example is embedded on the fly: both paths give the same vectors.
  const example = 'the cat saw a dog';
  const both = await client.request(Search, { query, topK: 1000, refine: { more: [B, example], less: [A] } });
  const { vectors } = await client.request(Embed, { texts: [query, B, example, A] });
  const [q, b, e, a] = vectors.map((v) => Float32Array.from(v));
  const refined = rocchio(q, [b, e], [a]);
  for (const hit of both.hits) {
    const expected = cosine(refined, await reference.embed(hit.text));
    assert.ok(Math.abs(hit.score - expected) < 1e-5, `${hit.text}: ${hit.score} vs ${expected}`);
  }
});

test('percentiles: each hit reports the exact share of searched units scoring below it', async () => {
  const query = 'the connection to the server failed';
  const all = await everything(query);
  for (const scope of [undefined, { folder: { root, relPath: 'src' } }]) {
    const population = scope ? all.filter((h) => h.relPath.startsWith('src/')) : all;
    const result = await client.request(Search, { query, topK: 4, percentiles: true, scope });
    assert.equal(result.hits.length, 4);
    for (const hit of result.hits) {
      const below = population.filter((h) => h.score < hit.score).length;
      assert.equal(hit.percentile, (100 * below) / population.length, `${hit.text}`);
    }
    assert.ok(result.hits[0].percentile! > result.hits[3].percentile!);
  }
  assert.equal((await search({ query })).hits[0].percentile, undefined, 'only when asked for');
});

test('explain: token shares sum to the Search score of the same text (1e-5) and to the reference cosine', async () => {
  const query = 'the connection failed after a timeout';
  const hits = (await search({ query, topK: 6 })).hits;
  const q = await reference.embed(query);
  for (const hit of hits) {
    const explained = await client.request(Explain, { query, text: hit.text });
    const sum = explained.tokens.reduce((total, t) => total + t.contribution, 0);
    assert.ok(Math.abs(sum - explained.score) < 1e-9);
    assert.ok(Math.abs(explained.score - hit.score) < 1e-5, `${hit.text}: ${explained.score} vs Search ${hit.score}`);
    assert.ok(Math.abs(explained.score - cosine(q, await reference.embed(hit.text))) < 1e-5);
    assert.deepEqual([explained.tokens[0].text, explained.tokens.at(-1)!.text], ['[CLS]', '[SEP]']);
    assert.equal(explained.tokens[0].start, -1);
    for (const word of explained.words) assert.equal(word.text, hit.text.slice(word.start, word.end));
    const special = explained.tokens[0].contribution + explained.tokens.at(-1)!.contribution;
    assert.ok(Math.abs(explained.words.reduce((total, w) => total + w.contribution, 0) + special - explained.score) < 1e-9);
  }
  // With refinement, the explanation is of the refined score.
  const refine = { more: [B], less: [] };
  const [refinedHit] = (await client.request(Search, { query, topK: 1, refine })).hits;
  const refined = await client.request(Explain, { query, text: refinedHit.text, refine });
  assert.ok(Math.abs(refined.score - refinedHit.score) < 1e-5);
});

test('explain maps words back to the original text: case, accents, punctuation; the top word is the matching one', async () => {
  const text = 'Yesterday the CONNECTION to Zürich’s café FAILED, sadly.';
  const explained = await client.request(Explain, { query: 'connection', text });
  const words = explained.words.map((w) => text.slice(w.start, w.end));
  assert.ok(words.includes('CONNECTION') && words.includes('FAILED') && words.includes(','), words.join(' | '));
  // Per token (a word of many pieces adds up many small shares: every token carries some sentence context).
  const best = explained.tokens.reduce((a, b) => (b.contribution > a.contribution ? b : a));
  assert.equal(best.text, 'CONNECTION');
  const q = await reference.embed('connection');
  assert.ok(Math.abs(explained.score - cosine(q, await reference.embed(text))) < 1e-5);
});

test('explain covers exactly the tokens the model saw: a long text is cut at the limit, as for search', async () => {
  const text = Array.from({ length: 40 }, (_, i) => (i % 2 ? 'error' : 'file')).join(' ');
  const explained = await client.request(Explain, { query: 'file error', text });
  assert.equal(explained.tokens.length, 32);
  assert.equal(explained.tokens.at(-1)!.text, '[SEP]');
  const q = await reference.embed('file error');
  assert.ok(Math.abs(explained.score - cosine(q, await reference.embed(text))) < 1e-5);
});

test('near-duplicates: paraphrases and exact duplicates cluster, largest first, scored against the representative', async () => {
  const result = await client.request(FindDuplicates, { threshold: 0.85 });
  assert.equal(result.units, (await everything('x')).length);
  const sets = result.clusters.map((c) => c.members.map((m) => m.text));
  assert.deepEqual(sets[0], [RETRY, RETRY, RETRY], 'the text used three times is the largest cluster');
  assert.equal(result.clusters[0].distinctTexts, 1);
  assert.deepEqual(result.clusters[0].members.map((m) => m.relPath), ['lib/legacy.ts', 'src/files.ts', 'src/net.ts']);
  const pairs = sets.slice(1).map((texts) => [...texts].sort());
  const expected = [[A, A2], [B, B2], [C, C2], ['Save the settings to disk.', 'Write the configuration to storage.']].map((pair) => pair.sort());
  assert.deepEqual(pairs.sort(), expected.sort());
  for (const cluster of result.clusters) {
    assert.equal(cluster.members[0].score, 1);
    const representative = await reference.embed(cluster.members[0].text);
    for (const member of cluster.members.slice(1)) {
      assert.ok(member.score >= 0.85);
      assert.ok(Math.abs(member.score - cosine(representative, await reference.embed(member.text))) < 1e-5);
    }
  }
  const notes = result.clusters.find((c) => c.members[0].relPath === 'docs/notes.txt')!;
  assert.deepEqual(notes.members.map((m) => [m.line, m.column, m.endColumn]).sort(), [[1, 0, 26], [1, 27, 62]]);

  const scoped = await client.request(FindDuplicates, { threshold: 0.85, scope: { include: ['src', 'lib'], exclude: ['src/users.ts'] } });
  assert.deepEqual(scoped.clusters.map((c) => c.members.length), [3, 2, 2]);
  assert.ok(scoped.clusters.every((c) => c.members.every((m) => m.relPath !== 'src/users.ts')));
  assert.equal((await client.request(FindDuplicates, { threshold: 0.85, maxClusters: 2 })).clusters.length, 2);
  assert.deepEqual((await client.request(FindDuplicates, { threshold: 0.999 })).clusters.map((c) => c.members.length), [3]);
  await assert.rejects(client.request(FindDuplicates, { threshold: 1.5 }), (error: unknown) => {
    assert.ok(error instanceof ResponseError && error.code === ErrorCodes.InvalidParams, String(error));
    return true;
  });
});

/** The generated model with another pooling mode declared in 1_Pooling/config.json. */
function withPooling(mode: 'max' | 'cls'): string {
  const copy = join(work, `model-${mode}`);
  cpSync(dir, copy, { recursive: true });
  mkdirSync(join(copy, '1_Pooling'), { recursive: true });
  writeFileSync(join(copy, '1_Pooling', 'config.json'), JSON.stringify({ [`pooling_mode_${mode === 'max' ? 'max_tokens' : 'cls_token'}`]: true, pooling_mode_mean_tokens: false }));
  return copy;
}

test('explain under max pooling splits the score exactly too; CLS pooling is refused with ExplanationUnsupported', async () => {
  const query = 'the connection failed after a timeout';
  const max = new HostClient({ hostScript: HOST_SCRIPT });
  try {
    const info = await max.start({ model: { dir: withPooling('max'), id: 'generated/max', dtype: 'fp32' }, threads: 1 });
    assert.equal(info.pooling, 'max');
    await max.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    for (const hit of (await max.request(Search, { query, topK: 4 })).hits) {
      const explained = await max.request(Explain, { query, text: hit.text });
      assert.ok(Math.abs(explained.score - hit.score) < 1e-5, `${hit.text}: ${explained.score} vs ${hit.score}`);
    }
  } finally {
    await max.stop();
  }
  const cls = new HostClient({ hostScript: HOST_SCRIPT });
  try {
    await cls.start({ model: { dir: withPooling('cls'), id: 'generated/cls', dtype: 'fp32' }, threads: 1 });
    await assert.rejects(cls.request(Explain, { query, text: A }), (error: unknown) => {
      assert.ok(error instanceof ResponseError && error.code === ErrorCodes.ExplanationUnsupported, String(error));
      assert.match(error.message, /mean or max pooling/);
      return true;
    });
  } finally {
    await cls.stop();
  }
});
