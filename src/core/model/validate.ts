// Checking that a folder holds a usable model in the Hub layout, before the model host is asked to load it.
//
//   validateModelDir(dir, dtype): Promise<void>   throws one ModelError naming the folder, every missing or unreadable
//                                                 file, and the dtypes whose weights ARE there
//   availableDtypes(dir): Promise<Dtype[]>        dtypes with ONNX weights present (for a dtype picker)
//   checkModelFile(path, format)                  one file: ok, missing, or unreadable with a reason
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dtype } from '../../protocol';
import { ModelError } from './errors';
import { DTYPES, modelFilesFor, onnxFileFor, REQUIRED_JSON_FILES } from './files';
import { describeBytes, looksLikeHtml, looksLikeOnnx, SNIFF_BYTES } from './sniff';

export type FileCheck = { status: 'ok' } | { status: 'missing' } | { status: 'unreadable'; reason: string };

export async function validateModelDir(dir: string, dtype: Dtype): Promise<void> {
  await assertFolder(dir, dtype);
  const files = modelFilesFor(dtype);
  const checks = await Promise.all(files.map((file) => checkModelFile(join(dir, file.path), file.format)));
  const missing: string[] = [];
  const unreadable: string[] = [];
  files.forEach((file, i) => {
    const check = checks[i];
    if (check.status === 'missing' && !file.optional) missing.push(file.path);
    if (check.status === 'unreadable') unreadable.push(`${file.path}: ${check.reason}`);
  });
  if (missing.length === 0 && unreadable.length === 0) return;

  const available = await availableDtypes(dir);
  const problems = [
    missing.length > 0 ? `missing ${missing.join(', ')}` : '',
    unreadable.length > 0 ? `unreadable ${unreadable.join('; ')}` : '',
  ].filter(Boolean);
  const message =
    `Model folder "${dir}" cannot be used with dtype ${dtype}: ${problems.join('; ')}. ${weightsSummary(available)}`;
  throw new ModelError(message, dir, missing, unreadable, available);
}

export async function availableDtypes(dir: string): Promise<Dtype[]> {
  const checks = await Promise.all(DTYPES.map((dtype) => checkModelFile(join(dir, onnxFileFor(dtype)), 'onnx')));
  return DTYPES.filter((_, i) => checks[i].status === 'ok');
}

export async function checkModelFile(path: string, format: 'json' | 'onnx'): Promise<FileCheck> {
  try {
    return format === 'json' ? await checkJson(path) : await checkOnnx(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 'missing' };
    if (code === 'EISDIR') return { status: 'unreadable', reason: 'is a folder, not a file' };
    return { status: 'unreadable', reason: code ?? String(error) };
  }
}

async function checkJson(path: string): Promise<FileCheck> {
  const bytes = await readFile(path);
  if (bytes.length === 0) return { status: 'unreadable', reason: 'is empty' };
  if (looksLikeHtml(bytes)) return { status: 'unreadable', reason: 'is a web page, not JSON' };
  try {
    JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
    return { status: 'ok' };
  } catch (error) {
    return { status: 'unreadable', reason: `is not valid JSON (${(error as Error).message})` };
  }
}

async function checkOnnx(path: string): Promise<FileCheck> {
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    const bytes = head.subarray(0, bytesRead);
    if (bytesRead === 0) return { status: 'unreadable', reason: 'is empty' };
    if (looksLikeHtml(bytes)) return { status: 'unreadable', reason: 'is a web page, not ONNX weights' };
    if (!looksLikeOnnx(bytes)) {
      return { status: 'unreadable', reason: `does not look like ONNX weights (starts with ${describeBytes(bytes)})` };
    }
    return { status: 'ok' };
  } finally {
    await handle.close();
  }
}

async function assertFolder(dir: string, dtype: Dtype): Promise<void> {
  const required = [...REQUIRED_JSON_FILES, onnxFileFor(dtype)];
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(error)})`;
    throw new ModelError(`Model folder "${dir}" ${what}.`, dir, required, [], []);
  }
  if (!isDirectory) {
    throw new ModelError(`Model folder "${dir}" is a file; choose the folder that holds config.json.`, dir, required, [], []);
  }
}

function weightsSummary(available: Dtype[]): string {
  if (available.length > 0) {
    return `ONNX weights present there: ${available.map((d) => `${d} (${onnxFileFor(d)})`).join(', ')}.`;
  }
  return `No ONNX weights there (expected ${DTYPES.map((d) => `${onnxFileFor(d)} for ${d}`).join(', ')}).`;
}
