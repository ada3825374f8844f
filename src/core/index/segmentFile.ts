// Vector segments: immutable files holding the exact float32 rows (read back during search to rescore the few
// candidates) and their int8 form (copied into memory when the index is opened).
//
// Layout (little-endian): 64-byte header | f32 rows × dim | f32 scale[rows] | f32 norm[rows] | f32 residual[rows]
// | int8 rows × stride. Header: "SSVECTOR" | u32 version | u32 dim | u32 stride | u32 rows | 8-byte id
// | u32 CRC-32 of the body | u32 CRC-32 of header bytes 0..35 | zeros.
import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import type { SegmentRef } from './manifest';
import type { QuantizedMatrix } from './quantizedMatrix';
import { IndexFormatError, writeFileAtomically, type IndexFileSystem } from './storage';

const MAGIC = Buffer.from('SSVECTOR', 'latin1');
const SEGMENT_VERSION = 1;
const HEADER_BYTES = 64;
const FACTORS = 3; // scale, norm, residual
/** Bytes moved per read or write when streaming a segment; large enough for full disk speed, small for memory. */
const CHUNK_BYTES = 8 << 20;

export interface RowChunk {
  /** slots.length × dim floats. */
  rows: Float32Array;
  /** The vector slot each row belongs to (its int8 form and factors are taken from the matrix). */
  slots: ArrayLike<number>;
}

interface Layout {
  factors: number;
  quantized: number;
  end: number;
}

function layoutOf(rows: number, dim: number, stride: number): Layout {
  const factors = HEADER_BYTES + rows * dim * 4;
  const quantized = factors + rows * FACTORS * 4;
  return { factors, quantized, end: quantized + rows * stride };
}

/**
 * Writes a new segment atomically from chunks of exact rows, in order, and returns the slot of every row.
 * Throws IndexWriteError (nothing left behind) on any failure.
 */
export async function writeSegment(
  fileSystem: IndexFileSystem,
  folder: string,
  ref: SegmentRef,
  matrix: QuantizedMatrix,
  chunks: AsyncIterable<RowChunk>,
): Promise<Int32Array> {
  const { dim, stride } = matrix;
  const slots = new Int32Array(ref.rows);
  await writeFileAtomically(fileSystem, path.join(folder, ref.name), async (file) => {
    let position = HEADER_BYTES;
    let checksum = 0;
    const append = async (bytes: Uint8Array): Promise<void> => {
      await file.write(bytes, position);
      position += bytes.length;
      checksum = crc32(bytes, checksum);
    };
    let row = 0;
    for await (const chunk of chunks) {
      if (row + chunk.slots.length > ref.rows) throw new Error('more rows than planned');
      for (let i = 0; i < chunk.slots.length; i++) slots[row + i] = chunk.slots[i];
      row += chunk.slots.length;
      await append(new Uint8Array(chunk.rows.buffer, chunk.rows.byteOffset, chunk.slots.length * dim * 4));
    }
    if (row !== ref.rows) throw new Error(`planned ${ref.rows} rows, got ${row}`);
    for (const column of matrix.factorColumns(slots)) await append(new Uint8Array(column.buffer));
    const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / stride));
    for (let first = 0; first < ref.rows; first += rowsPerChunk) {
      const count = Math.min(rowsPerChunk, ref.rows - first);
      const bytes = new Uint8Array(count * stride);
      for (let i = 0; i < count; ) {
        const run = runLength(slots, first + i, count - i);
        bytes.set(matrix.rowBytes(slots[first + i], run), i * stride);
        i += run;
      }
      await append(bytes);
    }
    await file.write(encodeHeader(ref, dim, stride, checksum >>> 0), 0);
  });
  return slots;
}

function encodeHeader(ref: SegmentRef, dim: number, stride: number, bodyChecksum: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(SEGMENT_VERSION, 8);
  header.writeUInt32LE(dim, 12);
  header.writeUInt32LE(stride, 16);
  header.writeUInt32LE(ref.rows, 20);
  Buffer.from(ref.id, 'hex').copy(header, 24, 0, 8);
  header.writeUInt32LE(bodyChecksum, 32);
  header.writeUInt32LE(crc32(header.subarray(0, 36)) >>> 0, 36);
  return header;
}

/** An open, verified segment. Keeps its file open so search can read exact rows. */
export class Segment {
  /** Rows still referenced by a live vector; a mostly dead segment gets rewritten on save. */
  liveRows = 0;

  private constructor(readonly ref: SegmentRef, private readonly handle: FileHandle, private readonly dim: number) {}

