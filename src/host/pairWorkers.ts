// The threads Find Near-Duplicates compares in (core/index/nearDuplicates.ts): each attaches to the PairMatrix the
// host's thread filled (shared memory, no copy) and computes the candidates of the tiles of leaders it is handed.
// The host's thread only hands out tiles and rescores candidates, so it stays free to answer requests.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PairThreads, TileComparer } from '../core/index/nearDuplicates';
import type { SharedPairMatrix } from '../core/index/pairMatrix';

/** What a pair worker is started with (workerData). */
export interface PairWorkerData {
  matrix: SharedPairMatrix;
  scratchArea: number;
}

export interface TileRequest {
  id: number;
  tile: number[];
  threshold: number;
}

export interface TileResult {
  id: number;
  found: Int32Array;
}

/**
 * Beyond a few threads the host's thread, rescoring every candidate, becomes the bottleneck, and each thread holds
 * its own copy of the kernels and a Node environment.
 */
const MAX_THREADS = 4;

/**
 * One thread per core this process may use, at most MAX_THREADS; none on a single core, where the threads would
 * only take turns with the host's thread. Called when a comparison starts, so the count follows the machine.
 */
export function pairThreads(count = Math.min(availableParallelism(), MAX_THREADS), script = join(__dirname, 'pair-worker.js')): PairThreads | undefined {
  if (count < 2) return undefined;
  return { count, start: (matrix) => new WorkerComparer(matrix, count, script) };
}

interface Pending {
  resolve: (found: Int32Array) => void;
  reject: (error: Error) => void;
}

interface PairWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

class WorkerComparer implements TileComparer {
  private readonly workers: PairWorker[];
  private nextId = 0;
  private closing?: Promise<void>;

  constructor(matrix: SharedPairMatrix, count: number, script: string) {
    this.workers = Array.from({ length: count }, (_, scratchArea) => {
      const entry: PairWorker = { worker: new Worker(script, { workerData: { matrix, scratchArea } satisfies PairWorkerData }), pending: new Map() };
      entry.worker.on('message', ({ id, found }: TileResult) => {
        entry.pending.get(id)?.resolve(found);
        entry.pending.delete(id);
      });
      entry.worker.on('error', (error) => this.fail(entry, error));
      entry.worker.on('exit', (code) => this.fail(entry, new Error(`a near-duplicate comparison thread stopped (exit code ${code})`)));
      return entry;
    });
  }

  compare(tile: readonly number[], threshold: number): Promise<Int32Array> {
    if (this.closing) return Promise.reject(new Error('near-duplicate comparison threads closed'));
    // The least loaded thread: tiles cost about the same, so this keeps every thread busy.
    const entry = this.workers.reduce((best, w) => (w.pending.size < best.pending.size ? w : best));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      entry.pending.set(id, { resolve, reject });
      entry.worker.postMessage({ id, tile: [...tile], threshold } satisfies TileRequest);
    });
  }

  /** Every call waits for the same termination (an abort closes, then the search's end awaits the close). */
  close(): Promise<void> {
    this.closing ??= this.terminate();
    return this.closing;
  }

  private async terminate(): Promise<void> {
    const error = new Error('near-duplicate comparison threads closed');
    for (const entry of this.workers) this.fail(entry, error);
    await Promise.all(this.workers.map((entry) => entry.worker.terminate()));
  }

  private fail(entry: PairWorker, error: Error): void {
    for (const pending of entry.pending.values()) pending.reject(error);
    entry.pending.clear();
  }
}
