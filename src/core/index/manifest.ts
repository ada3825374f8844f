// The manifest: one binary file per index holding the identity, every file with its metadata and units, the
// distinct unit texts, and for each text the segment row that holds its vector (or none yet).
//
// Layout (integers little-endian, as typed arrays on every platform Node supports):
//   "SSINDEX\n" | u32 version | u32 n | n bytes of header JSON | zero pad to 4
//   u32 textByteLength[T] | i32 textSegment[T] (-1 = no vector) | i32 textRow[T]
//   i32 units[U × 5] (line, endLine, column, endColumn, text index) in file order
//   UTF-8 texts concatenated (B bytes) | zero pad to 4 | u32 CRC-32 of everything before it
// The header JSON carries root, identity, the counts T, U, B, the files [relPath, size, mtimeMs, hash, units]
// and the segment list [{ name, id, rows }]. Loading checks magic, version, sizes, CRC and every reference.
import { crc32 } from 'node:zlib';
import type { IndexIdentity } from './identity';
import { IndexFormatError } from './storage';

const MAGIC = Buffer.from('SSINDEX\n', 'latin1');
export const MANIFEST_VERSION = 1;
export const UNIT_FIELDS = 5;

export interface SegmentRef {
  name: string;
  /** Random id written into the segment header too, so a manifest can only load the segments it was saved with. */
  id: string;
  rows: number;
}

export interface ManifestFile {
  relPath: string;
  size: number;
  mtimeMs: number;
  contentHash: string;
  /** UNIT_FIELDS integers per unit; the last is an index into texts. */
  units: Int32Array;
}

export interface Manifest {
  root: string;
  identity: IndexIdentity;
  files: ManifestFile[];
  texts: string[];
  textSegment: Int32Array;
  textRow: Int32Array;
  segments: SegmentRef[];
}

interface Header {
  root: string;
  identity: IndexIdentity;
  texts: number;
  units: number;
  textBytes: number;
  files: Array<[string, number, number, string, number]>;
  segments: SegmentRef[];
}

const pad4 = (n: number): number => (n + 3) & ~3;

