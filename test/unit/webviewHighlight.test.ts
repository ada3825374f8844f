import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { placeWords, topWords } from '../../src/webview/highlight';
import type { ExplainedWord, SnippetLine } from '../../src/webview/protocol';

/** Words of `text` (split at spaces and before a final period) with the given contributions. */
function words(text: string, contributions: number[]): ExplainedWord[] {
  const found: ExplainedWord[] = [];
  const pattern = /[A-Za-z]+|\./g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    found.push({ text: match[0], start: match.index, end: match.index + match[0].length, contribution: contributions[found.length] ?? 0 });
  }
  return found;
}

const shown = (line: SnippetLine, spans: Map<number, { start: number; end: number }[]>) =>
  (spans.get(line.line) ?? []).map((span) => line.text.slice(span.start, span.end));

describe('explained words', () => {
  it('picks the best positive contributors, at most five, none far below the best', () => {
    const all = words('a b c d e f g h', [0.3, -0.2, 0.01, 0.1, 0.2, 0.15, 0.12, 0.11]);
    assert.deepEqual(topWords({ score: 0.79, words: all }).map((w) => w.text), ['a', 'e', 'f', 'g', 'h']);
    assert.deepEqual(topWords({ score: 0, words: words('x y', [-0.1, 0]) }), []);
    assert.deepEqual(topWords({ score: 0.1, words: [{ text: '[CLS]', start: -1, end: -1, contribution: 0.5 }, ...words('z', [0.1])] }).map((w) => w.text), ['z']);
  });

  it('places a repeated word where it really is, across lines with collapsed whitespace and quote markers', () => {
    const unitText = 'the cat saw the dog near the door.';
    const all = words(unitText, [0.01, 0.2, 0.01, 0.01, 0.3, 0.01, 0.25, 0.02]);
    const chosen = all.filter((word) => ['dog', 'the', 'cat'].includes(word.text) && word.contribution > 0.1);
    // The second "the" ("near the door") is the one that counts.
    chosen.push(all[6]);
    const snippet: SnippetLine[] = [
      { line: 4, text: 'context the dog' },
      { line: 5, text: '> the  cat saw the', unitStart: 2, unitEnd: 18, unitTextOffset: 0 },
      { line: 6, text: '> dog near the door.', unitStart: 2, unitEnd: 20, unitTextOffset: unitText.indexOf('dog') },
    ];
    const spans = placeWords(snippet, all, chosen);
    assert.deepEqual(shown(snippet[1], spans), ['cat']);
    assert.deepEqual(shown(snippet[2], spans), ['dog', 'the']);
    assert.equal(spans.get(6)![1].start, '> dog near '.length);
    assert.equal(spans.get(4), undefined, 'context lines are never highlighted');
    assert.equal(spans.get(6)![0].weight, 1, 'the best word has full weight');
  });

  it('leaves out words cut off the end of a long line', () => {
    const unitText = 'alpha beta gamma';
    const all = words(unitText, [0.1, 0.2, 0.3]);
    const snippet: SnippetLine[] = [{ line: 1, text: 'alpha beta ga…', unitStart: 0, unitEnd: 13, unitTextOffset: 0 }];
    const spans = placeWords(snippet, all, all);
    assert.deepEqual(shown(snippet[0], spans), ['alpha', 'beta']);
  });
});
