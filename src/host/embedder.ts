// The embedder: a pool of inference workers fed with length-sorted batches. Sorting by length keeps padding (and so
// wasted compute) small; the per-row attention-mask pooling makes the result independent of the batch anyway.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ModelInfo, ModelSpec } from '../protocol';
import { readEmbeddingConfig } from './modelConfig';
import type { FromWorker, LoadMessage, TokenStatesMessage, ToWorker } from './workerMessages';

export interface EmbedOutput {
  vectors: Float32Array;
  tokenCounts: Int32Array;
  truncated: Uint8Array;
}

export interface EmbedOptions {
  signal?: AbortSignal;
  /** Called as each batch is done with its texts' indices and their vectors (indices.length × dim), so callers keep them even if the job is cancelled later. */
  onBatch?: (indices: number[], vectors: Float32Array, truncated: Uint8Array) => void;
  /** Queries jump ahead of indexing batches. */
  urgent?: boolean;
}

export interface PoolLayout {
  workers: number;
  intraOpThreads: number;
}

/**
 * Measured on 2 cores: two single-threaded sessions beat one two-threaded session by ~1.5×. More threads than cores
 * only add contention, so a larger setting is clamped to the cores this process may use.
 */
export function poolLayout(threads: number, cores = availableParallelism()): PoolLayout {
  const total = Math.min(Math.max(1, Math.floor(threads) || cores), cores);
  const workers = Math.min(total, 2);
  return { workers, intraOpThreads: Math.max(1, Math.floor(total / workers)) };
}

const BATCH_TEXTS = 32;
const CHARS_PER_TOKEN = 3;
/** Caps a batch of long texts. */
const BATCH_CHARS = 32 * 128 * CHARS_PER_TOKEN;

interface Batch {
  indices: number[];
  job: Job;
}

/** The tokens of one text and their last-layer states (see workerMessages.ts). */
export type TokenStates = Omit<TokenStatesMessage, 'type' | 'id'>;

/** A request for one text's token states: queued like a batch, so it runs on a free worker and is journaled. */
interface TokenStatesTask {
  text: string;
  resolve: (states: TokenStates) => void;
  reject: (error: Error) => void;
}

type Task = Batch | TokenStatesTask;

const isBatch = (task: Task): task is Batch => 'job' in task;

interface Job {
  texts: string[];
  out: EmbedOutput;
  remaining: number;
  options: EmbedOptions;
  resolve: (out: EmbedOutput) => void;
  reject: (error: Error) => void;
  failed: boolean;
}

interface PoolWorker {
  worker: Worker;
  busy?: { id: number; task: Task; texts: string[]; deadline: NodeJS.Timeout };
}

/**
 * A worker stuck inside native code never answers, while the host's main thread still answers the heartbeat. So
 * each batch has a deadline, generous (a batch normally takes well under a second per thousand tokens even on a
 * slow machine): max(30 s, 20 ms per estimated token). SIMILAR_SENTENCES_BATCH_DEADLINE_MS replaces the 30 s floor
 * (tests use a short one).
 */
const DEADLINE_FLOOR_MS = Number(process.env.SIMILAR_SENTENCES_BATCH_DEADLINE_MS) || 30_000;
const DEADLINE_MS_PER_TOKEN = 20;

function batchDeadlineMs(texts: string[]): number {
  const estimatedTokens = texts.reduce((sum, text) => sum + Math.ceil(text.length / CHARS_PER_TOKEN), 0);
  return Math.max(DEADLINE_FLOOR_MS, estimatedTokens * DEADLINE_MS_PER_TOKEN);
}

export class Embedder {
  private queue: Task[] = [];
  private nextId = 1;
  private disposed = false;

  private constructor(
    readonly info: ModelInfo,
    private readonly workers: PoolWorker[],
  ) {
    for (const w of workers) {
      w.worker.on('message', (m: FromWorker) => this.onMessage(w, m));
      // A worker that died leaves the pool unusable: fail everything and let the host's supervisor restart it.
      w.worker.once('exit', (code) => this.onWorkerExit(code));
    }
  }

