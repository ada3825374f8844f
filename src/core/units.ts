// Text → units, the things that get embedded and ranked: one per line of code, one per sentence of prose.
// Every unit keeps its exact range in the original text so an editor can select it.

export type UnitMode = 'lines' | 'sentences';

export interface Unit {
  /** Exactly what will be embedded: trimmed; inside sentences every whitespace run is one space. */
  text: string;
  /** 1-based first line. */
  line: number;
  /** 1-based last line. */
  endLine: number;
  /** 0-based UTF-16 column of the first character on `line`. */
  column: number;
  /** 0-based UTF-16 column just after the last character on `endLine`. */
  endColumn: number;
}

export interface UnitOptions {
  mode: UnitMode;
  /** Longer lines and sentences are cut into pieces of at most this many UTF-16 units (minimum 2). */
  maxUnitChars?: number;
}

export const DEFAULT_MAX_UNIT_CHARS = 1000;

/** A unit needs at least this many letters or digits to carry meaning worth ranking. */
export const MIN_LETTERS_OR_DIGITS = 3;

/**
 * Splits a document into units. Lines end at CRLF, LF or a lone CR (as in VS Code). In `lines` mode every line
 * is a unit; in `sentences` mode paragraphs, headings, list items, quotes and table rows are blocks that are split
 * into sentences (which may span lines), and fenced code blocks fall back to lines. Trivial units are dropped and
 * long ones are cut at word boundaries, so no unit exceeds `maxUnitChars`. Runs in linear time.
 */
export function splitUnits(text: string, options: UnitOptions): Unit[] {
  const maxChars = Math.max(2, Math.floor(options.maxUnitChars ?? DEFAULT_MAX_UNIT_CHARS)); // a surrogate pair must fit
  const units: Unit[] = [];
  if (options.mode === 'lines') {
    forEachLine(text, (lineIndex, start, end) => addCodeLine(text, lineIndex, start, start, end, maxChars, units));
  } else {
    splitProse(text, maxChars, units);
  }
  return units;
}

/** True for units too small to mean anything: blank, punctuation such as `}` or `});`, or under 3 letters/digits. */
export function isTrivialUnit(text: string): boolean {
  return countLettersOrDigits(text, 0, text.length, MIN_LETTERS_OR_DIGITS) < MIN_LETTERS_OR_DIGITS;
}

const PROSE_EXTENSIONS = new Set([
  '.md', '.markdown', '.mdown', '.mkd', '.mkdn', '.mdx', '.txt', '.text', '.rst', '.adoc', '.asciidoc', '.org',
  '.tex', '.textile', '.wiki',
]);
/** Extensionless files that are conventionally prose. */
const PROSE_FILE_NAMES = new Set([
  'readme', 'license', 'licence', 'copying', 'authors', 'contributors', 'changelog', 'changes', 'news', 'notice',
  'history', 'install', 'thanks', 'todo',
]);

/**
 * The unit mode for a file: sentences for prose (Markdown, plain text, reStructuredText, AsciiDoc, Org, LaTeX and
 * extensionless files such as README or LICENSE), lines for everything else.
 * `overrides` keys are a file name (`"Makefile"`) or an extension with its dot (`".txt"`), both case-insensitive;
 * a file-name key wins over an extension key.
 */
export function defaultUnitMode(relPath: string, overrides?: Record<string, UnitMode>): UnitMode {
  const name = relPath.slice(relPath.lastIndexOf('/') + 1).toLowerCase();
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot) : '';
  if (overrides) {
    let byExtension: UnitMode | undefined;
    for (const [key, mode] of Object.entries(overrides)) {
      const lowerKey = key.toLowerCase();
      if (lowerKey === name) return mode;
      if (extension && lowerKey === extension) byExtension = mode;
    }
    if (byExtension) return byExtension;
  }
  if (extension) return PROSE_EXTENSIONS.has(extension) ? 'sentences' : 'lines';
  return PROSE_FILE_NAMES.has(name) ? 'sentences' : 'lines';
}

// ---------------------------------------------------------------------------------------------------------------
// Lines

type LineVisitor = (lineIndex: number, start: number, end: number) => void;

