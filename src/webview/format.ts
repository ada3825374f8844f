// Numbers as the webviews show them. No DOM: unit-tested in Node.

/** Cosine similarity with three decimals, as in the results, the heatmap and the near-duplicates. */
export function formatScore(score: number): string {
  return score.toFixed(3);
}

/**
 * "top 2%" for a percentile of 98: how rare a score this good is in the workspace. Below 1% one decimal is kept,
 * and nothing is shown as better than "top 0.1%".
 */
export function formatPercentile(percentile: number): string {
  const top = Math.max(0.1, 100 - percentile);
  return `top ${top < 1 ? top.toFixed(1) : Math.round(top)}%`;
}

/** The longer wording, for a tooltip or a screen reader. */
export function describePercentile(percentile: number, searched?: number): string {
  const share = percentile >= 99.9 ? percentile.toFixed(2) : percentile.toFixed(1);
  const units = searched === undefined ? 'the units searched' : `the ${searched.toLocaleString()} units searched`;
  return `Scores higher than ${share}% of ${units}`;
}

/** A line range as "3" or "3-5". */
export function formatLines(line: number, endLine: number): string {
  return endLine > line ? `${line}-${endLine}` : `${line}`;
}

/** A model folder is named by its last segment (the full path goes in a tooltip); a Hub id as it is. */
export function shortModelName(model: string): string {
  return /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(model) ? model : (model.split(/[\\/]/).filter(Boolean).pop() ?? model);
}
