// Which files of a folder get indexed, and reading one of them safely. Never opens anything that is not a regular
// file, never leaves the root, and reports (rather than throws on) every file it cannot use.
import { constants as fsConstants, promises as fs, type Dirent, type Stats } from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { decodeText, type TextEncodingName } from './decode';
import { compileGlobs, pathsIgnoreCase, type PathMatcher } from './globs';

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

/**
 * The default per-folder file cap of the extension and the CLI. Each file costs the host about 2 KB even with one
 * short line (test/host/largeTree.test.ts: 200k files peak at 0.4–0.6 GB), and a real file's lines are embedded
 * at a few hundred a second (README benchmarks): past this many files, include globs serve a workspace better.
 */
export const DEFAULT_MAX_FILES = 100_000;

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
 * subfolders. Memory stays bounded by one folder listing plus the pending-folder stack. Rejects only when the root
 * itself cannot be read; everything below it that cannot be used is reported through `onSkip`.
 *
 * Symlinks are followed only when their real target is inside the root. Symlinked folders are walked after every
 * real folder, and each real folder is walked once, so a link to a folder already walked (an ancestor: a loop;
 * elsewhere: a duplicate) is reported instead of producing the same files twice.
 */
export async function* walkFolder(
  root: string, options: WalkOptions, onSkip?: (skipped: SkippedFile) => void,
): AsyncGenerator<WalkedFile> {
  const rootPath = path.resolve(root);
  const walk = new Walk(await fs.realpath(rootPath), options, onSkip);
  yield* walk.run(rootPath);
}

/**
 * Whether a walk of root with these options would leave out the file at relPath (default excludes, exclude and
 * include globs, .gitignore/.ignore files along its path) — answered without walking, with the walker's own rules.
 * Used for changes reported by an editor, which may concern files the walk never yields. The file's size and type
 * are not checked here.
 */
export async function isExcludedFromWalk(root: string, relPath: string, options: Omit<WalkOptions, 'signal'>): Promise<boolean> {
  const rules = new PathRules(options);
  const names = relPath.split('/');
  let folder: PendingFolder = { absPath: path.resolve(root), relPath: '', realPath: '', scope: undefined };
  for (let depth = 0; depth < names.length; depth++) {
    if (options.respectGitignore !== false) {
      const entries = await fs.readdir(folder.absPath, { withFileTypes: true }).catch(() => undefined);
      if (!entries) return true; // the walk cannot list this folder either
      folder = { ...folder, scope: await readIgnoreScope(folder, entries) };
    }
    const isIgnored = ignoreTester(folder.scope);
    const childPath = folder.relPath ? `${folder.relPath}/${names[depth]}` : names[depth];
    if (rules.isExcluded(childPath)) return true;
    if (depth === names.length - 1) return !rules.wantsFile(childPath, isIgnored);
    if (isIgnored(childPath, true)) return true;
    folder = { ...folder, absPath: path.join(folder.absPath, names[depth]), relPath: childPath };
  }
  return true; // an empty relPath names no file
}

type IgnoreTest = (relPath: string, isFolder: boolean) => boolean;

/** The glob rules of a walk: one implementation for the walker and for isExcludedFromWalk. */
class PathRules {
  private readonly excluded: PathMatcher;
  private readonly included: PathMatcher;

  constructor(options: Pick<WalkOptions, 'include' | 'exclude'>) {
    this.excluded = compileGlobs([...DEFAULT_EXCLUDES, ...(options.exclude ?? [])]);
    this.included = compileGlobs(options.include ?? []);
  }

  /** Excluded by a glob: neither yielded nor, for a folder, entered. */
  isExcluded(relPath: string): boolean {
    return this.excluded.matches(relPath);
  }

  /** A file that is not excluded is yielded when it matches the include globs (if any) and no ignore rule. */
  wantsFile(relPath: string, isIgnored: IgnoreTest): boolean {
    return (this.included.isEmpty || this.included.matches(relPath)) && !isIgnored(relPath, false);
  }
}

/** The state of one walk: folders still to enter, folders already entered, files yielded so far. */
class Walk {
  private readonly rules: PathRules;
  private readonly pending: PendingFolder[] = [];
  private readonly symlinkedFolders: PendingFolder[] = [];
  /** Real path of every folder entered → the relPath it was walked as. */
  private readonly walkedFolders = new Map<string, string>();
  private yielded = 0;

  constructor(
    private readonly realRoot: string,
    private readonly options: WalkOptions,
    private readonly onSkip: ((skipped: SkippedFile) => void) | undefined,
  ) {
    this.rules = new PathRules(options);
  }

