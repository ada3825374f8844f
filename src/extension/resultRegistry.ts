// Result ids handed to webviews, and the check that a result may be opened. A webview can only name an id the
// extension issued to that webview; the file behind it must still lie inside a workspace folder (after resolving
// symlinks).
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
  /** Share (0–100) of the searched units scoring below this one, when the search reported it. */
  percentile?: number;
}

/** Who shows a result set: each keeps its own ids, so busy follow-mode searches never expire the panel's. */
export type ResultOwner = 'panel' | 'sidebar' | 'compare' | 'duplicates';

/** What a result set answered: needed to explain a result or to refine its query. */
export interface ResultQuery {
  query: string;
  refine?: { more: string[]; less: string[] };
}

interface ResultSet {
  locations: Map<string, ResultLocation>;
  query?: ResultQuery;
}

/** Sets kept per owner: the one shown and the one it replaced (its page may still be showing it for a moment). */
const KEPT_PER_OWNER = 2;

/** The views whose pages are sent an owner's results: the side view also shows what the panel found. */
const SHOWN_IN: Record<ResultOwner, readonly ResultOwner[]> = {
  panel: ['panel', 'sidebar'],
  sidebar: ['sidebar'],
  compare: ['compare'],
  duplicates: ['duplicates'],
};

/** What an `open` from a webview leads to: a file to open, or why nothing opens. */
export type OpenDecision =
  | { open: string; location: ResultLocation }
  /** Never issued, expired, or issued to a view other than the one asking. */
  | { refused: 'unknown id' }
  | { refused: 'outside the workspace'; location: ResultLocation };

export class ResultRegistry {
  private readonly sets = new Map<ResultOwner, ResultSet[]>();

  /** Issues fresh ids for one result set of `owner`; ids of that owner's older sets stop working. */
  issue(owner: ResultOwner, locations: readonly ResultLocation[], query?: ResultQuery): string[] {
    const set: ResultSet = { locations: new Map(), query };
    const ids = locations.map((location) => {
      const id = randomUUID();
      set.locations.set(id, location);
      return id;
    });
    this.sets.set(owner, [set, ...(this.sets.get(owner) ?? [])].slice(0, KEPT_PER_OWNER));
    return ids;
  }

  get(id: string): ResultLocation | undefined {
    return this.find(id)?.locations.get(id);
  }

  /**
   * What `viewer`'s page may open by `id`: only a result issued to that view (a page can only name what it was
   * shown), and only while its file, symlinks resolved, lies inside one of `workspaceRoots`.
   */
  async openable(viewer: ResultOwner, id: string, workspaceRoots: readonly string[]): Promise<OpenDecision> {
    const set = this.find(id);
    const location = set && SHOWN_IN[set.owner].includes(viewer) ? set.locations.get(id) : undefined;
    if (!location) return { refused: 'unknown id' };
    const absPath = await fileInsideWorkspace(workspaceRoots, location.root, location.relPath);
    return absPath ? { open: absPath, location } : { refused: 'outside the workspace', location };
  }

  /** The query the result with this id answered, if it was a search result. */
  queryOf(id: string): ResultQuery | undefined {
    return this.find(id)?.query;
  }

  private find(id: string): (ResultSet & { owner: ResultOwner }) | undefined {
    for (const [owner, sets] of this.sets) {
      for (const set of sets) if (set.locations.has(id)) return { ...set, owner };
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
