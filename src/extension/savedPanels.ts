// What the heatmap and the near-duplicates panels keep in the workspace state so both come back after a window
// reload as they were, without starting the model: the compared units with their matrix, the clusters with the
// places of their members. Ids are never kept (they die with the session); places are, and get fresh ids on restore.
// Read back defensively: an older version of the extension may have written something else. No `vscode` import.
import type { Unit } from '../core/units';
import type { ResultLocation } from './resultRegistry';

export const SAVED_COMPARISON_KEY = 'similarSentences.compare.last';
export const SAVED_DUPLICATES_KEY = 'similarSentences.duplicates.last';

/** Members kept at most: the workspace state is one database value per key, and a restored list this long is plenty. */
export const MAX_SAVED_MEMBERS = 5_000;

export interface SavedComparison {
  units: Unit[];
  /** The units' file, when it is in the workspace (then they can be opened). */
  place?: { root: string; relPath: string };
  fileLabel: string;
  mode: 'lines' | 'sentences';
  limited: boolean;
  matrix: number[][];
  model: string;
}

export interface SavedDuplicates {
  threshold: number;
  units: number;
  elapsedMs: number;
  model: string;
  limited: boolean;
  /** When the clusters were found (ms since the epoch): the files may have changed since. */
  foundAt: number;
  clusters: Array<{ distinctTexts: number; members: ResultLocation[] }>;
}

/** The clusters to keep: whole clusters, largest first, up to MAX_SAVED_MEMBERS members (`limited` if some are left out). */
export function duplicatesToSave(found: SavedDuplicates): SavedDuplicates {
  const clusters: SavedDuplicates['clusters'] = [];
  let members = 0;
  for (const cluster of found.clusters) {
    if (members + cluster.members.length > MAX_SAVED_MEMBERS) break;
    clusters.push(cluster);
    members += cluster.members.length;
  }
  return { ...found, clusters, limited: found.limited || clusters.length < found.clusters.length };
}

export function parseSavedComparison(raw: unknown): SavedComparison | undefined {
  if (!isRecord(raw) || !Array.isArray(raw.units) || !Array.isArray(raw.matrix)) return undefined;
  const { units, matrix, place } = raw;
  const n = units.length;
  if (n < 2 || !units.every(isUnit)) return undefined;
  if (matrix.length !== n || !matrix.every((row) => Array.isArray(row) && row.length === n && row.every(isFiniteNumber))) return undefined;
  if (place !== undefined && !(isRecord(place) && typeof place.root === 'string' && typeof place.relPath === 'string')) return undefined;
  if (typeof raw.fileLabel !== 'string' || (raw.mode !== 'lines' && raw.mode !== 'sentences') || typeof raw.limited !== 'boolean' || typeof raw.model !== 'string') {
    return undefined;
  }
  return {
    units: units.map(({ text, line, endLine, column, endColumn }) => ({ text, line, endLine, column, endColumn })),
    place: place === undefined ? undefined : { root: place.root as string, relPath: place.relPath as string },
    fileLabel: raw.fileLabel,
    mode: raw.mode,
    limited: raw.limited,
    matrix: matrix as number[][],
    model: raw.model,
  };
}

export function parseSavedDuplicates(raw: unknown): SavedDuplicates | undefined {
  if (!isRecord(raw) || !Array.isArray(raw.clusters)) return undefined;
  const numbers = [raw.threshold, raw.units, raw.elapsedMs, raw.foundAt];
  if (!numbers.every(isFiniteNumber) || typeof raw.model !== 'string' || typeof raw.limited !== 'boolean') return undefined;
  const clusters = raw.clusters;
  const valid = clusters.every(
    (cluster) => isRecord(cluster) && isFiniteNumber(cluster.distinctTexts) && Array.isArray(cluster.members) && cluster.members.length > 0 && cluster.members.every(isLocation),
  );
  if (!valid) return undefined;
  return {
    threshold: raw.threshold as number,
    units: raw.units as number,
    elapsedMs: raw.elapsedMs as number,
    model: raw.model,
    limited: raw.limited,
    foundAt: raw.foundAt as number,
    clusters: (clusters as SavedDuplicates['clusters']).map(({ distinctTexts, members }) => ({ distinctTexts, members: members.map(locationFields) })),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isUnit(value: unknown): value is Unit {
  return isRecord(value) && typeof value.text === 'string' && [value.line, value.endLine, value.column, value.endColumn].every(isFiniteNumber);
}

function isLocation(value: unknown): value is ResultLocation {
  if (!isUnit(value)) return false;
  const record = value as unknown as Record<string, unknown>;
  return typeof record.root === 'string' && typeof record.relPath === 'string' && isFiniteNumber(record.score);
}

/** Only the fields of a place (a stored record may carry others). */
function locationFields({ root, relPath, line, endLine, column, endColumn, text, score }: ResultLocation): ResultLocation {
  return { root, relPath, line, endLine, column, endColumn, text, score };
}
