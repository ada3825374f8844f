// A native crash of the real model host (SIGSEGV, as a fault inside onnxruntime would raise) while requests are
// pending: a request that cannot simply be sent again fails with a typed error, an indexing request is sent again
// and completes, and the restarted host answers.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { HostClient, type ClientState } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import { Embed, ErrorCodes, IndexFolders, Search, type InitializeParams } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { generateSyntheticWorkspace, type SyntheticWorkspace } from '../fixtures/syntheticWorkspace';
import { HOST_SCRIPT } from './reference';

let init: InitializeParams;
let work: string;
let workspace: SyntheticWorkspace;

before(async () => {
  init = { model: { dir: await ensureTestModel('semantic'), id: 'generated/semantic', dtype: 'fp32' }, threads: 1 };
  work = mkdtempSync(join(tmpdir(), 'ss-native-crash-'));
  workspace = generateSyntheticWorkspace(join(work, 'ws'), { lines: 20_000, seed: 5 });
});
after(() => rmSync(work, { recursive: true, force: true }));

test('SIGSEGV while an Embed and an IndexFolders are pending: the Embed fails with HostCrashed, the indexing is sent again and completes', async () => {
  const states: ClientState[] = [];
  const logs: string[] = [];
  const c = new HostClient({ hostScript: HOST_SCRIPT, onStateChange: (state) => states.push(state), onLog: ({ message }) => logs.push(message) });
  try {
    await c.start(init);
    const firstPid = c.pid!;
    const indexing = c.request(IndexFolders, { folders: [{ root: workspace.root, walk: DEFAULT_WALK }] });
    // Thousands of texts keep the Embed in the host for seconds: it is surely pending when the signal lands.
    const texts = Array.from({ length: 6_000 }, (_, i) => `pending text number ${i} about opening files and saving settings`);
    const embedding = c.request(Embed, { texts });
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(firstPid, 'SIGSEGV');

    const error = await embedding.then(
      () => assert.fail('the Embed pending during the crash should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ResponseError, `not a ResponseError: ${error}`);
    assert.equal(error.code, ErrorCodes.HostCrashed);
    assert.match(error.message, /SIGSEGV/);

    const summary = await indexing;
    assert.ok(logs.some((message) => message.startsWith(`${IndexFolders.method} was interrupted by a crash of the model host (signal SIGSEGV)`)), 'the indexing was not sent again');
    assert.equal(summary.files, workspace.files.length);
    assert.notEqual(c.pid, firstPid);
    assert.deepEqual(states, ['starting', 'running', 'restarting', 'restarting', 'running']);

    // The new host answers, from the index the resent request built: the last file written is found by its own line.
    const { vectors } = await c.request(Embed, { texts: ['open the file'] });
    assert.equal(vectors.length, 1);
    const lastFile = workspace.files.at(-1)!;
    const line = readFileSync(join(workspace.root, lastFile), 'utf8').split('\n').find((text) => text.trim().length > 20)!;
    const { hits } = await c.request(Search, { query: line, topK: 50, minScore: 0.99999 });
    assert.ok(hits.some((hit) => hit.relPath === lastFile), `${lastFile} not found by its line ${JSON.stringify(line)}`);
  } finally {
    await c.stop();
  }
});
