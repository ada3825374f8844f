// Token vectors → one sentence vector, exactly as the seed notebook does it: multiply each token vector by its
// attention-mask value, sum over the sequence, divide by the clamped mask count. Padding never contributes, so a
// sentence gives the same vector whatever it was batched with.
import type { Pooling } from '../protocol';
import { l2normalize } from './similarity';

/** A [batch, sequence, dim] float tensor laid out row-major, and its [batch, sequence] attention mask. */
export interface TokenStates {
  data: Float32Array;
  mask: ArrayLike<number | bigint>;
  batch: number;
  sequence: number;
  dim: number;
}

/** Pools every row of the batch and L2-normalises it; returns batch × dim floats. */
export function poolAndNormalize(states: TokenStates, pooling: Pooling): Float32Array {
  const { batch, dim } = states;
  const out = new Float32Array(batch * dim);
  for (let b = 0; b < batch; b++) {
    const row = out.subarray(b * dim, (b + 1) * dim);
    if (pooling === 'cls') clsPool(states, b, row);
    else if (pooling === 'max') maxPool(states, b, row);
    else meanPool(states, b, row);
    l2normalize(row);
  }
  return out;
}

/** summed = Σ_t mask_t · h_t ; mean = summed / max(Σ_t mask_t, 1e-9). Accumulates in float64 to stay order-independent to ~1e-7. */
export function meanPool(states: TokenStates, b: number, out: Float32Array): void {
  const { data, mask, sequence, dim } = states;
  const sum = new Float64Array(dim);
  let count = 0;
  for (let t = 0; t < sequence; t++) {
    const m = Number(mask[b * sequence + t]);
    if (m === 0) continue;
    count += m;
    const base = (b * sequence + t) * dim;
    for (let d = 0; d < dim; d++) sum[d] += m * data[base + d];
  }
  const denominator = Math.max(count, 1e-9);
  for (let d = 0; d < dim; d++) out[d] = sum[d] / denominator;
}

function clsPool(states: TokenStates, b: number, out: Float32Array): void {
  const base = b * states.sequence * states.dim;
  out.set(states.data.subarray(base, base + states.dim));
}

function maxPool(states: TokenStates, b: number, out: Float32Array): void {
  const { data, mask, sequence, dim } = states;
  out.fill(-Infinity);
  for (let t = 0; t < sequence; t++) {
    if (Number(mask[b * sequence + t]) === 0) continue;
    const base = (b * sequence + t) * dim;
    for (let d = 0; d < dim; d++) if (data[base + d] > out[d]) out[d] = data[base + d];
  }
}
