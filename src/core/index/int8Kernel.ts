// The hot loops of search and near-duplicate detection: int8 dot products in WebAssembly SIMD. Plain JavaScript has
// no SIMD; measured on the 2-core dev machine, `dots` scores 1M × 384 int8 rows in ~25 ms where a float32
// JavaScript loop needs ~900 ms. The module is tiny, so it is assembled here from named opcodes instead of shipping
// a binary or a WebAssembly toolchain. Equivalent text format:
//
//   (func (export "dots") (param $q i32) (param $m i32) (param $rows i32) (param $stride i32) (param $out i32)
//     $end = $out + ($rows << 2)
//     if $rows != 0: loop over rows
//       $acc = i32x4(0); $j = 0
//       loop over 16-byte chunks: $a = load($m + $j); $b = load($q + $j)
//         $acc += i32x4.extadd_pairwise_i16x8_s(i16x8.extmul_low_i8x16_s($a,$b) + i16x8.extmul_high_i8x16_s($a,$b))
//         $j += 16; continue while $j < $stride
//       store32($out, lane0 + lane1 + lane2 + lane3); $m += $stride; $out += 4; continue while $out < $end
//
//   (func (export "candidates4") (param $q $m $rows $stride $out $factors $constants i32) (result i32)
//     the same loop for four queries at once ($q holds four query rows, $stride bytes apart): each 16-byte chunk
//     of a row is loaded once and multiplied with the chunk of every query into four accumulators; per row the
//     four sums are transposed into one i32x4 d = [q0·m, q1·m, q2·m, q3·m] (two rounds of shuffles and adds),
//     then, with the row's factors f = [s, e, n, 0] at $factors and the constants A, B, C, T at $constants,
//       bound = f32(d)·A·s + B·e + C·n   (four f32 lanes);   mask = bitmask(bound ≥ T)
//     and a row with a non-zero mask is appended to $out as (i32 row number, i32 mask). Returns the entries written.
//
// Values must lie in [-127, 127]: then the i16 sum of two int8 products (≤ 2·127² = 32258) cannot overflow.

const enum Op {
  block = 0x02,
  loop = 0x03,
  end = 0x0b,
  brIf = 0x0d,
  localGet = 0x20,
  localSet = 0x21,
  i32Store = 0x36,
  i32Const = 0x41,
  i32Eqz = 0x45,
  i32LtU = 0x49,
  i32Add = 0x6a,
  i32Sub = 0x6b,
  i32Mul = 0x6c,
  i32Shl = 0x74,
  i32ShrU = 0x76,
  ifBlock = 0x04,
  simdPrefix = 0xfd,
  voidBlockType = 0x40,
}

const enum Simd {
  v128Load = 0x00,
  v128Store = 0x0b,
  v128Const = 0x0c,
  i8x16Shuffle = 0x0d,
  i32x4ExtractLane = 0x1b,
  f32x4Ge = 0x46,
  i32x4ExtaddPairwiseI16x8S = 0x7e,
  i16x8Add = 0x8e,
  i16x8ExtmulLowI8x16S = 0x9c,
  i16x8ExtmulHighI8x16S = 0x9d,
  i32x4Bitmask = 0xa4,
  i32x4Add = 0xae,
  f32x4Add = 0xe4,
  f32x4Mul = 0xe6,
  f32x4ConvertI32x4S = 0xfa,
}

const I32 = 0x7f;
const V128 = 0x7b;

// dots — parameters, then 2 i32 and 3 v128 locals: the end of $out, the chunk offset, an accumulator, two chunks.
const Q = 0, M = 1, ROWS = 2, STRIDE = 3, OUT = 4, END = 5, J = 6, ACC = 7, A = 8, B = 9;
// candidates4 — parameters, then 7 i32 locals and 12 v128 locals.
const FACTORS = 5, CONSTANTS = 6;
const C_END = 7, C_J = 8, Q1 = 9, Q2 = 10, Q3 = 11, ROW_NUMBER = 12, FIRST_OUT = 13;
const ACC0 = 14, ROW = 18, X = 19, Y = 20, F = 21, KA = 22, KB = 23, KC = 24, KT = 25;

function uleb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function simd(op: Simd, ...immediates: number[]): number[] {
  return [Op.simdPrefix, ...uleb(op), ...immediates];
}

