// The journal: what each save changed since the manifest was written, appended as checksummed records, so a
// one-line edit costs a small append and fsync instead of rewriting every file and text of a large index.
// The index rewrites the manifest (and starts a new journal) once the journal has grown to a fraction of it.
//
// Layout: "SSJOURNL" | u32 version | 4 zero bytes, then records, each: u32 payload length | u32 CRC-32 of the
// payload | payload. Payload: u32 n | n bytes of JSON { segments, removed, files, texts, vectors } | pad to 4
// | i32 freed[] | i32 textSlot[] | u32 textByteLength[] | i32 vectorSlot[] | i32 vectorRow[] | i32 units[]
// | UTF-8 texts. Replaying stops at the first record that is incomplete or fails its checksum: that is where a
// writer was interrupted, and every record before it is a complete, consistent save.
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import {
  concatUnits,
  decodeTexts,
  encodeTexts,
  fileTuple,
  splitUnits,
  validateSegments,
  type FileTuple,
  type ManifestFile,
  type SegmentRef,
  type TextColumns,
} from './manifest';
import { IndexFormatError, IndexWriteError, type IndexFileSystem } from './storage';

const MAGIC = Buffer.from('SSJOURNL', 'latin1');
const JOURNAL_VERSION = 1;
export const JOURNAL_HEADER_BYTES = 16;
/** Records are read whole; nothing a save writes comes near this, so a larger length means damage. */
const MAX_RECORD_BYTES = 1 << 30;

/** The changes of one save. */
export interface JournalRecord {
  /** The complete segment list after the save. */
  segments: SegmentRef[];
  /** Slots whose text (and vector) the save dropped; applied before texts. */
  freed: number[];
  textSlots: number[];
  texts: string[];
  /** Slots whose vector now lives in the last segment of the list, at vectorRows. */
  vectorSlots: ArrayLike<number>;
  vectorRows: ArrayLike<number>;
  /** Files added or replaced. */
  files: ManifestFile[];
  removed: string[];
}

interface RecordHeader {
  segments: SegmentRef[];
  removed: string[];
  files: FileTuple[];
  freed: number;
  texts: number;
  textBytes: number;
  vectors: number;
}

const pad4 = (n: number): number => (n + 3) & ~3;

export function encodeRecord(record: JournalRecord): Buffer {
  const { lengths, blob } = encodeTexts(record.texts);
  const units = concatUnits(record.files);
  const header: RecordHeader = {
    segments: record.segments,
    removed: record.removed,
    files: record.files.map(fileTuple),
    freed: record.freed.length,
    texts: record.texts.length,
    textBytes: blob.length,
    vectors: record.vectorSlots.length,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const arrays = [
    Int32Array.from(record.freed),
    Int32Array.from(record.textSlots),
    lengths,
    Int32Array.from(record.vectorSlots),
    Int32Array.from(record.vectorRows),
    units,
  ];
  const payloadBytes = pad4(4 + json.length) + arrays.reduce((sum, a) => sum + a.byteLength, 0) + blob.length;
  const out = Buffer.alloc(8 + payloadBytes);
  out.writeUInt32LE(payloadBytes, 0);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  let at = 8 + pad4(4 + json.length);
  for (const array of arrays) {
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), at);
    at += array.byteLength;
  }
  blob.copy(out, at);
  out.writeUInt32LE(crc32(out.subarray(8)) >>> 0, 4);
  return out;
}

function decodeRecord(payload: Buffer): JournalRecord {
  const jsonLength = payload.readUInt32LE(0);
  const header = JSON.parse(payload.toString('utf8', 4, 4 + jsonLength)) as RecordHeader;
  validateSegments(header.segments);
  if (!Array.isArray(header.removed) || !header.removed.every((p) => typeof p === 'string')) throw new IndexFormatError('corrupt', 'journal record is malformed');
  let at = pad4(4 + jsonLength);
  const take = <T extends Int32Array | Uint32Array>(make: (n: number) => T, n: number): T => {
    if (!Number.isSafeInteger(n) || n < 0 || at + 4 * n > payload.length) throw new IndexFormatError('corrupt', 'journal record is malformed');
    const array = make(n);
    new Uint8Array(array.buffer).set(payload.subarray(at, at + 4 * n));
    at += 4 * n;
    return array;
  };
  const freed = take((n) => new Int32Array(n), header.freed);
  const textSlots = take((n) => new Int32Array(n), header.texts);
  const textLengths = take((n) => new Uint32Array(n), header.texts);
  const vectorSlots = take((n) => new Int32Array(n), header.vectors);
  const vectorRows = take((n) => new Int32Array(n), header.vectors);
  const unitInts = (payload.length - at - header.textBytes) / 4;
  const units = take((n) => new Int32Array(n), unitInts);
  const texts = decodeTexts(payload, at, textLengths, header.textBytes);
  if (texts.some((text) => text === undefined)) throw new IndexFormatError('corrupt', 'journal record has a text without content');
  return {
    segments: header.segments,
    freed: [...freed],
    textSlots: [...textSlots],
    texts: texts as string[],
    vectorSlots,
    vectorRows,
    files: splitUnits(header.files, units),
    removed: header.removed,
  };
}

/**
 * Reads the records of a journal. A missing journal, or one cut short inside its header, has no records. Returns
 * the records and the length of the valid prefix (where the next record goes).
 */