/** Calls `visit` with each line's content range (terminator excluded). */
function forEachLine(text: string, visit: LineVisitor): void {
  // Next LF / CR positions are cached so a file without any CR is not rescanned for one on every line.
  let nextLf = -2;
  let nextCr = -2;
  let start = 0;
  for (let lineIndex = 0; ; lineIndex++) {
    if (nextLf !== -1 && nextLf < start) nextLf = text.indexOf('\n', start);
    if (nextCr !== -1 && nextCr < start) nextCr = text.indexOf('\r', start);
    let end: number;
    if (nextLf === -1 && nextCr === -1) end = text.length;
    else if (nextCr === -1) end = nextLf;
    else if (nextLf === -1) end = nextCr;
    else end = Math.min(nextLf, nextCr);
    visit(lineIndex, start, end);
    if (end === text.length) return;
    start = end + (text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? 2 : 1);
  }
}

/** Adds the units of one code line, `[start, end)` being the part of it to use (it starts at `lineStart`). */
function addCodeLine(
  text: string, lineIndex: number, lineStart: number, start: number, end: number, maxChars: number, units: Unit[],
): void {
  forEachBoundedPiece(text, start, end, maxChars, (pieceStart, pieceEnd) => {
    const pieceText = text.slice(pieceStart, pieceEnd);
    if (isTrivialUnit(pieceText)) return;
    units.push({
      text: pieceText, line: lineIndex + 1, endLine: lineIndex + 1,
      column: pieceStart - lineStart, endColumn: pieceEnd - lineStart,
    });
  });
}

/**
 * Trims `[start, end)` of `s` and cuts it into whitespace-trimmed pieces of at most `maxChars`, preferring the last
 * whitespace in the second half of each window, then the last punctuation, then a hard cut that never splits a
 * surrogate pair. Each window is scanned once, so the total work is linear.
 */
function forEachBoundedPiece(
  s: string, start: number, end: number, maxChars: number, emit: (pieceStart: number, pieceEnd: number) => void,
): void {
  let pos = skipWhitespace(s, start, end);
  while (pos < end) {
    const stop = end - pos > maxChars ? findBreak(s, pos, pos + maxChars) : end;
    const pieceEnd = trimWhitespaceEnd(s, pos, stop);
    if (pieceEnd > pos) emit(pos, pieceEnd);
    pos = skipWhitespace(s, stop, end);
  }
}

/** Returns the end (exclusive) of the piece starting at `from` that must end by `limit`; always > `from`. */
function findBreak(s: string, from: number, limit: number): number {
  const floor = from + ((limit - from) >> 1);
  let afterPunctuation = -1;
  for (let i = limit; i > floor; i--) {
    if (isWhitespace(s.charCodeAt(i))) return i;
    if (afterPunctuation === -1 && isAsciiPunctuation(s.charCodeAt(i - 1))) afterPunctuation = i;
  }
  if (afterPunctuation !== -1) return afterPunctuation;
  return isHighSurrogate(s.charCodeAt(limit - 1)) ? limit - 1 : limit;
}

// ---------------------------------------------------------------------------------------------------------------
// Sentences

/** A trimmed line fragment of a prose block: where it sits in the block's joined text and in the original. */
interface Fragment {
  joinedStart: number;
  start: number;
  length: number;
  lineIndex: number;
  lineStart: number;
}

// A fixed locale keeps units identical in every process that splits them (extension host, model host, CLI).
const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

