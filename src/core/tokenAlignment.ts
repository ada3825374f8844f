// Where each word piece of a tokenized text lies in the original text (UTF-16 offsets), and pieces merged into
// words. The tokenizer (transformers.js) gives no offsets, so the pieces are aligned against the text as BERT's
// normalizer sees it: control characters dropped, whitespace as spaces, lowercased, accents stripped (NFD without
// combining marks). Each normalized character remembers the original character it came from, so normalization
// that changes lengths (İ → i̇ → i, é → e, dropped controls, spaces around CJK ideographs) still maps back to the
// right original range.
//
// Approximations, for texts the normalizer changes in context: characters are folded one at a time, so a fold that
// depends on neighbours (final sigma, combining sequences split across characters) can differ from the tokenizer's.
// A piece that does not match where expected is searched a few characters ahead; one that cannot be found is
// reported with offsets -1 (as special tokens are) and the alignment continues after it.
import type { Contribution } from '../protocol';

/** The continuation marker of WordPiece vocabularies: "##ing" continues the previous piece's word. */
export const CONTINUATION_PREFIX = '##';
/** How far ahead a piece that does not match at the current position is looked for. */
const RESYNC_WINDOW = 16;
const PUNCTUATION = /[\p{P}\u0021-\u002F\u003A-\u0040\u005B-\u0060\u007B-\u007E]/u;
const CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;
const COMBINING_MARK = /\p{M}/u;

export interface Piece {
  /** The vocabulary entry, e.g. "run", "##ning", "[CLS]", "[UNK]". */
  token: string;
  /** Added by the tokenizer's template ([CLS], [SEP]): part of no word and of no text range. */
  special: boolean;
}

export interface Span {
  /** UTF-16 offsets in the original text; -1 when the piece is special or could not be placed. */
  start: number;
  end: number;
}

/** The text as the normalizer sees it, with the original range of each of its UTF-16 units. */
interface NormalizedText {
  text: string;
  sourceStart: number[];
  sourceEnd: number[];
}

export function alignPieces(text: string, pieces: readonly Piece[], unknownToken: string): Span[] {
  const normalized = normalize(text);
  const { text: folded } = normalized;
  let position = 0;
  const skipSpaces = () => {
    while (position < folded.length && folded[position] === ' ') position++;
  };
  return pieces.map(({ token, special }): Span => {
    if (special) return { start: -1, end: -1 };
    skipSpaces();
    let from: number;
    let to: number;
    if (token === unknownToken) {
      // [UNK] stands for a whole pre-token: one punctuation character, or a run up to a space or punctuation.
      if (position >= folded.length) return { start: -1, end: -1 };
      from = position;
      to = from + 1;
      if (!PUNCTUATION.test(folded[from])) while (to < folded.length && folded[to] !== ' ' && !PUNCTUATION.test(folded[to])) to++;
    } else {
      const wanted = fold(token.startsWith(CONTINUATION_PREFIX) ? token.slice(CONTINUATION_PREFIX.length) : token);
      from = folded.startsWith(wanted, position) ? position : folded.indexOf(wanted, position);
      if (wanted === '' || from < 0 || from - position > RESYNC_WINDOW) return { start: -1, end: -1 };
      to = from + wanted.length;
    }
    position = to;
    return { start: normalized.sourceStart[from], end: normalized.sourceEnd[to - 1] };
  });
}

/**
 * Tokens with their text and share, and the same merged into words: a piece starting with ## joins the word before
 * it. Special tokens belong to no word, so the words' shares sum to the score minus the special tokens' shares.
 */
export function tokensAndWords(text: string, pieces: readonly Piece[], spans: readonly Span[], shares: ArrayLike<number>): { tokens: Contribution[]; words: Contribution[] } {
  const tokens: Contribution[] = pieces.map((piece, i) => ({
    text: spans[i].start >= 0 ? text.slice(spans[i].start, spans[i].end) : piece.token,
    start: spans[i].start,
    end: spans[i].end,
    contribution: shares[i],
  }));
  const words: Contribution[] = [];
  pieces.forEach((piece, i) => {
    if (piece.special) return;
    const token = tokens[i];
    const last = words[words.length - 1];
    const continues = piece.token.startsWith(CONTINUATION_PREFIX) && i > 0 && !pieces[i - 1].special && last !== undefined;
    if (continues && last.start >= 0 && token.start >= 0) {
      last.end = token.end;
      last.text = text.slice(last.start, last.end);
      last.contribution += token.contribution;
    } else if (continues && last.start < 0 && token.start < 0) {
      last.text += piece.token.slice(CONTINUATION_PREFIX.length);
      last.contribution += token.contribution;
    } else {
      words.push({ ...token });
    }
  });
  return { tokens, words };
}

function normalize(text: string): NormalizedText {
  const out: NormalizedText = { text: '', sourceStart: [], sourceEnd: [] };
  const parts: string[] = [];
  let offset = 0;
  for (const char of text) {
    const start = offset;
    offset += char.length;
    const code = char.codePointAt(0)!;
    if (code === 0 || code === 0xfffd || (CONTROL.test(char) && char !== '\t' && char !== '\n' && char !== '\r')) continue;
    // CJK ideographs are words of their own for BERT's normalizer (it puts spaces around them).
    const folded = /\s/u.test(char) ? ' ' : isCjkIdeograph(code) ? ` ${char} ` : fold(char);
    // A combining mark that folds away belongs to the character before it: "é" written as e + ◌́ is one letter.
    if (folded === '' && COMBINING_MARK.test(char) && out.sourceEnd.length > 0) out.sourceEnd[out.sourceEnd.length - 1] = offset;
    for (let i = 0; i < folded.length; i++) {
      out.sourceStart.push(start);
      out.sourceEnd.push(offset);
    }
    parts.push(folded);
  }
  out.text = parts.join('');
  return out;
}

/** The CJK Unified Ideographs blocks and extensions, and the compatibility ideographs. */
function isCjkIdeograph(code: number): boolean {
  return (
    (code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf) || (code >= 0x20000 && code <= 0x2a6df) ||
    (code >= 0x2a700 && code <= 0x2b73f) || (code >= 0x2b740 && code <= 0x2b81f) || (code >= 0x2b820 && code <= 0x2ceaf) ||
    (code >= 0xf900 && code <= 0xfaff) || (code >= 0x2f800 && code <= 0x2fa1f)
  );
}

/** Lowercase, then strip accents, as BertNormalizer does (applied to pieces too, so cased vocabularies align). */
function fold(text: string): string {
  return text.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
}