  async *run(rootPath: string): AsyncGenerator<WalkedFile> {
    const { signal, maxFiles = Infinity, maxFileBytes } = this.options;
    this.pending.push({ absPath: rootPath, relPath: '', realPath: this.realRoot, scope: undefined });
    for (let folder = this.pending.pop(); folder; folder = this.pending.pop() ?? this.symlinkedFolders.shift()) {
      signal?.throwIfAborted();
      if (this.alreadyWalked(folder)) continue;
      const files = await this.listFolder(folder);
      for (let batchStart = 0; batchStart < files.length; batchStart += STAT_BATCH) {
        const batch = files.slice(batchStart, batchStart + STAT_BATCH);
        const stats = await Promise.all(batch.map((file) => file.stats ?? fs.lstat(file.absPath).catch((error: unknown) => error)));
        for (let i = 0; i < batch.length; i++) {
          const { absPath, relPath } = batch[i];
          const fileStats = stats[i];
          if (!isStats(fileStats)) {
            this.skip(relPath, 'unreadable', errorDetail(fileStats));
          } else if (!fileStats.isFile()) {
            this.skip(relPath, 'not-regular', describeType(fileStats));
          } else if (fileStats.size > maxFileBytes) {
            this.skip(relPath, 'too-large', `${fileStats.size} bytes`);
          } else if (this.yielded >= maxFiles) {
            this.skip(relPath, 'max-files', `limit of ${maxFiles} files reached`);
            return;
          } else {
            signal?.throwIfAborted();
            this.yielded++;
            yield { absPath, relPath, size: fileStats.size, mtimeMs: fileStats.mtimeMs };
          }
        }
      }
    }
  }

  private skip(relPath: string, reason: SkipReason, detail?: string): void {
    this.onSkip?.({ relPath, reason, detail });
  }

  private alreadyWalked(folder: PendingFolder): boolean {
    const firstWalkedAs = this.walkedFolders.get(folder.realPath);
    if (firstWalkedAs === undefined) {
      this.walkedFolders.set(folder.realPath, folder.relPath);
      return false;
    }
    const isLoop = firstWalkedAs === '' || folder.relPath.startsWith(`${firstWalkedAs}/`);
    this.skip(folder.relPath, isLoop ? 'symlink-loop' : 'symlink-duplicate', `already walked as ${firstWalkedAs || '.'}`);
    return true;
  }

  /** Reads one folder: queues its subfolders, reports what cannot be used, returns the candidate files. */
  private async listFolder(folder: PendingFolder): Promise<FileCandidate[]> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(folder.absPath, { withFileTypes: true });
    } catch (error) {
      if (folder.relPath === '') throw error;
      this.skip(folder.relPath, 'unreadable', errorDetail(error));
      return [];
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const scope = this.options.respectGitignore === false ? folder.scope : await readIgnoreScope(folder, entries);
    const isIgnored = ignoreTester(scope);
    const isWantedFile = (relPath: string) => this.rules.wantsFile(relPath, isIgnored);
    const files: FileCandidate[] = [];
    const subfolders: PendingFolder[] = [];

    for (const entry of entries) {
      const relPath = folder.relPath ? `${folder.relPath}/${entry.name}` : entry.name;
      if (this.rules.isExcluded(relPath)) continue;
      const absPath = path.join(folder.absPath, entry.name);
      const kind = await entryKind(entry, absPath);
      if (typeof kind === 'object') {
        this.skip(relPath, 'unreadable', kind.error);
      } else if (kind === 'folder') {
        if (!isIgnored(relPath, true)) subfolders.push({ absPath, relPath, realPath: path.join(folder.realPath, entry.name), scope });
      } else if (kind === 'file') {
        if (isWantedFile(relPath)) files.push({ absPath, relPath });
      } else if (kind === 'symlink') {
        const target = await resolveSymlink(absPath);
        if ('error' in target) {
          this.skip(relPath, 'unreadable', target.error);
        } else if (!this.insideRoot(target.realPath)) {
          this.skip(relPath, 'symlink-outside', target.realPath);
        } else if (target.stats.isDirectory()) {
          if (!isIgnored(relPath, true)) this.symlinkedFolders.push({ absPath, relPath, realPath: target.realPath, scope });
        } else if (isWantedFile(relPath)) {
          files.push({ absPath, relPath, stats: target.stats });
        }
      } else if (!isIgnored(relPath, false)) {
        this.skip(relPath, 'not-regular', kind);
      }
    }
    // Reversed so the stack pops them in name order.
    for (let i = subfolders.length - 1; i >= 0; i--) this.pending.push(subfolders[i]);
    return files;
  }

  private insideRoot(realPath: string): boolean {
    return realPath === this.realRoot || realPath.startsWith(this.realRoot + path.sep);
  }
}

