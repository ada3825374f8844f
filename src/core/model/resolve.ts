// Turning the user's model setting into a folder: either a local folder they named, or the cache folder of a Hub
// model at a pinned revision (present or still to be downloaded). Pure and synchronous: no network, no validation.
//
//   DEFAULT_MODEL                               Xenova/all-MiniLM-L6-v2 at a pinned commit
//   isLocalModelPath(model): boolean            anything that is not "owner/name" is a folder path
//   resolveModel(request, cacheRoot, baseDir?)  → { kind: 'local', dir, id } | { kind: 'hub', id, revision, dir, present }
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { Dtype } from '../../protocol';
import { cacheDirFor, isCached } from './cache';
import { isHubId } from './hub';

/**
 * The default model, pinned so every install embeds identically. Commit 751bff37182d3f1213fa05d7196b954e230abad9
 * of https://huggingface.co/Xenova/all-MiniLM-L6-v2 holds onnx/model.onnx (fp32, 90,387,606 bytes),
 * onnx/model_fp16.onnx (45,297,825) and onnx/model_quantized.onnx (q8, 22,972,370).
 */
export const DEFAULT_MODEL = {
  id: 'Xenova/all-MiniLM-L6-v2',
  revision: '751bff37182d3f1213fa05d7196b954e230abad9',
} as const;

/** Used for a Hub model other than the default when no revision is given; mutable, so cached per branch name. */
const UNPINNED_REVISION = 'main';

export interface ModelRequest {
  /** A Hub id "owner/name", or a local folder: absolute, "~/…", or relative to the base dir ("./models/x"). */
  model: string;
  revision?: string;
  dtype: Dtype;
}

export type ResolvedModel =
  /** `id` is the absolute folder, so indexes built from the same folder match whatever path spelling was used. */
  | { kind: 'local'; dir: string; id: string }
  /** `dir` is the cache location; `present` says a verified copy for this dtype is already there. */
  | { kind: 'hub'; id: string; revision: string; dir: string; present: boolean };

/**
 * A Hub id is exactly "owner/name"; everything else is a path. So a relative folder with one slash must be written
 * "./models/minilm" (a bare "models/minilm" is read as a Hub id), while "minilm" alone is a folder.
 */
export function isLocalModelPath(model: string): boolean {
  return !isHubId(model.trim());
}

export function resolveModel(request: ModelRequest, cacheRoot: string, baseDir?: string): ResolvedModel {
  const model = request.model.trim();
  if (model === '') throw new Error('No model is configured: give a Hugging Face model id or a local model folder');
  if (isLocalModelPath(model)) {
    const dir = resolve(baseDir ?? process.cwd(), expandHome(model));
    return { kind: 'local', dir, id: dir };
  }
  const revision = request.revision?.trim() || (model === DEFAULT_MODEL.id ? DEFAULT_MODEL.revision : UNPINNED_REVISION);
  const dir = cacheDirFor(cacheRoot, model, revision);
  return { kind: 'hub', id: model, revision, dir, present: isCached(dir, request.dtype) };
}

function expandHome(path: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/') || path.startsWith('~\\')) return resolve(homedir(), path.slice(2));
  return path;
}
