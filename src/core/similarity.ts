// Vector math for ranking: dot products, L2 normalisation, cosine, and top-k selection with a bounded heap.
// Sums run in float64 so a score does not depend on summation order beyond float32 input rounding; a score
// reported as "float32 cosine" is Math.fround of that float64 sum (see exactDot).

/** Σ a[i]·b[bOffset+i] over a.length elements, accumulated in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>, bOffset = 0): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[bOffset + i];
  return sum;
}

/** The score the index reports for two L2-normalised float32 vectors: their float64 dot rounded to float32. */
export function exactDot(a: ArrayLike<number>, b: ArrayLike<number>, bOffset = 0): number {
  return Math.fround(dot(a, b, bOffset));
}

/** Scales v to unit length in place and returns it; a zero vector stays zero. */
export function l2normalize(v: Float32Array): Float32Array {
  const norm = Math.sqrt(dot(v, v));
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

/** Cosine of the angle between a and b (need not be normalised); 0 when either is a zero vector. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const denominator = Math.sqrt(dot(a, a) * dot(b, b));
  return denominator > 0 ? dot(a, b) / denominator : 0;
}

/** Pairwise cosines of a list of vectors (symmetric, 1 on the diagonal for non-zero vectors). */
export function cosineMatrix(vectors: ArrayLike<number>[]): number[][] {
  return vectors.map((a) => vectors.map((b) => cosine(a, b)));
}

export interface Scored {
  index: number;
  score: number;
}

/**
 * Keeps the k best (index, score) pairs seen so far in a binary min-heap, so selecting from n scores costs
 * O(n log k) and O(k) memory. Ties are broken towards the smaller index so results are deterministic.
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly indices: Int32Array;
  private count = 0;

  constructor(readonly k: number) {
    this.scores = new Float64Array(Math.max(k, 0));
    this.indices = new Int32Array(Math.max(k, 0));
  }

  get size(): number {
    return this.count;
  }

  /** The score a candidate must beat to enter: the worst kept score once full, -Infinity before. */
  get threshold(): number {
    return this.count < this.k ? -Infinity : this.scores[0];
  }

  push(index: number, score: number): void {
    if (this.k === 0) return;
    if (this.count < this.k) {
      let i = this.count++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(score, index, this.scores[parent], this.indices[parent])) break;
        this.scores[i] = this.scores[parent];
        this.indices[i] = this.indices[parent];
        i = parent;
      }
      this.scores[i] = score;
      this.indices[i] = index;
      return;
    }
    if (!this.worse(this.scores[0], this.indices[0], score, index)) return;
    this.siftDown(index, score);
  }

  /** The kept pairs, best first. */
  sorted(): Scored[] {
    const out: Scored[] = [];
    for (let i = 0; i < this.count; i++) out.push({ index: this.indices[i], score: this.scores[i] });
    return out.sort((a, b) => b.score - a.score || a.index - b.index);
  }

  /** True when (s1, i1) ranks below (s2, i2). */
  private worse(s1: number, i1: number, s2: number, i2: number): boolean {
    return s1 < s2 || (s1 === s2 && i1 > i2);
  }

  private siftDown(index: number, score: number): void {
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.count) break;
      const right = left + 1;
      let child = left;
      if (right < this.count && this.worse(this.scores[right], this.indices[right], this.scores[left], this.indices[left])) {
        child = right;
      }
      if (!this.worse(this.scores[child], this.indices[child], score, index)) break;
      this.scores[i] = this.scores[child];
      this.indices[i] = this.indices[child];
      i = child;
    }
    this.scores[i] = score;
    this.indices[i] = index;
  }
}

/** The k largest entries of scores that are ≥ minScore, best first. NaN entries are never selected. */
export function topKIndices(scores: ArrayLike<number>, k: number, minScore = -Infinity): Scored[] {
  const heap = new TopK(k);
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i];
    if (score >= minScore && score >= heap.threshold) heap.push(i, score);
  }
  return heap.sorted();
}

/**
 * The plain exact scan: scores every row of a row-major matrix (rows × dim) against query and keeps the k best
 * with score ≥ minScore. Cost is rows × dim multiply-adds; the index uses a quantised pre-scan instead.
 */
export function topKByDot(matrix: Float32Array, dim: number, query: Float32Array, k: number, minScore = -Infinity): Scored[] {
  const heap = new TopK(k);
  const rows = Math.floor(matrix.length / dim);
  for (let row = 0, offset = 0; row < rows; row++, offset += dim) {
    const score = exactDot(query, matrix, offset);
    if (score >= minScore && score >= heap.threshold) heap.push(row, score);
  }
  return heap.sorted();
}