/** A text read from disk, and the size and modification time it was read at. */
export interface TextFile {
  text: string;
  encoding: TextEncodingName;
  /** Bytes the text was decoded from. */
  size: number;
  /** The file's mtime while it was read, or UNSETTLED_MTIME when the text cannot be tied to one (see readTextFile). */
  mtimeMs: number;
}

export type ReadTextResult = TextFile | { skipped: SkipReason; detail?: string };

/** Never a file's real mtime, so a walk comparing stamps always reads such a file again. */
export const UNSETTLED_MTIME = -1;

/** A file still changing after this many reads is indexed as last read, with UNSETTLED_MTIME. */
const READ_ATTEMPTS = 3;

/**
 * File systems stamp mtimes in ticks (FAT 2 s, HFS+ 1 s, ext4 a few ms): a file modified this close to the start of
 * its read may be rewritten in the same tick with the same size, which no stat can tell apart from the version read.
 */
const SAME_TICK_MS = 2000;

/**
 * Reads and decodes one file, or says why not. Never throws. The type is checked before opening, so FIFOs and
 * devices are never opened; the descriptor is opened non-blocking and checked again in case the path was swapped.
 *
 * A file written while it is read is read again, so the text is one version of the file rather than a mix. The
 * result's size and mtimeMs are those of that version: recorded in an index, any later change makes them differ
 * from the file's. When that cannot be promised — the file kept changing through every attempt, or was modified
 * within SAME_TICK_MS of the read — mtimeMs is UNSETTLED_MTIME, and the next walk reads the file again.
 */
export async function readTextFile(absPath: string, maxBytes: number): Promise<ReadTextResult> {
  for (let attempt = 1; ; attempt++) {
    const startedMs = Date.now();
    const read = await readBytes(absPath, maxBytes);
    if ('skipped' in read) return read;
    if (read.changed && attempt < READ_ATTEMPTS) continue;
    const decoded = decodeText(read.bytes);
    if ('binary' in decoded) return { skipped: 'binary', detail: 'NUL byte near the start' };
    const settled = !read.changed && read.mtimeMs < startedMs - SAME_TICK_MS;
    return { ...decoded, size: read.bytes.length, mtimeMs: settled ? read.mtimeMs : UNSETTLED_MTIME };
  }
}

/** One read of a file's bytes, and whether the file changed (size, mtime or ctime) between its open and the end. */
async function readBytes(absPath: string, maxBytes: number): Promise<{ bytes: Buffer; mtimeMs: number; changed: boolean } | { skipped: SkipReason; detail?: string }> {
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
    const before = await handle.stat();
    if (!before.isFile()) return { skipped: 'not-regular', detail: describeType(before) };
    if (before.size > maxBytes) return { skipped: 'too-large', detail: `${before.size} bytes` };
    const bytes = Buffer.allocUnsafe(before.size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break; // truncated while reading
      filled += bytesRead;
    }
    const after = await handle.stat();
    const changed = filled !== before.size || after.size !== before.size || after.mtimeMs !== before.mtimeMs || after.ctimeMs !== before.ctimeMs;
    return { bytes: bytes.subarray(0, filled), mtimeMs: before.mtimeMs, changed };
  } catch (error) {
    return { skipped: 'unreadable', detail: errorDetail(error) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

type EntryKind = 'file' | 'folder' | 'symlink' | 'fifo' | 'socket' | 'device';

/** The entry's type from the listing; file systems that do not report one cost an lstat. */
async function entryKind(entry: Dirent, absPath: string): Promise<EntryKind | { error: string }> {
  const fromDirent = kindOf(entry);
  if (fromDirent) return fromDirent;
  try {
    return kindOf(await fs.lstat(absPath)) ?? { error: 'unknown file type' };
  } catch (error) {
    return { error: errorDetail(error) };
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

/**
 * Tests paths of one folder against the ignore rules in scope; the deepest ignore file with a rule about a path
 * decides, as in git. `ignore` caches every path it tests, so each folder gets fresh instances (sharing the
 * compiled rules): the cache then lives as long as one listing instead of growing with the whole tree.
 */
function ignoreTester(scope: IgnoreScope | undefined): IgnoreTest {
  const levels: { base: string; rules: Ignore }[] = [];
  for (let current = scope; current; current = current.parent) {
    levels.push({ base: current.base, rules: ignore({ ignorecase: pathsIgnoreCase }).add(current.rules) });
  }
  return (relPath, isFolder) => {
    for (const { base, rules } of levels) {
      const local = base ? relPath.slice(base.length + 1) : relPath;
      const result = rules.test(isFolder ? `${local}/` : local);
      if (result.ignored) return true;
      if (result.unignored) return false;
    }
    return false;
  };
}

function isStats(value: unknown): value is Stats {
  return typeof value === 'object' && value !== null && typeof (value as Stats).isFile === 'function';
}

function errorDetail(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}
