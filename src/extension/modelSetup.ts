// Settings → a verified local model folder for the host. A Hub model not yet in the cache is downloaded here, in the
// extension host (so VS Code's proxy support applies to fetch), with a cancellable progress notification.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSpec } from '../protocol';
import { prepareModel, resolveModel, type DownloadProgress } from '../core/model';
import { CancelledByUser } from './errors';
import { describeModel, type Settings } from './settings';

export interface ModelSetupEvents {
  onDownloadProgress(fraction: number | undefined, detail: string): void;
}

export class ModelSetup {
  constructor(
    private readonly globalStorage: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  cacheRoot(settings: Settings): string {
    return settings.modelCacheFolder ?? path.join(this.globalStorage.fsPath, 'models');
  }

  /** Validates a local folder, or downloads a Hub model first when it is not cached for this dtype. */
  async prepare(settings: Settings, events: ModelSetupEvents): Promise<ModelSpec> {
    const request = { model: describeModel(settings.model), dtype: settings.dtype };
    const cacheRoot = this.cacheRoot(settings);
    const resolved = resolveModel(request, cacheRoot);
    if (resolved.kind === 'local' || resolved.present) {
      return prepareModel(request, { cacheRoot, endpoint: settings.downloadEndpoint });
    }
    this.log.info(`downloading ${resolved.id}@${resolved.revision} (${settings.dtype}) from ${settings.downloadEndpoint} into ${resolved.dir}`);
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Similar Sentences: downloading ${resolved.id}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const subscription = token.onCancellationRequested(() => abort.abort(new CancelledByUser('The model download')));
        let reported = 0;
        const onProgress = (p: DownloadProgress) => {
          const fraction = p.overallTotal ? p.overallReceived / p.overallTotal : undefined;
          const detail = `${p.file}: ${megabytes(p.overallReceived)}${p.overallTotal ? ` of ${megabytes(p.overallTotal)}` : ''}`;
          if (fraction !== undefined) {
            progress.report({ increment: (fraction - reported) * 100, message: detail });
            reported = fraction;
          } else {
            progress.report({ message: detail });
          }
          events.onDownloadProgress(fraction, detail);
        };
        try {
          const spec = await prepareModel(request, { cacheRoot, endpoint: settings.downloadEndpoint, fetch: globalThis.fetch, signal: abort.signal, onProgress });
          this.log.info(`model ${resolved.id} ready in ${spec.dir}`);
          return spec;
        } finally {
          subscription.dispose();
        }
      },
    );
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
