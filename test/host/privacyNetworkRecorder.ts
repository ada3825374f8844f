// Preloaded (--require, through NODE_OPTIONS) into every process and worker thread of the privacy tests: records
// each attempt to reach the network, one JSON line per call, in the file named by SIMILAR_SENTENCES_NETWORK_LOG,
// and records its own loading, so a test can tell which processes and threads it watched. The calls go through
// unchanged. Without that variable it does nothing (node --test also runs this file, as it runs everything in test/).
// Each record carries the caller's stack, so a test inside a process that uses the network for its own reasons (VS
// Code's extension host) can keep only the calls made by one extension's code.
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
  /** The caller's frames ("at fn (file:line:col)"), innermost first, without the recorder's own; at most STACK_FRAMES. */
  stack: string[];
}

/** Enough to reach past a library's or VS Code's wrappers to the extension that called them; bounded for log size. */
const STACK_FRAMES = 40;

const logFile = process.env.SIMILAR_SENTENCES_NETWORK_LOG;
if (logFile) install(logFile);

function install(file: string): void {
  const record = (api: string, args: unknown[]) => {
    const entry: NetworkRecord = {
      api,
      args: inspect(args, { depth: 1, breakLength: Infinity }).slice(0, 300),
      pid: process.pid,
      threadId,
      script: process.argv[1] ?? '',
      stack: callerStack(),
    };
    appendFileSync(file, `${JSON.stringify(entry)}\n`);
  };
  const recording = (original: unknown, api: string): unknown => {
    if (typeof original !== 'function') return original;
    return function (this: unknown, ...args: unknown[]) {
      record(api, args);
      return original.apply(this, args);
    };
  };
  const wrap = <T extends object>(target: T, name: keyof T & string, api: string) => {
    if (typeof target[name] !== 'function') return;
    Object.defineProperty(target, name, { configurable: true, writable: true, value: recording(target[name], api) });
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
  // Whatever replaces fetch later is wrapped too: VS Code's extension host assigns its own proxy-aware fetch, which
  // awaits before it calls the original, so only a wrapper around it still sees the caller's stack.
  let currentFetch = recording(globalThis.fetch, 'fetch');
  Object.defineProperty(globalThis, 'fetch', {
    configurable: true,
    enumerable: true,
    get: () => currentFetch,
    set: (value: unknown) => (currentFetch = recording(value, 'fetch')),
  });
}

function callerStack(): string[] {
  const limit = Error.stackTraceLimit;
  // Room for the recorder's own frames, which are dropped below.
  Error.stackTraceLimit = STACK_FRAMES + 4;
  const stack = String(new Error().stack ?? '');
  Error.stackTraceLimit = limit;
  return stack
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => !line.includes(__filename))
    .slice(0, STACK_FRAMES)
    .map((line) => line.slice(0, 400));
}
