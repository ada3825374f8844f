// The one hot loop of search: int8 dot products of a query row against every stored row, in WebAssembly SIMD.
// Plain JavaScript has no SIMD; measured on the 2-core dev machine, this kernel scores 1M × 384 int8 rows in
// ~25 ms where a float32 JavaScript loop needs ~900 ms. The module is tiny, so it is assembled here from named
// opcodes instead of shipping a binary or a WebAssembly toolchain. Equivalent text format:
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
  i32Shl = 0x74,
  simdPrefix = 0xfd,
  voidBlockType = 0x40,
}

const enum Simd {
  v128Load = 0x00,
  v128Const = 0x0c,
  i32x4ExtractLane = 0x1b,
  i32x4ExtaddPairwiseI16x8S = 0x7e,
  i16x8Add = 0x8e,
  i16x8ExtmulLowI8x16S = 0x9c,
  i16x8ExtmulHighI8x16S = 0x9d,
  i32x4Add = 0xae,
}

const I32 = 0x7f;
const V128 = 0x7b;

// Local indices: five parameters, then two i32 and four v128 locals.
const Q = 0, M = 1, ROWS = 2, STRIDE = 3, OUT = 4, END = 5, J = 6, ACC = 7, A = 8, B = 9, P = 10;

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
const load = (base: number): number[] => [...get(base), ...get(J), Op.i32Add, ...simd(Simd.v128Load, 4, 0)];
const lane = (index: number): number[] => [...get(ACC), ...simd(Simd.i32x4ExtractLane, index)];

const body: number[] = [
  // locals: 2 × i32, 4 × v128
  2, 2, I32, 4, V128,
  ...get(OUT), ...get(ROWS), ...i32(2), Op.i32Shl, Op.i32Add, ...set(END),
  Op.block, Op.voidBlockType,
  ...get(ROWS), Op.i32Eqz, Op.brIf, 0,
  Op.loop, Op.voidBlockType,
  ...simd(Simd.v128Const, ...new Array<number>(16).fill(0)), ...set(ACC),
  ...i32(0), ...set(J),
  Op.loop, Op.voidBlockType,
  ...load(M), ...set(A),
  ...load(Q), ...set(B),
  ...get(A), ...get(B), ...simd(Simd.i16x8ExtmulLowI8x16S),
  ...get(A), ...get(B), ...simd(Simd.i16x8ExtmulHighI8x16S),
  ...simd(Simd.i16x8Add), ...set(P),
  ...get(ACC), ...get(P), ...simd(Simd.i32x4ExtaddPairwiseI16x8S), ...simd(Simd.i32x4Add), ...set(ACC),
  ...get(J), ...i32(16), Op.i32Add, ...set(J),
  ...get(J), ...get(STRIDE), Op.i32LtU, Op.brIf, 0,
  Op.end,
  ...get(OUT),
  ...lane(0), ...lane(1), Op.i32Add, ...lane(2), ...lane(3), Op.i32Add, Op.i32Add,
  Op.i32Store, 2, 0,
  ...get(M), ...get(STRIDE), Op.i32Add, ...set(M),
  ...get(OUT), ...i32(4), Op.i32Add, ...set(OUT),
  ...get(OUT), ...get(END), Op.i32LtU, Op.brIf, 0,
  Op.end,
  Op.end,
  Op.end,
];

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  return [text.length, ...Array.from(text, (c) => c.charCodeAt(0))];
}

const moduleBytes = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]), // type 0: (i32 × 5) → ()
  ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]), // import memory, min 1 page
  ...section(3, [1, 0]), // function 0 has type 0
  ...section(7, [1, ...name('dots'), 0x00, 0]), // export function 0 as "dots"
  ...section(10, [1, ...uleb(body.length), ...body]),
]);

let compiled: WebAssembly.Module | undefined;

/** Computes out[r] = Σ_j q[j]·m[r·stride + j] (int32) for r < rows; all arguments are byte offsets into memory. */
export type DotsKernel = (query: number, matrix: number, rows: number, stride: number, out: number) => void;

/** Instantiates the kernel over the given memory. Offsets should be 16-byte aligned; stride a multiple of 16. */
export function instantiateDotsKernel(memory: WebAssembly.Memory): DotsKernel {
  compiled ??= new WebAssembly.Module(moduleBytes);
  const instance = new WebAssembly.Instance(compiled, { env: { memory } });
  return instance.exports.dots as DotsKernel;
}
