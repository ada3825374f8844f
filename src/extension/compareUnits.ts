// The units of a selection, for a comparison: whole lines in `lines` mode (the lines a selection touches), the
// sentences inside the selection in `sentences` mode, split exactly as the index splits files. Several selections
// (multi-cursor) are compared together, in document order. No `vscode` import.
import { splitUnits, type Unit, type UnitMode } from '../core/units';

/** A selection in VS Code's coordinates: 0-based lines and UTF-16 columns. */
export interface SelectionRange {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

/** Units with 1-based lines and 0-based columns of the document, as in core/units. */
export function unitsOfSelections(text: string, selections: readonly SelectionRange[], mode: UnitMode): Unit[] {
  const lineStarts = lineStartOffsets(text);
  const units: Unit[] = [];
  const seen = new Set<string>();
  const ordered = [...selections].sort((a, b) => a.startLine - b.startLine || a.startColumn - b.startColumn);
  for (const selection of ordered) {
    if (selection.startLine === selection.endLine && selection.startColumn === selection.endColumn) continue;
    let { startLine, startColumn, endLine, endColumn } = selection;
    if (mode === 'lines') {
      // A selection ending at the start of a line does not take that line.
      if (endColumn === 0 && endLine > startLine) endLine--;
      startColumn = 0;
      endColumn = lineLength(text, lineStarts, endLine);
    }
    const from = lineStarts[startLine] + startColumn;
    const to = lineStarts[endLine] + endColumn;
    for (const unit of splitUnits(text.slice(from, to), { mode })) {
      const placed: Unit = {
        ...unit,
        line: unit.line + startLine,
        endLine: unit.endLine + startLine,
        column: unit.line === 1 ? unit.column + startColumn : unit.column,
        endColumn: unit.endLine === 1 ? unit.endColumn + startColumn : unit.endColumn,
      };
      const key = `${placed.line}:${placed.column}`;
      if (!seen.has(key)) {
        seen.add(key);
        units.push(placed);
      }
    }
  }
  return units;
}

/** Offsets where each line starts; lines end at CRLF, LF or a lone CR, as in VS Code and core/units. */
function lineStartOffsets(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 13 /* \r */ && text.charCodeAt(i + 1) === 10) i++;
    if (ch === 10 || ch === 13) starts.push(i + 1);
  }
  return starts;
}

function lineLength(text: string, lineStarts: readonly number[], line: number): number {
  const start = lineStarts[line];
  let end = line + 1 < lineStarts.length ? lineStarts[line + 1] : text.length;
  while (end > start && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
  return end - start;
}
