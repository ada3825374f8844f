import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { CancellationToken } from 'vscode-jsonrpc';
import { ExplanationQueue } from '../../src/extension/explanationQueue';

/** An explain function whose calls finish only when the test says so. */
function controllable() {
  const calls: Array<{ key: string; id: string; token: CancellationToken; finish: () => void }> = [];
  const explain = (key: string, id: string, token: CancellationToken) =>
    new Promise<void>((resolve) => calls.push({ key, id, token, finish: resolve }));
  return { calls, explain };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('ExplanationQueue', () => {
  it('runs a bounded number at a time, each result once while it waits or runs', async () => {
    const { calls, explain } = controllable();
    const queue = new ExplanationQueue<string>(explain, 2);
    for (const id of ['a', 'b', 'c', 'a', 'b']) queue.request('panel', id);
    assert.deepEqual(calls.map((c) => c.id), ['a', 'b']);
    assert.equal(queue.pending, 3);
    calls[0].finish();
    await tick();
    assert.deepEqual(calls.map((c) => c.id), ['a', 'b', 'c']);
    // Asked again once answered (a page that reloaded asks for what it shows): it runs again.
    queue.request('panel', 'a');
    calls[1].finish();
    await tick();
    assert.deepEqual(calls.map((c) => c.id), ['a', 'b', 'c', 'a']);
  });

  it("drops a view's waiting explanations and cancels its running ones on a new search, not other views'", async () => {
    const { calls, explain } = controllable();
    const queue = new ExplanationQueue<string>(explain, 2);
    queue.request('sidebar', 's1');
    queue.request('panel', 'p1');
    queue.request('sidebar', 's2');
    queue.request('panel', 'p2');
    queue.reset('sidebar');
    assert.ok(calls[0].token.isCancellationRequested, 'the running side view explanation is cancelled');
    assert.ok(!calls[1].token.isCancellationRequested);
    calls[0].finish();
    await tick();
    assert.deepEqual(calls.map((c) => c.id), ['s1', 'p1', 'p2'], 's2 was dropped');
  });

  it('keeps going after a failed explanation', async () => {
    let runs = 0;
    const queue = new ExplanationQueue<string>(async (_key, id) => {
      runs++;
      if (id === 'bad') throw new Error('host refused');
    }, 1);
    queue.request('panel', 'bad');
    queue.request('panel', 'good');
    await tick();
    await tick();
    assert.equal(runs, 2);
    assert.equal(queue.pending, 0);
  });
});
