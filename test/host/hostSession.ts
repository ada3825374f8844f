// A model host for one test step: started on an index folder, stopped whatever happens, with its log collected.
import { HostClient, type HostClientOptions } from '../../src/client';
import type { InitializeParams, LogParams } from '../../src/protocol';
import { HOST_SCRIPT } from './reference';

export async function withHost<T>(
  init: InitializeParams,
  indexDir: string | undefined,
  run: (client: HostClient, logs: LogParams[]) => Promise<T>,
  options: Omit<HostClientOptions, 'hostScript' | 'onLog'> = {},
): Promise<T> {
  const logs: LogParams[] = [];
  const client = new HostClient({ ...options, hostScript: HOST_SCRIPT, onLog: (log) => logs.push(log) });
  try {
    await client.start({ ...init, indexDir });
    return await run(client, logs);
  } finally {
    await client.stop();
  }
}
