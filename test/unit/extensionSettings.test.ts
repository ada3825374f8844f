import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type * as vscode from 'vscode';
import { automaticThreads, DEFAULTS, parseSettings, RESTRICTED_KEYS, settingsChangeKind, type ConfigurationLike, type SettingsEnvironment } from '../../src/extension/settings';

const HOME = path.resolve('/home/user');
const env = (overrides: Partial<SettingsEnvironment> = {}): SettingsEnvironment => ({
  trusted: true,
  cpuCount: 8,
  homeDir: HOME,
  defaultModel: 'Xenova/all-MiniLM-L6-v2',
  ...overrides,
});

/** Effective values (user and workspace merged, workspace winning) plus the user-level ones for inspect(). */
function config(effective: Record<string, unknown>, user: Record<string, unknown> = {}): ConfigurationLike {
  return {
    get: <T>(key: string) => effective[key] as T | undefined,
    inspect: <T>(key: string) => ({ globalValue: user[key] as T | undefined }),
  };
}

describe('parseSettings', () => {
  it('uses the defaults when nothing is set', () => {
    const { settings, problems } = parseSettings(config({}), env());
    assert.deepEqual(problems, []);
    assert.deepEqual(settings.model, { kind: 'hub', id: 'Xenova/all-MiniLM-L6-v2' });
    assert.equal(settings.dtype, DEFAULTS.dtype);
    assert.equal(settings.maxResults, DEFAULTS.maxResults);
    assert.equal(settings.minScore, DEFAULTS.minScore);
    assert.equal(settings.contextLines, DEFAULTS.contextLines);
    assert.equal(settings.maxFileSize, DEFAULTS.maxFileSize);
    assert.equal(settings.maxFiles, 100_000);
    assert.equal(settings.threads, 4);
    assert.equal(settings.maxMemoryMB, 4096);
    assert.deepEqual(settings.include, []);
    assert.deepEqual(settings.exclude, []);
    assert.deepEqual(settings.unitModes, {});
    assert.equal(settings.modelCacheFolder, undefined);
    assert.equal(settings.downloadEndpoint, 'https://huggingface.co');
  });

  it('reads valid values as they are', () => {
    const { settings, problems } = parseSettings(
      config({
        model: 'sentence-transformers/all-MiniLM-L6-v2',
        dtype: 'q8',
        maxResults: 50,
        minScore: 0.35,
        include: ['**/*.md', ' src/** '],
        exclude: ['dist'],
        unitModes: { '.log': 'lines', '[markdown]': 'sentences', NOTES: 'sentences' },
        contextLines: 0,
        maxFileSize: 4096,
        maxFiles: 250_000,
        threads: 3,
        maxMemoryMB: 0,
        modelCacheFolder: '~/models',
        downloadEndpoint: 'http://127.0.0.1:8080/',
      }),
      env(),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(settings.model, { kind: 'hub', id: 'sentence-transformers/all-MiniLM-L6-v2' });
    assert.equal(settings.dtype, 'q8');
    assert.equal(settings.maxResults, 50);
    assert.equal(settings.minScore, 0.35);
    assert.deepEqual(settings.include, ['**/*.md', 'src/**']);
    assert.deepEqual(settings.exclude, ['dist']);
    assert.deepEqual(settings.unitModes, { '.log': 'lines', '[markdown]': 'sentences', NOTES: 'sentences' });
    assert.equal(settings.contextLines, 0);
    assert.equal(settings.maxFileSize, 4096);
    assert.equal(settings.maxFiles, 250_000);
    assert.equal(settings.threads, 3);
    assert.equal(settings.maxMemoryMB, 0, '0 switches the limit off');
    assert.equal(settings.modelCacheFolder, path.join(HOME, 'models'));
    assert.equal(settings.downloadEndpoint, 'http://127.0.0.1:8080');
  });

  it('takes absolute and home-relative model folders, and refuses relative ones', () => {
    const folder = path.resolve('/opt/models/minilm');
    assert.deepEqual(parseSettings(config({ model: folder }), env()).settings.model, { kind: 'folder', path: folder });
    assert.deepEqual(parseSettings(config({ model: '~/m/x' }), env()).settings.model, { kind: 'folder', path: path.join(HOME, 'm/x') });
    for (const relative of ['./model', 'models/minilm/onnx', 'minilm']) {
      const { settings, problems } = parseSettings(config({ model: relative }), env());
      assert.deepEqual(settings.model, { kind: 'hub', id: 'Xenova/all-MiniLM-L6-v2' }, relative);
      assert.equal(problems.length, 1);
      assert.match(problems[0], /similarSentences\.model.*absolute/);
    }
  });

  it('replaces each broken value by its default and names the setting', () => {
    const { settings, problems } = parseSettings(
      config({
        model: 42,
        dtype: 'int4',
        maxResults: 0,
        minScore: 2,
        include: 'src/**',
        exclude: [1, 2],
        unitModes: { '.md': 'paragraphs', 'a/b': 'lines', '.txt': 'lines' },
        contextLines: 2.5,
        maxFileSize: -1,
        maxFiles: 0,
        threads: 'many',
        maxMemoryMB: -5,
        modelCacheFolder: 'relative/cache',
        downloadEndpoint: 'ftp://mirror',
      }),
      env(),
    );
    assert.equal(settings.model.kind, 'hub');
    assert.equal(settings.dtype, 'fp32');
    assert.equal(settings.maxResults, DEFAULTS.maxResults);
    assert.equal(settings.minScore, DEFAULTS.minScore);
    assert.deepEqual(settings.include, []);
    assert.deepEqual(settings.exclude, []);
    assert.deepEqual(settings.unitModes, { '.txt': 'lines' });
    assert.equal(settings.contextLines, DEFAULTS.contextLines);
    assert.equal(settings.maxFileSize, DEFAULTS.maxFileSize);
    assert.equal(settings.maxFiles, DEFAULTS.maxFiles);
    assert.equal(settings.threads, 4);
    assert.equal(settings.maxMemoryMB, DEFAULTS.maxMemoryMB);
    assert.equal(settings.modelCacheFolder, undefined);
    assert.equal(settings.downloadEndpoint, 'https://huggingface.co');
    const keys = ['model', 'dtype', 'maxResults', 'minScore', 'include', 'exclude', 'contextLines', 'maxFileSize', 'maxFiles', 'threads', 'maxMemoryMB', 'modelCacheFolder', 'downloadEndpoint'];
    for (const key of keys) assert.ok(problems.some((p) => p.includes(`"similarSentences.${key}"`)), `no problem reported for ${key}`);
    assert.equal(problems.filter((p) => p.includes('unitModes')).length, 2);
    assert.equal(problems.length, keys.length + 2);
  });

  it('takes the model, its download and the host limits only from user settings in Restricted Mode', () => {
    const workspace = {
      model: '/tmp/evil-model',
      dtype: 'q8',
      modelCacheFolder: '/tmp/evil-cache',
      downloadEndpoint: 'http://evil.example',
      threads: 64,
      maxMemoryMB: 0,
      maxResults: 7,
    };
    const user = { model: '/home/user/models/good', threads: 2 };
    const { settings } = parseSettings(config(workspace, user), env({ trusted: false }));
    assert.deepEqual(settings.model, { kind: 'folder', path: path.normalize('/home/user/models/good') });
    assert.equal(settings.dtype, DEFAULTS.dtype);
    assert.equal(settings.modelCacheFolder, undefined);
    assert.equal(settings.downloadEndpoint, 'https://huggingface.co');
    assert.equal(settings.threads, 2);
    assert.equal(settings.maxMemoryMB, DEFAULTS.maxMemoryMB);
    assert.equal(settings.maxResults, 7, 'other settings still come from the workspace');

    const trusted = parseSettings(config(workspace, user), env({ trusted: true })).settings;
    assert.deepEqual(trusted.model, { kind: 'folder', path: path.normalize('/tmp/evil-model') });
    assert.equal(trusted.downloadEndpoint, 'http://evil.example');
  });

  it('restricts exactly the settings package.json declares as restrictedConfigurations', () => {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    const declared: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.deepEqual([...declared].sort(), RESTRICTED_KEYS.map((key) => `similarSentences.${key}`).sort());
  });

  it('refuses a file cap that is not a whole number of at least 1, saying so and keeping the default', () => {
    for (const maxFiles of [0, -5, 1.5, '1000', 100_000_001]) {
      const { settings, problems } = parseSettings(config({ maxFiles }), env());
      assert.equal(settings.maxFiles, DEFAULTS.maxFiles, String(maxFiles));
      assert.deepEqual(problems, [
        `"similarSentences.maxFiles" is ${JSON.stringify(maxFiles)}, but it must be a whole number from 1 to 100000000; using ${DEFAULTS.maxFiles}.`,
      ]);
    }
    assert.equal(parseSettings(config({ maxFiles: 1 }), env()).settings.maxFiles, 1);
  });

  it('refuses download endpoints with credentials', () => {
    const { settings, problems } = parseSettings(config({ downloadEndpoint: 'https://user:secret@mirror.example' }), env());
    assert.equal(settings.downloadEndpoint, 'https://huggingface.co');
    assert.equal(problems.length, 1);
  });
});

describe('settingsChangeKind', () => {
  it('rebuilds the index, without restarting the host, when the file cap changes', () => {
    const changed = (key: string) => ({ affectsConfiguration: (section: string) => key === section || key.startsWith(`${section}.`) }) as vscode.ConfigurationChangeEvent;
    assert.deepEqual(settingsChangeKind(changed('similarSentences.maxFiles')), { host: false, index: true, any: true });
    assert.deepEqual(settingsChangeKind(changed('similarSentences.maxResults')), { host: false, index: false, any: true });
  });
});

describe('automaticThreads', () => {
  it('uses half the cores, at least one', () => {
    assert.equal(automaticThreads(1), 1);
    assert.equal(automaticThreads(2), 1);
    assert.equal(automaticThreads(16), 8);
  });
});
