// Benchmark baseline: a bare onnxruntime-node session running pre-tokenized batches, nothing else. The full
// pipeline is compared against this, on the same batches, session options and threads.
import { parentPort, workerData } from 'node:worker_threads';
import { InferenceSession, Tensor } from 'onnxruntime-node';

export interface RawBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batch: number;
  sequence: number;
}

export interface RawWorkerData {
  modelPath: string;
  intraOpThreads: number;
  batches: RawBatch[];
}

async function run({ modelPath, intraOpThreads, batches }: RawWorkerData): Promise<void> {
  const session = await InferenceSession.create(modelPath, {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    enableCpuMemArena: false,
  });
  parentPort!.postMessage({ type: 'ready' });
  await new Promise((resolve) => parentPort!.once('message', resolve));
  const started = performance.now();
  for (const b of batches) {
    const dims = [b.batch, b.sequence];
    await session.run({
      input_ids: new Tensor('int64', b.inputIds, dims),
      attention_mask: new Tensor('int64', b.attentionMask, dims),
      token_type_ids: new Tensor('int64', new BigInt64Array(b.inputIds.length), dims),
    });
  }
  parentPort!.postMessage({ type: 'done', ms: performance.now() - started });
}

run(workerData as RawWorkerData).catch((error) => {
  parentPort!.postMessage({ type: 'error', message: String(error) });
});
