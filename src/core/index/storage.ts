// Where index files live and how they are replaced safely: names, crash-consistent writes, sweeping leftovers
// of crashed writers, setting aside unreadable files, and clearing.
//
// Files of one index share the base `<folder>-<rootDigest>-<identityDigest>`:
//   <base>.ssidx                      the manifest (files, units, texts, which segment row holds each vector)
//   <base>.<pid>-<random>.ssjournal   changes saved since the manifest was written (named by the manifest)
//   <base>.<pid>-<random>.sseg        immutable vector segments written by process <pid>
//   <name>.<pid>-<random>.tmp         a file being written; renamed onto <name> once complete and fsynced
//   <base>.ssidx.<reason>.bad         a manifest that could not be loaded, kept for diagnosis (one per reason)
//   <base>.sslock                     the writer lock: pid and start time of the one process that saves (writerLock.ts)
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { shortDigest } from './hash';
import { identityKey, type IndexIdentity } from './identity';
import { isProcessAlive } from '../processAlive';

const MANIFEST_EXTENSION = '.ssidx';
const SEGMENT_EXTENSION = '.sseg';
const JOURNAL_EXTENSION = '.ssjournal';
const TEMP_EXTENSION = '.tmp';
const SET_ASIDE_EXTENSION = '.bad';
/** Matches every file this module creates, whatever its kind. */
const OWN_FILE = /-[0-9a-f]{12}-[0-9a-f]{12}\.(ssidx|\d+-[0-9a-f]+\.(sseg|ssjournal))(\.[^/\\]*)?$/;
const WRITER_PID = /\.(\d+)-[0-9a-f]+\.(sseg|ssjournal|tmp)$/;

export type SetAsideReason = 'corrupt' | 'truncated' | 'version' | 'identity' | 'missing-segment' | 'unreadable';

/** A file that exists but cannot be used; the index is set aside and rebuilt. */
export class IndexFormatError extends Error {
  constructor(readonly reason: SetAsideReason, message: string) {
    super(message);
    this.name = 'IndexFormatError';
  }
}

