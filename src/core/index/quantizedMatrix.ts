// Int8 copies of the stored vectors, for a fast first pass that bounds every exact score from above.
//
// Each row v is quantised symmetrically: s = fround(max|v|/127), v̂ = s·round(v/s), residual e = v − v̂. The
// query q gets the same treatment. Then, exactly in real arithmetic,
//   q·v = q̂·v̂ + q̂·e_v + e_q·v, so |q·v − q̂·v̂| ≤ ‖q̂‖·‖e_v‖ + ‖e_q‖·‖v‖
// by Cauchy–Schwarz. q̂·v̂ = s_q·s_v·(int dot) is computed exactly by the WebAssembly kernel, ‖e_v‖ and ‖v‖ are
// stored per row (rounded up), so `upperBounds` gives a guaranteed upper bound on every exact score. The index
// rescoring loop relies on that guarantee to return the exact top k while reading only a few float rows.
//
// Rows live in WebAssembly memory laid out as [query | rows × stride | int32 scores × capacity]; growing the
// memory never moves the rows, and the score area is scratch that may move.
import { instantiateKernels, type Kernels } from './int8Kernel';

/** Covers float64 rounding in the bound and the float32 rounding of reported scores (≤ 6e-8 for |score| ≤ 1). */
const BOUND_SLACK = 1e-6;
/** Stored norms are rounded up by this factor so float32 storage never makes a bound smaller. */
const ROUND_UP = 1 + 1e-6;
const PAGE_BYTES = 65536;
const MAX_PAGES = 65536; // the 4 GiB limit of 32-bit WebAssembly memory

export class QuantizedMatrix {
  /** Bytes per stored row: dim rounded up to the kernel's 16-byte chunks, padded with zeros. */
  readonly stride: number;
  private readonly rowsBase: number;
  private readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly kernels: Kernels;
  private capacity = 0;
  private scales: Float32Array = new Float32Array(0);
  private norms: Float32Array = new Float32Array(0);
  private residuals: Float32Array = new Float32Array(0);

  constructor(readonly dim: number) {
    this.stride = Math.ceil(dim / 16) * 16;
    this.rowsBase = Math.ceil(this.stride / 64) * 64;
    this.kernels = instantiateKernels(this.memory);
  }

  get rowCapacity(): number {
    return this.capacity;
  }

