import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { enabledPatterns, folderSpec, resolveUnitModes } from '../../src/extension/folderSpecs';
import { parseSettings } from '../../src/extension/settings';

describe('folder specs', () => {
  it('passes only switched-on VS Code excludes, skipping conditional ones', () => {
    assert.deepEqual(enabledPatterns({ '**/.git': true, '**/dist': false, '**/*.js': { when: '$(basename).ts' }, '**/tmp': true }), ['**/.git', '**/tmp']);
    assert.deepEqual(enabledPatterns(undefined), []);
  });

  it('combines files.exclude, search.exclude and our excludes without duplicates', () => {
    const { settings } = parseSettings(
      { get: <T>(key: string) => ({ exclude: ['**/generated', '**/tmp'], include: ['**/*.md'], maxFileSize: 2048 } as Record<string, unknown>)[key] as T, inspect: () => undefined },
      { trusted: true, cpuCount: 2, homeDir: '/home/u', defaultModel: 'a/b' },
    );
    const spec = folderSpec('/ws', settings, { filesExclude: { '**/tmp': true }, searchExclude: { '**/out': true, '**/tmp': true } }, { '.md': 'sentences' });
    assert.deepEqual(spec, {
      root: '/ws',
      walk: { maxFileBytes: 2048, include: ['**/*.md'], exclude: ['**/tmp', '**/out', '**/generated'], respectGitignore: true },
      unitModes: { '.md': 'sentences' },
    });
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
