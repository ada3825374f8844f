// A result's snippet: the unit's lines with a few lines of context, long lines cut to a window around the unit.
// Pure text in, SnippetLine[] out, so the extension decides what the webview shows (and how much of it).
import type { SnippetLine } from '../webview/protocol';

export interface UnitRange {
  /** 1-based lines, 0-based UTF-16 columns, as in core/units. */
  line: number;
  endLine: number;
  column: number;
  endColumn: number;
}

export interface SnippetLimits {
  contextLines: number;
  /** Longer lines are cut to a window of this many characters. */
  maxLineChars: number;
  /** A unit spanning more lines shows its first ones only. */
  maxUnitLines: number;
}

export const DEFAULT_SNIPPET_LIMITS: Omit<SnippetLimits, 'contextLines'> = { maxLineChars: 200, maxUnitLines: 8 };
const ELLIPSIS = '…';
/** How much of a long line is kept before the unit starts (at most a quarter of the window), so it is seen in context. */
const LEAD_IN = 40;

/**
 * `text` is the file as it is now. When the unit no longer fits it (the file shrank since it was indexed), the
 * indexed unit text is shown on its own instead.
 */
export function buildSnippet(text: string, unit: UnitRange, unitText: string, limits: SnippetLimits): SnippetLine[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (unit.line < 1 || unit.endLine > lines.length || unit.endLine < unit.line) {
    return [cutLine({ line: unit.line, text: unitText, unitStart: 0, unitEnd: unitText.length }, limits.maxLineChars, (column) => column)];
  }
  const lastUnitLine = Math.min(unit.endLine, unit.line + limits.maxUnitLines - 1);
  const offsets = unitTextOffsets(lines, unit, unitText, lastUnitLine);
  const first = Math.max(1, unit.line - limits.contextLines);
  const last = Math.min(lines.length, lastUnitLine + limits.contextLines);
  const snippet: SnippetLine[] = [];
  for (let number = first; number <= last; number++) {
    const lineText = lines[number - 1];
    const inUnit = number >= unit.line && number <= lastUnitLine;
    const line: SnippetLine = { line: number, text: lineText };
    if (inUnit) {
      line.unitStart = number === unit.line ? Math.min(unit.column, lineText.length) : 0;
      line.unitEnd = number === unit.endLine ? Math.min(Math.max(unit.endColumn, line.unitStart), lineText.length) : lineText.length;
    }
    snippet.push(cutLine(line, limits.maxLineChars, offsets.get(number)));
  }
  return snippet;
}

/**
 * For each shown line of the unit, a function from a column to the offset in `unitText` of the character there. The
 * unit text is the source with whitespace runs (line breaks included) collapsed and some markup dropped (quote
 * markers on continuation lines), so the two are aligned character by character rather than by arithmetic.
 */
function unitTextOffsets(lines: readonly string[], unit: UnitRange, unitText: string, lastLine: number): Map<number, (column: number) => number> {
  const isSpace = (ch: string | undefined) => ch !== undefined && /\s/.test(ch);
  const found = new Map<number, (column: number) => number>();
  let u = 0;
  for (let number = unit.line; number <= lastLine; number++) {
    const lineText = lines[number - 1];
    const from = number === unit.line ? Math.min(unit.column, lineText.length) : 0;
    const to = number === unit.endLine ? Math.min(Math.max(unit.endColumn, from), lineText.length) : lineText.length;
    // The line break before this line stands for one collapsed space of the unit text.
    if (number > unit.line && isSpace(unitText[u])) u++;
    const atColumn = new Int32Array(to - from + 1);
    for (let column = from; column < to; column++) {
      atColumn[column - from] = u;
      const ch = lineText[column];
      if (unitText[u] === ch) u++;
      else if (!isSpace(ch) && isSpace(unitText[u])) {
        // A space of the unit text where the source has none here: it stood for a dropped run; both move on.
        u++;
        if (unitText[u] === ch) u++;
      }
      // Otherwise the source character is extra whitespace or dropped markup: only the source moves on.
    }
    atColumn[to - from] = u;
    found.set(number, (column) => atColumn[Math.min(Math.max(column - from, 0), to - from)]);
  }
  return found;
}

/**
 * Cuts a long line to `maxChars`, keeping the unit's start in view and marking each cut with an ellipsis. On a line
 * of the unit, `unitOffset` gives the unit-text offset of a column, recorded for the first shown unit character.
 */
function cutLine(line: SnippetLine, maxChars: number, unitOffset?: (column: number) => number): SnippetLine {
  const withOffset = (shown: SnippetLine, firstUnitColumn: number): SnippetLine =>
    shown.unitStart !== undefined && unitOffset ? { ...shown, unitTextOffset: unitOffset(firstUnitColumn) } : shown;
  if (line.text.length <= maxChars) return withOffset(line, line.unitStart ?? 0);
  const anchor = line.unitStart ?? 0;
  const leadIn = Math.min(LEAD_IN, Math.floor(maxChars / 4));
  const start = Math.max(0, Math.min(anchor - leadIn, line.text.length - maxChars));
  const end = start + maxChars;
  const prefix = start > 0 ? ELLIPSIS : '';
  const suffix = end < line.text.length ? ELLIPSIS : '';
  const cut: SnippetLine = { line: line.line, text: prefix + line.text.slice(start, end) + suffix };
  if (line.unitStart !== undefined) {
    const clamp = (offset: number) => prefix.length + Math.min(Math.max(offset - start, 0), maxChars);
    cut.unitStart = clamp(line.unitStart);
    cut.unitEnd = clamp(line.unitEnd ?? line.text.length);
  }
  return withOffset(cut, Math.max(anchor, start));
}
