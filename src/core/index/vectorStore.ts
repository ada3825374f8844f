// The vectors of an index, one per text slot: the int8 form always in memory (QuantizedMatrix) and the exact
// float32 row either in memory (added since the last save, or a memory-only index) or in a segment file.
//
// Saving writes at most one new segment: the unsaved rows plus the live rows of segments worth rewriting, which
// are (a) segments more than half dead and (b) the newest segments while they are no larger than what is being
// written, like a binary counter. A one-line edit therefore writes a tiny segment, segments stay few
// (logarithmic in the number of saves) and dead rows never make up more than about half of the files.
import * as path from 'node:path';
import type { SegmentRef } from './manifest';
import { QuantizedMatrix } from './quantizedMatrix';
import { Segment, type RowChunk } from './segmentFile';

/** Rows per chunk when streaming rows into a new segment (1.5 MB at dim 384). */
const ROWS_PER_CHUNK = 1024;

export interface SavePlan {
  /** Slots whose exact rows are only in memory. */
  unsavedSlots: number[];
  /** Numbers of the segments whose live rows move into the new segment (and which are then deleted). */
  merged: number[];
  /** Rows of the new segment; 0 = no new segment. */
  rows: number;
}

export interface WrittenSegment {
  ref: SegmentRef;
  /** The slot of each row of the new segment. */
  slotsByRow: Int32Array;
}

/** The rows handed to one put call, kept until none of them is unsaved any more. */
interface UnsavedBlock {
  rows: Float32Array;
  unsaved: number;
}

export class VectorStore {
  readonly matrix: QuantizedMatrix;
  private present = new Uint8Array(0);
  /** Segment number holding the slot's exact row, or -1 while it is only in memory. */
  private segmentOf = new Int32Array(0);
  /** Block number holding the slot's exact row while it is only in memory, else -1. */
  private blockOf = new Int32Array(0);
  /** Row within the segment or block. */
  private rowOf = new Int32Array(0);
  private readonly blocks = new Map<number, UnsavedBlock>();
  private nextBlockNumber = 0;
  private unsaved = 0;
  private readonly segments = new Map<number, Segment>();
  private nextSegmentNumber = 0;
  private stored = 0;

  constructor(readonly dim: number) {
    this.matrix = new QuantizedMatrix(dim);
  }

  /** Vectors held, including ones no unit references any more until the next save collects them. */
  get count(): number {
    return this.stored;
  }

  get unsavedCount(): number {
    return this.unsaved;
  }

  reserve(slots: number): void {
    if (slots <= this.present.length) return;
    this.matrix.reserve(slots);
    const capacity = this.matrix.rowCapacity;
    const present = new Uint8Array(capacity);
    present.set(this.present);
    const segmentOf = new Int32Array(capacity).fill(-1);
    segmentOf.set(this.segmentOf);
    const blockOf = new Int32Array(capacity).fill(-1);
    blockOf.set(this.blockOf);
    const rowOf = new Int32Array(capacity);
    rowOf.set(this.rowOf);
    this.present = present;
    this.segmentOf = segmentOf;
    this.blockOf = blockOf;
    this.rowOf = rowOf;
  }

  has(slot: number): boolean {
    return this.present[slot] === 1;
  }

