// One writer per index: two windows on one workspace (or a window and the CLI) must not both save it. The writer
// holds `<base>.sslock` next to the manifest, holding its pid and start time. The file is created complete or not at
// all (written to a temp file, then hard-linked into place, which fails if the name exists), so a reader never sees
// a half-written lock. A lock whose process is gone is stale and taken over.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { isProcessAlive } from '../processAlive';
import { IndexWriteError } from './storage';

const LOCK_EXTENSION = '.sslock';

export interface LockOwner {
  pid: number;
  /** When the owning process started (ms since the epoch); tells a reused pid apart in diagnostics. */
  startedAt: number;
}

export type LockResult = { held: WriterLock } | { heldBy: LockOwner };

const thisProcess = (): LockOwner => ({ pid: process.pid, startedAt: Math.round(Date.now() - process.uptime() * 1000) });

/**
 * Locks held by this process, by file. A later open of the same index in this process (a host that initializes
 * again before the old engine's indexes were closed) takes the lock over: the newest object is the writer and the
 * older one is revoked, so there is still one writer.
 */
const heldHere = new Map<string, WriterLock>();

export class WriterLock {
  /** Set when a later open in this process took the lock over: this holder must not write any more. */
  revoked = false;

  private constructor(
    readonly filePath: string,
    private readonly owner: LockOwner,
  ) {}

  /**
   * Takes the lock of the index whose files start with base in folder, or says who holds it. Throws IndexWriteError
   * when the lock cannot be written (a full disk) and no live process holds it.
   */
  static async acquire(folder: string, base: string): Promise<LockResult> {
    const filePath = path.join(folder, `${base}${LOCK_EXTENSION}`);
    const owner = thisProcess();
    const previous = heldHere.get(filePath);
    if (previous) {
      previous.revoked = true;
      return { held: WriterLock.heldHereFrom(filePath, owner) };
    }
    // A few rounds: each failed round means another process changed the lock between our steps.
    for (let round = 0; round < 3; round++) {
      let created: boolean;
      try {
        created = await createComplete(filePath, owner);
      } catch (error) {
        // No lock can be written (a full disk), but a live process holding one still says who writes.
        const holder = await readOwner(filePath);
        if (typeof holder === 'object' && holder.pid !== process.pid && isProcessAlive(holder.pid)) return { heldBy: holder };
        throw new IndexWriteError(filePath, error);
      }
      if (created) return { held: WriterLock.heldHereFrom(filePath, owner) };
      const current = await readOwner(filePath);
      if (current === 'missing') continue;
      // This process's own lock that no object holds is left over from a revoked holder: stale as well.
      if (current !== 'unreadable' && current.pid !== process.pid && isProcessAlive(current.pid)) return { heldBy: current };
      await takeOverStale(filePath, current);
    }
    const current = await readOwner(filePath);
    return { heldBy: typeof current === 'object' ? current : { pid: 0, startedAt: 0 } };
  }

  private static heldHereFrom(filePath: string, owner: LockOwner): WriterLock {
    const lock = new WriterLock(filePath, owner);
    heldHere.set(filePath, lock);
    return lock;
  }

  /** Removes the lock file if it is still this process's (it is, unless someone wrongly judged it stale). */
  async release(): Promise<void> {
    if (heldHere.get(this.filePath) !== this) return;
    heldHere.delete(this.filePath);
    const current = await readOwner(this.filePath);
    if (typeof current === 'object' && current.pid === this.owner.pid && current.startedAt === this.owner.startedAt) {
      await fs.rm(this.filePath, { force: true }).catch(() => undefined);
    }
  }
}

/** The name a temp file next to filePath gets; `.tmp` so sweepLeftovers removes one of a crashed process. */
function tempNameFor(filePath: string): string {
  return `${filePath}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
}

async function createComplete(filePath: string, owner: LockOwner): Promise<boolean> {
  const temp = tempNameFor(filePath);
  try {
    // Inside the try: a write that fails (a full disk) has created the temp file already.
    await fs.writeFile(temp, JSON.stringify(owner), { flag: 'wx' });
    await fs.link(temp, filePath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function readOwner(filePath: string): Promise<LockOwner | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await fs.readFile(filePath, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const { pid, startedAt } = JSON.parse(text) as LockOwner;
    return Number.isInteger(pid) && pid > 0 && typeof startedAt === 'number' ? { pid, startedAt } : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/**
 * Moves the stale lock aside (rename is atomic, so of two processes taking it over only one moves it). If what got
 * moved is not the stale lock that was read, another process took it over in between: its fresh lock is put back.
 */
async function takeOverStale(filePath: string, stale: LockOwner | 'unreadable'): Promise<void> {
  const aside = tempNameFor(filePath);
  try {
    await fs.rename(filePath, aside);
  } catch {
    return; // gone already: the next round creates it
  }
  const moved = await readOwner(aside);
  const sameAsRead = typeof moved === 'object' && typeof stale === 'object' ? moved.pid === stale.pid && moved.startedAt === stale.startedAt : moved === stale;
  if (!sameAsRead) await fs.link(aside, filePath).catch(() => undefined);
  await fs.rm(aside, { force: true });
}
