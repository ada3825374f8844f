// Result ids handed to webviews, and the check that a result may be opened. A webview can only name an id the
// extension issued; the file behind it must still lie inside a workspace folder (after resolving symlinks).
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isInside } from './paths';

export interface ResultLocation {
  /** Absolute path of the workspace folder. */
  root: string;
  /** Forward slashes, relative to root. */
  relPath: string;
  line: number;
  endLine: number;
  column: number;
  endColumn: number;
  text: string;
  score: number;
}

/** Result sets kept alive: the panel's, the side view's and one being replaced. */
const KEPT_SETS = 3;

export class ResultRegistry {
  private sets: Map<string, ResultLocation>[] = [];

  /** Issues fresh ids for one result set; ids of the oldest sets stop working. */
  issue(locations: readonly ResultLocation[]): string[] {
    const set = new Map<string, ResultLocation>();
    const ids = locations.map((location) => {
      const id = randomUUID();
      set.set(id, location);
      return id;
    });
    this.sets = [set, ...this.sets].slice(0, KEPT_SETS);
    return ids;
  }

  get(id: string): ResultLocation | undefined {
    for (const set of this.sets) {
      const location = set.get(id);
      if (location) return location;
    }
    return undefined;
  }
}

/**
 * The absolute path of `relPath` under `root` when `root` is one of `workspaceRoots` and the file, with symlinks
 * resolved, lies inside it; otherwise undefined.
 */
export async function fileInsideWorkspace(workspaceRoots: readonly string[], root: string, relPath: string): Promise<string | undefined> {
  if (!workspaceRoots.some((candidate) => samePath(candidate, root))) return undefined;
  if (path.isAbsolute(relPath) || path.win32.isAbsolute(relPath)) return undefined;
  const absPath = path.resolve(root, relPath);
  if (!isInside(root, absPath)) return undefined;
  try {
    const [realRoot, realFile] = await Promise.all([fs.realpath(root), fs.realpath(absPath)]);
    return isInside(realRoot, realFile) ? absPath : undefined;
  } catch {
    return undefined;
  }
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}
