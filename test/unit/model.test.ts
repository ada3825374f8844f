// Model resolution (setting → folder) and model folder validation, on real folders in a temp directory.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { onnx } from 'onnx-proto';
import type { Dtype } from '../../src/protocol';
import { writeMarker } from '../../src/core/model/cache';
import {
  availableDtypes,
  DEFAULT_MODEL,
  isLocalModelPath,
  ModelError,
  onnxFileFor,
  resolveModel,
  validateModelDir,
} from '../../src/core/model';
import { looksLikeHtml, looksLikeOnnx } from '../../src/core/model/sniff';

/** A real serialized ONNX model (Identity from input to output), as onnxruntime would receive it. */
function tinyOnnxModel(): Uint8Array {
  const tensor = (name: string) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 7,
    producerName: 'model.test',
    opsetImport: [{ version: 13 }],
    graph: {
      name: 'g',
      node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
      input: [tensor('x')],
      output: [tensor('y')],
    },
  }).finish();
}

const JSON_FILES: Record<string, unknown> = {
  'config.json': { model_type: 'bert', hidden_size: 4 },
  'tokenizer.json': { version: '1.0', model: { type: 'WordPiece', vocab: { '[PAD]': 0, '[UNK]': 1 } } },
  'tokenizer_config.json': { do_lower_case: true, model_max_length: 512 },
};

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'model-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function writeFiles(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

async function writeModelFolder(dir: string, dtypes: Dtype[]): Promise<void> {
  const files: Record<string, string | Uint8Array> = {};
  for (const [path, value] of Object.entries(JSON_FILES)) files[path] = JSON.stringify(value);
  for (const dtype of dtypes) files[onnxFileFor(dtype)] = tinyOnnxModel();
  await writeFiles(dir, files);
}