const get = (local: number): number[] => [Op.localGet, local];
const set = (local: number): number[] => [Op.localSet, local];
const i32 = (value: number): number[] => [Op.i32Const, value]; // small non-negative constants only (< 64)
const add = (a: number, b: number | number[], target: number): number[] => [...get(a), ...(typeof b === 'number' ? get(b) : b), Op.i32Add, ...set(target)];
const load = (base: number, offset = J): number[] => [...get(base), ...get(offset), Op.i32Add, ...simd(Simd.v128Load, 4, 0)];
const zero = (): number[] => simd(Simd.v128Const, ...new Array<number>(16).fill(0));
const lane = (index: number): number[] => [...get(ACC), ...simd(Simd.i32x4ExtractLane, index)];
const loadAt = (base: number, offset: number): number[] => [...get(base), ...simd(Simd.v128Load, 4, ...uleb(offset))];
/** i32x4 lanes picked from two vectors (0–3 the first, 4–7 the second), as the byte shuffle it is. */
const shuffle32 = (lanes: number[]): number[] => simd(Simd.i8x16Shuffle, ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]));
/** acc += extadd_pairwise(extmul_low(a, b) + extmul_high(a, b)), leaving nothing on the stack. */
const multiplyAdd = (acc: number, a: number, b: number): number[] => [
  ...get(acc),
  ...get(a), ...get(b), ...simd(Simd.i16x8ExtmulLowI8x16S),
  ...get(a), ...get(b), ...simd(Simd.i16x8ExtmulHighI8x16S),
  ...simd(Simd.i16x8Add), ...simd(Simd.i32x4ExtaddPairwiseI16x8S), ...simd(Simd.i32x4Add), ...set(acc),
];
/** [a0+a2, b0+b2, a1+a3, b1+b3]: one round of the 4×4 transpose-and-add. */
const pairSums = (a: number, b: number): number[] => [
  ...get(a), ...get(b), ...shuffle32([0, 4, 1, 5]), ...get(a), ...get(b), ...shuffle32([2, 6, 3, 7]), ...simd(Simd.i32x4Add),
];

/** The loop over a row's 16-byte chunks: the offset local from 0 to $stride. */
const chunkLoop = (offset: number, body: number[]): number[] => [
  ...i32(0), ...set(offset),
  Op.loop, Op.voidBlockType,
  ...body,
  ...add(offset, i32(16), offset),
  ...get(offset), ...get(STRIDE), Op.i32LtU, Op.brIf, 0,
  Op.end,
];

const dotsBody: number[] = [
  2, 2, I32, 3, V128, // locals: 2 × i32, 3 × v128
  ...get(OUT), ...get(ROWS), ...i32(2), Op.i32Shl, Op.i32Add, ...set(END),
  Op.block, Op.voidBlockType,
  ...get(ROWS), Op.i32Eqz, Op.brIf, 0,
  Op.loop, Op.voidBlockType,
  ...zero(), ...set(ACC),
  ...chunkLoop(J, [...load(M), ...set(A), ...load(Q), ...set(B), ...multiplyAdd(ACC, A, B)]),
  ...get(OUT),
  ...lane(0), ...lane(1), Op.i32Add, ...lane(2), ...lane(3), Op.i32Add, Op.i32Add,
  Op.i32Store, 2, 0,
  ...add(M, STRIDE, M),
  ...add(OUT, i32(4), OUT),
  ...get(OUT), ...get(END), Op.i32LtU, Op.brIf, 0,
  Op.end,
  Op.end,
  Op.end,
];

const splatLane = (vector: number, index: number): number[] => [...get(vector), ...get(vector), ...shuffle32([index, index, index, index])];
const f32x4 = (op: Simd): number[] => simd(op);

