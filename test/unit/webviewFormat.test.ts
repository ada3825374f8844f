import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { describePercentile, formatLines, formatPercentile, formatScore, shortModelName } from '../../src/webview/format';

describe('webview number formats', () => {
  it('shows a percentile as how rare the score is', () => {
    assert.equal(formatPercentile(98), 'top 2%');
    assert.equal(formatPercentile(50), 'top 50%');
    assert.equal(formatPercentile(99.5), 'top 0.5%');
    assert.equal(formatPercentile(100), 'top 0.1%');
    assert.equal(describePercentile(99.95, 12000), `Scores higher than 99.95% of the ${(12000).toLocaleString()} units searched`);
    assert.equal(describePercentile(80), 'Scores higher than 80.0% of the units searched');
  });

  it('formats scores and line ranges', () => {
    assert.equal(formatScore(0.81234), '0.812');
    assert.equal(formatLines(3, 3), '3');
    assert.equal(formatLines(3, 5), '3-5');
  });

  it('names a model folder by its last segment and a Hub model by its id', () => {
    assert.equal(shortModelName('/home/me/models/minilm/'), 'minilm');
    assert.equal(shortModelName('C:\\models\\minilm'), 'minilm');
    assert.equal(shortModelName('Xenova/all-MiniLM-L6-v2'), 'Xenova/all-MiniLM-L6-v2');
  });
});
