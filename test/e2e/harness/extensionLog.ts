import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodeServer } from './code-server';

/** An extension's output channel (a log channel, e.g. "Similar Sentences") as written so far; '' before it exists. */
export function extensionLog(server: CodeServer, channel = 'Similar Sentences'): string {
  const file = fs
    .readdirSync(server.logsDir, { recursive: true, encoding: 'utf8' })
    .find((name) => path.basename(name) === `${channel}.log`);
  return file ? fs.readFileSync(path.join(server.logsDir, file), 'utf8') : '';
}
