import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ClientState } from '../../src/client';
import { hostTroubleView, isHostTrouble } from '../../src/extension/hostState';

describe('hostTroubleView', () => {
  it('after the crash loop: an error that says the host kept crashing and why, offering Restart and Show Log', () => {
    const view = hostTroubleView('failed', 'signal SIGSEGV', 'Xenova/all-MiniLM-L6-v2');
    assert.deepEqual(view, {
      phase: 'error',
      model: 'Xenova/all-MiniLM-L6-v2',
      error: { message: 'The model host kept crashing (signal SIGSEGV) and was stopped.', actions: ['restartHost', 'showLog'] },
    });
  });

  it('while restarting: says why the host stopped, with no error', () => {
    const view = hostTroubleView('restarting', 'killed: it used 900 MB of memory, above the limit of 512 MB', 'm');
    assert.equal(view.phase, 'preparing');
    assert.equal(view.error, undefined);
    assert.equal(view.detail, 'The model host stopped (killed: it used 900 MB of memory, above the limit of 512 MB) and is restarting…');
  });

  it('only restarting and failed replace what the views show', () => {
    const states: ClientState[] = ['stopped', 'starting', 'running', 'restarting', 'failed'];
    assert.deepEqual(states.filter(isHostTrouble), ['restarting', 'failed']);
  });
});
