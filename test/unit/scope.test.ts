import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileScope } from '../../src/core/scope';

const A = '/work/a';
const B = '/work/b';
const PATHS = ['README.md', 'src/main.ts', 'src/lib/util.ts', 'src/lib/util.test.ts', 'docs/guide.md', 'srcx/other.ts'];

function accepted(scope: Parameters<typeof compileScope>[0], root: string): string[] {
  const files = compileScope(scope)(root);
  return files ? PATHS.filter(files) : [...PATHS];
}

test('no scope (or an empty one) covers every file of every root', () => {
  assert.equal(compileScope(undefined)(A), undefined);
  assert.equal(compileScope({})(A), undefined);
  assert.equal(compileScope({ include: [], exclude: [] })(B), undefined);
});

test('files: exactly the listed files of each root', () => {
  const scope = { files: [{ root: A, relPath: 'src/main.ts' }, { root: B, relPath: 'README.md' }] };
  assert.deepEqual(accepted(scope, A), ['src/main.ts']);
  assert.deepEqual(accepted(scope, B), ['README.md']);
});

test('folder: everything below it in its root only, by whole path segments; "" is the whole root', () => {
  assert.deepEqual(accepted({ folder: { root: A, relPath: 'src' } }, A), ['src/main.ts', 'src/lib/util.ts', 'src/lib/util.test.ts']);
  assert.deepEqual(accepted({ folder: { root: A, relPath: 'src/lib/' } }, A), ['src/lib/util.ts', 'src/lib/util.test.ts']);
  assert.deepEqual(accepted({ folder: { root: A, relPath: 'src' } }, B), []);
  assert.deepEqual(accepted({ folder: { root: A, relPath: '' } }, A), PATHS);
});

test('include and exclude globs as in the Search view, narrowing each other and the folder', () => {
  assert.deepEqual(accepted({ include: ['*.md'] }, A), ['README.md', 'docs/guide.md']);
  assert.deepEqual(accepted({ include: ['src/**/*.ts'], exclude: ['*.test.ts'] }, A), ['src/main.ts', 'src/lib/util.ts']);
  assert.deepEqual(accepted({ exclude: ['src', 'docs'] }, B), ['README.md', 'srcx/other.ts']);
  assert.deepEqual(accepted({ folder: { root: A, relPath: 'src' }, include: ['lib'] }, A), ['src/lib/util.ts', 'src/lib/util.test.ts']);
});
