// Extension activation cost: require dist/extension.js and call activate() in a fresh process, with `vscode`
// answered by an inert stand-in (activation only registers things). Also lists the modules activation loaded, to
// show that neither transformers.js nor onnxruntime is among them: they live in the model host process.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const EXTENSION = join(__dirname, '..', '..', '..', 'dist', 'extension.js');
const RUNS = 7;

interface Sample {
  requireMs: number;
  activateMs: number;
  modules: string[];
  heapMB: number;
}

/**
 * A value that accepts any use: property reads, calls and `new` all return another such value, except that a
 * configuration `get(key, default)` answers its default (so settings read as unset) and nothing is a thenable.
 */
function inert(name = ''): unknown {
  const target = function () {} as unknown as object;
  const proxy: unknown = new Proxy(target, {
    get: (_t, key) => (key === 'then' || typeof key === 'symbol' ? undefined : inert(key)),
    set: () => true,
    apply: (_t, _this, args: unknown[]) => (name === 'get' ? args[1] : proxy),
    construct: () => proxy as object,
  });
  return proxy;
}

/** The `vscode` module: its real top-level names (read from @types/vscode), each an inert value. */
function inertVscode(): unknown {
  const types = readFileSync(require.resolve('@types/vscode/index.d.ts'), 'utf8');
  const names = [...new Set([...types.matchAll(/^\t?export (?:namespace|class|enum|const|function|let) (\w+)/gm)].map((m) => m[1]))];
  return new Proxy({}, {
    get: (_t, key) => (typeof key === 'symbol' ? undefined : inert(key)),
    ownKeys: () => names,
    getOwnPropertyDescriptor: (_t, key) => ({ configurable: true, enumerable: true, value: inert(String(key)) }),
  });
}

async function child(): Promise<void> {
  const Module = require('node:module') as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = Module._load;
  const vscode = inertVscode();
  Module._load = (request: string, ...rest: unknown[]) => (request === 'vscode' ? vscode : load(request, ...rest));
  const before = new Set(Object.keys(require.cache));
  let started = performance.now();
  const extension = require(EXTENSION) as { activate(context: unknown): void };
  const requireMs = performance.now() - started;
  started = performance.now();
  extension.activate(inert());
  const activateMs = performance.now() - started;
  const modules = Object.keys(require.cache).filter((m) => !before.has(m));
  process.send!({ requireMs, activateMs, modules, heapMB: process.memoryUsage().heapUsed / 1048576 } satisfies Sample);
  setTimeout(() => process.exit(0), 10);
}

function sample(): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const worker = fork(__filename, ['child']);
    worker.once('message', (m) => resolve(m as Sample));
    worker.once('exit', (code) => code !== 0 && reject(new Error(`activation child exited with ${code}`)));
  });
}

export async function runActivationBench(print: (line: string) => void): Promise<void> {
  const samples: Sample[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await sample());
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const modules = samples[0].modules;
  const heavy = modules.filter((m) => /onnxruntime|@huggingface|transformers/.test(m));
  print(`require(dist/extension.js): median ${median(samples.map((s) => s.requireMs)).toFixed(1)} ms over ${RUNS} fresh processes`);
  print(`activate():                 median ${median(samples.map((s) => s.activateMs)).toFixed(1)} ms (target ≤ 30 ms)`);
  print(`modules loaded by activation: ${modules.length} (${modules.map((m) => m.split('/').pop()).join(', ')}); inference libraries among them: ${heavy.length ? heavy.join(', ') : 'none'}`);
  print(`JS heap after activation: ${median(samples.map((s) => s.heapMB)).toFixed(1)} MB`);
}

if (process.argv[2] === 'child') void child();