  /**
   * Opens and verifies a segment (header, size, full checksum) and restores the int8 form of every row whose
   * slotOfRow entry is ≥ 0 into matrix. Throws IndexFormatError when the file is missing, short or damaged.
   */
  static async open(folder: string, ref: SegmentRef, matrix: QuantizedMatrix, slotOfRow: Int32Array): Promise<Segment> {
    const filePath = path.join(folder, ref.name);
    let handle: FileHandle;
    try {
      handle = await open(filePath, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new IndexFormatError('missing-segment', `segment ${ref.name} is missing`);
      throw error;
    }
    const segment = new Segment(ref, handle, matrix.dim);
    try {
      await segment.verifyAndRestore(matrix, slotOfRow);
      return segment;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Opens a segment this process has just written (and so need not verify) for reading rows. */
  static async attach(filePath: string, ref: SegmentRef, dim: number): Promise<Segment> {
    return new Segment(ref, await open(filePath, 'r'), dim);
  }

  private async verifyAndRestore(matrix: QuantizedMatrix, slotOfRow: Int32Array): Promise<void> {
    const { dim, stride } = matrix;
    const { ref, handle } = this;
    const size = (await handle.stat()).size;
    const layout = layoutOf(ref.rows, dim, stride);
    const corrupt = (what: string): never => {
      throw new IndexFormatError('corrupt', `segment ${ref.name}: ${what}`);
    };
    if (size < HEADER_BYTES) throw new IndexFormatError('truncated', `segment ${ref.name} is ${size} bytes`);
    const header = Buffer.alloc(HEADER_BYTES);
    await readFully(handle, header, 0);
    if (!header.subarray(0, 8).equals(MAGIC)) corrupt('bad magic');
    if (header.readUInt32LE(36) !== crc32(header.subarray(0, 36)) >>> 0) corrupt('header checksum mismatch');
    if (header.readUInt32LE(8) !== SEGMENT_VERSION) throw new IndexFormatError('version', `segment ${ref.name} has format ${header.readUInt32LE(8)}`);
    if (header.readUInt32LE(12) !== dim || header.readUInt32LE(16) !== stride) corrupt('dimension differs from the index');
    if (header.readUInt32LE(20) !== ref.rows || header.toString('hex', 24, 32) !== ref.id) corrupt('does not match the manifest');
    if (size < layout.end) throw new IndexFormatError('truncated', `segment ${ref.name} is ${size} bytes, expected ${layout.end}`);
    if (size > layout.end) corrupt(`is ${size} bytes, expected ${layout.end}`);

    let checksum = 0;
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(layout.factors - HEADER_BYTES, 1)));
    for (let at = HEADER_BYTES; at < layout.factors; ) {
      const n = Math.min(chunk.length, layout.factors - at);
      await readFully(handle, chunk.subarray(0, n), at);
      checksum = crc32(chunk.subarray(0, n), checksum);
      at += n;
    }
    const factors = new Float32Array(ref.rows * FACTORS);
    const factorBytes = new Uint8Array(factors.buffer);
    await readFully(handle, factorBytes, layout.factors);
    checksum = crc32(factorBytes, checksum);
    const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / stride));
    const rowBuffer = Buffer.allocUnsafe(Math.min(rowsPerChunk, Math.max(ref.rows, 1)) * stride);
    for (let first = 0; first < ref.rows; first += rowsPerChunk) {
      const count = Math.min(rowsPerChunk, ref.rows - first);
      const bytes = rowBuffer.subarray(0, count * stride);
      await readFully(handle, bytes, layout.quantized + first * stride);
      checksum = crc32(bytes, checksum);
      for (let i = 0; i < count; ) {
        const row = first + i;
        if (slotOfRow[row] < 0) {
          i++;
          continue;
        }
        const run = runLength(slotOfRow, row, count - i);
        const column = (factor: number): Float32Array => factors.subarray(factor * ref.rows + row, factor * ref.rows + row + run);
        matrix.restoreRows(slotOfRow[row], bytes.subarray(i * stride, (i + run) * stride), column(0), column(1), column(2));
        this.liveRows += run;
        i += run;
      }
    }
    if (checksum >>> 0 !== header.readUInt32LE(32)) corrupt('checksum mismatch');
  }

  /** Reads one exact row synchronously (a single positioned read; the file is normally in the page cache). */
  readRow(row: number, out: Float32Array): void {
    const bytes = this.dim * 4;
    const view = new Uint8Array(out.buffer, out.byteOffset, bytes);
    const read = fs.readSync(this.handle.fd, view, 0, bytes, HEADER_BYTES + row * bytes);
    if (read !== bytes) throw new Error(`segment ${this.ref.name}: short read of row ${row}`);
  }

  /** Reads count consecutive exact rows starting at firstRow into out. */
  async readRows(firstRow: number, count: number, out: Float32Array): Promise<void> {
    const bytes = this.dim * 4;
    await readFully(this.handle, new Uint8Array(out.buffer, out.byteOffset, count * bytes), HEADER_BYTES + firstRow * bytes);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** How many entries from start on (at most max) continue start's value by +1 each: rows that can move as one. */
function runLength(values: ArrayLike<number>, start: number, max: number): number {
  let run = 1;
  while (run < max && values[start + run] === values[start] + run) run++;
  return run;
}

async function readFully(handle: FileHandle, target: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < target.length; ) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) throw new IndexFormatError('truncated', 'unexpected end of file');
    done += bytesRead;
  }
}