// Line-start markup, matched sticky at a line's first character. Only spaces and tabs are consumed, never line ends.
const QUOTE_PREFIX = /(?:[ \t]*>[ \t]?)+/y;
const FENCE = /[ \t]{0,3}(`{3,}|~{3,})/y;
const HEADING = /[ \t]{0,3}#{1,6}(?:[ \t]+|(?=[\r\n]|$))/y;
const LIST_ITEM = /[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?/y;
const TABLE_ROW = /[ \t]*\|/y;

function matchLength(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at;
  return pattern.test(text) ? pattern.lastIndex - at : 0;
}

function splitProse(text: string, maxChars: number, units: Unit[]): void {
  const block = new ProseBlock(text, maxChars, units);
  let fence: { marker: string; quoted: boolean } | undefined;

  forEachLine(text, (lineIndex, lineStart, lineEnd) => {
    const quoteLength = matchLength(QUOTE_PREFIX, text, lineStart);
    if (fence) {
      const contentStart = fence.quoted ? lineStart + quoteLength : lineStart;
      if (isClosingFence(text, contentStart, lineEnd, fence.marker)) fence = undefined;
      else addCodeLine(text, lineIndex, lineStart, contentStart, lineEnd, maxChars, units);
      return;
    }
    const quoted = quoteLength > 0;
    let start = lineStart + quoteLength;

    const fenceLength = matchLength(FENCE, text, start);
    if (fenceLength > 0) {
      block.flush();
      fence = { marker: text.slice(start, start + fenceLength).trimStart(), quoted };
      return;
    }
    // Blank lines, rules, setext underlines and table separators have no words and end a block.
    if (countLettersOrDigits(text, start, lineEnd, 1) === 0) {
      block.flush();
      return;
    }
    const headingLength = matchLength(HEADING, text, start);
    if (headingLength > 0) {
      block.flush();
      block.add(lineIndex, lineStart, start + headingLength, withoutClosingHashes(text, start + headingLength, lineEnd), quoted);
      block.flush();
      return;
    }
    if (matchLength(TABLE_ROW, text, start) > 0) {
      block.flush();
      block.add(lineIndex, lineStart, start, lineEnd, quoted);
      block.flush();
      return;
    }
    const listLength = matchLength(LIST_ITEM, text, start);
    if (listLength > 0) {
      block.flush();
      start += listLength;
    } else if (quoted !== block.quoted) {
      block.flush();
    }
    block.add(lineIndex, lineStart, start, lineEnd, quoted);
  });
  block.flush();
}

function isClosingFence(text: string, start: number, end: number, marker: string): boolean {
  const length = matchLength(FENCE, text, start);
  if (length === 0) return false;
  const candidate = text.slice(start, start + length).trimStart();
  return candidate[0] === marker[0] && candidate.length >= marker.length && skipWhitespace(text, start + length, end) === end;
}

/** Drops an ATX heading's optional closing sequence (`## Title ##`). */
function withoutClosingHashes(text: string, start: number, end: number): number {
  let contentEnd = trimWhitespaceEnd(text, start, end);
  let hashStart = contentEnd;
  while (hashStart > start && text.charCodeAt(hashStart - 1) === 35 /* # */) hashStart--;
  if (hashStart < contentEnd && (hashStart === start || isWhitespace(text.charCodeAt(hashStart - 1)))) contentEnd = hashStart;
  return contentEnd;
}

/** Consecutive lines of one paragraph, list item or quote, joined with single spaces for sentence segmentation. */
class ProseBlock {
  private fragments: Fragment[] = [];
  private parts: string[] = [];
  private joinedLength = 0;
  quoted = false;

  constructor(private readonly text: string, private readonly maxChars: number, private readonly units: Unit[]) {}

  add(lineIndex: number, lineStart: number, start: number, end: number, quoted: boolean): void {
    start = skipWhitespace(this.text, start, end);
    end = trimWhitespaceEnd(this.text, start, end);
    if (start === end) return;
    if (this.fragments.length === 0) this.quoted = quoted;
    else this.joinedLength += 1; // the joining space
    this.fragments.push({ joinedStart: this.joinedLength, start, length: end - start, lineIndex, lineStart });
    this.parts.push(this.text.slice(start, end));
    this.joinedLength += end - start;
  }

  flush(): void {
    if (this.fragments.length === 0) return;
    const joined = this.parts.length === 1 ? this.parts[0] : this.parts.join(' ');
    const windowChars = Math.max(SEGMENTER_WINDOW_CHARS, this.maxChars);
    let cursor = 0; // pieces arrive in order, so the fragment lookup only moves forward
    const emit = (pieceStart: number, pieceEnd: number) => {
      const pieceText = joined.slice(pieceStart, pieceEnd).replace(/\s+/g, ' ');
      if (isTrivialUnit(pieceText)) return;
      const fragments = this.fragments;
      while (fragmentEnd(fragments[cursor]) <= pieceStart) cursor++;
      let last = cursor;
      while (fragmentEnd(fragments[last]) < pieceEnd) last++;
      const first = fragments[cursor];
      const final = fragments[last];
      this.units.push({
        text: pieceText,
        line: first.lineIndex + 1,
        endLine: final.lineIndex + 1,
        column: first.start - first.lineStart + (pieceStart - first.joinedStart),
        endColumn: final.start - final.lineStart + (pieceEnd - final.joinedStart),
      });
    };
    for (let windowStart = 0; windowStart < joined.length;) {
      const windowEnd = joined.length - windowStart > windowChars
        ? findWindowEnd(joined, windowStart, windowStart + windowChars)
        : joined.length;
      forEachSentence(joined, windowStart, windowEnd, (sentenceStart, sentenceEnd) =>
        forEachBoundedPiece(joined, sentenceStart, sentenceEnd, this.maxChars, emit));
      windowStart = windowEnd;
    }
    this.fragments = [];
    this.parts = [];
    this.joinedLength = 0;
  }
}

/**
 * V8's Intl.Segmenter costs time proportional to the whole input for every segment it returns, so a long block is
 * segmented in windows of about this many characters, cut where a sentence most likely ends.
 */
const SEGMENTER_WINDOW_CHARS = 2000;

/** Characters after which Intl.Segmenter may break a sentence (Unicode STerm, ATerm and Sep). */
const SENTENCE_BREAK_TRIGGER = /[\p{Sentence_Terminal}\u2024\u0085\u2028\u2029]/u;

function forEachSentence(s: string, start: number, end: number, visit: (start: number, end: number) => void): void {
  const window = s.slice(start, end);
  // Most headings, list items and short paragraphs have no terminator: skip the segmenter's fixed cost.
  if (!SENTENCE_BREAK_TRIGGER.test(window)) return visit(start, end);
  for (const sentence of sentenceSegmenter.segment(window)) {
    visit(start + sentence.index, start + sentence.index + sentence.segment.length);
  }
}

/**
 * Picks a window end in the second half of `(from, limit]`: preferably a space after a sentence terminator and
 * before anything but a lowercase letter (so `e.g. this` stays whole, as the segmenter would keep it), else a space.
 */
function findWindowEnd(s: string, from: number, limit: number): number {
  const floor = from + ((limit - from) >> 1);
  let lastSpace = -1;
  for (let i = limit; i > floor; i--) {
    if (!isWhitespace(s.charCodeAt(i))) continue;
    if (SENTENCE_BREAK_TRIGGER.test(s[i - 1]) && !LOWERCASE_LETTER.test(s[i + 1] ?? '')) return i;
    if (lastSpace === -1) lastSpace = i;
  }
  if (lastSpace !== -1) return lastSpace;
  return isHighSurrogate(s.charCodeAt(limit - 1)) ? limit - 1 : limit;
}

function fragmentEnd(fragment: Fragment): number {
  return fragment.joinedStart + fragment.length;
}

// ---------------------------------------------------------------------------------------------------------------
// Characters

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
const LOWERCASE_LETTER = /\p{Ll}/u;

/** Counts letters and digits in `[start, end)`, stopping early once `enough` are found. */
function countLettersOrDigits(s: string, start: number, end: number, enough: number): number {
  let count = 0;
  for (let i = start; i < end && count < enough; i++) {
    const code = s.charCodeAt(i);
    if (code < 128) {
      const lower = code | 32;
      if ((code >= 48 && code <= 57) || (lower >= 97 && lower <= 122)) count++;
    } else {
      const codePoint = s.codePointAt(i)!;
      if (codePoint > 0xffff) i++;
      if (LETTER_OR_DIGIT.test(String.fromCodePoint(codePoint))) count++;
    }
  }
  return count;
}

/** The characters JavaScript's `\s` matches. */
function isWhitespace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a)
    || code === 0x2028 || code === 0x2029 || code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}

function isAsciiPunctuation(code: number): boolean {
  return (code >= 33 && code <= 47) || (code >= 58 && code <= 64) || (code >= 91 && code <= 96) || (code >= 123 && code <= 126);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function skipWhitespace(s: string, start: number, end: number): number {
  while (start < end && isWhitespace(s.charCodeAt(start))) start++;
  return start;
}

function trimWhitespaceEnd(s: string, start: number, end: number): number {
  while (end > start && isWhitespace(s.charCodeAt(end - 1))) end--;
  return end;
}
