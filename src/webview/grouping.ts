// Flat ranking or grouped by file: the order results are shown (and walked with the arrow keys) in.
import type { ResultView } from './protocol';

export type Grouping = 'flat' | 'file';

export interface ResultGroup {
  /** The file, or undefined for the single group of a flat ranking. */
  file?: string;
  results: ResultView[];
  /** Best score in the group. */
  best: number;
}

/**
 * Grouped by file, groups are ordered by their best result and keep the ranking inside, so the top result
 * stays first either way.
 */
export function groupResults(results: readonly ResultView[], grouping: Grouping): ResultGroup[] {
  const ranked = [...results].sort((a, b) => a.rank - b.rank);
  if (grouping === 'flat') return ranked.length ? [{ results: ranked, best: ranked[0].score }] : [];
  const byFile = new Map<string, ResultGroup>();
  for (const result of ranked) {
    const group = byFile.get(result.file);
    if (group) group.results.push(result);
    else byFile.set(result.file, { file: result.file, results: [result], best: result.score });
  }
  return [...byFile.values()];
}

/** Results in display order, for keyboard navigation. */
export function displayOrder(groups: readonly ResultGroup[]): ResultView[] {
  return groups.flatMap((group) => group.results);
}
