// A comparison as CSV (RFC 4180: quoted where needed, CRLF line ends), safe to open in a spreadsheet: workspace
// text that starts like a formula is prefixed with an apostrophe so it stays text. No `vscode` import.

/** Cosine values are written with this many decimals: float32 vectors carry no more. */
const DECIMALS = 6;

/** The matrix with a header row and a header column naming each unit. */
export function similarityCsv(labels: readonly string[], matrix: readonly (readonly number[])[]): string {
  const header = ['', ...labels.map(csvText)].join(',');
  const rows = matrix.map((values, i) => [csvText(labels[i]), ...values.map((value) => value.toFixed(DECIMALS))].join(','));
  return `${[header, ...rows].join('\r\n')}\r\n`;
}

/** A text cell: never read as a formula, quoted when it holds a quote, a comma, a line break or edge spaces. */
export function csvText(value: string): string {
  // Spreadsheets run a cell starting with = + - @ (or a tab or CR before one) as a formula.
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