async function modelError(promise: Promise<unknown>): Promise<ModelError> {
  const error = await promise.then(
    () => assert.fail('expected a ModelError'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ModelError, `expected a ModelError, got ${String(error)}`);
  return error;
}

test('isLocalModelPath: exactly "owner/name" is a Hub id, every other form is a folder', () => {
  for (const id of ['Xenova/all-MiniLM-L6-v2', 'sentence-transformers/bert-base-nli-mean-tokens', ' a/b ', 'a.b/c_d-1']) {
    assert.equal(isLocalModelPath(id), false, id);
  }
  for (const path of ['/opt/models/minilm', '~/models/minilm', '~', './models/minilm', '../minilm', 'minilm',
    'models/minilm/onnx', 'C:\\models\\minilm', 'C:/models/minilm', '.hidden/model', 'a/../b', '']) {
    assert.equal(isLocalModelPath(path), true, path);
  }
});

test('resolveModel: the default model uses its pinned revision and the cache layout owner--name/revision', () => {
  const resolved = resolveModel({ model: DEFAULT_MODEL.id, dtype: 'q8' }, '/cache');
  assert.match(DEFAULT_MODEL.revision, /^[0-9a-f]{40}$/);
  assert.deepEqual(resolved, {
    kind: 'hub',
    id: 'Xenova/all-MiniLM-L6-v2',
    revision: DEFAULT_MODEL.revision,
    dir: join('/cache', 'Xenova--all-MiniLM-L6-v2', DEFAULT_MODEL.revision),
    present: false,
  });
});

test('resolveModel: other Hub models take the given revision, else main; branch names with / stay one folder', () => {
  const main = resolveModel({ model: 'sentence-transformers/stsb-distilbert-base', dtype: 'fp32' }, '/c');
  assert.equal(main.kind === 'hub' && main.revision, 'main');
  assert.equal(main.dir, join('/c', 'sentence-transformers--stsb-distilbert-base', 'main'));
  const pr = resolveModel({ model: 'a/b', revision: 'refs/pr/3', dtype: 'fp32' }, '/c');
  assert.equal(pr.dir, join('/c', 'a--b', 'refs--pr--3'));
  const pinned = resolveModel({ model: DEFAULT_MODEL.id, revision: 'abc123', dtype: 'fp32' }, '/c');
  assert.equal(pinned.kind === 'hub' && pinned.revision, 'abc123');
  for (const revision of ['../../etc', 'a/../../b', '-rf', 'a b']) {
    assert.throws(() => resolveModel({ model: 'a/b', revision, dtype: 'fp32' }, '/c'), /not a valid model revision/);
  }
});

test('resolveModel: local folders are absolute, ~ is the home folder, relative paths start at the base dir', () => {
  assert.deepEqual(resolveModel({ model: '/opt/m', dtype: 'q8' }, '/c'), { kind: 'local', dir: '/opt/m', id: '/opt/m' });
  assert.equal(resolveModel({ model: '~/models/m', dtype: 'q8' }, '/c').dir, join(homedir(), 'models', 'm'));
  assert.equal(resolveModel({ model: './models/m', dtype: 'q8' }, '/c', '/work/ws').dir, '/work/ws/models/m');
  assert.equal(resolveModel({ model: 'm', dtype: 'q8' }, '/c', '/work/ws').dir, '/work/ws/m');
  assert.equal(resolveModel({ model: '../m', dtype: 'q8' }, '/c', '/work/ws').id, '/work/m');
  assert.throws(() => resolveModel({ model: '  ', dtype: 'q8' }, '/c'), /No model is configured/);
});

test('resolveModel: present only when the marker lists every required file for the dtype at its size on disk', async (t) => {
  const cacheRoot = await tempDir(t);
  const present = (dtype: Dtype) => {
    const resolved = resolveModel({ model: 'owner/name', revision: 'r1', dtype }, cacheRoot);
    return resolved.kind === 'hub' && resolved.present;
  };
  const { dir } = resolveModel({ model: 'owner/name', revision: 'r1', dtype: 'q8' }, cacheRoot);
  await writeModelFolder(dir, ['q8']);
  assert.equal(present('q8'), false, 'files without a marker are not a complete download');

  const paths = [...Object.keys(JSON_FILES), onnxFileFor('q8')];
  const files = Object.fromEntries(paths.map((path) => [path, statSync(join(dir, path)).size]));
  await writeMarker(dir, { id: 'owner/name', revision: 'r1', files });
  assert.equal(present('q8'), true);
  assert.equal(present('fp32'), false, 'fp32 weights were never downloaded');

  await truncate(join(dir, onnxFileFor('q8')), 3);
  assert.equal(present('q8'), false, 'a truncated weights file is not present');
});

test('validateModelDir accepts a complete folder and availableDtypes lists the weights present', async (t) => {
  const dir = await tempDir(t);
  await writeModelFolder(dir, ['fp32', 'fp16']);
  await validateModelDir(dir, 'fp32');
  await validateModelDir(dir, 'fp16');
  assert.deepEqual(await availableDtypes(dir), ['fp32', 'fp16']);
  assert.equal(looksLikeOnnx(tinyOnnxModel()), true);
});

test('validateModelDir: a folder that does not exist, or a file, is named in one clear error', async (t) => {
  const root = await tempDir(t);
  const absent = join(root, 'nope');
  const missing = await modelError(validateModelDir(absent, 'q8'));
  assert.equal(missing.folder, absent);
  assert.match(missing.message, new RegExp(`Model folder "${absent}" does not exist`));
  assert.deepEqual(missing.missing, ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx']);

  await writeFile(join(root, 'file'), '{}');
  const notFolder = await modelError(validateModelDir(join(root, 'file'), 'q8'));
  assert.match(notFolder.message, /is a file; choose the folder that holds config.json/);
});

test('validateModelDir: an empty folder lists every required file and says no weights are there', async (t) => {
  const dir = await tempDir(t);
  const error = await modelError(validateModelDir(dir, 'fp32'));
  assert.deepEqual(error.missing, ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']);
  assert.deepEqual(error.availableDtypes, []);
  assert.equal(
    error.message,
    `Model folder "${dir}" cannot be used with dtype fp32: missing config.json, tokenizer.json, tokenizer_config.json, ` +
      'onnx/model.onnx. No ONNX weights there (expected onnx/model.onnx for fp32, onnx/model_quantized.onnx for q8, ' +
      'onnx/model_fp16.onnx for fp16).',
  );
});

test('validateModelDir: a partial folder names the missing weights and the dtypes that are available', async (t) => {
  const dir = await tempDir(t);
  await writeModelFolder(dir, ['fp32']);
  const error = await modelError(validateModelDir(dir, 'q8'));
  assert.deepEqual(error.missing, ['onnx/model_quantized.onnx']);
  assert.deepEqual(error.unreadable, []);
  assert.deepEqual(error.availableDtypes, ['fp32']);
  assert.equal(
    error.message,
    `Model folder "${dir}" cannot be used with dtype q8: missing onnx/model_quantized.onnx. ` +
      'ONNX weights present there: fp32 (onnx/model.onnx).',
  );
});

test('validateModelDir: unreadable files (bad JSON, a folder, HTML or empty weights) are each named with the reason', async (t) => {
  const dir = await tempDir(t);
  await writeModelFolder(dir, ['fp32']);
  await writeFiles(dir, {
    'tokenizer.json': '{"version": "1.0", "model": ',
    'sentence_bert_config.json': 'max_seq_length=128',
    'onnx/model.onnx': '\n  <!DOCTYPE html><html><body>Please sign in to the Wi-Fi</body></html>',
    'onnx/model_quantized.onnx': '',
  });
  await rm(join(dir, 'tokenizer_config.json'));
  await mkdir(join(dir, 'tokenizer_config.json'));

  const fp32 = await modelError(validateModelDir(dir, 'fp32'));
  assert.deepEqual(fp32.missing, []);
  assert.deepEqual(
    fp32.unreadable.map((entry) => entry.replace(/\(.*\)/, '(…)')),
    [
      'tokenizer.json: is not valid JSON (…)',
      'tokenizer_config.json: is a folder, not a file',
      'sentence_bert_config.json: is not valid JSON (…)',
      'onnx/model.onnx: is a web page, not ONNX weights',
    ],
  );
  assert.deepEqual(fp32.availableDtypes, []);
  assert.match(fp32.message, new RegExp(`^Model folder "${dir}" cannot be used with dtype fp32: unreadable tokenizer.json`));

  const q8 = await modelError(validateModelDir(dir, 'q8'));
  assert.ok(q8.unreadable.includes('onnx/model_quantized.onnx: is empty'), q8.message);
});

test('validateModelDir: weights that are neither ONNX nor HTML are reported with their first bytes', async (t) => {
  const dir = await tempDir(t);
  await writeModelFolder(dir, []);
  await writeFiles(dir, { 'onnx/model_fp16.onnx': '{"error":"Entry not found"}' });
  const error = await modelError(validateModelDir(dir, 'fp16'));
  assert.deepEqual(error.unreadable, ['onnx/model_fp16.onnx: does not look like ONNX weights (starts with 7b 22 65 72 72 6f 72 22)']);
});

test('sniffing: HTML after BOM and whitespace is a web page; ONNX starts with a ModelProto field tag', () => {
  assert.equal(looksLikeHtml(Buffer.from('\uFEFF \r\n<html>')), true);
  assert.equal(looksLikeHtml(Buffer.from('{"a":1}')), false);
  assert.equal(looksLikeOnnx(Buffer.from([0x08, 0x08, 0x12, 0x07])), true);
  assert.equal(looksLikeOnnx(Buffer.from('<html>')), false);
  assert.equal(looksLikeOnnx(Buffer.from([0x08])), false);
  assert.equal(looksLikeOnnx(Buffer.from([0x08, 0x00])), false);
});
