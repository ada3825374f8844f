// What the model folder says about how to embed with it: the sequence limit and the pooling mode.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pooling } from '../protocol';

/** Models with learned positions stop at 512 tokens; longer limits in tokenizer configs are placeholders. */
const HARD_LIMIT = 512;

export interface EmbeddingConfig {
  maxLength: number;
  pooling: Pooling;
  dim: number;
}

export async function readEmbeddingConfig(dir: string, maxLengthOverride?: number): Promise<EmbeddingConfig> {
  const config = await readJson(join(dir, 'config.json'));
  if (!config) throw new Error(`${join(dir, 'config.json')} is missing or not valid JSON`);
  const sentenceBert = await readJson(join(dir, 'sentence_bert_config.json'));
  const tokenizerConfig = await readJson(join(dir, 'tokenizer_config.json'));
  const poolingConfig = await readJson(join(dir, '1_Pooling', 'config.json'));

  const declared = [sentenceBert?.max_seq_length, tokenizerConfig?.model_max_length, config.max_position_embeddings]
    .find((n): n is number => typeof n === 'number' && n > 0);
  const maxLength = Math.min(maxLengthOverride ?? declared ?? HARD_LIMIT, HARD_LIMIT);
  const dim = Number(config.hidden_size ?? config.dim ?? config.d_model);
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`${join(dir, 'config.json')} declares no hidden size`);
  return { maxLength, pooling: poolingMode(poolingConfig), dim };
}

function poolingMode(config: Record<string, unknown> | undefined): Pooling {
  if (config?.pooling_mode_cls_token === true) return 'cls';
  if (config?.pooling_mode_max_tokens === true) return 'max';
  return 'mean';
}

async function readJson(path: string): Promise<Record<string, any> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}
