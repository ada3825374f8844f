// The distinct unit texts of an index. Each text gets a small integer id (its "slot") that is also its row in
// the vector store, so a text repeated in many places is stored and embedded once. A text whose last unit goes
// away keeps its slot (and vector) until collectUnreferenced runs at save time, so a unit that moves between
// files, or a file that is removed and re-added, reuses its vector.
import { IndexFormatError } from './storage';

export class TextTable {
  private readonly ids = new Map<string, number>();
  private texts: Array<string | undefined> = [];
  private refs = new Int32Array(1024);
  private readonly free: number[] = [];
  /** Slots given a text since takeAssigned was last called: what the next journal record must carry. */
  private readonly assigned = new Set<number>();

  /** One past the highest slot ever handed out; arrays indexed by slot need this many entries. */
  get slots(): number {
    return this.texts.length;
  }

  idOf(text: string): number | undefined {
    return this.ids.get(text);
  }

  has(slot: number): boolean {
    return this.texts[slot] !== undefined;
  }

  textOf(slot: number): string {
    const text = this.texts[slot];
    if (text === undefined) throw new Error(`no text in slot ${slot}`);
    return text;
  }

  references(slot: number): number {
    return this.refs[slot];
  }

  /** Counts one more unit with this text and returns its slot. */
  acquire(text: string): number {
    let slot = this.ids.get(text);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.texts.length;
      if (slot === this.texts.length) this.texts.push(text);
      else this.texts[slot] = text;
      this.ids.set(text, slot);
      this.assigned.add(slot);
      if (slot >= this.refs.length) {
        const grown = new Int32Array(Math.max(slot + 1, this.refs.length * 2));
        grown.set(this.refs);
        this.refs = grown;
      }
    }
    this.refs[slot]++;
    return slot;
  }

  /** Re-creates the table from a saved list; slot i holds texts[i] (undefined = free), with no references yet. */
  restore(texts: Array<string | undefined>): void {
    this.ids.clear();
    this.free.length = 0;
    this.assigned.clear();
    this.texts = new Array<string | undefined>(texts.length);
    this.refs = new Int32Array(Math.max(1024, texts.length));
    for (let slot = texts.length - 1; slot >= 0; slot--) {
      const text = texts[slot];
      if (text === undefined) {
        this.free.push(slot);
        continue;
      }
      if (this.ids.has(text)) throw new IndexFormatError('corrupt', `the same text is saved in slots ${slot} and ${this.ids.get(text)}`);
      this.texts[slot] = text;
      this.ids.set(text, slot);
    }
  }

  /** A copy of the texts by slot (undefined = free slot). */
  bySlot(): Array<string | undefined> {
    return this.texts.slice();
  }

  takeAssigned(): number[] {
    const slots = [...this.assigned];
    this.assigned.clear();
    return slots;
  }

  /** Puts back what takeAssigned returned when the record carrying it could not be written. */
  markAssigned(slots: number[]): void {
    for (const slot of slots) this.assigned.add(slot);
  }

  acquireSlot(slot: number): void {
    this.refs[slot]++;
  }

  release(slot: number): void {
    this.refs[slot]--;
  }

  /** Forgets texts that no unit references any more and returns their slots, which become free for reuse. */
  collectUnreferenced(): number[] {
    const collected: number[] = [];
    for (let slot = 0; slot < this.texts.length; slot++) {
      const text = this.texts[slot];
      if (text === undefined || this.refs[slot] > 0) continue;
      this.ids.delete(text);
      this.texts[slot] = undefined;
      this.free.push(slot);
      collected.push(slot);
    }
    return collected;
  }
}
