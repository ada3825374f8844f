// Preloaded (--require, through NODE_OPTIONS) into every process and worker thread of the privacy tests: records
// each attempt to reach the network, one JSON line per call, in the file named by SIMILAR_SENTENCES_NETWORK_LOG,
// and records its own loading, so a test can tell which processes and threads it watched. The calls go through
// unchanged. Without that variable it does nothing (node --test also runs this file, as it runs everything in test/).
import dgram from 'node:dgram';
import dns from 'node:dns';
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { inspect } from 'node:util';
import { threadId } from 'node:worker_threads';

export interface NetworkRecord {
  api: string;
  args: string;
  pid: number;
  threadId: number;
  /** The process's main script; empty in worker threads. */
  script: string;
}

const logFile = process.env.SIMILAR_SENTENCES_NETWORK_LOG;
if (logFile) install(logFile);

function install(file: string): void {
  const record = (api: string, args: unknown[]) => {
    const entry: NetworkRecord = { api, args: inspect(args, { depth: 1, breakLength: Infinity }).slice(0, 300), pid: process.pid, threadId, script: process.argv[1] ?? '' };
    appendFileSync(file, `${JSON.stringify(entry)}\n`);
  };
  const wrap = <T extends object>(target: T, name: keyof T & string, api: string) => {
    const original = target[name] as unknown as (...args: unknown[]) => unknown;
    if (typeof original !== 'function') return;
    Object.defineProperty(target, name, {
      configurable: true,
      writable: true,
      value: function (this: unknown, ...args: unknown[]) {
        record(api, args);
        return original.apply(this, args);
      },
    });
  };
  record('loaded', process.argv.slice(1));
  wrap(net.Socket.prototype, 'connect', 'net.Socket.connect');
  wrap(dgram.Socket.prototype, 'send', 'dgram.Socket.send');
  for (const name of ['lookup', 'lookupService', 'resolve', 'resolve4', 'resolve6', 'resolveAny'] as const) {
    wrap(dns, name, `dns.${name}`);
    wrap(dns.promises, name, `dns.promises.${name}`);
  }
  wrap(http, 'request', 'http.request');
  wrap(http, 'get', 'http.get');
  wrap(https, 'request', 'https.request');
  wrap(https, 'get', 'https.get');
  wrap(globalThis, 'fetch', 'fetch');
}
