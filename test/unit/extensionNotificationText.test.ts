import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { literalNotificationText } from '../../src/extension/notificationText';

/** The link syntax VS Code's notifications render: [label](target), target starting with a scheme it opens. */
const NOTIFICATION_LINK = /\[[^\]]+\]\((?:https?:\/\/|command:|file:)[^)\s]+\)/i;

describe('literalNotificationText', () => {
  it('leaves no link syntax in a message, whatever a file name or setting holds', () => {
    const hostile = [
      'docs/[Open a new file](command:workbench.action.files.newUntitledFile).txt is no longer inside the workspace.',
      '"similarSentences.unitModes" key "[x](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D)" is not an extension',
      'see [the docs](https://example.com/a) and [a file](file:///etc/passwd) and [[nested]](command:a)',
    ];
    for (const message of hostile) {
      assert.match(message, NOTIFICATION_LINK, 'the sample is a link as it stands');
      const shown = literalNotificationText(message);
      assert.doesNotMatch(shown, NOTIFICATION_LINK);
      assert.equal(shown.replaceAll('\u200B', ''), message, 'reads exactly as before');
    }
  });

  it('changes nothing else', () => {
    for (const message of ['Similar Sentences: the index was cleared.', 'a [bracket] and (parenthesis)', '[]', '']) {
      assert.equal(literalNotificationText(message), message);
    }
  });
});
