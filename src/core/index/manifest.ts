// The manifest: the full state of an index at one save — identity, every file with its metadata and units, the
// distinct unit texts by slot, and for each text the segment row that holds its vector (or none yet). Later
// saves append their changes to the journal the manifest names (journal.ts) until it is worth rewriting.
//
// Layout (integers little-endian, as typed arrays on every platform Node supports):
//   "SSINDEX\n" | u32 version | u32 n | n bytes of header JSON | zero pad to 4
//   u32 textByteLength[T] (FREE_SLOT = unused slot) | i32 textSegment[T] (-1 = no vector) | i32 textRow[T]
//   i32 units[U × 5] (line, endLine, column, endColumn, text slot) in file order
//   UTF-8 texts concatenated (B bytes) | zero pad to 4 | u32 CRC-32 of everything before it
// The header JSON carries root, identity, the counts T, U, B, the files [relPath, size, mtimeMs, hash, units],
// the segment list [{ name, id, rows }] and the journal name. Loading checks magic, version, sizes, CRC and
// every reference.
import { crc32 } from 'node:zlib';
import type { UnitMode } from '../units';
import type { IndexIdentity } from './identity';
import { IndexFormatError } from './storage';

const MAGIC = Buffer.from('SSINDEX\n', 'latin1');
const MANIFEST_VERSION = 1;
export const UNIT_FIELDS = 5;
const FREE_SLOT = 0xffffffff;

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
  /** How the file was split into units; absent in indexes written before it was recorded. */
  unitMode?: UnitMode;
  /** UNIT_FIELDS integers per unit; the last is a text slot. */
  units: Int32Array;
}

/** Texts by slot (undefined = free slot), with the location of each one's vector (segment -1 = none). */
export interface TextColumns {
  texts: Array<string | undefined>;
  textSegment: Int32Array;
  textRow: Int32Array;
}

export interface Manifest extends TextColumns {
  root: string;
  identity: IndexIdentity;
  files: ManifestFile[];
  segments: SegmentRef[];
  /** Name of the journal file whose records continue this manifest (it may not exist yet). */
  journal: string;
}

interface Header {
  root: string;
  identity: IndexIdentity;
  texts: number;
  units: number;
  textBytes: number;
  files: FileTuple[];
  segments: SegmentRef[];
  journal: string;
}

/** [relPath, size, mtimeMs, contentHash, unit count, unit mode?]: older readers ignore the optional last entry. */
export type FileTuple = [string, number, number, string, number, UnitMode?];

const pad4 = (n: number): number => (n + 3) & ~3;

/** Encodes a manifest as a list of chunks to write in order (the last chunk is the checksum). */
export function encodeManifest(manifest: Manifest): Buffer[] {
  const T = manifest.texts.length;
  const { lengths: textLengths, blob } = encodeTexts(manifest.texts);
  const unitCount = manifest.files.reduce((sum, file) => sum + file.units.length / UNIT_FIELDS, 0);
  const header: Header = {
    root: manifest.root,
    identity: manifest.identity,
    texts: T,
    units: unitCount,
    textBytes: blob.length,
    files: manifest.files.map(fileTuple),
    segments: manifest.segments,
    journal: manifest.journal,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(pad4(16 + json.length));
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(MANIFEST_VERSION, 8);
  prefix.writeUInt32LE(json.length, 12);
  json.copy(prefix, 16);
  const chunks = [prefix, bytesOf(textLengths), bytesOf(manifest.textSegment), bytesOf(manifest.textRow), bytesOf(concatUnits(manifest.files)), blob];
  if (blob.length % 4 !== 0) chunks.push(Buffer.alloc(4 - (blob.length % 4)));
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
  const texts = decodeTexts(data, at, textLengths, textBytes);
  validateHeader(header);
  const files = splitUnits(header.files, units);
  validateState({ texts, textSegment, textRow }, header.segments, files);
  return { root: header.root, identity: header.identity, files, texts, textSegment, textRow, segments: header.segments, journal: header.journal };
}

export function fileTuple(file: ManifestFile): FileTuple {
  const tuple: FileTuple = [file.relPath, file.size, file.mtimeMs, file.contentHash, file.units.length / UNIT_FIELDS];
  if (file.unitMode) tuple.push(file.unitMode);
  return tuple;
}

/** UTF-8 bytes of all texts back to back, and each one's byte length (FREE_SLOT for a free slot). */
export function encodeTexts(texts: ArrayLike<string | undefined>): { lengths: Uint32Array; blob: Buffer } {
  const lengths = new Uint32Array(texts.length);
  let total = 0;
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i];
    lengths[i] = text === undefined ? FREE_SLOT : Buffer.byteLength(text, 'utf8');
    if (text !== undefined) total += lengths[i];
  }
  const blob = Buffer.allocUnsafe(total);
  for (let i = 0, at = 0; i < texts.length; i++) if (lengths[i] !== FREE_SLOT) at += blob.write(texts[i]!, at, 'utf8');
  return { lengths, blob };
}

