// The model cache on disk. A Hub model at a revision lives in one folder; only verified, complete folders ever appear
// under their final name (downloads are staged in temporary folders and renamed into place), and a complete folder
// carries a marker listing the verified files, so "is it cached?" needs no network and no guessing.
//
//   cacheDirFor(cacheRoot, id, revision)  `${cacheRoot}/${owner}--${name}/${revision}`
//   isCached(dir, dtype)                  synchronous: the marker lists every required file for dtype, on disk at size
//   verifiedFiles(dir)                    the marker's files that are still on disk at their recorded size
//   readMarker(dir), writeMarker(dir, marker), MARKER_FILE, CompleteMarker
//   createStagingDir(cacheRoot)           a temporary folder in the cache root, named after this process
//   discardFolder(cacheRoot, dir)         rename out of the way, then delete (never a half-deleted folder in place);
//                                         a folder that is not there is fine
//   sweepStaleStagingDirs(cacheRoot)      delete temporary folders of processes that no longer run
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dtype } from '../../protocol';
import { modelFilesFor } from './files';
import { assertHubId, assertRevision } from './hub';
import { isProcessAlive } from '../processAlive';

export const MARKER_FILE = '.complete.json';

export interface CompleteMarker {
  id: string;
  revision: string;
  /** Every verified file (path inside the folder → size in bytes). */
  files: Record<string, number>;
}

export function cacheDirFor(cacheRoot: string, id: string, revision: string): string {
  assertHubId(id);
  assertRevision(revision);
  return join(cacheRoot, id.replace('/', '--'), revision.replace(/\//g, '--'));
}

export function readMarker(dir: string): CompleteMarker | undefined {
  try {
    const marker = JSON.parse(readFileSync(join(dir, MARKER_FILE), 'utf8')) as Partial<CompleteMarker>;
    if (typeof marker.id !== 'string' || typeof marker.revision !== 'string') return undefined;
    if (typeof marker.files !== 'object' || marker.files === null) return undefined;
    return marker as CompleteMarker;
  } catch {
    return undefined;
  }
}

export function writeMarker(dir: string, marker: CompleteMarker): Promise<void> {
  return writeFile(join(dir, MARKER_FILE), JSON.stringify(marker, null, 2));
}

export function verifiedFiles(dir: string): Record<string, number> {
  const files = readMarker(dir)?.files ?? {};
  return Object.fromEntries(Object.entries(files).filter(([path, size]) => sizeOf(join(dir, path)) === size));
}

export function isCached(dir: string, dtype: Dtype): boolean {
  const present = verifiedFiles(dir);
  return modelFilesFor(dtype).every((file) => file.optional || present[file.path] !== undefined);
}

function sizeOf(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

// Temporary folders are named after the owning process, so a sweep can tell a crashed run's leftovers from a download
// still running in another window.
const STAGING_PREFIX = '.partial-';
const TRASH_PREFIX = '.trash-';
const TEMP_NAME = /^\.(?:partial|trash)-(\d+)-/;

export function createStagingDir(cacheRoot: string): Promise<string> {
  return mkdtemp(join(cacheRoot, `${STAGING_PREFIX}${process.pid}-`));
}

export async function discardFolder(cacheRoot: string, dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const trash = await mkdtemp(join(cacheRoot, `${TRASH_PREFIX}${process.pid}-`));
  try {
    await rename(dir, join(trash, 'folder'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  } finally {
    await rm(trash, { recursive: true, force: true });
  }
}

export async function sweepStaleStagingDirs(cacheRoot: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(cacheRoot);
  } catch {
    return;
  }
  await Promise.all(
    names.map(async (name) => {
      const owner = TEMP_NAME.exec(name);
      if (owner && !isProcessAlive(Number(owner[1]))) await rm(join(cacheRoot, name), { recursive: true, force: true });
    }),
  );
}
