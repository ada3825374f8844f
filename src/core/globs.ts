// VS Code-style glob patterns (as in `files.exclude` / `search.exclude`) compiled to one matcher.
import { makeRe } from 'minimatch';

/**
 * Tests workspace-relative paths (forward slashes, no leading `./`) against a set of glob patterns, which use
 * forward slashes too (a backslash escapes the next character, as in every glob syntax).
 *
 * Semantics, chosen to match what users type into VS Code's include/exclude boxes:
 * - `**` spans any number of segments, `*` and `?` stay inside one segment, `{a,b}` and `[abc]` work;
 * - dot files are matched by `*` like any other name;
 * - a pattern without `/` matches that name at any depth (`*.md` finds Markdown files in every folder);
 * - a pattern that matches a folder also matches everything below it (`src` covers `src/a/b.ts`),
 *   so the walker can prune an excluded folder without reading it;
 * - a leading `./` or `/` and a trailing `/` are ignored;
 * - matching ignores case on Windows and macOS, whose file systems usually do too.
 */
export interface PathMatcher {
  readonly isEmpty: boolean;
  matches(relPath: string): boolean;
}

export function compileGlobs(patterns: readonly string[]): PathMatcher {
  const sources: string[] = [];
  for (const raw of patterns) {
    const pattern = normalizePattern(raw);
    if (!pattern) continue;
    for (const variant of [pattern, `${pattern}/**`]) {
      const re = makeRe(variant, { dot: true, nocase: pathsIgnoreCase, nocomment: true, nonegate: true });
      if (re) sources.push(re.source);
    }
  }
  if (sources.length === 0) return { isEmpty: true, matches: () => false };
  // One alternation instead of a loop over patterns: a single regex test per path keeps 200k-file walks cheap.
  const combined = new RegExp(sources.join('|'), pathsIgnoreCase ? 'i' : '');
  return { isEmpty: false, matches: (relPath) => combined.test(relPath) };
}

/** Whether workspace paths compare case-insensitively: true on Windows and macOS, whose file systems usually do. */
export const pathsIgnoreCase = process.platform === 'win32' || process.platform === 'darwin';

function normalizePattern(raw: string): string {
  let pattern = raw.trim();
  if (pattern.startsWith('./')) pattern = pattern.slice(2);
  else if (pattern.startsWith('/')) pattern = pattern.slice(1);
  pattern = pattern.replace(/\/+$/, '');
  if (pattern && !pattern.includes('/')) pattern = `**/${pattern}`;
  return pattern;
}
