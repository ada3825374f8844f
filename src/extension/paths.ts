// Workspace path arithmetic shared by the index updates, result opening and the query's own location.
import * as path from 'node:path';

/** True when `candidate` lies strictly inside `folder` (both absolute). */
export function isInside(folder: string, candidate: string): boolean {
  const relative = path.relative(folder, candidate);
  return relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/** The host's relPath form: relative to the root, forward slashes. */
export function toRelPath(root: string, absPath: string): string {
  return path.relative(root, absPath).split(path.sep).join('/');
}

/** The workspace folder (longest match, for nested folders) holding `absPath`. */
export function rootOf(roots: readonly string[], absPath: string): string | undefined {
  return roots.filter((root) => isInside(root, absPath)).sort((a, b) => b.length - a.length)[0];
}
