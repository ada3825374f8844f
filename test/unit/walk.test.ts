import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_EXCLUDES, isExcludedFromWalk, readTextFile, SkippedFile, UNSETTLED_MTIME, walkFolder, WalkOptions } from '../../src/core/walk';

const createdRoots: string[] = [];
after(() => Promise.all(createdRoots.map((root) => rm(root, { recursive: true, force: true }))));

async function makeTree(files: Record<string, string | Buffer>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'walk-test-'));
  createdRoots.push(root);
  for (const [relPath, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, relPath)), { recursive: true });
    await writeFile(join(root, relPath), content);
  }
  return root;
}

async function walkAll(root: string, options: Partial<WalkOptions> = {}): Promise<{ files: string[]; skipped: SkippedFile[] }> {
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  for await (const file of walkFolder(root, { maxFileBytes: 1 << 20, ...options }, (s) => skipped.push(s))) {
    files.push(file.relPath);
  }
  return { files, skipped };
}

test('walks depth first in name order with forward-slash paths, sizes and mtimes', async () => {
  const root = await makeTree({ 'b.txt': 'bee', 'a.txt': 'a', 'sub/deeper/x.md': '# x', 'sub/c.ts': 'const c = 1;', 'z.js': '' });
  const walked = [];
  for await (const file of walkFolder(root, { maxFileBytes: 1000 })) walked.push(file);
  assert.deepEqual(walked.map((f) => f.relPath), ['a.txt', 'b.txt', 'z.js', 'sub/c.ts', 'sub/deeper/x.md']);
  const subFile = walked[3];
  const info = await stat(join(root, 'sub', 'c.ts'));
  assert.deepEqual(subFile, { absPath: join(root, 'sub', 'c.ts'), relPath: 'sub/c.ts', size: 12, mtimeMs: info.mtimeMs });
});

test('version-control folders, node_modules and the other default excludes are never entered', async () => {
  const root = await makeTree({
    'keep.ts': 'x', '.git/config': 'x', '.git/objects/ab/cd': 'x', '.hg/store': 'x', '.svn/entries': 'x',
    'node_modules/pkg/index.js': 'x', 'packages/app/node_modules/dep/a.js': 'x', 'packages/app/main.ts': 'x',
    'bower_components/b.js': 'x', '.DS_Store': 'x', 'saved.code-search': 'x', '.github/workflows/ci.yml': 'x',
  });
  // A FIFO inside node_modules would hang the walk if it were ever opened, and be reported if it were listed.
  execFileSync('mkfifo', [join(root, 'node_modules', 'pipe')]);
  const { files, skipped } = await walkAll(root);
  assert.deepEqual(files, ['keep.ts', '.github/workflows/ci.yml', 'packages/app/main.ts']);
  assert.deepEqual(skipped, []);
  assert.ok(DEFAULT_EXCLUDES.includes('**/node_modules') && DEFAULT_EXCLUDES.includes('**/.git'));
});

test('nested .gitignore and .ignore files apply with git precedence; respectGitignore: false turns them off', async () => {
  const root = await makeTree({
    '.gitignore': '*.log\nbuild/\n/top-only.txt\n',
    '.ignore': 'scratch/\n',
    '.git/info/exclude': 'local-only.md\n',
    'app.log': 'x', 'main.ts': 'x', 'top-only.txt': 'x', 'local-only.md': 'x',
    'build/out.js': 'x', 'scratch/notes.md': 'x',
    'src/.gitignore': '!keep.log\nsecret.txt\n',
    'src/keep.log': 'x', 'src/other.log': 'x', 'src/secret.txt': 'x', 'src/top-only.txt': 'x', 'src/code.ts': 'x',
    'src/deep/secret.txt': 'x', 'src/deep/build/nested.js': 'x',
  });
  const { files } = await walkAll(root);
  assert.deepEqual(files, ['.gitignore', '.ignore', 'main.ts', 'src/.gitignore', 'src/code.ts', 'src/keep.log', 'src/top-only.txt']);

  const everything = await walkAll(root, { respectGitignore: false });
  assert.equal(everything.files.length, 16);
});

test('include and exclude globs: extensions anywhere, folders cover their contents, braces work', async () => {
  const root = await makeTree({
    'README.md': 'x', 'src/a.ts': 'x', 'src/b.js': 'x', 'src/gen/c.ts': 'x', 'docs/guide.md': 'x', 'docs/api/ref.md': 'x',
    'test/a.test.ts': 'x',
  });
  assert.deepEqual((await walkAll(root, { include: ['*.ts'] })).files, ['src/a.ts', 'src/gen/c.ts', 'test/a.test.ts']);
  assert.deepEqual((await walkAll(root, { include: ['docs'] })).files, ['docs/guide.md', 'docs/api/ref.md']);
  assert.deepEqual((await walkAll(root, { include: ['src/**/*.{ts,js}'], exclude: ['gen/'] })).files, ['src/a.ts', 'src/b.js']);
  assert.deepEqual((await walkAll(root, { exclude: ['**/*.md', './test'] })).files, ['src/a.ts', 'src/b.js', 'src/gen/c.ts']);
});

