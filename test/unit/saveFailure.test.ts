// How a failed index save is described: the host's report of where and why, and the sentence the user reads.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { describeSaveFailure, saveFailureOf } from '../../src/core/index/saveFailure';
import { IndexWriteError } from '../../src/core/index/storage';

/** A real ENOSPC from the kernel: /dev/full refuses every write with it. */
function noSpaceError(): Error {
  try {
    writeFileSync('/dev/full', 'x');
  } catch (error) {
    return error as Error;
  }
  throw new Error('/dev/full accepted a write');
}

describe('save failures', () => {
  it('reports the file whose write failed, the error code and the system message', () => {
    const failure = saveFailureOf(new IndexWriteError('/storage/index/ws-1.sseg', noSpaceError()));
    assert.deepEqual(failure, { path: '/storage/index/ws-1.sseg', code: 'ENOSPC', message: 'ENOSPC: no space left on device, write' });
  });

  it('leaves the code out when the cause has none', () => {
    assert.deepEqual(saveFailureOf(new IndexWriteError('/i/ws.ssidx', new Error('short write'))), { path: '/i/ws.ssidx', message: 'short write' });
  });

  it('says where the space ran out, that searching goes on, and that freeing space is the fix', () => {
    const message = describeSaveFailure(saveFailureOf(new IndexWriteError('/storage/index/ws-1.sseg', noSpaceError())));
    assert.equal(
      message,
      'Similar Sentences could not save its index: no space left on device at /storage/index/ws-1.sseg. Searching still works; changes are kept in memory until space is freed.',
    );
    assert.match(describeSaveFailure({ path: '/q/ws.jrnl', code: 'EDQUOT', message: 'EDQUOT: disk quota exceeded, write' }), /: disk quota exceeded at \/q\/ws\.jrnl\. .* until space is freed\.$/);
  });

  it('gives the system message for other write errors, without promising that space helps', () => {
    const message = describeSaveFailure({ path: '/ro/ws.ssidx', code: 'EROFS', message: "EROFS: read-only file system, open '/ro/ws.ssidx.tmp'" });
    assert.equal(
      message,
      "Similar Sentences could not save its index: EROFS: read-only file system, open '/ro/ws.ssidx.tmp' at /ro/ws.ssidx. Searching still works; changes are kept in memory until the index can be written again.",
    );
  });
});
