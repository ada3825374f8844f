import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { describeFileLimit, FileLimitNotice, MAX_FILES_SETTING } from '../../src/extension/fileLimitNotice';
import type { SkippedReport } from '../../src/protocol';

const folderName = (root: string) => path.basename(root);
const capped = (root: string, limit: number): SkippedReport => ({ root, relPath: 'z/next.ts', reason: 'max-files', detail: `limit of ${limit} files reached` });
const tooLarge = (root: string): SkippedReport => ({ root, relPath: 'big.json', reason: 'too-large', detail: '9000000 bytes' });

describe('file limit notice', () => {
  it('names the folder, the cap and the setting, and what to do', () => {
    const warning = new FileLimitNotice().onIndexed([tooLarge('/ws/app'), capped('/ws/monorepo', 100_000)], 100_000, folderName);
    const limit = (100_000).toLocaleString();
    assert.equal(
      warning,
      `"monorepo" has more than ${limit} files, the limit of "similarSentences.maxFiles": only the first ${limit} are indexed and searched. ` +
        'Raise the limit, or leave folders out with "similarSentences.exclude".',
    );
    assert.equal(MAX_FILES_SETTING, 'similarSentences.maxFiles');
  });

  it('says nothing when no walk reached the cap', () => {
    assert.equal(new FileLimitNotice().onIndexed([tooLarge('/ws/app')], 100_000, folderName), undefined);
    assert.equal(new FileLimitNotice().onIndexed([], 100_000, folderName), undefined);
  });

  it('tells each folder and limit once: a rebuild says nothing new, a new limit or another folder does', () => {
    const notice = new FileLimitNotice();
    assert.ok(notice.onIndexed([capped('/ws/a', 10)], 10, folderName));
    assert.equal(notice.onIndexed([capped('/ws/a', 10)], 10, folderName), undefined, 'same folder, same limit');
    assert.match(notice.onIndexed([capped('/ws/a', 20)], 20, folderName) ?? '', /more than 20 files/);
    const both = notice.onIndexed([capped('/ws/a', 20), capped('/ws/b', 20)], 20, folderName);
    assert.match(both ?? '', /^"b" has more than 20 files,/, 'only the folder not told yet');
  });

  it('speaks of each folder when several reached the cap', () => {
    assert.match(describeFileLimit(['a', 'b'], 5), /^"a", "b" have more than 5 files each, .*only the first 5 of each are indexed/);
  });
});
