// Relevance feedback: Rocchio's query update, q' = normalize(α·q + β·mean(more) − γ·mean(less)).
import { l2normalize } from './similarity';

/**
 * The classic weights (Rocchio 1971, as in Manning, Raghavan & Schütze, Introduction to Information Retrieval,
 * §9.1.1): the query keeps full weight, examples the user wants more of pull strongly, examples to avoid push a
 * little — negative feedback is the less reliable signal.
 */
export const ROCCHIO_ALPHA = 1;
export const ROCCHIO_BETA = 0.75;
export const ROCCHIO_GAMMA = 0.15;

/** The refined query vector (unit length) from a query vector and the vectors of the examples (all of one dimension). */
export function rocchio(query: Float32Array, more: readonly Float32Array[], less: readonly Float32Array[]): Float32Array {
  const refined = new Float64Array(query.length);
  for (let d = 0; d < query.length; d++) refined[d] = ROCCHIO_ALPHA * query[d];
  addMean(refined, more, ROCCHIO_BETA);
  addMean(refined, less, -ROCCHIO_GAMMA);
  return l2normalize(Float32Array.from(refined));
}

function addMean(target: Float64Array, vectors: readonly Float32Array[], weight: number): void {
  if (vectors.length === 0) return;
  const scale = weight / vectors.length;
  for (const vector of vectors) {
    if (vector.length !== target.length) throw new Error(`a feedback vector has dimension ${vector.length}, the query ${target.length}`);
    for (let d = 0; d < target.length; d++) target[d] += scale * vector[d];
  }
}
