// Token ids for a batch, truncated as the seed's Python tokenizer does: the text's own tokens are cut so that the
// special tokens still fit ([CLS] … [SEP]). transformers.js's own truncation slices after the special tokens are
// added and drops the final [SEP], which changes every long text's embedding; its tokenization itself is kept.

export interface Tokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  readonly pad_token_id?: number | null;
}

/** The special tokens the tokenizer's template puts around a single text. */
export interface SpecialTokens {
  prefix: number[];
  suffix: number[];
}

export interface EncodedBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batch: number;
  sequence: number;
  /** Tokens per text, special tokens included, after truncation. */
  tokenCounts: Int32Array;
  truncated: Uint8Array;
}

/** Learns the template by encoding a probe with and without special tokens. */
export function specialTokensOf(tokenizer: Tokenizer): SpecialTokens {
  const probe = 'a';
  const bare = tokenizer.encode(probe, { add_special_tokens: false });
  const full = tokenizer.encode(probe, { add_special_tokens: true });
  const at = full.findIndex((_, i) => bare.every((id, j) => full[i + j] === id));
  if (bare.length === 0 || at < 0) throw new Error('cannot tell the special tokens of this tokenizer apart');
  return { prefix: full.slice(0, at), suffix: full.slice(at + bare.length) };
}

/** Encodes, truncates at maxLength (special tokens included) and right-pads to the batch's longest text. */
export function encodeBatch(tokenizer: Tokenizer, special: SpecialTokens, texts: string[], maxLength: number): EncodedBatch {
  const budget = maxLength - special.prefix.length - special.suffix.length;
  if (budget < 1) throw new Error(`a limit of ${maxLength} tokens leaves no room for text`);
  const truncated = new Uint8Array(texts.length);
  const rows = texts.map((text, i) => {
    const ids = tokenizer.encode(text, { add_special_tokens: false });
    if (ids.length > budget) truncated[i] = 1;
    return [...special.prefix, ...ids.slice(0, budget), ...special.suffix];
  });
  const sequence = Math.max(...rows.map((r) => r.length));
  const pad = BigInt(tokenizer.pad_token_id ?? 0);
  const inputIds = new BigInt64Array(texts.length * sequence).fill(pad);
  const attentionMask = new BigInt64Array(texts.length * sequence);
  const tokenCounts = new Int32Array(texts.length);
  rows.forEach((row, b) => {
    tokenCounts[b] = row.length;
    row.forEach((id, t) => {
      inputIds[b * sequence + t] = BigInt(id);
      attentionMask[b * sequence + t] = 1n;
    });
  });
  return { inputIds, attentionMask, batch: texts.length, sequence, tokenCounts, truncated };
}
