// The extension warns once when index saves start failing (a full disk), not on every edit after.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { describeSaveFailure } from '../../src/core/index/saveFailure';
import { SaveFailureNotice } from '../../src/extension/saveFailureNotice';
import type { IndexSaveError } from '../../src/protocol';

const full: IndexSaveError = { path: '/storage/index/ws-1.sseg', code: 'ENOSPC', message: 'ENOSPC: no space left on device, write' };
const fullElsewhere: IndexSaveError = { ...full, path: '/storage/index/ws-1.jrnl' };

describe('save failure notice', () => {
  it('says nothing while saves succeed', () => {
    const notice = new SaveFailureNotice();
    assert.equal(notice.onSaveOutcome(undefined), undefined);
    assert.equal(notice.onSaveOutcome(undefined), undefined);
  });

  it('warns at the first failure only, however many edits fail after it', () => {
    const notice = new SaveFailureNotice();
    assert.deepEqual(notice.onSaveOutcome(full), { warning: describeSaveFailure(full) });
    for (let edit = 0; edit < 20; edit++) assert.equal(notice.onSaveOutcome(edit % 2 ? full : fullElsewhere), undefined);
  });

  it('says when saves work again, and warns again if they fail after that', () => {
    const notice = new SaveFailureNotice();
    notice.onSaveOutcome(full);
    assert.deepEqual(notice.onSaveOutcome(undefined), { recovered: true });
    assert.equal(notice.onSaveOutcome(undefined), undefined);
    assert.deepEqual(notice.onSaveOutcome(fullElsewhere), { warning: describeSaveFailure(fullElsewhere) });
  });
});
