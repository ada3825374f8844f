import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { folderLabel, resolveScope, splitGlobs, type ScopeContext } from '../../src/extension/scopes';

const context = (overrides: Partial<ScopeContext> = {}): ScopeContext => ({
  openEditors: [],
  displayPath: (_root, relPath) => relPath,
  ...overrides,
});

describe('scopes', () => {
  it('splits glob lists at commas outside braces, as the Search view does', () => {
    assert.deepEqual(splitGlobs(' *.md, src/**/*.{ts,js} ,, docs '), ['*.md', 'src/**/*.{ts,js}', 'docs']);
    assert.deepEqual(splitGlobs('   '), []);
    assert.deepEqual(splitGlobs('{a,b}}, c'), ['{a,b}}', 'c']);
  });

  it('searches the whole workspace without a scope when nothing narrows it', () => {
    assert.deepEqual(resolveScope({ kind: 'workspace', include: '', exclude: ' ' }, context()), {});
  });

  it('turns globs into include/exclude and says so', () => {
    assert.deepEqual(resolveScope({ kind: 'workspace', include: '*.md', exclude: 'test/**, *.min.js' }, context()), {
      scope: { include: ['*.md'], exclude: ['test/**', '*.min.js'] },
      label: 'files matching *.md, excluding test/**, *.min.js',
    });
  });

  it('limits to the current file or the open editors, or explains why it cannot', () => {
    const currentFile = { root: '/ws', relPath: 'src/a.ts' };
    assert.deepEqual(resolveScope({ kind: 'file', include: '', exclude: '' }, context({ currentFile })), { scope: { files: [currentFile] }, label: 'src/a.ts' });
    assert.match((resolveScope({ kind: 'file', include: '', exclude: '' }, context()) as { problem: string }).problem, /current editor/);
    const openEditors = [currentFile, { root: '/ws', relPath: 'b.md' }];
    assert.deepEqual(resolveScope({ kind: 'openEditors', include: '*.md', exclude: '' }, context({ openEditors })), {
      scope: { files: openEditors, include: ['*.md'] },
      label: '2 open editors, files matching *.md',
    });
    assert.match((resolveScope({ kind: 'openEditors', include: '', exclude: '' }, context()) as { problem: string }).problem, /No open editor/);
  });

  it('limits to a folder chosen in the Explorer', () => {
    const folder = { root: '/ws', relPath: 'src' };
    assert.deepEqual(resolveScope({ kind: 'folder', include: '', exclude: '' }, context({ folder })), { scope: { folder }, label: 'src/' });
    assert.match((resolveScope({ kind: 'folder', include: '', exclude: '' }, context()) as { problem: string }).problem, /Find Similar in Folder/);
    assert.equal(folderLabel({ root: '/ws', relPath: '' }, (_root, relPath) => relPath), 'the workspace folder');
    assert.equal(folderLabel({ root: '/ws/b', relPath: '' }, () => 'b/'), 'b/');
  });
});
