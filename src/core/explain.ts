// Why a text matches a query: the cosine split exactly into one additive share per token of the text.
//
// Mean pooling: the text's vector is m/‖m‖ with m = (1/n)·Σ_t h_t over its n tokens (special tokens included, as
// the model pools them), so for a unit query q
//   cos(q, text) = q·m/‖m‖ = Σ_t (q·h_t) / (n·‖m‖)
// and token t's share is (q·h_t)/(n·‖m‖). Max pooling: v_d = max_t h_{t,d}, so cos = Σ_d q_d·v_d/‖v‖ splits by which
// token holds each dimension's maximum (the first one, as pooling.ts takes it). CLS pooling has no such split: the
// vector is one token's state, which depends on every token through attention, so it is refused.
import type { Pooling } from '../protocol';

export interface TokenStatesOfText {
  /** tokens × dim hidden states of the last layer, for one text (no padding). */
  states: Float32Array;
  tokens: number;
  dim: number;
}

export class ExplanationUnsupportedError extends Error {
  constructor(pooling: Pooling) {
    super(`Explanations need mean or max pooling: this model uses ${pooling} pooling, whose vector is one token's state and does not split over the text's tokens.`);
    this.name = 'ExplanationUnsupportedError';
  }
}

/** Each token's share of cos(query, text); the shares sum to the cosine (in float64, up to rounding of the states). */
export function tokenContributions(query: ArrayLike<number>, text: TokenStatesOfText, pooling: Pooling): Float64Array {
  if (query.length !== text.dim) throw new Error(`query has dimension ${query.length}, the states ${text.dim}`);
  if (pooling === 'mean') return meanPoolingContributions(query, text);
  if (pooling === 'max') return maxPoolingContributions(query, text);
  throw new ExplanationUnsupportedError(pooling);
}

function meanPoolingContributions(query: ArrayLike<number>, { states, tokens, dim }: TokenStatesOfText): Float64Array {
  const sum = new Float64Array(dim);
  for (let t = 0; t < tokens; t++) for (let d = 0; d < dim; d++) sum[d] += states[t * dim + d];
  // ‖m‖ = ‖sum‖/n, so n·‖m‖ = ‖sum‖.
  const norm = Math.sqrt(sum.reduce((total, value) => total + value * value, 0));
  const shares = new Float64Array(tokens);
  if (norm === 0) return shares;
  for (let t = 0; t < tokens; t++) {
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += query[d] * states[t * dim + d];
    shares[t] = dot / norm;
  }
  return shares;
}

function maxPoolingContributions(query: ArrayLike<number>, { states, tokens, dim }: TokenStatesOfText): Float64Array {
  const shares = new Float64Array(tokens);
  const holder = new Int32Array(dim);
  const maxima = new Float64Array(dim);
  for (let d = 0; d < dim; d++) {
    maxima[d] = -Infinity;
    for (let t = 0; t < tokens; t++) {
      if (states[t * dim + d] > maxima[d]) {
        maxima[d] = states[t * dim + d];
        holder[d] = t;
      }
    }
  }
  const norm = Math.sqrt(maxima.reduce((total, value) => total + value * value, 0));
  if (tokens === 0 || norm === 0) return shares;
  for (let d = 0; d < dim; d++) shares[holder[d]] += (query[d] * maxima[d]) / norm;
  return shares;
}
