// A new query cancels the previous one, in the real model host: a Search cancelled through its token fails with
// Cancelled (its result never comes back), the host stays up, and the next Search answers with its own results.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import { HostClient } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import { Embed, ErrorCodes, IndexFolders, Search, type SearchResult } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { HOST_SCRIPT } from './reference';

const LINES = ['open the file', 'save the settings to disk', 'the cat dreamed of a big fish', 'close the window', 'delete the old branch'];

let work: string;
let root: string;
let client: HostClient;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'ss-search-cancel-'));
  root = join(work, 'ws');
  mkdirSync(root);
  // Code, so each line is a unit of its own.
  writeFileSync(join(root, 'commands.ts'), `${LINES.join('\n')}\n`);
  client = new HostClient({ hostScript: HOST_SCRIPT });
  await client.start({ model: { dir: await ensureTestModel('semantic'), id: 'generated/semantic', dtype: 'fp32' }, threads: 1 });
  await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
});
after(async () => {
  await client.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Keeps the host's inference worker busy for seconds, so a search waits in its queue long enough to be cancelled. */
function backgroundLoad(): Promise<unknown> {
  const texts = Array.from({ length: 4_000 }, (_, i) => `background text ${i} keeps the inference worker busy for a while`);
  const load = client.request(Embed, { texts });
  load.catch(() => undefined); // awaited by the test; a failed test must not leave it unhandled
  return load;
}

function search(query: string, token?: CancellationTokenSource): Promise<SearchResult> {
  return client.request(Search, { query, topK: 3, roots: [root] }, token?.token);
}

async function cancelled(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    (result) => assert.fail(`a cancelled search answered: ${JSON.stringify(result)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ResponseError, `not a ResponseError: ${error}`);
  assert.equal(error.code, ErrorCodes.Cancelled, error.message);
}

/** The query's own line is the best hit, with a score of 1. */
function assertOwnResults(result: SearchResult, query: string): void {
  assert.equal(result.hits[0].line, LINES.indexOf(query) + 1, `the best hit of ${JSON.stringify(query)} is line ${result.hits[0].line}`);
  assert.ok(Math.abs(result.hits[0].score - 1) < 1e-5);
}

test('a Search cancelled through its token fails with Cancelled; the host stays up and the next Search gets its own results', async () => {
  const pid = client.pid;
  const load = backgroundLoad();
  const first = new CancellationTokenSource();
  const superseded = search('the cat dreamed of a big fish', first);
  first.cancel();
  const next = search('save the settings to disk');
  await cancelled(superseded);
  assertOwnResults(await next, 'save the settings to disk');
  assert.equal((await load as { vectors: unknown[] }).vectors.length, 4_000, 'the other work of the host was not disturbed');
  assert.equal(client.pid, pid, 'the host was not restarted');
  assert.equal(client.currentState, 'running');
});

test('typing: a run of searches, each cancelling the one before, leaves only the last one answering', async () => {
  const load = backgroundLoad();
  const queries = [...LINES, ...LINES];
  const pending: Array<Promise<SearchResult>> = [];
  let previous: CancellationTokenSource | undefined;
  for (const query of queries) {
    previous?.cancel();
    previous = new CancellationTokenSource();
    pending.push(search(query, previous));
  }
  for (const superseded of pending.slice(0, -1)) await cancelled(superseded);
  assertOwnResults(await pending.at(-1)!, queries.at(-1)!);
  await load;
  // Nothing of the cancelled searches lingers: the next one, with no load, answers for itself.
  assertOwnResults(await search('close the window'), 'close the window');
});
