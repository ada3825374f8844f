import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { SkippedReport } from '../../src/protocol';
import { hasCrashedHost, mergeSkipped, NO_SKIPPED_FILES, skippedLogLines, summarizeSkipped } from '../../src/extension/skippedFiles';

const file = (relPath: string, reason: SkippedReport['reason'], detail?: string): SkippedReport => ({ root: '/ws', relPath, reason, detail });

describe('skipped files', () => {
  it('says nothing when nothing was skipped', () => {
    assert.equal(summarizeSkipped(NO_SKIPPED_FILES), undefined);
    assert.deepEqual(skippedLogLines(NO_SKIPPED_FILES, (_root, relPath) => relPath), []);
  });

  it('counts files by reason, those that crashed the host first', () => {
    const skipped = { sample: [file('a.bin', 'binary'), file('big.json', 'too-large'), file('c.bin', 'binary'), file('poison.txt', 'crashed-host')], count: 4 };
    assert.equal(summarizeSkipped(skipped), '4 files skipped: 1 crashed the model host, 2 binary, 1 too large');
    assert.ok(hasCrashedHost(skipped));
    assert.ok(!hasCrashedHost({ sample: [file('l', 'symlink-duplicate')], count: 1 }));
    assert.equal(summarizeSkipped({ sample: [file('l', 'symlink-duplicate')], count: 1 }), '1 file skipped: 1 a link to a file indexed under another path');
  });

  it('marks a sample shorter than the count, and lists each file for the log', () => {
    const skipped = { sample: [file('poison.txt', 'crashed-host', 'embedding it crashed the model host twice')], count: 3 };
    assert.equal(summarizeSkipped(skipped), '3 files skipped: 1 crashed the model host, …');
    assert.deepEqual(skippedLogLines(skipped, (_root, relPath) => `ws/${relPath}`), [
      'ws/poison.txt: crashed the model host (embedding it crashed the model host twice)',
      '…and 2 more not listed',
    ]);
  });

  it('lets an update of a file replace what was known about it', () => {
    const known = { sample: [file('poison.txt', 'crashed-host'), file('big.json', 'too-large')], count: 2 };
    const fixed = mergeSkipped(known, NO_SKIPPED_FILES, [{ root: '/ws', relPath: 'poison.txt' }]);
    assert.deepEqual(fixed, { sample: [file('big.json', 'too-large')], count: 1 });
    const worse = mergeSkipped(fixed, { sample: [file('new.txt', 'crashed-host')], count: 1 }, [{ root: '/ws', relPath: 'new.txt' }]);
    assert.equal(worse.count, 2);
    assert.ok(hasCrashedHost(worse));
  });
});