  /** Set by the host: called when a worker stops on its own. */
  onBroken?: (reason: string) => void;
  /** Set by the host: called synchronously with every text in the workers before a batch is posted (see crashJournal.ts). */
  onInFlight?: (texts: string[]) => void;

  static async load(spec: ModelSpec, threads: number, workerScript = join(__dirname, 'inference-worker.js')): Promise<Embedder> {
    const config = await readEmbeddingConfig(spec.dir, spec.maxLength);
    const layout = poolLayout(threads);
    const settings: LoadMessage = { type: 'load', dir: spec.dir, dtype: spec.dtype, intraOpThreads: layout.intraOpThreads, ...config };
    const workers = Array.from({ length: layout.workers }, () => ({ worker: new Worker(workerScript) }));
    try {
      await Promise.all(workers.map((w) => loadWorker(w.worker, settings)));
    } catch (error) {
      await Promise.all(workers.map((w) => w.worker.terminate()));
      throw error;
    }
    const info: ModelInfo = { id: spec.id, revision: spec.revision ?? 'local', dtype: spec.dtype, ...config };
    return new Embedder(info, workers);
  }

  embed(texts: string[], options: EmbedOptions = {}): Promise<EmbedOutput> {
    const { dim } = this.info;
    const out: EmbedOutput = {
      vectors: new Float32Array(texts.length * dim),
      tokenCounts: new Int32Array(texts.length),
      truncated: new Uint8Array(texts.length),
    };
    if (texts.length === 0) return Promise.resolve(out);
    if (this.disposed) return Promise.reject(new Error('embedder disposed'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError());
    return new Promise((resolve, reject) => {
      const onAbort = () => this.fail(job, abortError());
      // One request's signal serves many jobs: each removes its listener when done, which also frees its output.
      const settled = () => signal?.removeEventListener('abort', onAbort);
      const job: Job = {
        texts,
        out,
        remaining: texts.length,
        options,
        resolve: (value) => (settled(), resolve(value)),
        reject: (error) => (settled(), reject(error)),
        failed: false,
      };
      const batches = lengthSortedBatches(texts).map((indices) => ({ indices, job }));
      if (options.urgent) this.queue.unshift(...batches);
      else this.queue.push(...batches);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pump();
    });
  }

  /** The tokens of one text and their last-layer states (an interactive request: it runs before queued batches). */
  tokenStates(text: string, options: { signal?: AbortSignal } = {}): Promise<TokenStates> {
    if (this.disposed) return Promise.reject(new Error('embedder disposed'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortError());
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.queue = this.queue.filter((queued) => queued !== task);
        task.reject(abortError());
      };
      let settled = false;
      const settle = () => {
        settled = true;
        signal?.removeEventListener('abort', onAbort);
      };
      const task: TokenStatesTask = {
        text,
        resolve: (states) => settled || (settle(), resolve(states)),
        reject: (error) => settled || (settle(), reject(error)),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.unshift(task);
      this.pump();
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const w of this.workers) if (w.busy) clearTimeout(w.busy.deadline);
    for (const task of this.queue) this.failTask(task, new Error('embedder disposed'));
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private pump(): void {
    const dispatched: PoolWorker[] = [];
    for (const w of this.workers) {
      if (w.busy) continue;
      const task = this.queue.shift();
      if (!task) break;
      const texts = isBatch(task) ? task.indices.map((i) => task.job.texts[i]) : [task.text];
      const deadlineMs = batchDeadlineMs(texts);
      const deadline = setTimeout(() => this.breakDown(`an inference worker did not finish a batch of ${texts.length} text(s) within ${deadlineMs / 1000} s (stuck)`), deadlineMs);
      deadline.unref();
      w.busy = { id: this.nextId++, task, texts, deadline };
      dispatched.push(w);
    }
    if (dispatched.length === 0) return;
    // Recorded before any of them can start: a native crash must find its input on disk.
    this.onInFlight?.(this.workers.flatMap((w) => w.busy?.texts ?? []));
    for (const { worker, busy } of dispatched) {
      const { id, task, texts } = busy!;
      const message: ToWorker = isBatch(task) ? { type: 'embed', id, texts } : { type: 'tokenStates', id, text: task.text };
      worker.postMessage(message);
    }
  }

  private onMessage(w: PoolWorker, message: FromWorker): void {
    const busy = w.busy;
    if (!busy || !('id' in message) || message.id !== busy.id) return;
    clearTimeout(busy.deadline);
    w.busy = undefined;
    if (!isBatch(busy.task)) {
      const { task } = busy;
      if (message.type === 'tokenStates') task.resolve({ states: message.states, tokens: message.tokens, special: message.special, unknownToken: message.unknownToken });
      else if (message.type === 'error') task.reject(new Error(`inference failed: ${message.message}`));
      this.pump();
      return;
    }
    const { job, indices } = busy.task;
    if (message.type === 'error') {
      this.fail(job, new Error(`inference failed: ${message.message}`));
    } else if (message.type === 'embedded' && !job.failed) {
      const { dim } = this.info;
      indices.forEach((target, row) => {
        job.out.vectors.set(message.vectors.subarray(row * dim, (row + 1) * dim), target * dim);
        job.out.tokenCounts[target] = message.tokenCounts[row];
        job.out.truncated[target] = message.truncated[row];
      });
      try {
        job.options.onBatch?.(indices, message.vectors, message.truncated);
        job.remaining -= indices.length;
        if (job.remaining === 0) job.resolve(job.out);
      } catch (error) {
        // A throwing callback fails its job: thrown from a worker's message event, it would take the host down.
        this.fail(job, error as Error);
      }
    }
    this.pump();
  }

  private onWorkerExit(code: number): void {
    this.breakDown(`an inference worker stopped (exit code ${code})`);
  }

  /** A dead or stuck worker leaves the pool unusable: fail everything, stop the workers, tell the host. */
  private breakDown(reason: string): void {
    if (this.disposed) return;
    this.disposed = true;
    const error = new Error(reason);
    for (const w of this.workers) {
      if (!w.busy) continue;
      clearTimeout(w.busy.deadline);
      this.failTask(w.busy.task, error);
    }
    for (const task of this.queue) this.failTask(task, error);
    for (const w of this.workers) void w.worker.terminate();
    this.onBroken?.(reason);
  }

  private failTask(task: Task, error: Error): void {
    if (isBatch(task)) this.fail(task.job, error);
    else task.reject(error);
  }

  private fail(job: Job, error: Error): void {
    if (job.failed || job.remaining === 0) return;
    job.failed = true;
    this.queue = this.queue.filter((task) => !isBatch(task) || task.job !== job);
    job.reject(error);
  }
}

/** Indices grouped into batches of similar length, shortest first. */
export function lengthSortedBatches(texts: string[]): number[][] {
  const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length);
  const batches: number[][] = [];
  let current: number[] = [];
  for (const i of order) {
    // Sorted ascending, so the newest text is the longest: the batch pads to it.
    const paddedChars = (current.length + 1) * texts[i].length;
    if (current.length && (current.length === BATCH_TEXTS || paddedChars > BATCH_CHARS)) {
      batches.push(current);
      current = [];
    }
    current.push(i);
  }
  if (current.length) batches.push(current);
  return batches;
}

function loadWorker(worker: Worker, settings: LoadMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromWorker) => {
      if (m.type === 'loaded') resolve();
      else if (m.type === 'error' && m.id === undefined) reject(new Error(m.message));
      else return;
      worker.off('message', onMessage);
      worker.off('error', reject);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.postMessage(settings satisfies ToWorker);
  });
}

function abortError(): Error {
  const error = new Error('cancelled');
  error.name = 'AbortError';
  return error;
}