  /**
   * Stores rows of source for the given slots: row i is source[rows[i]·dim, (rows[i]+1)·dim). Source is copied
   * once and kept as one block until all its rows are saved or dropped.
   */
  put(slots: number[], rows: number[], source: Float32Array): void {
    if (slots.length === 0) return;
    const block = this.nextBlockNumber++;
    this.blocks.set(block, { rows: source.slice(), unsaved: slots.length });
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      this.matrix.setRow(slot, source, rows[i] * this.dim);
      this.present[slot] = 1;
      this.segmentOf[slot] = -1;
      this.blockOf[slot] = block;
      this.rowOf[slot] = rows[i];
    }
    this.stored += slots.length;
    this.unsaved += slots.length;
  }

  drop(slot: number): void {
    if (this.present[slot] === 0) return;
    const segment = this.segments.get(this.segmentOf[slot]);
    if (segment) segment.liveRows--;
    else this.forgetUnsaved(slot);
    this.present[slot] = 0;
    this.segmentOf[slot] = -1;
    this.stored--;
  }

  private forgetUnsaved(slot: number): void {
    const number = this.blockOf[slot];
    const block = this.blocks.get(number)!;
    if (--block.unsaved === 0) this.blocks.delete(number);
    this.blockOf[slot] = -1;
    this.unsaved--;
  }

  /** Copies the exact float32 vector of a slot into out. */
  exactRow(slot: number, out: Float32Array): void {
    const segment = this.segments.get(this.segmentOf[slot]);
    if (segment) {
      segment.readRow(this.rowOf[slot], out);
      return;
    }
    const start = this.rowOf[slot] * this.dim;
    out.set(this.blocks.get(this.blockOf[slot])!.rows.subarray(start, start + this.dim));
  }

  /** Opens a saved segment and marks the slots listed in slotOfRow as holding its rows. */
  async restoreSegment(folder: string, ref: SegmentRef, slotOfRow: Int32Array): Promise<void> {
    const segment = await Segment.open(folder, ref, this.matrix, slotOfRow);
    const number = this.nextSegmentNumber++;
    this.segments.set(number, segment);
    for (let row = 0; row < slotOfRow.length; row++) {
      const slot = slotOfRow[row];
      if (slot < 0) continue;
      this.present[slot] = 1;
      this.segmentOf[slot] = number;
      this.rowOf[slot] = row;
      this.stored++;
    }
  }

  planSave(): SavePlan {
    const unsavedSlots: number[] = [];
    for (let slot = 0; slot < this.blockOf.length; slot++) if (this.blockOf[slot] >= 0) unsavedSlots.push(slot);
    let rows = unsavedSlots.length;
    const merged = new Set<number>();
    for (const [number, segment] of this.segments) {
      if (segment.liveRows * 2 < segment.ref.rows) {
        merged.add(number);
        rows += segment.liveRows;
      }
    }
    for (const [number, segment] of [...this.segments].reverse()) {
      if (merged.has(number)) continue;
      if (segment.liveRows > rows) break;
      merged.add(number);
      rows += segment.liveRows;
    }
    return { unsavedSlots, merged: [...merged], rows };
  }

  /** The exact rows of a plan, in the order they go into the new segment. */
  async *rowsForSave(plan: SavePlan): AsyncGenerator<RowChunk> {
    const { dim } = this;
    for (let first = 0; first < plan.unsavedSlots.length; first += ROWS_PER_CHUNK) {
      const slots = plan.unsavedSlots.slice(first, first + ROWS_PER_CHUNK);
      const rows = new Float32Array(slots.length * dim);
      // Rows of one put call usually sit next to each other in its block: copy them in runs.
      for (let i = 0; i < slots.length; ) {
        const block = this.blockOf[slots[i]];
        const start = this.rowOf[slots[i]];
        let run = 1;
        while (i + run < slots.length && this.blockOf[slots[i + run]] === block && this.rowOf[slots[i + run]] === start + run) run++;
        rows.set(this.blocks.get(block)!.rows.subarray(start * dim, (start + run) * dim), i * dim);
        i += run;
      }
      yield { rows, slots };
    }
    for (const number of plan.merged) {
      const segment = this.segments.get(number)!;
      const slotOfRow = new Int32Array(segment.ref.rows).fill(-1);
      for (let slot = 0; slot < this.present.length; slot++) {
        if (this.present[slot] === 1 && this.segmentOf[slot] === number) slotOfRow[this.rowOf[slot]] = slot;
      }
      const buffer = new Float32Array(ROWS_PER_CHUNK * dim);
      for (let first = 0; first < segment.ref.rows; first += ROWS_PER_CHUNK) {
        const count = Math.min(ROWS_PER_CHUNK, segment.ref.rows - first);
        const slots: number[] = [];
        for (let i = 0; i < count; i++) if (slotOfRow[first + i] >= 0) slots.push(first + i);
        if (slots.length === 0) continue;
        await segment.readRows(first, count, buffer);
        const rows = new Float32Array(slots.length * dim);
        slots.forEach((row, i) => rows.set(buffer.subarray((row - first) * dim, (row - first + 1) * dim), i * dim));
        yield { rows, slots: slots.map((row) => slotOfRow[row]) };
      }
    }
  }

  /**
   * Where the vector of each given slot will be once the save commits: an index into the returned segment list
   * (kept segments in creation order, then the new one) and a row, or -1 for slots without a saved vector.
   */
  locate(slots: ArrayLike<number>, plan: SavePlan, written: WrittenSegment | undefined) {
    const segments: SegmentRef[] = [];
    const listIndex = new Map<number, number>();
    for (const [number, segment] of this.segments) {
      if (plan.merged.includes(number)) continue;
      listIndex.set(number, segments.length);
      segments.push(segment.ref);
    }
    const newRowOf = new Int32Array(written ? this.present.length : 0).fill(-1);
    if (written) {
      written.slotsByRow.forEach((slot, row) => (newRowOf[slot] = row));
      segments.push(written.ref);
    }
    const textSegment = new Int32Array(slots.length).fill(-1);
    const textRow = new Int32Array(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (written && newRowOf[slot] >= 0) {
        textSegment[i] = segments.length - 1;
        textRow[i] = newRowOf[slot];
      } else if (this.present[slot] === 1 && listIndex.has(this.segmentOf[slot])) {
        textSegment[i] = listIndex.get(this.segmentOf[slot])!;
        textRow[i] = this.rowOf[slot];
      }
    }
    return { segments, textSegment, textRow };
  }

  /**
   * After the manifest naming the new segment is durable: reads exact rows from the new segment from now on and
   * returns the merged segments, which the caller closes and deletes.
   */
  async commitSave(plan: SavePlan, folder: string, written: WrittenSegment | undefined): Promise<Segment[]> {
    if (written) {
      const segment = await Segment.attach(path.join(folder, written.ref.name), written.ref, this.dim);
      const number = this.nextSegmentNumber++;
      this.segments.set(number, segment);
      written.slotsByRow.forEach((slot, row) => {
        if (this.blockOf[slot] >= 0) this.forgetUnsaved(slot);
        this.segmentOf[slot] = number;
        this.rowOf[slot] = row;
      });
      segment.liveRows = written.ref.rows;
    }
    const retired = plan.merged.map((number) => this.segments.get(number)!);
    for (const number of plan.merged) this.segments.delete(number);
    return retired;
  }

  async close(): Promise<void> {
    const open = [...this.segments.values()];
    this.segments.clear();
    await Promise.all(open.map((segment) => segment.close()));
  }
}
