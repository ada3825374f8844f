// One inference worker: a tokenizer and an onnxruntime session, loaded from a local folder by transformers.js.
// It encodes a batch (padded to the batch's longest text, truncated at the model's limit), runs the model and pools.
import { parentPort } from 'node:worker_threads';
import { AutoModel, AutoTokenizer, env, Tensor, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { poolAndNormalize } from '../core/pooling';
import { encodeBatch, SpecialTokens, specialTokensOf } from './batchEncoding';
import type { EmbedMessage, FromWorker, LoadMessage, ToWorker } from './workerMessages';

// The host only reads local folders: downloads are the caller's job, done before the host starts.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useFSCache = false;
env.useBrowserCache = false;

// Test hook (fault injection), set only by test/host/reliability.test.ts: a batch containing this text kills the
// process with SIGABRT, as a native abort inside onnxruntime would. Unset, it costs one check per batch.
const crashOn = process.env.SIMILAR_SENTENCES_TEST_CRASH_ON;

const port = parentPort!;
let loaded: { tokenizer: PreTrainedTokenizer; special: SpecialTokens; model: PreTrainedModel; settings: LoadMessage } | undefined;

port.on('message', (message: ToWorker) => {
  const work = message.type === 'load' ? load(message) : embed(message);
  work.catch((error: unknown) => {
    const id = message.type === 'embed' ? message.id : undefined;
    post({ type: 'error', id, message: error instanceof Error ? error.message : String(error) });
  });
});

async function load(settings: LoadMessage): Promise<void> {
  const options = { local_files_only: true } as const;
  const tokenizer = await AutoTokenizer.from_pretrained(settings.dir, options);
  const model = await AutoModel.from_pretrained(settings.dir, {
    ...options,
    dtype: settings.dtype,
    device: 'cpu',
    session_options: {
      intraOpNumThreads: settings.intraOpThreads,
      interOpNumThreads: 1,
      // The arena keeps the largest batch's buffers forever (hundreds of MB); freeing costs little here.
      enableCpuMemArena: false,
    },
  });
  loaded = { tokenizer, special: specialTokensOf(tokenizer), model, settings };
  post({ type: 'loaded' });
}

async function embed({ id, texts }: EmbedMessage): Promise<void> {
  if (!loaded) throw new Error('model not loaded');
  if (crashOn && texts.some((text) => text.includes(crashOn))) return void process.kill(process.pid, 'SIGABRT');
  const { tokenizer, special, model, settings } = loaded;
  const encoded = encodeBatch(tokenizer, special, texts, settings.maxLength);
  const dims = [encoded.batch, encoded.sequence];
  const { last_hidden_state: states } = (await model({
    input_ids: new Tensor('int64', encoded.inputIds, dims),
    attention_mask: new Tensor('int64', encoded.attentionMask, dims),
  })) as { last_hidden_state: Tensor };
  const [batch, sequence, dim] = states.dims;
  const vectors = poolAndNormalize({ data: toFloat32(states.data), mask: encoded.attentionMask, batch, sequence, dim }, settings.pooling);
  const { tokenCounts, truncated } = encoded;
  post({ type: 'embedded', id, vectors, tokenCounts, truncated }, [vectors.buffer, tokenCounts.buffer, truncated.buffer] as ArrayBuffer[]);
}

function toFloat32(data: Tensor['data']): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}
