import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { enabledPatterns, folderSpec, resolveUnitModes } from '../../src/extension/folderSpecs';
import { parseSettings } from '../../src/extension/settings';
import { DEFAULT_MAX_FILES } from '../../src/core/walk';

describe('folder specs', () => {
  it('passes only switched-on VS Code excludes, skipping conditional ones', () => {
    assert.deepEqual(enabledPatterns({ '**/.git': true, '**/dist': false, '**/*.js': { when: '$(basename).ts' }, '**/tmp': true }), ['**/.git', '**/tmp']);
    assert.deepEqual(enabledPatterns(undefined), []);
  });

  it('combines files.exclude, search.exclude and our excludes without duplicates', () => {
    const { settings } = parseSettings(
      { get: <T>(key: string) => ({ exclude: ['**/generated', '**/tmp'], include: ['**/*.md'], maxFileSize: 2048, maxFiles: 5000 } as Record<string, unknown>)[key] as T, inspect: () => undefined },
      { trusted: true, cpuCount: 2, homeDir: '/home/u', defaultModel: 'a/b' },
    );
    const spec = folderSpec('/ws', settings, { filesExclude: { '**/tmp': true }, searchExclude: { '**/out': true, '**/tmp': true } }, { '.md': 'sentences' });
    assert.deepEqual(spec, {
      root: '/ws',
      walk: { maxFileBytes: 2048, maxFiles: 5000, include: ['**/*.md'], exclude: ['**/tmp', '**/out', '**/generated'], respectGitignore: true },
      unitModes: { '.md': 'sentences' },
    });
  });

  it('passes the file cap to the walk: the setting, or the default when unset', () => {
    const env = { trusted: true, cpuCount: 2, homeDir: '/home/u', defaultModel: 'a/b' };
    const capOf = (values: Record<string, unknown>) =>
      folderSpec('/ws', parseSettings({ get: <T>(key: string) => values[key] as T, inspect: () => undefined }, env).settings, { filesExclude: undefined, searchExclude: undefined }, {}).walk.maxFiles;
    assert.equal(capOf({ maxFiles: 42 }), 42);
    assert.equal(capOf({}), DEFAULT_MAX_FILES);
    assert.equal(capOf({ maxFiles: 0 }), DEFAULT_MAX_FILES, 'a broken value falls back to the default, never to no cap');
  });

  it('expands [languageId] keys to the language\'s extensions and file names; explicit keys win', () => {
    const languages = [
      { id: 'markdown', extensions: ['.md', '.MARKDOWN'] },
      { id: 'makefile', filenames: ['Makefile', 'GNUmakefile'] },
      { id: 'plaintext', extensions: ['.txt'] },
    ];
    assert.deepEqual(resolveUnitModes({ '[markdown]': 'lines', '[makefile]': 'sentences', '.md': 'sentences', '[unknown]': 'lines' }, languages), {
      '.md': 'sentences',
      '.markdown': 'lines',
      makefile: 'sentences',
      gnumakefile: 'sentences',
    });
  });
});