export function decodeTexts(data: Buffer, at: number, lengths: Uint32Array, expectedBytes: number): Array<string | undefined> {
  const texts = new Array<string | undefined>(lengths.length);
  const start = at;
  for (let i = 0; i < lengths.length; i++) {
    if (lengths[i] === FREE_SLOT) continue;
    if (at + lengths[i] > start + expectedBytes) throw new IndexFormatError('corrupt', 'text lengths do not add up');
    texts[i] = data.toString('utf8', at, at + lengths[i]);
    at += lengths[i];
  }
  if (at - start !== expectedBytes) throw new IndexFormatError('corrupt', 'text lengths do not add up');
  return texts;
}

export function concatUnits(files: ManifestFile[]): Int32Array {
  const units = new Int32Array(files.reduce((sum, file) => sum + file.units.length, 0));
  let offset = 0;
  for (const file of files) {
    units.set(file.units, offset);
    offset += file.units.length;
  }
  return units;
}

/** Cuts one units array into files, after checking the file tuples are well formed and add up. */
export function splitUnits(tuples: unknown, units: Int32Array): ManifestFile[] {
  if (!Array.isArray(tuples)) throw new IndexFormatError('corrupt', 'file list is missing');
  const files: ManifestFile[] = [];
  let offset = 0;
  for (const tuple of tuples as FileTuple[]) {
    const [relPath, size, mtimeMs, contentHash, count, unitMode] = Array.isArray(tuple) ? tuple : [];
    if (typeof relPath !== 'string' || typeof contentHash !== 'string' || !Number.isSafeInteger(count) || count! < 0) {
      throw new IndexFormatError('corrupt', 'file entry is malformed');
    }
    if (offset + count! * UNIT_FIELDS > units.length) throw new IndexFormatError('corrupt', 'unit counts do not add up');
    const file: ManifestFile = { relPath, size: Number(size), mtimeMs: Number(mtimeMs), contentHash, units: units.subarray(offset, offset + count! * UNIT_FIELDS) };
    if (unitMode === 'lines' || unitMode === 'sentences') file.unitMode = unitMode;
    files.push(file);
    offset += count! * UNIT_FIELDS;
  }
  if (offset !== units.length) throw new IndexFormatError('corrupt', 'unit counts do not add up');
  return files;
}

function validateHeader(header: Header): void {
  if (typeof header.identity !== 'object' || header.identity === null || typeof header.root !== 'string') {
    throw new IndexFormatError('corrupt', 'manifest has no identity');
  }
  if (typeof header.journal !== 'string' || /[/\\]/.test(header.journal)) throw new IndexFormatError('corrupt', 'manifest journal name is malformed');
  validateSegments(header.segments);
}

export function validateSegments(segments: unknown): asserts segments is SegmentRef[] {
  const valid =
    Array.isArray(segments) &&
    segments.every((s: SegmentRef) => typeof s?.name === 'string' && !/[/\\]/.test(s.name) && typeof s.id === 'string' && Number.isSafeInteger(s.rows) && s.rows >= 0);
  if (!valid) throw new IndexFormatError('corrupt', 'segment list is malformed');
}

/**
 * A state whose checksums match can still be wrong if a writer had a bug; refuse it rather than index garbage:
 * every vector location must lie inside its segment, no two texts may share a row, every unit needs its text.
 */
export function validateState(columns: TextColumns, segments: SegmentRef[], files: ManifestFile[]): void {
  const { texts, textSegment, textRow } = columns;
  const fail = (what: string): never => {
    throw new IndexFormatError('corrupt', `index ${what}`);
  };
  const used = segments.map((segment) => new Uint8Array(segment.rows));
  for (let slot = 0; slot < textSegment.length; slot++) {
    const segment = textSegment[slot];
    if (segment === -1) continue;
    if (texts[slot] === undefined || segment < 0 || segment >= segments.length || textRow[slot] < 0 || textRow[slot] >= segments[segment].rows) {
      fail('refers to a vector outside its segments');
    }
    if (used[segment][textRow[slot]]++ > 0) fail('has two texts sharing one vector row');
  }
  for (const file of files) {
    for (let i = UNIT_FIELDS - 1; i < file.units.length; i += UNIT_FIELDS) {
      if (texts[file.units[i]] === undefined) fail('has a unit whose text is missing');
    }
  }
}

function bytesOf(array: Uint32Array | Int32Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}
