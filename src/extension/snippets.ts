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
    return [cutLine({ line: unit.line, text: unitText, unitStart: 0, unitEnd: unitText.length }, limits.maxLineChars)];
  }
  const lastUnitLine = Math.min(unit.endLine, unit.line + limits.maxUnitLines - 1);
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
    snippet.push(cutLine(line, limits.maxLineChars));
  }
  return snippet;
}

/** Cuts a long line to `maxChars`, keeping the unit's start in view and marking each cut with an ellipsis. */
function cutLine(line: SnippetLine, maxChars: number): SnippetLine {
  if (line.text.length <= maxChars) return line;
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
  return cut;
}