const candidates4Body: number[] = [
  2, 7, I32, 12, V128, // locals: 7 × i32, 12 × v128
  ...get(M), ...get(ROWS), ...get(STRIDE), Op.i32Mul, Op.i32Add, ...set(C_END),
  ...add(Q, STRIDE, Q1), ...add(Q1, STRIDE, Q2), ...add(Q2, STRIDE, Q3),
  ...loadAt(CONSTANTS, 0), ...set(KA), ...loadAt(CONSTANTS, 16), ...set(KB),
  ...loadAt(CONSTANTS, 32), ...set(KC), ...loadAt(CONSTANTS, 48), ...set(KT),
  ...get(OUT), ...set(FIRST_OUT),
  Op.block, Op.voidBlockType,
  ...get(ROWS), Op.i32Eqz, Op.brIf, 0,
  Op.loop, Op.voidBlockType,
  ...[0, 1, 2, 3].flatMap((k) => [...zero(), ...set(ACC0 + k)]),
  ...chunkLoop(C_J, [
    ...load(M, C_J), ...set(ROW),
    ...[Q, Q1, Q2, Q3].flatMap((pointer, k) => [...load(pointer, C_J), ...set(X), ...multiplyAdd(ACC0 + k, ROW, X)]),
  ]),
  ...pairSums(ACC0, ACC0 + 1), ...set(X),
  ...pairSums(ACC0 + 2, ACC0 + 3), ...set(Y),
  ...get(X), ...get(Y), ...shuffle32([0, 1, 4, 5]), ...get(X), ...get(Y), ...shuffle32([2, 3, 6, 7]), ...simd(Simd.i32x4Add),
  ...f32x4(Simd.f32x4ConvertI32x4S),
  ...loadAt(FACTORS, 0), ...set(F),
  ...get(KA), ...f32x4(Simd.f32x4Mul), ...splatLane(F, 0), ...f32x4(Simd.f32x4Mul),
  ...get(KB), ...splatLane(F, 1), ...f32x4(Simd.f32x4Mul), ...f32x4(Simd.f32x4Add),
  ...get(KC), ...splatLane(F, 2), ...f32x4(Simd.f32x4Mul), ...f32x4(Simd.f32x4Add),
  ...get(KT), ...f32x4(Simd.f32x4Ge), ...simd(Simd.i32x4Bitmask), ...set(C_J), // the chunk offset is free here
  ...get(C_J), Op.ifBlock, Op.voidBlockType,
  ...get(OUT), ...get(ROW_NUMBER), Op.i32Store, 2, 0,
  ...get(OUT), ...get(C_J), Op.i32Store, 2, 4,
  ...add(OUT, i32(8), OUT),
  Op.end,
  ...add(ROW_NUMBER, i32(1), ROW_NUMBER),
  ...add(FACTORS, i32(16), FACTORS),
  ...add(M, STRIDE, M),
  ...get(M), ...get(C_END), Op.i32LtU, Op.brIf, 0,
  Op.end,
  Op.end,
  ...get(OUT), ...get(FIRST_OUT), Op.i32Sub, ...i32(3), Op.i32ShrU,
  Op.end,
];

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  return [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
}

const code = (body: number[]): number[] => [...uleb(body.length), ...body];

/** Memory limits of the import: min 1 page; a shared memory must also declare a maximum (here 4 GiB, 65536 pages). */
const memoryLimits = (shared: boolean): number[] => (shared ? [0x03, 0x01, ...uleb(65536)] : [0x00, 0x01]);

const moduleBytes = (shared: boolean): Uint8Array<ArrayBuffer> => new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  // type 0: (i32 × 5) → (); type 1: (i32 × 7) → i32
  ...section(1, [2, 0x60, 5, I32, I32, I32, I32, I32, 0, 0x60, 7, I32, I32, I32, I32, I32, I32, I32, 1, I32]),
  ...section(2, [1, ...name('env'), ...name('memory'), 0x02, ...memoryLimits(shared)]), // import memory
  ...section(3, [2, 0, 1]), // function 0 has type 0, function 1 type 1
  ...section(7, [2, ...name('dots'), 0x00, 0, ...name('candidates4'), 0x00, 1]),
  ...section(10, [2, ...code(dotsBody), ...code(candidates4Body)]),
]);

/** Compiled once per kind of memory: a module importing a shared memory accepts only a shared one, and vice versa. */
const compiled = new Map<boolean, WebAssembly.Module>();

/** Computes out[r] = Σ_j q[j]·m[r·stride + j] (int32) for r < rows; all arguments are byte offsets into memory. */
export type DotsKernel = (query: number, matrix: number, rows: number, stride: number, out: number) => void;

/**
 * For four queries stored `stride` bytes apart from `query` on and each row r < rows of `matrix`, with the row's
 * factors [s, e, n, 0] (f32) at factors + 16r and the constants A, B, C, T (f32x4 each) at `constants`: appends
 * (r, mask) as two int32 to `out` when bit k of mask — bound_k = d_k·A_k·s + B_k·e + C_k·n ≥ T_k, with d_k the
 * exact int8 dot of query k and row r — is set for some k. Returns the number of entries written (≤ rows).
 */
export type CandidatesKernel = (query: number, matrix: number, rows: number, stride: number, out: number, factors: number, constants: number) => number;

export interface Kernels {
  dots: DotsKernel;
  candidates4: CandidatesKernel;
}

/**
 * Instantiates the kernels over the given memory, shared (SharedArrayBuffer, for several threads) or not. Offsets
 * should be 16-byte aligned; stride a multiple of 16.
 */
export function instantiateKernels(memory: WebAssembly.Memory): Kernels {
  const shared = memory.buffer instanceof SharedArrayBuffer;
  let module = compiled.get(shared);
  if (!module) compiled.set(shared, (module = new WebAssembly.Module(moduleBytes(shared))));
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return { dots: instance.exports.dots as DotsKernel, candidates4: instance.exports.candidates4 as CandidatesKernel };
}
