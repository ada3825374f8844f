// Poison-input isolation across native crashes. onnxruntime runs native code: an input that makes it abort or
// segfault takes the whole host down, and nothing inside the process can catch that. So before a batch goes to a
// worker, every text in the workers is written to a small file that outlives the process (its path comes from the
// client, which keeps it across restarts). The next host reads it:
// - texts that were in flight during a crash become suspects, and are embedded one at a time, alone, before the
//   host takes any other work;
// - a suspect that is in flight alone during a crash has crashed the host twice: it is poison. It is never embedded
//   again, and the engine quarantines the files that contain it.
// Suspects are tried singly rather than in halves because each crash costs a restart and counts towards the
// client's crash-loop limit (5 in 3 minutes): halving up to 64 in-flight texts can take 6 more crashes, trying them
// singly takes one per poison text, and single texts embed in milliseconds.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

interface JournalState {
  inFlight: string[];
  suspects: string[];
  poison: string[];
}

export class CrashJournal {
  private constructor(
    private readonly file: string,
    readonly suspects: Set<string>,
    readonly poison: Set<string>,
  ) {}

  /** Reads what the previous host left: its in-flight texts become suspects, or poison when already suspected. */
  static open(file: string, log: (message: string) => void): CrashJournal {
    const previous = readState(file);
    const suspects = new Set(previous.suspects);
    const poison = new Set(previous.poison);
    const [alone] = previous.inFlight;
    if (previous.inFlight.length === 1 && suspects.has(alone)) {
      suspects.delete(alone);
      poison.add(alone);
      log(`this text crashed the model host twice and will not be embedded again: ${JSON.stringify(alone.slice(0, 200))}`);
    } else {
      for (const text of previous.inFlight) suspects.add(text);
    }
    const journal = new CrashJournal(file, suspects, poison);
    journal.record([]);
    return journal;
  }

  /**
   * Records the texts now in the workers. Synchronous and atomic (temporary file + rename): it must be complete on
   * disk before inference starts, and a crash while writing must leave the previous record readable.
   */
  record(inFlight: string[]): void {
    const state: JournalState = { inFlight, suspects: [...this.suspects], poison: [...this.poison] };
    const temporary = `${this.file}.tmp`;
    // Workspace text: readable by this user only, like the index.
    writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
    renameSync(temporary, this.file);
  }

  /** Embeds each suspect alone; those that come back are cleared. One that crashes the host becomes poison on restart. */
  async clearSuspects(embed: (texts: string[]) => Promise<unknown>): Promise<void> {
    for (const text of [...this.suspects]) {
      // An ordinary error is not a crash: the text is no longer suspected, and indexing reports the error itself.
      await embed([text]).catch(() => undefined);
      this.suspects.delete(text);
    }
    this.record([]);
  }
}

function readState(file: string): JournalState {
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as Partial<JournalState>;
    const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
    return { inFlight: strings(state.inFlight), suspects: strings(state.suspects), poison: strings(state.poison) };
  } catch {
    // No journal yet (first start), or an unreadable one: nothing to suspect.
    return { inFlight: [], suspects: [], poison: [] };
  }
}
