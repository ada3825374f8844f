// Which files of a folder get indexed, and reading one of them safely. Never opens anything that is not a regular
// file, never leaves the root, and reports (rather than throws on) every file it cannot use.
import { constants as fsConstants, promises as fs, type Dirent, type Stats } from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { decodeText, type TextEncodingName } from './decode';
import { compileGlobs, pathsIgnoreCase } from './globs';

export interface WalkOptions {
  /** Files larger than this (by stat size, checked before reading) are skipped as `too-large`. */
  maxFileBytes: number;
  /** Glob patterns (see `compileGlobs`); when given, only files matching one of them are walked. */
  include?: string[];
  /** Glob patterns excluded in addition to `DEFAULT_EXCLUDES`; a matching folder is not entered. */
  exclude?: string[];
  /** After this many files the walk reports `max-files` once and stops. */
  maxFiles?: number;
  /** Default true: honour `.gitignore` and `.ignore` files in every folder, and `.git/info/exclude` at the root. */
  respectGitignore?: boolean;
  /** Aborting makes the generator throw the signal's reason at its next step. */
  signal?: AbortSignal;
}

export interface WalkedFile {
  /** The root joined with `relPath`: a symlinked file keeps its link path. */
  absPath: string;
  /** Relative to the root, forward slashes. */
  relPath: string;
  size: number;
  mtimeMs: number;
}

export type SkipReason =
  | 'too-large'
  | 'binary'
  | 'unreadable'
  | 'not-regular'
  | 'symlink-outside'
  | 'symlink-loop'
  | 'symlink-duplicate'
  | 'max-files';

export interface SkippedFile {
  relPath: string;
  reason: SkipReason;
  detail?: string;
}

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/** Walk settings for callers without their own (the CLI): 1 MiB per file, ignore files honoured, no file cap. */
export const DEFAULT_WALK: Readonly<Omit<WalkOptions, 'signal'>> = { maxFileBytes: DEFAULT_MAX_FILE_BYTES, respectGitignore: true };

/** Always excluded: VS Code's default `files.exclude` and `search.exclude` entries. */
export const DEFAULT_EXCLUDES: readonly string[] = [
  '**/.git', '**/.svn', '**/.hg', '**/CVS', '**/.DS_Store', '**/Thumbs.db',
  '**/node_modules', '**/bower_components', '**/*.code-search',
];

const IGNORE_FILE_NAMES = ['.gitignore', '.ignore'];
const MAX_IGNORE_FILE_BYTES = 1024 * 1024;
const STAT_BATCH = 64;

interface IgnoreScope {
  /** Folder the rules belong to, relative to the root ('' for the root). */
  base: string;
  rules: Ignore;
  parent: IgnoreScope | undefined;
}

interface PendingFolder {
  absPath: string;
  relPath: string;
  /** Where the folder really is; a symlinked folder's contents live under its target. */
  realPath: string;
  /** Rules of the folders above; the folder's own ignore files are read when it is entered. */
  scope: IgnoreScope | undefined;
}

interface FileCandidate {
  absPath: string;
  relPath: string;
  /** Already known for symlinked files (from following the link); stat'ed in batches otherwise. */
  stats?: Stats;
}

/**
 * Yields the files under `root` worth indexing, depth first in name order, each folder's files before its
 * subfolders. Memory stays bounded by one folder listing plus the pending-folder stack.
 *
 * Symlinks are followed only when their real target is inside the root. Symlinked folders are walked after every
 * real folder, and each real folder is walked once, so a link to a folder already walked (an ancestor: a loop;
 * elsewhere: a duplicate) is reported instead of producing the same files twice.
 */
