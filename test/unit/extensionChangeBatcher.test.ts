import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChangeBatcher } from '../../src/extension/changeBatcher';

describe('ChangeBatcher', () => {
  it('sends one debounced batch with the newest change per file, produced at send time', async () => {
    const batches: string[][] = [];
    const batcher = new ChangeBatcher<string>(async (changes) => void batches.push(changes), 30, (error) => assert.fail(String(error)));
    let text = 'v1';
    batcher.add('a', () => `a:${text}`);
    batcher.add('b', () => 'b:deleted');
    batcher.add('a', () => `a:${text}`);
    text = 'v2';
    assert.equal(batcher.size, 2);
    await sleep(10);
    assert.deepEqual(batches, [], 'nothing before the delay');
    await sleep(60);
    assert.deepEqual(batches, [['b:deleted', 'a:v2']]);
  });

  it('restarts the delay while changes keep coming', async () => {
    const batches: string[][] = [];
    const batcher = new ChangeBatcher<string>(async (changes) => void batches.push(changes), 40, (error) => assert.fail(String(error)));
    for (let i = 0; i < 4; i++) {
      batcher.add('a', () => `a${i}`);
      await sleep(15);
    }
    assert.deepEqual(batches, []);
    await sleep(70);
    assert.deepEqual(batches, [['a3']]);
  });

  it('sends batches one at a time, in order, and reports failures without stopping', async () => {
    const events: string[] = [];
    const errors: unknown[] = [];
    const batcher = new ChangeBatcher<string>(
      async (changes) => {
        events.push(`start ${changes}`);
        await sleep(20);
        if (changes.includes('bad')) throw new Error('host down');
        events.push(`end ${changes}`);
      },
      1000,
      (error) => errors.push(error),
    );
    batcher.add('x', () => 'bad');
    const first = batcher.flush();
    batcher.add('y', () => 'good');
    await Promise.all([first, batcher.flush()]);
    assert.deepEqual(events, ['start bad', 'start good', 'end good']);
    assert.equal(errors.length, 1);
  });

  it('skips files whose producer has nothing to send, and sends nothing after dispose', async () => {
    const batches: string[][] = [];
    const batcher = new ChangeBatcher<string>(async (changes) => void batches.push(changes), 10, (error) => assert.fail(String(error)));
    batcher.add('gone', () => undefined);
    await batcher.flush();
    batcher.add('a', () => 'a');
    batcher.dispose();
    await sleep(30);
    batcher.add('b', () => 'b');
    await batcher.flush();
    assert.deepEqual(batches, []);
  });
});
