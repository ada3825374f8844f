// Downloading a Hub model into the cache so that the cache only ever holds complete, verified folders.
//
//   downloadModel(options): Promise<string>   the cache folder, complete for options.dtype
//
// Runs in the caller's process with the caller's `fetch` (in VS Code: the extension host's, so proxy settings apply).
// Files are staged in a temporary folder inside the cache root, checked (size against Content-Length, JSON parses,
// ONNX weights start like a protobuf model and not like a web page), and only then renamed into place together with
// a marker listing them. A dropped connection, a stall, a 5xx that persists, a 404 of a required file, a captive
// portal's HTML or a cancellation ends in a ModelDownloadError and leaves nothing behind. A model already cached for
// this dtype costs no request at all; adding a dtype to a cached model fetches only that dtype's weights.
//
// Progress: `overallTotal` is known once every other file is done (the weights come last and dominate the size);
// after a retry the current file's `received` starts again from 0.
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Dtype } from '../../protocol';
import {
  cacheDirFor,
  createStagingDir,
  discardFolder,
  isCached,
  MARKER_FILE,
  readMarker,
  sweepStaleStagingDirs,
  verifiedFiles,
  writeMarker,
} from './cache';
import { DownloadFailureKind, ModelDownloadError } from './errors';
import { ModelFile, modelFilesFor } from './files';
import { DEFAULT_ENDPOINT, hubFileUrl } from './hub';
import { looksLikeHtml } from './sniff';
import { checkModelFile } from './validate';

export interface DownloadProgress {
  file: string;
  received: number;
  total?: number;
  overallReceived: number;
  overallTotal?: number;
}

export interface DownloadOptions {
  id: string;
  revision: string;
  dtype: Dtype;
  cacheRoot: string;
  /** Default https://huggingface.co; files are fetched from `${endpoint}/${id}/resolve/${revision}/${path}`. */
  endpoint?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** A file fails when no bytes arrive for this long. Default 30 s. */
  stallTimeoutMs?: number;
  /** Further attempts per file after a 5xx, 408/429, a connection failure, a dropped transfer or a stall. Default 3. */
  retries?: number;
  /** First backoff delay, doubled on each further attempt. Default 1 s. */
  retryDelayMs?: number;
}

const DEFAULT_STALL_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_DELAY_MS = 1_000;

export async function downloadModel(options: DownloadOptions): Promise<string> {
  const dir = cacheDirFor(options.cacheRoot, options.id, options.revision);
  if (isCached(dir, options.dtype)) return dir;
  throwIfCancelled(options);
  await mkdir(options.cacheRoot, { recursive: true });
  await sweepStaleStagingDirs(options.cacheRoot);

  const present = verifiedFiles(dir);
  const wanted = modelFilesFor(options.dtype).filter((file) => present[file.path] === undefined);
  const staging = await createStagingDir(options.cacheRoot);
  try {
    const fetched = await fetchFiles(wanted, staging, options);
    await verifyStaged(staging, wanted, fetched, options);
    await install(staging, dir, fetched, options);
    return dir;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Fetches one file after the other; returns the size of each file written (absent optional files are left out). */
async function fetchFiles(files: ModelFile[], staging: string, options: DownloadOptions): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  let completed = 0;
  for (const [index, file] of files.entries()) {
    const isLast = index === files.length - 1;
    const size = await fetchWithRetries(file, join(staging, file.path), options, (received, total) =>
      options.onProgress?.({
        file: file.path,
        received,
        total,
        overallReceived: completed + received,
        overallTotal: isLast && total !== undefined ? completed + total : undefined,
      }),
    );
    if (size !== undefined) {
      sizes.set(file.path, size);
      completed += size;
    }
  }
  return sizes;
}

type ReportBytes = (received: number, total: number | undefined) => void;

async function fetchWithRetries(
  file: ModelFile,
  target: string,
  options: DownloadOptions,
  report: ReportBytes,
): Promise<number | undefined> {
  const retries = options.retries ?? DEFAULT_RETRIES;
  const firstDelay = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchOnce(file, target, options, report);
    } catch (error) {
      if (attempt >= retries || !isTransient(error)) throw error;
      try {
        await delay(firstDelay * 2 ** attempt, undefined, { signal: options.signal });
      } catch {
        throw cancelled(options);
      }
    }
  }
}