export async function* walkFolder(
  root: string, options: WalkOptions, onSkip?: (skipped: SkippedFile) => void,
): AsyncGenerator<WalkedFile> {
  const { signal, maxFiles = Infinity } = options;
  const respectIgnoreFiles = options.respectGitignore !== false;
  const excluded = compileGlobs([...DEFAULT_EXCLUDES, ...(options.exclude ?? [])]);
  const included = compileGlobs(options.include ?? []);
  const skip = (relPath: string, reason: SkipReason, detail?: string) => onSkip?.({ relPath, reason, detail });

  const rootPath = path.resolve(root);
  const realRoot = await fs.realpath(rootPath);
  const insideRoot = (realPath: string) => realPath === realRoot || realPath.startsWith(realRoot + path.sep);
  const isIncludedFile = (relPath: string) => included.isEmpty || included.matches(relPath);

  const pending: PendingFolder[] = [{ absPath: rootPath, relPath: '', realPath: realRoot, scope: undefined }];
  const symlinkedFolders: PendingFolder[] = [];
  /** Real path of every folder entered → the relPath it was walked as. */
  const walkedFolders = new Map<string, string>();
  let yielded = 0;

  for (let folder = pending.pop(); folder; folder = pending.pop() ?? symlinkedFolders.shift()) {
    signal?.throwIfAborted();
    const firstWalkedAs = walkedFolders.get(folder.realPath);
    if (firstWalkedAs !== undefined) {
      const isLoop = firstWalkedAs === '' || folder.relPath.startsWith(firstWalkedAs + '/');
      skip(folder.relPath, isLoop ? 'symlink-loop' : 'symlink-duplicate', `already walked as ${firstWalkedAs || '.'}`);
      continue;
    }
    walkedFolders.set(folder.realPath, folder.relPath);

    let entries: Dirent[];
    try {
      entries = await fs.readdir(folder.absPath, { withFileTypes: true });
    } catch (error) {
      if (folder.relPath === '') throw error;
      skip(folder.relPath, 'unreadable', errorDetail(error));
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

    const scope = respectIgnoreFiles ? await readIgnoreScope(folder, entries) : folder.scope;
    const isIgnored = (relPath: string, isFolder: boolean) => isIgnoredBy(scope, relPath, isFolder);
    const files: FileCandidate[] = [];
    const subfolders: PendingFolder[] = [];

    for (const entry of entries) {
      const relPath = folder.relPath ? `${folder.relPath}/${entry.name}` : entry.name;
      if (excluded.matches(relPath)) continue;
      const absPath = path.join(folder.absPath, entry.name);
      const kind = await entryKind(entry, absPath);
      if (kind === undefined) {
        skip(relPath, 'unreadable', 'vanished during the walk');
      } else if (kind === 'folder') {
        if (!isIgnored(relPath, true)) {
          subfolders.push({ absPath, relPath, realPath: path.join(folder.realPath, entry.name), scope });
        }
      } else if (kind === 'file') {
        if (isIncludedFile(relPath) && !isIgnored(relPath, false)) files.push({ absPath, relPath });
      } else if (kind === 'symlink') {
        const target = await resolveSymlink(absPath);
        if ('error' in target) {
          skip(relPath, 'unreadable', target.error);
        } else if (!insideRoot(target.realPath)) {
          skip(relPath, 'symlink-outside', target.realPath);
        } else if (target.stats.isDirectory()) {
          if (!isIgnored(relPath, true)) {
            symlinkedFolders.push({ absPath, relPath, realPath: target.realPath, scope });
          }
        } else if (isIncludedFile(relPath) && !isIgnored(relPath, false)) {
          files.push({ absPath, relPath, stats: target.stats });
        }
      } else if (!isIgnored(relPath, false)) {
        skip(relPath, 'not-regular', kind);
      }
    }

    for (let batchStart = 0; batchStart < files.length; batchStart += STAT_BATCH) {
      const batch = files.slice(batchStart, batchStart + STAT_BATCH);
      const stats = await Promise.all(batch.map((file) => file.stats ?? fs.lstat(file.absPath).catch((error: unknown) => error)));
      for (let i = 0; i < batch.length; i++) {
        const file = batch[i];
        const fileStats = stats[i];
        if (!isStats(fileStats)) {
          skip(file.relPath, 'unreadable', errorDetail(fileStats));
        } else if (!fileStats.isFile()) {
          skip(file.relPath, 'not-regular', describeType(fileStats));
        } else if (fileStats.size > options.maxFileBytes) {
          skip(file.relPath, 'too-large', `${fileStats.size} bytes`);
        } else if (yielded >= maxFiles) {
          skip(file.relPath, 'max-files', `limit of ${maxFiles} files reached`);
          return;
        } else {
          signal?.throwIfAborted();
          yielded++;
          yield { absPath: file.absPath, relPath: file.relPath, size: fileStats.size, mtimeMs: fileStats.mtimeMs };
        }
      }
    }
    // Reversed so the stack pops them in name order.
    for (let i = subfolders.length - 1; i >= 0; i--) pending.push(subfolders[i]);
  }
}

export type ReadTextResult = { text: string; encoding: TextEncodingName } | { skipped: SkipReason; detail?: string };

/**
 * Reads and decodes one file, or says why not. Never throws. The type is checked before opening, so FIFOs and
 * devices are never opened; the descriptor is opened non-blocking and checked again in case the path was swapped.
 */
export async function readTextFile(absPath: string, maxBytes: number): Promise<ReadTextResult> {
  let handle: fs.FileHandle;
  try {
    const stats = await fs.stat(absPath);
    if (!stats.isFile()) return { skipped: 'not-regular', detail: describeType(stats) };
    if (stats.size > maxBytes) return { skipped: 'too-large', detail: `${stats.size} bytes` };
    handle = await fs.open(absPath, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (error) {
    return { skipped: 'unreadable', detail: errorDetail(error) };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { skipped: 'not-regular', detail: describeType(stats) };
    if (stats.size > maxBytes) return { skipped: 'too-large', detail: `${stats.size} bytes` };
    const bytes = Buffer.allocUnsafe(stats.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break; // truncated while reading: use what is there
      filled += bytesRead;
    }
    const decoded = decodeText(bytes.subarray(0, filled));
    if ('binary' in decoded) return { skipped: 'binary', detail: 'NUL byte near the start' };
    return decoded;
  } catch (error) {
    return { skipped: 'unreadable', detail: errorDetail(error) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

type EntryKind = 'file' | 'folder' | 'symlink' | 'fifo' | 'socket' | 'device';

/** The entry's type from the listing; file systems that do not report one cost an lstat. */
async function entryKind(entry: Dirent, absPath: string): Promise<EntryKind | undefined> {
  const fromDirent = kindOf(entry);
  if (fromDirent) return fromDirent;
  try {
    return kindOf(await fs.lstat(absPath));
  } catch {
    return undefined;
  }
}

function kindOf(info: Dirent | Stats): EntryKind | undefined {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'folder';
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isFIFO()) return 'fifo';
  if (info.isSocket()) return 'socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'device';
  return undefined;
}

function describeType(stats: Stats): string {
  return kindOf(stats) ?? 'unknown type';
}

async function resolveSymlink(absPath: string): Promise<{ realPath: string; stats: Stats } | { error: string }> {
  try {
    const realPath = await fs.realpath(absPath);
    return { realPath, stats: await fs.stat(realPath) };
  } catch (error) {
    return { error: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'broken symbolic link' : errorDetail(error) };
  }
}

/** The folder's own ignore rules (plus `.git/info/exclude` at the root) chained onto its parents' rules. */
async function readIgnoreScope(folder: PendingFolder, entries: Dirent[]): Promise<IgnoreScope | undefined> {
  const sources: string[] = [];
  if (folder.relPath === '') sources.push(path.join(folder.absPath, '.git', 'info', 'exclude'));
  // Later files win, so `.ignore` overrides `.gitignore` as in ripgrep.
  for (const name of IGNORE_FILE_NAMES) {
    if (entries.some((entry) => entry.name === name && entry.isFile())) sources.push(path.join(folder.absPath, name));
  }
  let rules: Ignore | undefined;
  for (const source of sources) {
    const read = await readTextFile(source, MAX_IGNORE_FILE_BYTES);
    if ('text' in read) (rules ??= ignore({ ignorecase: pathsIgnoreCase })).add(read.text);
  }
  return rules ? { base: folder.relPath, rules, parent: folder.scope } : folder.scope;
}

/** Git precedence: the deepest ignore file with a rule about the path decides. */
function isIgnoredBy(scope: IgnoreScope | undefined, relPath: string, isFolder: boolean): boolean {
  for (let current = scope; current; current = current.parent) {
    const local = current.base ? relPath.slice(current.base.length + 1) : relPath;
    const result = current.rules.test(isFolder ? `${local}/` : local);
    if (result.ignored) return true;
    if (result.unignored) return false;
  }
  return false;
}

function isStats(value: unknown): value is Stats {
  return typeof value === 'object' && value !== null && typeof (value as Stats).isFile === 'function';
}

function errorDetail(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