test('isExcludedFromWalk answers for one path exactly what the walk does, for every file and rule', async () => {
  const root = await makeTree({
    '.gitignore': '*.log\nbuild/\n/top-only.txt\n',
    '.ignore': 'scratch/\n',
    '.git/info/exclude': 'local-only.md\n',
    'app.log': 'x', 'main.ts': 'x', 'top-only.txt': 'x', 'local-only.md': 'x', 'notes.md': 'x',
    'build/out.js': 'x', 'scratch/notes.md': 'x', 'node_modules/pkg/index.js': 'x', '.git/config': 'x',
    'src/.gitignore': '!keep.log\nsecret.txt\n',
    'src/keep.log': 'x', 'src/other.log': 'x', 'src/secret.txt': 'x', 'src/top-only.txt': 'x', 'src/code.ts': 'x',
    'src/deep/secret.txt': 'x', 'src/deep/build/nested.js': 'x', 'src/gen/c.ts': 'x', 'src/gen/d.md': 'x',
  });
  const every = (await walkAll(root, { respectGitignore: false })).files;
  // Every file, including the ones under default excludes, and paths that do not exist (an unsaved new file).
  const paths = [...every, 'node_modules/pkg/index.js', '.git/config', 'src/new-file.ts', 'build/new.js', 'src/deep/new.log'];
  const settings: Array<Partial<WalkOptions>> = [{}, { respectGitignore: false }, { include: ['*.ts', 'src/**/*.log'] }, { exclude: ['gen/', '*.md'] }];
  for (const options of settings) {
    const walked = new Set((await walkAll(root, options)).files);
    for (const relPath of paths) {
      const excluded = await isExcludedFromWalk(root, relPath, { maxFileBytes: 1 << 20, ...options });
      const exists = every.includes(relPath);
      if (exists) assert.equal(excluded, !walked.has(relPath), `${relPath} with ${JSON.stringify(options)}`);
    }
  }
  for (const [relPath, excluded] of [['src/new-file.ts', false], ['build/new.js', true], ['src/deep/new.log', true], ['node_modules/x.js', true]] as const) {
    assert.equal(await isExcludedFromWalk(root, relPath, { maxFileBytes: 1 << 20 }), excluded, relPath);
  }
});

test('files over the size cap are skipped by their stat size, before any read', async () => {
  const root = await makeTree({ 'small.txt': 'small enough' });
  // A 20 GB sparse file: reading it would exhaust memory, so passing means it was never read.
  const huge = await open(join(root, 'huge.txt'), 'w');
  await huge.truncate(20 * 1024 ** 3);
  await huge.close();
  const { files, skipped } = await walkAll(root, { maxFileBytes: 100 });
  assert.deepEqual(files, ['small.txt']);
  assert.deepEqual(skipped, [{ relPath: 'huge.txt', reason: 'too-large', detail: `${20 * 1024 ** 3} bytes` }]);
  assert.deepEqual(await readTextFile(join(root, 'huge.txt'), 100), { skipped: 'too-large', detail: `${20 * 1024 ** 3} bytes` });
});

test('readTextFile decodes BOM files, skips binaries, and reports vanished files', async () => {
  const root = await makeTree({
    'utf16.txt': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('wide text', 'utf16le')]),
    'image.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]),
    'latin1.txt': Buffer.from('déjà vu', 'latin1'),
  });
  // Just written, so within the same-tick window: the mtime is not vouched for (see walkChangingFile.test.ts).
  assert.deepEqual(await readTextFile(join(root, 'utf16.txt'), 1000), { text: 'wide text', encoding: 'utf-16le', size: 20, mtimeMs: UNSETTLED_MTIME });
  assert.deepEqual(await readTextFile(join(root, 'image.png'), 1000), { skipped: 'binary', detail: 'NUL byte near the start' });
  assert.deepEqual(await readTextFile(join(root, 'latin1.txt'), 1000), { text: 'déjà vu', encoding: 'windows-1252', size: 7, mtimeMs: UNSETTLED_MTIME });
  assert.deepEqual(await readTextFile(join(root, 'gone.txt'), 1000), { skipped: 'unreadable', detail: 'ENOENT' });
  assert.deepEqual(await readTextFile(root, 1000), { skipped: 'not-regular', detail: 'folder' });
});