function isTransient(error: unknown): boolean {
  if (!(error instanceof ModelDownloadError)) return false;
  if (error.kind === 'offline' || error.kind === 'interrupted' || error.kind === 'stalled') return true;
  const status = error.details.status ?? 0;
  return error.kind === 'http' && (status >= 500 || status === 408 || status === 429);
}

async function fetchOnce(
  file: ModelFile,
  target: string,
  options: DownloadOptions,
  report: ReportBytes,
): Promise<number | undefined> {
  const url = hubFileUrl(options.endpoint ?? DEFAULT_ENDPOINT, options.id, options.revision, file.path);
  const watchdog = new Watchdog(options.signal, options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS);
  const fail = (kind: DownloadFailureKind, message: string, cause?: unknown, status?: number) =>
    watchdog.explain(options, new ModelDownloadError(kind, message, { url, file: file.path, status }, { cause }));
  try {
    let response: Response;
    try {
      // identity: a compressed body would make Content-Length useless for detecting a truncated transfer.
      response = await (options.fetch ?? fetch)(url, {
        signal: watchdog.signal,
        redirect: 'follow',
        headers: { 'accept-encoding': 'identity' },
      });
    } catch (error) {
      throw fail(
        'offline',
        `Could not connect to ${new URL(url).origin} to download ${file.path} of ${options.id} (${causeOf(error)}). ` +
          'Check the network and proxy settings, or use a local model folder.',
        error,
      );
    }

    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 404 && file.optional) return undefined;
      throw httpFailure(response.status, file, url, options);
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (/text\/html|application\/xhtml\+xml/i.test(contentType)) {
      await response.body?.cancel().catch(() => undefined);
      throw notAModel(file, url, `a web page (${contentType})`);
    }

    const total = declaredLength(response.headers);
    await mkdir(dirname(target), { recursive: true });
    const handle = await open(target, 'w');
    let received = 0;
    try {
      const reader = response.body?.getReader();
      while (reader) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw fail('interrupted', interruptedMessage(file, url, received, total), error);
        }
        if (chunk.done) break;
        watchdog.feed();
        if (received === 0 && looksLikeHtml(chunk.value)) {
          await reader.cancel().catch(() => undefined);
          throw notAModel(file, url, 'a web page');
        }
        await handle.write(chunk.value);
        received += chunk.value.byteLength;
        report(received, total);
      }
      if (total !== undefined && received !== total) throw fail('interrupted', interruptedMessage(file, url, received, total));
      await handle.sync();
    } finally {
      await handle.close();
    }
    return received;
  } finally {
    watchdog.dispose();
  }
}

/** Verifies what was fetched with the same checks a local folder gets, blaming the network for what fails. */
async function verifyStaged(
  staging: string,
  files: ModelFile[],
  fetched: Map<string, number>,
  options: DownloadOptions,
): Promise<void> {
  for (const file of files) {
    if (!fetched.has(file.path)) continue;
    const check = await checkModelFile(join(staging, file.path), file.format);
    if (check.status !== 'ok') {
      const url = hubFileUrl(options.endpoint ?? DEFAULT_ENDPOINT, options.id, options.revision, file.path);
      throw notAModel(file, url, check.status === 'missing' ? 'nothing' : `a file that ${check.reason}`);
    }
  }
}

/**
 * Renames the staged folder into place, marker included. When a complete folder is already there (another dtype, or
 * another window that won the race), moves just the new files into it and then replaces its marker; each rename is
 * atomic, so a reader sees either the old or the new set.
 */
