// A fixed set of int8 rows compared with each other, four query rows at a time, for near-duplicate detection.
//
// Each row is a copy of a QuantizedMatrix row (int8 levels and the factors s = scale, n ≥ ‖v‖, e ≥ ‖v − v̂‖).
// With a stored row as the query, ‖q̂‖ is not stored, but ‖q̂‖ ≤ ‖q‖ + ‖e_q‖, so for every pair
//   q·v ≤ s_q·s_v·(int dot) + (n_q + e_q)·e_v + e_q·n_v
// (the bound of quantizedMatrix.ts). The candidates4 kernel computes the int dots of four queries with each row
// and evaluates this bound in float32 lanes; FLOAT32_SLACK covers its rounding, so a pair whose exact score reaches
// the threshold is never left out. The caller rescores candidates with the exact float32 vectors.
//
// WebAssembly memory, fixed at construction and shared (a SharedArrayBuffer), so threads compare the same rows with no
// copy: [one scratch area per thread: 4 query rows | constants | output] [factors × rows] [rows × stride].
import { instantiateKernels, type CandidatesKernel } from './int8Kernel';

const QUERIES = 4;
/** Rows per kernel call: the output holds one 8-byte entry per row at most. */
const TILE_ROWS = 4096;
/**
 * The bound is evaluated in float32: four roundings of terms ≤ ~1.2 stay below 1e-6; the factors' own float32
 * rounding is upwards (quantizedMatrix.ts). 1e-5 leaves a wide margin and costs a few extra candidates.
 */
const FLOAT32_SLACK = 1e-5;
const PAGE_BYTES = 65536;

/** What another thread needs to compare the same rows (see PairMatrix.attach); structured-clonable, no copy. */
export interface SharedPairMatrix {
  memory: WebAssembly.Memory;
  dim: number;
  rows: number;
  scratchAreas: number;
}

export class PairMatrix {
  readonly stride: number;
  /** What another thread passes to attach to compare these rows. */
  readonly shared: SharedPairMatrix;
  private readonly candidates4: CandidatesKernel;
  private readonly queryBase: number;
  private readonly constantsBase: number;
  private readonly outputBase: number;
  private readonly factorsBase: number;
  private readonly rowsBase: number;

  /** The matrix another thread created, comparing in scratch area `scratchArea` (each thread its own). */
  static attach({ memory, dim, rows, scratchAreas }: SharedPairMatrix, scratchArea: number): PairMatrix {
    return new PairMatrix(dim, rows, scratchAreas, { memory, scratchArea });
  }

  /** A matrix of `rows` rows that up to `scratchAreas` threads compare at once (one scratch area each). */
  constructor(
    readonly dim: number,
    readonly rows: number,
    scratchAreas = 1,
    existing?: { memory: WebAssembly.Memory; scratchArea: number },
  ) {
    const scratchArea = existing?.scratchArea ?? 0;
    if (!(scratchArea >= 0 && scratchArea < scratchAreas)) throw new Error(`no scratch area ${scratchArea} of ${scratchAreas}`);
    this.stride = Math.ceil(dim / 16) * 16;
    const scratchBytes = QUERIES * this.stride + 64 + TILE_ROWS * 8;
    this.queryBase = scratchArea * scratchBytes;
    this.constantsBase = this.queryBase + QUERIES * this.stride;
    this.outputBase = this.constantsBase + 64;
    this.factorsBase = scratchAreas * scratchBytes;
    this.rowsBase = this.factorsBase + rows * 16;
    const bytes = this.rowsBase + rows * this.stride;
    if (bytes > 65536 * PAGE_BYTES) throw new Error(`too many rows to compare: ${rows} of dimension ${dim} exceed 4 GiB`);
    const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
    const memory = existing?.memory ?? new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.shared = { memory, dim, rows, scratchAreas };
    this.candidates4 = instantiateKernels(memory).candidates4;
  }

  /** Sets row from a stored row's int8 bytes (stride long) and factors. */
  setRow(row: number, bytes: Uint8Array, scale: number, norm: number, residual: number): void {
    new Uint8Array(this.shared.memory.buffer, this.rowsBase + row * this.stride, this.stride).set(bytes);
    new Float32Array(this.shared.memory.buffer, this.factorsBase + row * 16, 3).set([scale, residual, norm]);
  }

  /**
   * The candidates of a tile of up to four rows (ascending) among the rows after its first, as (k, row) pairs in row
   * order, flat: what a thread comparing for nearDuplicates.ts hands back.
   */
  tileCandidates(tile: readonly number[], threshold: number): Int32Array<ArrayBuffer> {
    const found: number[] = [];
    this.candidates(tile, tile[0] + 1, this.rows, threshold, (k, row) => found.push(k, row));
    return Int32Array.from(found);
  }

  /**
   * Compares up to four rows (`queries`) with every row r in [from, to) and calls found(k, r), in row order, for
   * each pair whose upper bound reaches threshold: no pair whose exact score reaches it is left out.
   */
  candidates(queries: readonly number[], from: number, to: number, threshold: number, found: (k: number, row: number) => void): void {
    if (queries.length === 0 || queries.length > QUERIES) throw new Error(`candidates takes 1 to ${QUERIES} queries`);
    const { buffer } = this.shared.memory;
    const queryArea = new Uint8Array(buffer, this.queryBase, QUERIES * this.stride);
    queryArea.fill(0);
    // Lanes: A = s_q, B = n_q + e_q, C = e_q (see the header: factors are stored as [s, e, n]), T = the threshold.
    const constants = new Float32Array(buffer, this.constantsBase, 16);
    constants.fill(0);
    constants.fill(Infinity, 12, 16); // unused query lanes never pass
    queries.forEach((query, k) => {
      queryArea.set(new Uint8Array(buffer, this.rowsBase + query * this.stride, this.stride), k * this.stride);
      const [scale, residual, norm] = new Float32Array(buffer, this.factorsBase + query * 16, 3);
      constants[k] = scale;
      constants[4 + k] = norm + residual;
      constants[8 + k] = residual;
      constants[12 + k] = threshold - FLOAT32_SLACK;
    });
    for (let first = from; first < to; first += TILE_ROWS) {
      const rows = Math.min(TILE_ROWS, to - first);
      const entries = this.candidates4(this.queryBase, this.rowsBase + first * this.stride, rows, this.stride, this.outputBase, this.factorsBase + first * 16, this.constantsBase);
      const output = new Int32Array(buffer, this.outputBase, entries * 2);
      for (let i = 0; i < entries; i++) {
        const mask = output[2 * i + 1];
        for (let k = 0; k < queries.length; k++) if (mask & (1 << k)) found(k, first + output[2 * i]);
      }
    }
  }
}

