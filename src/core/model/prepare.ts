// The one call the CLI and the extension make before starting the model host: setting → verified local folder.
//
//   prepareModel(request, options): Promise<ModelSpec>
//
// A local folder is validated as it is; a Hub model is downloaded into the cache first unless a verified copy for
// this dtype is already there (then no request is made). Either way the folder is validated before it is returned,
// so the host is never handed a folder it cannot load.
import type { ModelSpec } from '../../protocol';
import { downloadModel, DownloadOptions } from './download';
import { ModelRequest, resolveModel } from './resolve';
import { validateModelDir } from './validate';

export interface PrepareModelOptions
  extends Pick<DownloadOptions, 'endpoint' | 'fetch' | 'signal' | 'onProgress' | 'stallTimeoutMs' | 'retries' | 'retryDelayMs'> {
  /** Where Hub models are cached. */
  cacheRoot: string;
  /** Relative model folders are resolved against this (default: the current directory). */
  baseDir?: string;
  /** Called just before a download starts, e.g. to open a progress notification. */
  onDownloadStart?: (model: { id: string; revision: string; dir: string }) => void;
}

export async function prepareModel(request: ModelRequest, options: PrepareModelOptions): Promise<ModelSpec> {
  const { cacheRoot, baseDir, onDownloadStart, ...download } = options;
  const resolved = resolveModel(request, cacheRoot, baseDir);
  if (resolved.kind === 'hub' && !resolved.present) {
    onDownloadStart?.(resolved);
    await downloadModel({ ...download, id: resolved.id, revision: resolved.revision, dtype: request.dtype, cacheRoot });
  }
  await validateModelDir(resolved.dir, request.dtype);
  return {
    dir: resolved.dir,
    id: resolved.id,
    revision: resolved.kind === 'hub' ? resolved.revision : undefined,
    dtype: request.dtype,
  };
}
