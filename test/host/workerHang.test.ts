// A hang inside one inference worker (as a call stuck in native code would be) while the host's main thread keeps
// answering the heartbeat: the embedder's per-batch deadline terminates the worker, the host exits with the
// worker-died code, the client restarts it, and the batch that hangs is narrowed down to its file, which is skipped.
// The hook is SIMILAR_SENTENCES_TEST_HANG_ON (src/host/inferenceWorker.ts); the deadline floor is shortened with
// SIMILAR_SENTENCES_BATCH_DEADLINE_MS.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HostClient } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import { HostExitCodes, IndexFolders, type InitializeParams } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { generateSyntheticWorkspace } from '../fixtures/syntheticWorkspace';
import { HOST_SCRIPT } from './reference';

const MARKER = 'HANG_51c9';
const DEADLINE_MS = 1500;

let model: InitializeParams['model'];
let work: string;

before(async () => {
  model = { dir: await ensureTestModel('semantic'), id: 'generated/semantic', dtype: 'fp32' };
  work = mkdtempSync(join(tmpdir(), 'ss-worker-hang-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('a worker stuck in a batch past its deadline restarts the host; the file that hangs is skipped, the rest indexed', async () => {
  const root = generateSyntheticWorkspace(join(work, 'ws'), { lines: 400, seed: 3 }).root;
  writeFileSync(join(root, 'stuck.ts'), `const a = 1;\nconst spin = '${MARKER}'; // this line hangs inference\n`);
  const reference = new HostClient({ hostScript: HOST_SCRIPT });
  let expectedUnits: number;
  try {
    await reference.start({ model, threads: 2 });
    const summary = await reference.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    expectedUnits = summary.units;
  } finally {
    await reference.stop();
  }

  process.env.SIMILAR_SENTENCES_TEST_HANG_ON = MARKER;
  process.env.SIMILAR_SENTENCES_BATCH_DEADLINE_MS = String(DEADLINE_MS);
  const logs: string[] = [];
  const c = new HostClient({ hostScript: HOST_SCRIPT, onLog: (l) => logs.push(l.message) });
  try {
    await c.start({ model, threads: 2, indexDir: join(work, 'index') });
    const started = Date.now();
    const summary = await c.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    const elapsed = Date.now() - started;
    const stuck = logs.filter((m) => m.includes('did not finish a batch'));
    const exits = logs.filter((m) => m.startsWith('model host exited'));
    assert.ok(stuck.length >= 1, logs.join('\n'));
    assert.ok(exits.length >= 1 && exits.every((m) => m.includes(`exit code ${HostExitCodes.InferenceWorkerDied}`)), exits.join('\n'));
    assert.deepEqual(
      summary.skipped.filter((s) => s.reason === 'crashed-host').map((s) => s.relPath),
      ['stuck.ts'],
    );
    // Everything else is indexed (stuck.ts's other line too, or not, depending on how far bisection narrowed it).
    assert.ok(summary.units >= expectedUnits - 2 && summary.units <= expectedUnits, `${summary.units} of ${expectedUnits}`);
    console.log(`hang detected ${stuck.length}×, host restarted ${exits.length}×, indexing took ${elapsed} ms`);
  } finally {
    delete process.env.SIMILAR_SENTENCES_TEST_HANG_ON;
    delete process.env.SIMILAR_SENTENCES_BATCH_DEADLINE_MS;
    await c.stop();
  }
});
