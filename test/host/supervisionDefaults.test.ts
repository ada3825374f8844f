// The client's crash-loop supervision of the real model host with its default limits: restarts after each of
// 5 crashes in a row with a backoff that doubles (250 ms · 2ⁿ), gives up on the 6th crash inside 3 minutes with a
// clear error, starts afresh on Restart, and forgets crashes older than the window.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc/node';
import { HostClient, type ClientState, type HostClientOptions } from '../../src/client';
import { Embed, ErrorCodes, type InitializeParams } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { HOST_SCRIPT } from './reference';

interface StateChange {
  at: number;
  state: ClientState;
  detail?: string;
}

/** A client that records its state changes, and waits for the next one of a kind. */
function supervised(options: Partial<HostClientOptions> = {}) {
  const changes: StateChange[] = [];
  const waiters: Array<{ state: ClientState; resolve: (change: StateChange) => void }> = [];
  const client = new HostClient({
    hostScript: HOST_SCRIPT,
    ...options,
    onStateChange: (state, detail) => {
      const change = { at: Date.now(), state, detail };
      changes.push(change);
      for (const waiter of waiters.splice(0)) {
        if (waiter.state === state) waiter.resolve(change);
        else waiters.push(waiter);
      }
    },
  });
  const next = (state: ClientState) => new Promise<StateChange>((resolve) => waiters.push({ state, resolve }));
  return { client, changes, next };
}

async function initParams(): Promise<InitializeParams> {
  return { model: { dir: await ensureTestModel('semantic'), id: 'generated/semantic', dtype: 'fp32' }, threads: 1 };
}

async function answers(client: HostClient): Promise<void> {
  const { vectors } = await client.request(Embed, { texts: ['open the file'] });
  assert.equal(vectors.length, 1);
}

interface Restart {
  /** From the host's exit to the relaunch: the backoff itself. */
  backoffMs: number;
  /** From the kill to the new host's first answer: what a user waits. */
  downtimeMs: number;
}

/** SIGKILLs the running host and waits for a new one to answer. */
async function killAndAwaitRestart(s: ReturnType<typeof supervised>): Promise<Restart> {
  const pid = s.client.pid!;
  const killed = Date.now();
  const exited = s.next('restarting');
  process.kill(pid, 'SIGKILL');
  const exit = await exited;
  const relaunch = await s.next('restarting');
  await answers(s.client);
  const answered = Date.now();
  assert.notEqual(s.client.pid, pid);
  assert.equal(exit.detail, 'signal SIGKILL');
  assert.equal(relaunch.detail, 'signal SIGKILL', 'the relaunch still says why the host stopped');
  return { backoffMs: relaunch.at - exit.at, downtimeMs: answered - killed };
}

/** The documented backoff before restart n (1-based): 250 ms · 2ⁿ⁻¹, at most 10 s. */
const nominalBackoff = (n: number) => Math.min(250 * 2 ** (n - 1), 10_000);
/** Timers fire late on a busy machine, never early (but Date.now() rounds to the millisecond). */
const TIMER_SLACK_MS = 1_500;

test('default limits: 5 crashes in a row are each restarted with a doubling backoff, the 6th stops the host with a clear error; Restart starts afresh', async (t) => {
  const s = supervised();
  const init = await initParams();
  try {
    await s.client.start(init);
    const restarts: Restart[] = [];
    for (let crash = 1; crash <= 5; crash++) restarts.push(await killAndAwaitRestart(s));
    t.diagnostic(`backoffs ${restarts.map((r) => r.backoffMs).join(', ')} ms; kill to answer ${restarts.map((r) => r.downtimeMs).join(', ')} ms`);

    restarts.forEach(({ backoffMs, downtimeMs }, i) => {
      const nominal = nominalBackoff(i + 1);
      assert.ok(backoffMs >= nominal - 2 && backoffMs <= nominal + TIMER_SLACK_MS, `backoff ${i + 1}: ${backoffMs} ms, nominal ${nominal} ms`);
      assert.ok(downtimeMs >= nominal, `downtime ${i + 1}: ${downtimeMs} ms is shorter than the backoff ${nominal} ms`);
    });
    // The wait grows: each backoff exceeds the one before by at least half the nominal step. The time until the host
    // answers again adds a start-up time that varies by a second or more on a busy machine, so only its overall
    // growth is asserted: the last is the longest, and longer than the first by half the nominal difference.
    for (let i = 1; i < restarts.length; i++) {
      const step = nominalBackoff(i + 1) - nominalBackoff(i);
      assert.ok(restarts[i].backoffMs >= restarts[i - 1].backoffMs + step / 2, `backoffs ${restarts.map((r) => r.backoffMs)}`);
    }
    const downtimes = restarts.map((r) => r.downtimeMs);
    assert.equal(Math.max(...downtimes), downtimes[4], `downtimes ${downtimes}`);
    assert.ok(downtimes[4] >= downtimes[0] + (nominalBackoff(5) - nominalBackoff(1)) / 2, `downtimes ${downtimes}`);

    const gaveUp = s.next('failed');
    process.kill(s.client.pid!, 'SIGKILL');
    assert.equal((await gaveUp).detail, 'signal SIGKILL');
    assert.equal(s.client.currentState, 'failed');
    assert.equal(s.client.pid, undefined);
    const error = await s.client.request(Embed, { texts: ['after giving up'] }).then(
      () => assert.fail('a request after giving up should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ResponseError, `not a ResponseError: ${error}`);
    assert.equal(error.code, ErrorCodes.HostCrashed);
    assert.match(error.message, /crashed 6 times in 3 minutes \(last: signal SIGKILL\) and was not restarted again/);
    // It stays down: no relaunch is scheduled.
    const changesWhenFailed = s.changes.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(s.changes.length, changesWhenFailed, `state changes after giving up: ${JSON.stringify(s.changes.slice(changesWhenFailed))}`);
    assert.equal(s.client.pid, undefined);

    // Restart (SimilarityService.restartHost: stop, then start) launches a new host with a fresh crash budget:
    // the next crash is restarted after the first, shortest backoff.
    await s.client.stop();
    await s.client.start(init);
    await answers(s.client);
    const afterRestart = await killAndAwaitRestart(s);
    assert.ok(afterRestart.backoffMs < nominalBackoff(2), `backoff after Restart: ${afterRestart.backoffMs} ms`);
  } finally {
    await s.client.stop();
  }
});

test('crashes older than the restart window are forgotten: the crash count and the backoff start again', async () => {
  const windowMs = 2_000;
  const s = supervised({ maxRestarts: 1, restartWindowMs: windowMs });
  try {
    await s.client.start(await initParams());
    const firstExit = s.next('restarting');
    await killAndAwaitRestart(s);
    const firstCrashAt = (await firstExit).at;
    // Wait until the first crash has left the window.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstCrashAt + windowMs + 200 - Date.now())));

    // With the first crash forgotten this is crash 1 of 1 again: restarted, after the first backoff.
    const second = await killAndAwaitRestart(s);
    assert.ok(second.backoffMs < nominalBackoff(2), `backoff after a forgotten crash: ${second.backoffMs} ms`);

    // Another crash inside the window is one too many.
    const gaveUp = s.next('failed');
    process.kill(s.client.pid!, 'SIGKILL');
    await gaveUp;
    const error = await s.client.request(Embed, { texts: ['x'] }).then(
      () => assert.fail('a request after giving up should fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ResponseError);
    assert.equal(error.code, ErrorCodes.HostCrashed);
    assert.match(error.message, /crashed 2 times/);
  } finally {
    await s.client.stop();
  }
});
