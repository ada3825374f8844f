// An independent reference for embedding tests: the seed notebook's recipe written out by hand against a bare
// onnxruntime-node session (no code from src/): tokenize with truncation at the model's limit, pad to 128,
// run the model, mean-pool with the attention mask, L2-normalise.
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { InferenceSession, Tensor } from 'onnxruntime-node';

export const HOST_SCRIPT = join(__dirname, '..', '..', '..', 'dist', 'host.js');
export const CLI_SCRIPT = join(__dirname, '..', '..', '..', 'dist', 'cli.js');

export interface Reference {
  embed(text: string): Promise<Float32Array>;
  tokenCount(text: string): number;
}

export async function referenceEmbedder(modelDir: string, limit: number, file = 'model.onnx', padTo = 128): Promise<Reference> {
  const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
  const session = await InferenceSession.create(join(modelDir, 'onnx', file), { intraOpNumThreads: 1 });
  return {
    tokenCount: (text) => tokenizer.encode(text).length,
    async embed(text) {
      const ids = tokenizer.encode(text).slice(0, limit);
      if (ids.length === limit && tokenizer.encode(text).length > limit) ids[limit - 1] = tokenizer.sep_token_id!;
      const length = Math.max(padTo, ids.length);
      const inputIds = new BigInt64Array(length).fill(BigInt(tokenizer.pad_token_id ?? 0));
      const mask = new BigInt64Array(length);
      ids.forEach((id, i) => {
        inputIds[i] = BigInt(id);
        mask[i] = 1n;
      });
      const dims = [1, length];
      const out = await session.run({
        input_ids: new Tensor('int64', inputIds, dims),
        attention_mask: new Tensor('int64', mask, dims),
        token_type_ids: new Tensor('int64', new BigInt64Array(length), dims),
      });
      const states = out.last_hidden_state;
      const dim = states.dims[2];
      const data = states.data as Float32Array;
      const pooled = new Float32Array(dim);
      for (let t = 0; t < ids.length; t++) for (let d = 0; d < dim; d++) pooled[d] += data[t * dim + d];
      let norm = 0;
      for (let d = 0; d < dim; d++) {
        pooled[d] /= ids.length;
        norm += pooled[d] * pooled[d];
      }
      return pooled.map((v) => v / Math.sqrt(norm));
    },
  };
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
