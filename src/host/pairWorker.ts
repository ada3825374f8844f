// A near-duplicate comparison thread (see pairWorkers.ts): the candidates of each tile it is handed, in its own
// scratch area of the shared PairMatrix. Bundled as dist/pair-worker.js.
import { parentPort, workerData } from 'node:worker_threads';
import { PairMatrix } from '../core/index/pairMatrix';
import type { PairWorkerData, TileRequest, TileResult } from './pairWorkers';

const { matrix, scratchArea } = workerData as PairWorkerData;
const pairs = PairMatrix.attach(matrix, scratchArea);

parentPort!.on('message', ({ id, tile, threshold }: TileRequest) => {
  const found = pairs.tileCandidates(tile, threshold);
  parentPort!.postMessage({ id, found } satisfies TileResult, [found.buffer]);
});
