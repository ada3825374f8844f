import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { CancellationTokenSource, type CancellationToken } from 'vscode-jsonrpc';
import { LatestRequest } from '../../src/extension/latestRequest';
import { SeededRandom } from '../fixtures/models/prng';

/** A view fed the way the controller and the panels feed theirs: only the latest request's outcome is shown. */
class View {
  readonly shown: string[] = [];
  readonly channel = new LatestRequest();

  async run(work: (token: CancellationToken) => Promise<string>): Promise<void> {
    const turn = this.channel.begin();
    try {
      const result = await work(turn.token);
      if (turn.isLatest) this.shown.push(result);
    } catch (error) {
      if (turn.isLatest) this.shown.push(`failed: ${(error as Error).message}`);
    } finally {
      turn.dispose();
    }
  }
}

/** Work that finishes when the test says so; `honoursCancel` makes it reject once its token is cancelled, as the host does. */
function pending(honoursCancel: boolean) {
  let answer!: (result: string) => void;
  let token!: CancellationToken;
  const work = (given: CancellationToken) =>
    new Promise<string>((resolve, reject) => {
      token = given;
      answer = resolve;
      if (honoursCancel) given.onCancellationRequested(() => reject(new Error('cancelled')));
    });
  return { work, answer: (result: string) => answer(result), token: () => token };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('LatestRequest', () => {
  it('a new request cancels the previous one of its channel, which is no longer the latest; other channels are untouched', () => {
    const panel = new LatestRequest();
    const sidebar = new LatestRequest();
    const first = panel.begin();
    const side = sidebar.begin();
    assert.equal(first.isLatest, true);
    assert.equal(first.token.isCancellationRequested, false);
    const second = panel.begin();
    assert.equal(first.isLatest, false);
    assert.equal(first.token.isCancellationRequested, true);
    assert.equal(second.isLatest, true);
    assert.equal(second.token.isCancellationRequested, false);
    assert.equal(side.isLatest, true);
    assert.equal(side.token.isCancellationRequested, false);
  });

  for (const order of ['older first', 'newer first'] as const) {
    it(`an answer that arrives after a newer request started never reaches the view (${order})`, async () => {
      const view = new View();
      // Neither honours the cancellation: the host answered before it got there.
      const older = pending(false);
      const newer = pending(false);
      const runs = [view.run(older.work), view.run(newer.work)];
      assert.equal(older.token().isCancellationRequested, true);
      if (order === 'older first') {
        older.answer('stale');
        await settle();
        newer.answer('fresh');
      } else {
        newer.answer('fresh');
        await settle();
        older.answer('stale');
      }
      await Promise.all(runs);
      assert.deepEqual(view.shown, ['fresh']);
    });
  }

  it('a superseded request that fails because it was cancelled is not shown as an error either', async () => {
    const view = new View();
    const older = pending(true);
    const newer = pending(true);
    const runs = [view.run(older.work), view.run(newer.work)];
    await settle();
    newer.answer('fresh');
    await Promise.all(runs);
    assert.deepEqual(view.shown, ['fresh']);
  });

  it('in a race of many requests of random durations the view only moves forward and ends on the last one', async () => {
    const random = new SeededRandom(15);
    const view = new View();
    const tokens: CancellationToken[] = [];
    const runs: Promise<void>[] = [];
    const settled: boolean[] = [];
    /** Still running when a newer request began: these, and only these, must have been cancelled. */
    const superseded = new Set<number>();
    const count = 60;
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < i; j++) if (!settled[j]) superseded.add(j);
      const duration = Math.floor(random.uniform() * 25);
      const honoursCancel = random.uniform() < 0.5;
      runs.push(
        view.run(
          (token) =>
            new Promise<string>((resolve, reject) => {
              tokens.push(token);
              const timer = setTimeout(() => ((settled[i] = true), resolve(String(i))), duration);
              if (honoursCancel) token.onCancellationRequested(() => (clearTimeout(timer), (settled[i] = true), reject(new Error(`cancelled ${i}`))));
            }),
        ),
      );
      // Requests overlap: the next one often starts while several are still running.
      if (random.uniform() < 0.4) await new Promise((resolve) => setTimeout(resolve, Math.floor(random.uniform() * 10)));
    }
    await Promise.all(runs);
    const shown = view.shown.map(Number);
    assert.ok(!view.shown.some((entry) => entry.startsWith('failed')), `a cancellation reached the view: ${view.shown}`);
    for (let i = 1; i < shown.length; i++) assert.ok(shown[i] > shown[i - 1], `went back from ${shown[i - 1]} to ${shown[i]}`);
    assert.equal(shown.at(-1), count - 1);
    assert.ok(superseded.size >= count / 4, `only ${superseded.size} requests overlapped a newer one`);
    assert.deepEqual(tokens.map((token) => token.isCancellationRequested), tokens.map((_, i) => superseded.has(i)));
  });

  it('a request that is over is left alone by the next one, even one that never read its token', () => {
    const channel = new LatestRequest();
    const over = channel.begin();
    over.dispose();
    const next = channel.begin();
    assert.equal(over.isLatest, false);
    assert.equal(next.token.isCancellationRequested, false);
    next.dispose();
    channel.cancel();
  });

  it('cancel() cancels the request in progress and drops its outcome; the next request is shown', async () => {
    const view = new View();
    const closing = pending(false);
    const run = view.run(closing.work);
    view.channel.cancel();
    assert.equal(closing.token().isCancellationRequested, true);
    closing.answer('too late');
    await run;
    assert.deepEqual(view.shown, []);
    await view.run(async () => 'after');
    assert.deepEqual(view.shown, ['after']);
  });

  it('a followed token (a Cancel button) cancels the request, which stays the latest so the view can say so', async () => {
    const channel = new LatestRequest();
    const button = new CancellationTokenSource();
    const turn = channel.begin();
    turn.follow(button.token);
    const outcome = pending(true).work(turn.token).then(() => 'answered', (error: Error) => error.message);
    button.cancel();
    assert.equal(await outcome, 'cancelled');
    assert.equal(turn.isLatest, true);
    turn.dispose();

    const already = new CancellationTokenSource();
    already.cancel();
    const next = channel.begin();
    next.follow(already.token);
    assert.equal(next.token.isCancellationRequested, true, 'a token cancelled before it is followed cancels at once');
    next.dispose();

    // Once a request is over, the token it followed no longer reaches it.
    const later = new CancellationTokenSource();
    const done = channel.begin();
    done.follow(later.token);
    done.dispose();
    later.cancel();
    assert.equal(done.token.isCancellationRequested, false);
  });
});