/** Encodes a manifest as a list of chunks to write in order (the last chunk is the checksum). */
export function encodeManifest(manifest: Manifest): Buffer[] {
  const T = manifest.texts.length;
  const textLengths = new Uint32Array(T);
  let textBytes = 0;
  for (let i = 0; i < T; i++) textBytes += textLengths[i] = Buffer.byteLength(manifest.texts[i], 'utf8');
  const unitCount = manifest.files.reduce((sum, file) => sum + file.units.length / UNIT_FIELDS, 0);
  const header: Header = {
    root: manifest.root,
    identity: manifest.identity,
    texts: T,
    units: unitCount,
    textBytes,
    files: manifest.files.map((f) => [f.relPath, f.size, f.mtimeMs, f.contentHash, f.units.length / UNIT_FIELDS]),
    segments: manifest.segments,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(pad4(16 + json.length));
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(MANIFEST_VERSION, 8);
  prefix.writeUInt32LE(json.length, 12);
  json.copy(prefix, 16);
  const units = new Int32Array(unitCount * UNIT_FIELDS);
  let offset = 0;
  for (const file of manifest.files) {
    units.set(file.units, offset);
    offset += file.units.length;
  }
  const blob = Buffer.alloc(pad4(textBytes));
  for (let i = 0, at = 0; i < T; at += textLengths[i], i++) blob.write(manifest.texts[i], at, 'utf8');
  const chunks = [prefix, bytesOf(textLengths), bytesOf(manifest.textSegment), bytesOf(manifest.textRow), bytesOf(units), blob];
  let checksum = 0;
  for (const chunk of chunks) checksum = crc32(chunk, checksum);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32LE(checksum >>> 0, 0);
  chunks.push(trailer);
  return chunks;
}

/** Decodes and fully validates a manifest; throws IndexFormatError with the reason to set it aside. */
export function decodeManifest(data: Buffer): Manifest {
  if (data.length < 16) throw new IndexFormatError('truncated', `manifest is ${data.length} bytes`);
  if (!data.subarray(0, 8).equals(MAGIC)) throw new IndexFormatError('corrupt', 'not an index manifest (bad magic)');
  const version = data.readUInt32LE(8);
  if (version !== MANIFEST_VERSION) throw new IndexFormatError('version', `manifest format ${version}, expected ${MANIFEST_VERSION}`);
  const jsonLength = data.readUInt32LE(12);
  if (16 + jsonLength > data.length) throw new IndexFormatError('truncated', 'manifest header cut short');
  let header: Header;
  try {
    header = JSON.parse(data.toString('utf8', 16, 16 + jsonLength)) as Header;
  } catch (error) {
    throw new IndexFormatError('corrupt', `manifest header is not JSON: ${(error as Error).message}`);
  }
  const { texts: T, units: U, textBytes } = header;
  const counts = [T, U, textBytes];
  if (!counts.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new IndexFormatError('corrupt', 'bad counts in manifest header');
  const sectionsStart = pad4(16 + jsonLength);
  const expected = sectionsStart + 12 * T + 4 * UNIT_FIELDS * U + pad4(textBytes) + 4;
  if (data.length < expected) throw new IndexFormatError('truncated', `manifest is ${data.length} bytes, expected ${expected}`);
  if (data.length > expected) throw new IndexFormatError('corrupt', `manifest is ${data.length} bytes, expected ${expected}`);
  const stored = data.readUInt32LE(expected - 4);
  const actual = crc32(data.subarray(0, expected - 4)) >>> 0;
  if (stored !== actual) throw new IndexFormatError('corrupt', 'manifest checksum mismatch');

  let at = sectionsStart;
  const take = <T extends Uint32Array | Int32Array>(make: (n: number) => T, n: number): T => {
    const array = make(n);
    new Uint8Array(array.buffer).set(data.subarray(at, at + 4 * n));
    at += 4 * n;
    return array;
  };
  const textLengths = take((n) => new Uint32Array(n), T);
  const textSegment = take((n) => new Int32Array(n), T);
  const textRow = take((n) => new Int32Array(n), T);
  const units = take((n) => new Int32Array(n), U * UNIT_FIELDS);
  const texts = new Array<string>(T);
  for (let i = 0; i < T; i++) {
    texts[i] = data.toString('utf8', at, at + textLengths[i]);
    at += textLengths[i];
  }
  if (at - sectionsStart - 12 * T - 4 * UNIT_FIELDS * U !== textBytes) throw new IndexFormatError('corrupt', 'text lengths do not add up');

  validateReferences(header, textSegment, textRow, units);
  const files: ManifestFile[] = [];
  let unitOffset = 0;
  for (const [relPath, size, mtimeMs, contentHash, count] of header.files) {
    files.push({ relPath, size, mtimeMs, contentHash, units: units.subarray(unitOffset, unitOffset + count * UNIT_FIELDS) });
    unitOffset += count * UNIT_FIELDS;
  }
  return { root: header.root, identity: header.identity, files, texts, textSegment, textRow, segments: header.segments };
}

/** A manifest whose checksum matches can still be wrong if a writer had a bug; refuse rather than index garbage. */
function validateReferences(header: Header, textSegment: Int32Array, textRow: Int32Array, units: Int32Array): void {
  const fail = (what: string): never => {
    throw new IndexFormatError('corrupt', `manifest ${what}`);
  };
  if (typeof header.identity !== 'object' || header.identity === null || typeof header.root !== 'string') fail('has no identity');
  if (!Array.isArray(header.files) || !Array.isArray(header.segments)) fail('lists are missing');
  let unitTotal = 0;
  for (const file of header.files) {
    if (!Array.isArray(file) || typeof file[0] !== 'string' || !Number.isSafeInteger(file[4]) || file[4] < 0) fail('file entry is malformed');
    unitTotal += file[4];
  }
  if (unitTotal !== header.units) fail('unit counts do not add up');
  for (const segment of header.segments) {
    if (typeof segment?.name !== 'string' || /[/\\]/.test(segment.name) || !Number.isSafeInteger(segment.rows)) fail('segment entry is malformed');
  }
  for (let t = 0; t < textSegment.length; t++) {
    const segment = textSegment[t];
    if (segment === -1) continue;
    if (segment < 0 || segment >= header.segments.length || textRow[t] < 0 || textRow[t] >= header.segments[segment].rows) {
      fail('refers to a vector outside its segments');
    }
  }
  for (let i = UNIT_FIELDS - 1; i < units.length; i += UNIT_FIELDS) {
    if (units[i] < 0 || units[i] >= textSegment.length) fail('unit refers to a missing text');
  }
}

function bytesOf(array: Uint32Array | Int32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}