/** A failed save. The previous index files are untouched; `code` is the system error code (e.g. ENOSPC). */
export class IndexWriteError extends Error {
  readonly code: string | undefined;
  constructor(readonly path: string, cause: unknown) {
    super(`cannot write index file ${path}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'IndexWriteError';
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** Stable file name of the manifest for (root, identity): readable folder name plus digests of both. */
export function indexFileName(root: string, identity: IndexIdentity): string {
  return `${rootPrefix(root)}${shortDigest(identityKey(identity))}${MANIFEST_EXTENSION}`;
}

function rootPrefix(root: string): string {
  const resolved = path.resolve(root);
  const folder = path.basename(resolved).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'root';
  return `${folder}-${shortDigest(resolved)}-`;
}

export function baseOf(manifestName: string): string {
  return manifestName.slice(0, -MANIFEST_EXTENSION.length);
}

export function newSegmentName(base: string): string {
  return `${base}.${process.pid}-${randomBytes(4).toString('hex')}${SEGMENT_EXTENSION}`;
}

export function newJournalName(base: string): string {
  return `${base}.${process.pid}-${randomBytes(4).toString('hex')}${JOURNAL_EXTENSION}`;
}

/** The few write operations a save needs; a test substitutes one that fails like a full disk. */
export interface WritableIndexFile {
  write(data: Uint8Array, position: number): Promise<void>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}
export interface IndexFileSystem {
  /** Creates a new file exclusively (it must not exist). */
  create(filePath: string): Promise<WritableIndexFile>;
  /** Opens a file for writing at given positions, creating it if missing. */
  open(filePath: string): Promise<WritableIndexFile>;
}

function writable(handle: fs.FileHandle): WritableIndexFile {
  return {
    async write(data, position) {
      for (let done = 0; done < data.length; ) {
        const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
        done += bytesWritten;
      }
    },
    truncate: (length) => handle.truncate(length),
    sync: () => handle.sync(),
    close: () => handle.close(),
  };
}

export const nodeFileSystem: IndexFileSystem = {
  create: async (filePath) => writable(await fs.open(filePath, 'wx')),
  open: async (filePath) => writable(await fs.open(filePath, (await exists(filePath)) ? 'r+' : 'w')),
};

async function exists(filePath: string): Promise<boolean> {
  return fs.access(filePath).then(
    () => true,
    () => false,
  );
}

/**
 * Writes finalPath so that a crash at any moment leaves either the old file or the complete new one: the content
 * goes to a temp file in the same folder, is fsynced, renamed over finalPath, and the folder is fsynced. On any
 * error the temp file is removed and an IndexWriteError naming finalPath is thrown.
 */
export async function writeFileAtomically(
  fileSystem: IndexFileSystem,
  finalPath: string,
  produce: (file: WritableIndexFile) => Promise<void>,
): Promise<void> {
  const tempPath = `${finalPath}.${process.pid}-${randomBytes(4).toString('hex')}${TEMP_EXTENSION}`;
  let file: WritableIndexFile | undefined;
  try {
    file = await fileSystem.create(tempPath);
    await produce(file);
    await file.sync();
    const closing = file;
    file = undefined;
    await closing.close();
    await fs.rename(tempPath, finalPath);
  } catch (error) {
    await file?.close().catch(() => undefined);
    await fs.rm(tempPath, { force: true }).catch(() => undefined);
    throw new IndexWriteError(finalPath, error);
  }
  await syncFolder(path.dirname(finalPath));
}

/** Makes a rename durable. Folders cannot be opened for fsync on Windows; there the rename is already durable. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await fs.open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort, see above
  }
}

/**
 * A temp or segment file may belong to a save in progress in another process (two windows on one folder), so it
 * is only removed when the process that wrote it is gone. This process opens an index only when it is not
 * saving it, so its own leftovers are always stale.
 */
function writerIsElsewhereAlive(fileName: string): boolean {
  const pid = Number(WRITER_PID.exec(fileName)?.[1]);
  return pid !== process.pid && isProcessAlive(pid);
}

/** Removes temp files and unreferenced segments and journals of this index left by writers that no longer run. */
export async function sweepLeftovers(
  folder: string,
  base: string,
  referenced: ReadonlySet<string>,
  log: (message: string) => void,
): Promise<void> {
  const names = await fs.readdir(folder).catch(() => [] as string[]);
  const unreferenced = (name: string): boolean => (name.endsWith(SEGMENT_EXTENSION) || name.endsWith(JOURNAL_EXTENSION)) && !referenced.has(name);
  const stale = names.filter(
    (name) => name.startsWith(`${base}.`) && (name.endsWith(TEMP_EXTENSION) || unreferenced(name)) && !writerIsElsewhereAlive(name),
  );
  for (const name of stale) await fs.rm(path.join(folder, name), { force: true }).catch(() => undefined);
  if (stale.length > 0) log(`index: removed ${stale.length} leftover file(s) of an interrupted save in ${folder}`);
}

/** Renames an unusable manifest to <name>.<reason>.bad (replacing an older one with the same reason). */
export async function setAside(folder: string, manifestName: string, reason: SetAsideReason, log: (message: string) => void): Promise<void> {
  const from = path.join(folder, manifestName);
  const to = `${from}.${reason}${SET_ASIDE_EXTENSION}`;
  try {
    await fs.rename(from, to);
    log(`index: set aside ${from} as ${path.basename(to)}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    await fs.rm(from, { force: true }).catch(() => undefined);
    log(`index: could not set aside ${from} (${(error as Error).message}); removed it`);
  }
}

/**
 * Deletes the index files of one workspace root (every model), or of all roots, from storageDir. Only files this
 * module names are touched. Returns how many indexes (manifests, including set-aside ones) were removed.
 * Indexes that are open must be closed first (Windows refuses to delete open files).
 */
export async function clearIndexes(storageDir: string, root?: string): Promise<number> {
  const names = await fs.readdir(storageDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const prefix = root === undefined ? '' : rootPrefix(root);
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(prefix) || !OWN_FILE.test(name)) continue;
    await fs.rm(path.join(storageDir, name), { force: true });
    if (!name.endsWith(TEMP_EXTENSION) && name.includes(MANIFEST_EXTENSION)) removed++;
  }
  return removed;
}
