// Runs node with privacyNetworkRecorder.ts preloaded into it and into every process it starts (through
// NODE_OPTIONS), and returns what it recorded: the network calls of a whole process tree.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NetworkRecord } from './privacyNetworkRecorder';
import { CLI_SCRIPT, HOST_SCRIPT } from './reference';

const run = promisify(execFile);
const RECORDER = join(__dirname, 'privacyNetworkRecorder.js');

/** Runs `node args` with the recorder; its records go to `<logDir>/<name>.jsonl`. */
export async function runRecorded(logDir: string, name: string, args: string[]): Promise<{ stdout: string; records: NetworkRecord[] }> {
  const log = join(logDir, `${name}.jsonl`);
  const env = { ...process.env, NODE_OPTIONS: `--require ${RECORDER}`, SIMILAR_SENTENCES_NETWORK_LOG: log };
  const { stdout } = await run(process.execPath, args, { env, timeout: 120_000 });
  const records = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as NetworkRecord);
  return { stdout, records };
}

/**
 * Indexes and searches folder through the CLI with the recorder, and asserts that real work was done, that the CLI,
 * its host and the host's inference threads were all watched, and that none of them made a single network call.
 * modelArgs say which model (and cache) the CLI uses.
 */
export async function assertOfflineIndexAndSearch(logDir: string, folder: string, modelArgs: string[]): Promise<void> {
  const common = [...modelArgs, '--json'];
  const indexed = await runRecorded(logDir, 'index', [CLI_SCRIPT, 'index', folder, ...common]);
  const searched = await runRecorded(logDir, 'search', [CLI_SCRIPT, 'search', folder, '--query', 'the connection failed after a timeout', ...common]);
  assert.ok((JSON.parse(indexed.stdout) as { embedded: number }).embedded > 0, 'the index run embedded files');
  assert.ok((JSON.parse(searched.stdout) as { results: unknown[] }).results.length > 0, 'the search found results');
  for (const { records } of [indexed, searched]) {
    const loaded = records.filter((r) => r.api === 'loaded');
    assert.ok(loaded.some((r) => r.script === CLI_SCRIPT && r.threadId === 0), 'the CLI process was not watched');
    const host = loaded.find((r) => r.script === HOST_SCRIPT && r.threadId === 0);
    assert.ok(host, 'the host process was not watched');
    assert.ok(loaded.some((r) => r.pid === host.pid && r.threadId > 0), 'no inference thread was watched');
    assert.deepEqual(records.filter((r) => r.api !== 'loaded'), []);
  }
}