test('symlinks: followed inside the root, never out of it, loops and duplicates reported, walk ends', async () => {
  const outside = await makeTree({ 'secret.txt': 'outside the root', 'dir/inner.txt': 'outside too' });
  const root = await makeTree({
    '.gitignore': 'generated/\n',
    'docs/a.md': 'alpha', 'generated/out.txt': 'gen', 'nested/deep/file.txt': 'deep',
  });
  await symlink('..', join(root, 'nested', 'deep', 'up'));            // loop to an ancestor
  await symlink(root, join(root, 'root-link'));                       // loop to the root itself
  await symlink(join(outside, 'dir'), join(root, 'out-dir'));         // folder outside
  await symlink(join(outside, 'secret.txt'), join(root, 'out.txt'));  // file outside
  await symlink('docs', join(root, 'docs-again'));                    // folder walked already
  await symlink('generated', join(root, 'gen-link'));                 // ignored folder, reachable through a link
  await symlink('docs/a.md', join(root, 'a-link.md'));                // file inside
  await symlink('missing.txt', join(root, 'broken.txt'));             // dangling
  const { files, skipped } = await walkAll(root);
  assert.deepEqual(files, ['.gitignore', 'a-link.md', 'docs/a.md', 'nested/deep/file.txt', 'gen-link/out.txt']);
  const reasons = Object.fromEntries(skipped.map((s) => [s.relPath, s.reason]));
  assert.deepEqual(reasons, {
    'broken.txt': 'unreadable',
    'out-dir': 'symlink-outside',
    'out.txt': 'symlink-outside',
    'nested/deep/up': 'symlink-loop',
    'root-link': 'symlink-loop',
    'docs-again': 'symlink-duplicate',
  });
});

test('FIFOs are reported and never opened, directly or through a link', { timeout: 10_000 }, async () => {
  const root = await makeTree({ 'before.txt': 'x', 'z-after.txt': 'y' });
  execFileSync('mkfifo', [join(root, 'pipe')]);
  await symlink('pipe', join(root, 'pipe-link'));
  const { files, skipped } = await walkAll(root);
  assert.deepEqual(files, ['before.txt', 'z-after.txt']);
  assert.deepEqual(skipped, [
    { relPath: 'pipe', reason: 'not-regular', detail: 'fifo' },
    { relPath: 'pipe-link', reason: 'not-regular', detail: 'fifo' },
  ]);
  assert.deepEqual(await readTextFile(join(root, 'pipe'), 1000), { skipped: 'not-regular', detail: 'fifo' });
});

test('files and folders that disappear mid-walk are reported as unreadable, never thrown', async () => {
  const many: Record<string, string> = { 'a.txt': 'first' };
  // More files than one stat batch, so the last ones are stat'ed after the first yields.
  for (let i = 0; i < 100; i++) many[`many/f${String(i).padStart(3, '0')}.txt`] = 'x';
  many['sub/inner.txt'] = 'x';
  const root = await makeTree(many);
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  for await (const file of walkFolder(root, { maxFileBytes: 1000 }, (s) => skipped.push(s))) {
    files.push(file.relPath);
    if (file.relPath === 'a.txt') await rm(join(root, 'sub'), { recursive: true }); // listed, not yet entered
    if (file.relPath === 'many/f000.txt') await unlink(join(root, 'many', 'f099.txt')); // listed, not yet stat'ed
    if (file.relPath === 'many/f001.txt') {
      assert.deepEqual(await readTextFile(join(root, 'many', 'f099.txt'), 1000), { skipped: 'unreadable', detail: 'ENOENT' });
    }
  }
  assert.equal(files.length, 100);
  assert.deepEqual(skipped, [
    { relPath: 'many/f099.txt', reason: 'unreadable', detail: 'ENOENT' },
    { relPath: 'sub', reason: 'unreadable', detail: 'ENOENT' },
  ]);
});

test('maxFiles stops the walk and reports it once', async () => {
  const tree: Record<string, string> = {};
  for (let i = 0; i < 10; i++) tree[`d${i}/f.txt`] = 'x';
  const root = await makeTree(tree);
  const { files, skipped } = await walkAll(root, { maxFiles: 3 });
  assert.deepEqual(files, ['d0/f.txt', 'd1/f.txt', 'd2/f.txt']);
  assert.deepEqual(skipped, [{ relPath: 'd3/f.txt', reason: 'max-files', detail: 'limit of 3 files reached' }]);
});

test('an aborted signal stops the walk with the abort reason; a missing root rejects', async () => {
  const root = await makeTree({ 'a.txt': 'x', 'b.txt': 'x', 'c/d.txt': 'x' });
  const controller = new AbortController();
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const file of walkFolder(root, { maxFileBytes: 100, signal: controller.signal })) {
      seen.push(file.relPath);
      controller.abort();
    }
  }, { name: 'AbortError' });
  assert.deepEqual(seen, ['a.txt']);
  await assert.rejects(walkAll(join(root, 'does-not-exist')), { code: 'ENOENT' });
});
