// One inference worker: a tokenizer and an onnxruntime session, loaded from a local folder by transformers.js.
// It encodes a batch (padded to the batch's longest text, truncated at the model's limit), runs the model and pools.
import { parentPort } from 'node:worker_threads';
import { AutoModel, AutoTokenizer, env, Tensor, type PreTrainedModel, type PreTrainedTokenizer } from '@huggingface/transformers';
import { poolAndNormalize } from '../core/pooling';
import { encodeBatch, SpecialTokens, specialTokensOf } from './batchEncoding';
import type { EmbedMessage, FromWorker, LoadMessage, TokenStatesRequest, ToWorker } from './workerMessages';

// The host only reads local folders: downloads are the caller's job, done before the host starts.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.useFSCache = false;
env.useBrowserCache = false;

// Test hook (fault injection), set only by test/host/reliability.test.ts: a batch containing this text kills the
// process with SIGABRT, as a native abort inside onnxruntime would. Unset, it costs one check per batch.
const crashOn = process.env.SIMILAR_SENTENCES_TEST_CRASH_ON;
// Test hook, set only by test/host/workerHang.test.ts: a batch containing this text spins forever, as a call stuck
// in native code would, while the host's main thread stays responsive. Unset, it costs one check per batch.
const hangOn = process.env.SIMILAR_SENTENCES_TEST_HANG_ON;

const port = parentPort!;
let loaded: { tokenizer: PreTrainedTokenizer; special: SpecialTokens; model: PreTrainedModel; settings: LoadMessage } | undefined;
/** Vocabulary entries by id, built on the first explanation. */
let tokensById: string[] | undefined;

port.on('message', (message: ToWorker) => {
  const work = message.type === 'load' ? load(message) : message.type === 'embed' ? embed(message) : tokenStates(message);
  work.catch((error: unknown) => {
    const id = message.type === 'load' ? undefined : message.id;
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
  const { encoded, states } = await run(texts);
  const [batch, sequence, dim] = states.dims;
  const vectors = poolAndNormalize({ data: toFloat32(states.data), mask: encoded.attentionMask, batch, sequence, dim }, loaded!.settings.pooling);
  const { tokenCounts, truncated } = encoded;
  post({ type: 'embedded', id, vectors, tokenCounts, truncated }, [vectors.buffer, tokenCounts.buffer, truncated.buffer] as ArrayBuffer[]);
}

/** One text alone (no padding): its tokens and their last-layer states, encoded exactly as embed encodes it. */
async function tokenStates({ id, text }: TokenStatesRequest): Promise<void> {
  const { encoded, states } = await run([text]);
  const { tokenizer, special } = loaded!;
  tokensById ??= vocabularyById(tokenizer);
  const count = encoded.tokenCounts[0];
  const ids = Array.from(encoded.inputIds.subarray(0, count), Number);
  const tokens = ids.map((tokenId) => tokensById![tokenId] ?? tokenizer.unk_token);
  const isSpecial = ids.map((_, i) => i < special.prefix.length || i >= count - special.suffix.length);
  const data = toFloat32(states.data).slice(0, count * states.dims[2]);
  post({ type: 'tokenStates', id, states: data, tokens, special: isSpecial, unknownToken: tokenizer.unk_token }, [data.buffer as ArrayBuffer]);
}

async function run(texts: string[]) {
  if (!loaded) throw new Error('model not loaded');
  if (crashOn && texts.some((text) => text.includes(crashOn))) {
    process.kill(process.pid, 'SIGABRT');
    return new Promise<never>(() => undefined); // the process is going down: never answer
  }
  if (hangOn && texts.some((text) => text.includes(hangOn))) {
    for (;;); // only the embedder's batch deadline ends this
  }
  const { tokenizer, special, model, settings } = loaded;
  const encoded = encodeBatch(tokenizer, special, texts, settings.maxLength);
  const dims = [encoded.batch, encoded.sequence];
  const { last_hidden_state: states } = (await model({
    input_ids: new Tensor('int64', encoded.inputIds, dims),
    attention_mask: new Tensor('int64', encoded.attentionMask, dims),
  })) as { last_hidden_state: Tensor };
  return { encoded, states };
}

function vocabularyById(tokenizer: PreTrainedTokenizer): string[] {
  const byId: string[] = [];
  for (const [token, tokenId] of tokenizer.get_vocab()) byId[tokenId] = token;
  return byId;
}

function toFloat32(data: Tensor['data']): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
}

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}
