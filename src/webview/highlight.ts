// Which words of a result to highlight (those that added most to its similarity with the query), and where they
// are in the result's snippet. Explanations give offsets in the unit's text (whitespace collapsed); snippet lines
// carry the unit-text offset where each shown line of the unit starts, so words are placed exactly, line by line.
import type { ExplainedWord, ExplanationView, SnippetLine } from './protocol';

/** More than a handful of highlighted words stops telling which ones matter. */
export const MAX_HIGHLIGHTED_WORDS = 5;
/** Words adding less than this share of the best word's contribution are not worth pointing at. */
const MIN_SHARE_OF_BEST = 0.2;

export interface HighlightSpan {
  /** UTF-16 offsets in the shown line text. */
  start: number;
  end: number;
  /** 0..1: the word's contribution relative to the best word's. */
  weight: number;
  word: ExplainedWord;
}

/** The words that added most to the score, best first. */
export function topWords(explanation: ExplanationView, max = MAX_HIGHLIGHTED_WORDS): ExplainedWord[] {
  const positive = explanation.words.filter((word) => word.start >= 0 && word.contribution > 0);
  const ranked = [...positive].sort((a, b) => b.contribution - a.contribution);
  const best = ranked[0]?.contribution ?? 0;
  return ranked.slice(0, max).filter((word) => word.contribution >= best * MIN_SHARE_OF_BEST);
}

/**
 * Spans of `chosen` words per snippet line number. Every word is looked for in text order from where the previous
 * one ended (never before the position its unit-text offset implies), so a repeated word is placed where it
 * really is; words on a part of a line that was cut off are left out.
 */
export function placeWords(snippet: readonly SnippetLine[], words: readonly ExplainedWord[], chosen: readonly ExplainedWord[]): Map<number, HighlightSpan[]> {
  const unitLines = snippet.filter((line) => line.unitStart !== undefined && line.unitTextOffset !== undefined);
  const best = chosen.reduce((max, word) => Math.max(max, word.contribution), 0);
  const wanted = new Set(chosen);
  const spans = new Map<number, HighlightSpan[]>();
  const cursors = unitLines.map((line) => line.unitStart!);
  const ordered = words.filter((word) => word.start >= 0).sort((a, b) => a.start - b.start);
  for (const word of ordered) {
    const index = lineOf(unitLines, word.start);
    if (index < 0) continue;
    const line = unitLines[index];
    const implied = line.unitStart! + (word.start - line.unitTextOffset!);
    const from = Math.max(cursors[index], implied);
    const at = line.text.indexOf(word.text, from);
    if (at < 0 || at + word.text.length > line.unitEnd!) continue;
    cursors[index] = at + word.text.length;
    if (!wanted.has(word)) continue;
    const list = spans.get(line.line) ?? [];
    list.push({ start: at, end: at + word.text.length, weight: best > 0 ? word.contribution / best : 0, word });
    spans.set(line.line, list);
  }
  return spans;
}

/** The last unit line starting at or before `offset`. */
function lineOf(unitLines: readonly SnippetLine[], offset: number): number {
  let found = -1;
  for (let i = 0; i < unitLines.length; i++) {
    if (unitLines[i].unitTextOffset! <= offset) found = i;
    else break;
  }
  return found;
}
