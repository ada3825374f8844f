// Files the index left out, and why, in words: a count with the reasons for the index state, and one line per file
// for the log (the host reports every skip in the count but lists only a bounded sample). No `vscode` import.
import type { SkippedReason, SkippedReport } from '../protocol';

const REASONS: Record<SkippedReason, string> = {
  'too-large': 'too large',
  binary: 'binary',
  unreadable: 'unreadable',
  'not-regular': 'not a regular file',
  'symlink-outside': 'linked from outside the workspace',
  'symlink-loop': 'in a symlink loop',
  'symlink-duplicate': 'a link to a file indexed under another path',
  'max-files': 'over the file limit',
  'crashed-host': 'crashed the model host',
};

/** What the index leaves out: a bounded sample of files, and how many there are in all. */
export interface SkippedFiles {
  sample: SkippedReport[];
  count: number;
}

export const NO_SKIPPED_FILES: SkippedFiles = { sample: [], count: 0 };

export function describeReason(reason: SkippedReason): string {
  return REASONS[reason] ?? reason;
}

/**
 * "3 files skipped: 2 too large, 1 crashed the model host", the reasons counted over the listed sample (and
 * "…" when the host listed only part of them). Undefined when nothing was skipped.
 */
export function summarizeSkipped(skipped: SkippedFiles): string | undefined {
  if (!skipped.count) return undefined;
  const byReason = new Map<SkippedReason, number>();
  for (const file of skipped.sample) byReason.set(file.reason, (byReason.get(file.reason) ?? 0) + 1);
  // Files that crashed the host first: they are the ones a user may want to look at.
  const reasons = [...byReason].sort(([a, x], [b, y]) => Number(b === 'crashed-host') - Number(a === 'crashed-host') || y - x);
  const parts = reasons.map(([reason, n]) => `${n.toLocaleString()} ${describeReason(reason)}`);
  if (skipped.count > skipped.sample.length) parts.push('…');
  const files = `${skipped.count.toLocaleString()} file${skipped.count === 1 ? '' : 's'} skipped`;
  return parts.length ? `${files}: ${parts.join(', ')}` : files;
}

/** Whether any skipped file is one that crashed the model host (shown as a warning rather than a note). */
export function hasCrashedHost(skipped: SkippedFiles): boolean {
  return skipped.sample.some((file) => file.reason === 'crashed-host');
}

/** One line per listed file, for the log: "src/big.json: too large (3.2 MB)". */
export function skippedLogLines(skipped: SkippedFiles, displayPath: (root: string, relPath: string) => string): string[] {
  const lines = skipped.sample.map((file) => `${displayPath(file.root, file.relPath)}: ${describeReason(file.reason)}${file.detail ? ` (${file.detail})` : ''}`);
  const unlisted = skipped.count - skipped.sample.length;
  if (unlisted > 0) lines.push(`…and ${unlisted.toLocaleString()} more not listed`);
  return lines;
}

/**
 * The skipped files after an update of single files: the update's report replaces what was known about the files it
 * looked at (a file that no longer crashes the host is indexed again), the rest stays.
 */
export function mergeSkipped(known: SkippedFiles, update: SkippedFiles, updated: ReadonlyArray<{ root: string; relPath: string }>): SkippedFiles {
  const key = (file: { root: string; relPath: string }) => `${file.root}\0${file.relPath}`;
  const touched = new Set(updated.map(key));
  const kept = known.sample.filter((file) => !touched.has(key(file)));
  const removed = known.sample.length - kept.length;
  return { sample: [...kept, ...update.sample], count: Math.max(0, known.count - removed) + update.count };
}