export async function readJournal(filePath: string): Promise<{ records: JournalRecord[]; validBytes: number }> {
  let data: Buffer;
  try {
    const handle = await open(filePath, 'r');
    try {
      data = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], validBytes: 0 };
    throw error;
  }
  if (data.length < JOURNAL_HEADER_BYTES) return { records: [], validBytes: 0 };
  if (!data.subarray(0, 8).equals(MAGIC)) throw new IndexFormatError('corrupt', 'journal has a bad magic');
  if (data.readUInt32LE(8) !== JOURNAL_VERSION) throw new IndexFormatError('version', `journal format ${data.readUInt32LE(8)}`);
  const records: JournalRecord[] = [];
  let at = JOURNAL_HEADER_BYTES;
  while (at + 8 <= data.length) {
    const length = data.readUInt32LE(at);
    if (length > MAX_RECORD_BYTES || at + 8 + length > data.length) break;
    const payload = data.subarray(at + 8, at + 8 + length);
    if (crc32(payload) >>> 0 !== data.readUInt32LE(at + 4)) break;
    try {
      records.push(decodeRecord(payload));
    } catch (error) {
      // A record with a valid checksum that does not decode was written wrongly, not interrupted.
      throw error instanceof IndexFormatError ? error : new IndexFormatError('corrupt', `journal record: ${(error as Error).message}`);
    }
    at += 8 + length;
  }
  return { records, validBytes: at };
}

/** Where replayed records write: the manifest's columns and files, grown and edited in place. */
export interface ReplayState extends TextColumns {
  files: Map<string, ManifestFile>;
  segments: SegmentRef[];
}

/** Applies records in order. Vector locations are kept per segment name until the end, as lists change. */
export function replay(state: ReplayState, records: JournalRecord[]): void {
  if (records.length === 0) return;
  const known = [...state.segments];
  const knownIndex = new Map(known.map((segment, i) => [segment.name, i]));
  const grow = (slots: number): void => {
    if (slots <= state.textSegment.length) return;
    const segment = new Int32Array(Math.max(slots, state.textSegment.length * 2)).fill(-1);
    segment.set(state.textSegment);
    const row = new Int32Array(segment.length);
    row.set(state.textRow);
    state.textSegment = segment;
    state.textRow = row;
  };
  const checkSlot = (slot: number): void => {
    if (!Number.isInteger(slot) || slot < 0 || slot > 0x7fffffff) throw new IndexFormatError('corrupt', 'journal refers to an invalid slot');
  };
  for (const record of records) {
    for (const segment of record.segments) {
      if (!knownIndex.has(segment.name)) {
        knownIndex.set(segment.name, known.length);
        known.push(segment);
      }
    }
    for (const slot of record.freed) {
      checkSlot(slot);
      // A slot may have been given a text and freed again between two records: then it is not on disk yet.
      if (slot >= state.texts.length) continue;
      state.texts[slot] = undefined;
      state.textSegment[slot] = -1;
    }
    record.textSlots.forEach((slot, i) => {
      checkSlot(slot);
      grow(slot + 1);
      state.texts[slot] = record.texts[i];
      state.textSegment[slot] = -1;
    });
    if (record.vectorSlots.length > 0) {
      const last = record.segments[record.segments.length - 1];
      if (!last) throw new IndexFormatError('corrupt', 'journal record moves vectors into no segment');
      const segment = knownIndex.get(last.name)!;
      for (let i = 0; i < record.vectorSlots.length; i++) {
        const slot = record.vectorSlots[i];
        checkSlot(slot);
        grow(slot + 1);
        state.textSegment[slot] = segment;
        state.textRow[slot] = record.vectorRows[i];
      }
    }
    for (const relPath of record.removed) state.files.delete(relPath);
    for (const file of record.files) state.files.set(file.relPath, file);
    state.segments = record.segments;
  }
  // Re-number locations from the registry of every segment seen to the final list.
  const finalIndex = new Int32Array(known.length).fill(-1);
  state.segments.forEach((segment, i) => (finalIndex[knownIndex.get(segment.name)!] = i));
  for (let slot = 0; slot < state.textSegment.length; slot++) {
    if (state.textSegment[slot] < 0) continue;
    if (state.texts[slot] === undefined) throw new IndexFormatError('corrupt', 'journal gives a vector to a slot without text');
    const index = finalIndex[state.textSegment[slot]];
    if (index < 0) throw new IndexFormatError('corrupt', 'journal leaves a vector in a dropped segment');
    state.textSegment[slot] = index;
  }
  state.textSegment = state.textSegment.subarray(0, state.texts.length);
  state.textRow = state.textRow.subarray(0, state.texts.length);
}

/**
 * Appends one record at validBytes (writing the journal header first for a new journal) and fsyncs. On failure
 * the journal is cut back to validBytes (best effort: replay ignores a torn tail anyway) and an IndexWriteError
 * naming the journal is thrown. Returns the new valid length.
 */
export async function appendRecord(fileSystem: IndexFileSystem, filePath: string, validBytes: number, record: Buffer): Promise<number> {
  const file = await fileSystem.open(filePath).catch((error: unknown) => {
    throw new IndexWriteError(filePath, error);
  });
  try {
    let at = validBytes;
    if (at === 0) {
      const header = Buffer.alloc(JOURNAL_HEADER_BYTES);
      MAGIC.copy(header, 0);
      header.writeUInt32LE(JOURNAL_VERSION, 8);
      await file.write(header, 0);
      at = JOURNAL_HEADER_BYTES;
    }
    await file.write(record, at);
    await file.sync();
    return at + record.length;
  } catch (error) {
    await file.truncate(validBytes).catch(() => undefined);
    throw new IndexWriteError(filePath, error);
  } finally {
    await file.close().catch(() => undefined);
  }
}