  /** Makes room for rows [0, rows). Existing rows stay where they are. */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const capacity = Math.max(rows, Math.ceil(this.capacity * 1.25), 1024);
    const bytes = this.rowsBase + capacity * (this.stride + 4);
    const pages = Math.ceil(bytes / PAGE_BYTES);
    if (pages > MAX_PAGES) throw new Error(`index too large: ${rows} vectors of dimension ${this.dim} exceed 4 GiB`);
    const current = this.memory.buffer.byteLength / PAGE_BYTES;
    if (pages > current) this.memory.grow(pages - current);
    this.scales = grow(this.scales, capacity);
    this.norms = grow(this.norms, capacity);
    this.residuals = grow(this.residuals, capacity);
    this.capacity = capacity;
  }

  /** Quantises source[offset, offset + dim) into row (which must be < rowCapacity). */
  setRow(row: number, source: Float32Array, offset: number): void {
    const target = new Int8Array(this.memory.buffer, this.rowsBase + row * this.stride, this.stride);
    const { scale, norm, residual } = quantize(source, offset, this.dim, target);
    this.scales[row] = scale;
    this.norms[row] = Math.fround(norm * ROUND_UP);
    this.residuals[row] = Math.fround(residual * ROUND_UP);
  }

  /** The stored form of count consecutive rows, for persisting: a view, valid until the next reserve. */
  rowBytes(first: number, count = 1): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.rowsBase + first * this.stride, count * this.stride);
  }

  /** The per-row factors of the given rows, as three columns (scale, norm, residual) for persisting. */
  factorColumns(rows: ArrayLike<number>): [Float32Array, Float32Array, Float32Array] {
    const columns: [Float32Array, Float32Array, Float32Array] = [new Float32Array(rows.length), new Float32Array(rows.length), new Float32Array(rows.length)];
    for (let i = 0; i < rows.length; i++) {
      columns[0][i] = this.scales[rows[i]];
      columns[1][i] = this.norms[rows[i]];
      columns[2][i] = this.residuals[rows[i]];
    }
    return columns;
  }

  /** The per-row factors of one row: scale, norm (rounded up) and residual norm (rounded up). */
  rowFactors(row: number): [scale: number, norm: number, residual: number] {
    return [this.scales[row], this.norms[row], this.residuals[row]];
  }

  /** Restores consecutive rows from what rowBytes and factorColumns gave (one entry per row in each column). */
  restoreRows(first: number, bytes: Uint8Array, scales: Float32Array, norms: Float32Array, residuals: Float32Array): void {
    new Uint8Array(this.memory.buffer, this.rowsBase + first * this.stride, bytes.length).set(bytes);
    this.scales.set(scales, first);
    this.norms.set(norms, first);
    this.residuals.set(residuals, first);
  }

  /**
   * For every row r < rows with live[r] ≠ 0, out[r] ≥ the exact dot of query with that row; other rows get
   * -Infinity. One int8 SIMD pass over the rows plus a light float loop.
   */
  upperBounds(query: Float32Array, rows: number, live: Uint8Array, out: Float64Array): void {
    if (query.length !== this.dim) throw new Error(`query has dimension ${query.length}, the index ${this.dim}`);
    const quantizedQuery = new Int8Array(this.memory.buffer, 0, this.stride);
    const q = quantize(query, 0, this.dim, quantizedQuery);
    const scoresBase = this.rowsBase + this.capacity * this.stride;
    this.kernels.dots(0, this.rowsBase, rows, this.stride, scoresBase);
    const intDots = new Int32Array(this.memory.buffer, scoresBase, rows);
    const { scales, norms, residuals } = this;
    const queryNorm = q.quantizedNorm;
    const queryResidual = q.residual;
    for (let r = 0; r < rows; r++) {
      out[r] = live[r] === 0
        ? -Infinity
        : intDots[r] * q.scale * scales[r] + queryNorm * residuals[r] + queryResidual * norms[r] + BOUND_SLACK;
    }
  }
}

function grow(array: Float32Array, capacity: number): Float32Array<ArrayBuffer> {
  const grown = new Float32Array(capacity);
  grown.set(array);
  return grown;
}

/** Writes round(v/s) into target (zero-padded) and returns s, ‖v‖, ‖v − s·q‖ and ‖s·q‖, all in float64. */
function quantize(source: Float32Array, offset: number, dim: number, target: Int8Array) {
  let maxAbs = 0;
  for (let i = 0; i < dim; i++) maxAbs = Math.max(maxAbs, Math.abs(source[offset + i]));
  if (!Number.isFinite(maxAbs)) throw new Error('vector contains a non-finite value');
  // The float32 scale is what gets stored, so the residual is measured against that exact value.
  const scale = Math.fround(maxAbs / 127);
  // Any integer level keeps the bound valid (the residual is measured for the level chosen), so the cheaper
  // multiplication by the inverse is fine even where it rounds differently from a division.
  const inverse = scale > 0 ? 1 / scale : 0;
  let norm = 0, residual = 0, quantizedNorm = 0;
  target.fill(0);
  for (let i = 0; i < dim; i++) {
    const value = source[offset + i];
    const level = Math.max(-127, Math.min(127, Math.round(value * inverse)));
    target[i] = level;
    const approx = level * scale;
    norm += value * value;
    residual += (value - approx) * (value - approx);
    quantizedNorm += approx * approx;
  }
  return { scale, norm: Math.sqrt(norm), residual: Math.sqrt(residual), quantizedNorm: Math.sqrt(quantizedNorm) };
}