async function install(staging: string, dir: string, fetched: Map<string, number>, options: DownloadOptions) {
  const files = Object.fromEntries(fetched);
  const marker = { id: options.id, revision: options.revision, files };
  await mkdir(dirname(dir), { recursive: true });
  if (readMarker(dir) === undefined) {
    // A folder without a marker was never completed by a download (we only rename in whole folders): replace it.
    await discardFolder(options.cacheRoot, dir);
    await writeMarker(staging, marker);
    try {
      await rename(staging, dir);
      return;
    } catch (error) {
      if (readMarker(dir) === undefined) throw error;
    }
  }
  for (const path of Object.keys(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await rename(join(staging, path), join(dir, path));
  }
  await writeMarker(staging, { ...marker, files: { ...verifiedFiles(dir), ...files } });
  await rename(join(staging, MARKER_FILE), join(dir, MARKER_FILE));
}

/** Combines the caller's signal with a stall timer that restarts whenever bytes arrive. */
class Watchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private stalled = false;
  private readonly forwardAbort = () => this.controller.abort();

  constructor(
    private readonly outer: AbortSignal | undefined,
    private readonly timeoutMs: number,
  ) {
    outer?.addEventListener('abort', this.forwardAbort);
    if (outer?.aborted) this.controller.abort();
    this.feed();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  feed(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.stalled = true;
      this.controller.abort();
    }, this.timeoutMs);
  }

  /** An abort surfaces as a generic error from fetch; say which abort it was. */
  explain(options: DownloadOptions, error: ModelDownloadError): ModelDownloadError {
    if (options.signal?.aborted) return cancelled(options);
    if (!this.stalled) return error;
    const { url, file } = error.details;
    const seconds = Math.round(this.timeoutMs / 100) / 10;
    return new ModelDownloadError('stalled', `No data arrived for ${seconds} s while downloading ${file} from ${url}.`, {
      url,
      file,
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.forwardAbort);
  }
}

function httpFailure(status: number, file: ModelFile, url: string, options: DownloadOptions): ModelDownloadError {
  const details = { url, file: file.path, status };
  if (status === 404) {
    const hint = file.format === 'onnx' ? ` This model may not publish ${options.dtype} weights; try another dtype.` : '';
    return new ModelDownloadError(
      'not-found',
      `${options.id} at revision ${options.revision} has no ${file.path} (HTTP 404 from ${url}).${hint}`,
      details,
    );
  }
  if (status === 401 || status === 403) {
    return new ModelDownloadError(
      'http',
      `The Hub refused ${url} (HTTP ${status}): the model id or revision may be wrong, or the model is private or gated.`,
      details,
    );
  }
  return new ModelDownloadError('http', `Downloading ${file.path} failed with HTTP ${status} from ${url}.`, details);
}

function notAModel(file: ModelFile, url: string, what: string): ModelDownloadError {
  return new ModelDownloadError(
    'not-a-model',
    `Asked ${url} for ${file.path} but received ${what}. A proxy or captive portal may be answering instead of the ` +
      'Hub; sign in to the network or check the proxy settings.',
    { url, file: file.path },
  );
}

function interruptedMessage(file: ModelFile, url: string, received: number, total: number | undefined): string {
  const of = total === undefined ? '' : ` of ${total}`;
  return `The connection dropped while downloading ${file.path} from ${url} (${received}${of} bytes received).`;
}

function cancelled(options: DownloadOptions): ModelDownloadError {
  return new ModelDownloadError('cancelled', `The download of ${options.id} was cancelled.`);
}

function throwIfCancelled(options: DownloadOptions): void {
  if (options.signal?.aborted) throw cancelled(options);
}

/** Content-Length, unless the body is encoded (then the header counts encoded bytes, not the file's). */
function declaredLength(headers: Headers): number | undefined {
  const encoding = headers.get('content-encoding');
  if (encoding && encoding !== 'identity') return undefined;
  const length = Number(headers.get('content-length') ?? NaN);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** fetch wraps the useful part (ENOTFOUND, ECONNREFUSED, a proxy's refusal) in `cause`. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}
