// The two ways a model can fail to be ready, each carrying what a UI needs to offer a fix without parsing messages.
//
//   ModelError          a local folder that is missing, partial or unreadable (validateModelDir)
//   ModelDownloadError  a Hub download that did not produce a verified folder (downloadModel), with a `kind`
import type { Dtype } from '../../protocol';

export class ModelError extends Error {
  override readonly name = 'ModelError';

  constructor(
    message: string,
    /** The model folder that was checked. */
    readonly folder: string,
    /** Required files that are absent, relative to `folder`. */
    readonly missing: string[],
    /** Files that exist but cannot be used, each as "path: reason". */
    readonly unreadable: string[],
    /** Dtypes whose ONNX weights are present and look valid in `folder`. */
    readonly availableDtypes: Dtype[],
  ) {
    super(message);
  }
}

export type DownloadFailureKind =
  /** No connection to the endpoint (DNS, refused, reset before any response, proxy down). */
  | 'offline'
  /** The server answered with an error status (after retries for 5xx). */
  | 'http'
  /** A required file does not exist at that revision (404). */
  | 'not-found'
  /** The transfer ended before Content-Length bytes arrived. */
  | 'interrupted'
  /** No bytes arrived for stallTimeoutMs. */
  | 'stalled'
  /** The server answered 200 with something that is not the file, e.g. a captive portal's HTML page. */
  | 'not-a-model'
  /** The caller's AbortSignal fired. */
  | 'cancelled';

export class ModelDownloadError extends Error {
  override readonly name = 'ModelDownloadError';

  constructor(
    readonly kind: DownloadFailureKind,
    message: string,
    readonly details: { url?: string; file?: string; status?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
