// The packaged extension in a real VS Code (code-server + headless chromium), used as a new user would: a search
// from a selection (command palette, context menu, keybinding), the results panel, the side view, an unsaved edit
// found without a rebuild, hostile workspace text shown as text, and screenshots in a dark and a light theme.
// Expected rankings and scores come from the CLI on the same folder and model: the same host, run separately.
// Needs test/e2e/setup-code-server.sh and `npm run package` first (npm run test:e2e does both).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { WEBVIEW_TITLES } from '../../src/extension/webviewPage';
import { ensureTestModel } from '../fixtures/models/generate';
import { generateSyntheticWorkspace } from '../fixtures/syntheticWorkspace';
import {
  assertTop,
  cliSearch,
  expectedTop,
  expectSoon,
  firstResult,
  openSideView,
  PANEL_TITLE,
  SEARCH_TIMEOUT_MS,
  searchInSideView,
  stepper,
  VSIX,
  waitForResultsOf,
  findSimilarToSampleQuery,
  SAMPLE_QUERY,
} from './extensionSteps';
import { darkTheme, editorCursor, lightTheme, openFile, runCommand, runFolder, screenshot, selectLines, selectText, setTheme, webviewFrame, withWorkbench } from './harness';
import { freePort } from './harness/free-port';
import { repoRoot } from './harness/paths';

/** Hostile text in a workspace file: it must be shown as these exact characters, never interpreted. */
const HOSTILE_LINE =
  'The gnome hid in the walnut husk <img src=x onerror="document.title=\'pwned\'"> </script><script>alert(1)</script> <a href="javascript:alert(1)">click</a> \u202Etxt.exe';

const HOSTILE_FILE_NAME = '<img src=x onerror=alert(2)>.txt';

function makeWorkspace(): string {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'similar-sentences-ws-'));
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'sample-workspace'), workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, 'docs', 'hostile.txt'), `${HOSTILE_LINE}\n`);
  fs.writeFileSync(path.join(workspace, 'docs', HOSTILE_FILE_NAME), 'A gnome hid in a walnut shell.\n');
  return workspace;
}

test('the extension in VS Code: selection, context menu, keybinding, panel, side view, edits', { timeout: 600_000 }, async (t) => {
  assert.ok(fs.existsSync(VSIX), `no VSIX at ${VSIX}: run npm run package first`);
  const model = await ensureTestModel('semantic');
  const workspace = makeWorkspace();
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));

  await withWorkbench(
    {
      name: 'extension',
      workspace,
      vsix: VSIX,
      theme: darkTheme,
      userSettings: {
        'similarSentences.model': model,
        // Selections are made by keyboard, line by line: no soft wrapping.
        'editor.wordWrap': 'off',
        '[markdown]': { 'editor.wordWrap': 'off' },
      },
    },
    async ({ page }) => {
      const step = stepper(t, page);

      await step('Find Similar to Selection from the command palette ranks the paraphrase first', async () => {
        const query = SAMPLE_QUERY.text;
        const panel = await findSimilarToSampleQuery(page);
        const expected = expectedTop(cliSearch(workspace, model, query), { file: 'README.md', line: 8, endLine: 8 });
        assert.equal(expected.text, 'Three years later, the coffin was still full of Jello.');
        assertTop(await firstResult(panel), expected);
        assert.equal(await panel.locator('.query-origin').textContent(), 'from README.md:8 (left out of the results)');
        const locations = await panel.locator('.result .location').allTextContents();
        assert.ok(!locations.includes('README.md:8'), 'the query itself is left out');
        await screenshot(page, 'panel-dark');
        await page.locator('.editor-group-container', { has: page.locator('.tab.active', { hasText: PANEL_TITLE }) }).screenshot({ path: path.join(runFolder(), 'results-panel-dark.png') });

        // Grouped by file, the top result stays first and results sit under their file.
        await panel.locator('#group-by-file').click();
        const groups = await panel.locator('.group-file').allTextContents();
        assert.equal(groups[0], 'README.md');
        assert.equal(new Set(groups).size, groups.length, 'one group per file');
        assert.equal(await panel.locator('.result').first().locator('.location').textContent(), 'line 3');
        await panel.locator('#group-by-file').click();
        assert.equal(await panel.locator('.group').count(), 0);

        // The arrow keys move through the results; Enter opens the selected one, selecting the unit.
        await panel.locator('.result').first().focus();
        await page.keyboard.press('ArrowDown');
        assert.equal(await panel.locator('.result[aria-selected="true"]').getAttribute('data-score'), await panel.locator('.result').nth(1).getAttribute('data-score'));
        await page.keyboard.press('ArrowUp');
        assert.equal(await panel.locator('.result').first().getAttribute('aria-selected'), 'true');
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.querySelector('.editor-group-container.active .tab.active .label-name')?.textContent === 'README.md');
        const cursor = await editorCursor(page);
        assert.equal(cursor.file, 'README.md');
        assert.equal(cursor.line, 3);
        assert.equal(cursor.selected, expected.text.length);
      });

      await step('Find Similar to Selection from the editor context menu', async () => {
        await openFile(page, 'src/connection.ts');
        const selected = 'connection to ${host} failed after a timeout';
        await selectText(page, selected);
        // Right-click inside the selection (on the text, as a user does), which keeps the selection.
        const box = await page.locator('.editor-group-container.active .monaco-editor .selected-text').first().boundingBox();
        assert.ok(box, 'the selection is drawn');
        await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { button: 'right' });
        const item = page.locator('.monaco-menu .action-item', { hasText: 'Find Similar to Selection' });
        assert.equal(await item.locator('.keybinding').textContent(), 'Ctrl+Alt+F');
        // A menu just opened may take the first click for the right-click's release: point, then click until it closes.
        await item.hover();
        await expectSoon(async () => {
          if (await item.isVisible()) await item.click({ timeout: 2000 }).catch(() => undefined);
          return !(await item.isVisible());
        }, 'the context menu item was clicked');
        const panel = await webviewFrame(page, PANEL_TITLE, SEARCH_TIMEOUT_MS);
        await waitForResultsOf(panel, selected);
        const line = 6;
        assertTop(await firstResult(panel), expectedTop(cliSearch(workspace, model, selected), { file: 'src/connection.ts', line, endLine: line }));
      });

      await step('the keybinding searches the current line when nothing is selected', async () => {
        await openFile(page, 'docs/troubleshooting.txt');
        await selectLines(page, 3);
        await page.keyboard.press('End'); // collapse the selection: the line is the query
        await page.keyboard.press('Control+Alt+F');
        const panel = await webviewFrame(page, PANEL_TITLE, SEARCH_TIMEOUT_MS);
        const query = fs.readFileSync(path.join(workspace, 'docs', 'troubleshooting.txt'), 'utf8').split('\n')[2];
        await waitForResultsOf(panel, query);
        assertTop(await firstResult(panel), expectedTop(cliSearch(workspace, model, query), { file: 'docs/troubleshooting.txt', line: 3, endLine: 3 }));
      });

      await step('a free-text query from the side view', async () => {
        const side = await openSideView(page);
        const query = 'the socket connection expired';
        await searchInSideView(side, query);
        assertTop(await firstResult(side), expectedTop(cliSearch(workspace, model, query)));
        assert.match((await side.locator('.index-units').textContent()) ?? '', /units in \d+ files/);
        await screenshot(page, 'sideview-dark');
        await side.locator('.result').first().hover();
        await side.locator('.result').first().locator('.codicon-copy').click();
        await page.locator('.statusbar-item', { hasText: 'result copied' }).waitFor();
      });

      await step('hostile workspace text is rendered as text', async () => {
        const side = await openSideView(page);
        await searchInSideView(side, 'gnome hid in the walnut husk');
        const hostile = side.locator('.result', { hasText: 'gnome hid in the walnut husk' }).first();
        await hostile.waitFor();
        const shown = await hostile.locator('.snippet').textContent();
        assert.ok(shown?.includes('<img src=x onerror="document.title=\'pwned\'">'), shown ?? '');
        assert.ok(shown?.includes('</script><script>alert(1)</script>'));
        assert.ok(shown?.includes('\u202Etxt.exe'));
        await side.locator('.location', { hasText: HOSTILE_FILE_NAME }).first().waitFor();
        assert.ok((await side.locator('.location').allTextContents()).includes(`docs/${HOSTILE_FILE_NAME}:1`));
        // Inside what shows workspace text (the toolbar's web components have <link href> of their own).
        const injected = ['img', 'script', 'a', 'iframe', '[onerror]', '[href]', '[src]'].flatMap((tag) => [`.results ${tag}`, `.query-section ${tag}`]);
        assert.equal(await side.locator(injected.join(', ')).count(), 0);
        for (const script of await side.locator('script').all()) {
          assert.ok(!((await script.textContent()) ?? '').includes('alert(1)'), 'no script from the workspace text');
        }
        // Inside the view's own frame, where the payload would have run (the workbench page's title tells nothing).
        assert.equal(await side.locator(':root').evaluate(() => document.title), WEBVIEW_TITLES.sidebar);
      });

      await step('an unsaved edit is found without a rebuild', async () => {
        await openFile(page, 'docs/troubleshooting.txt');
        await page.keyboard.press('Control+End');
        const added = 'A goblin discovered a crate of pudding.';
        await page.keyboard.type(`\n${added}`);
        const edited = fs.mkdtempSync(path.join(os.tmpdir(), 'similar-sentences-edited-'));
        t.after(() => fs.rmSync(edited, { recursive: true, force: true }));
        fs.cpSync(workspace, edited, { recursive: true });
        const original = fs.readFileSync(path.join(workspace, 'docs', 'troubleshooting.txt'), 'utf8');
        // What the editor holds now: the file, a line break, the sentence.
        fs.writeFileSync(path.join(edited, 'docs', 'troubleshooting.txt'), `${original}\n${added}`);
        const query = 'An elf found a box of jelly.';
        const expected = expectedTop(cliSearch(edited, model, query));
        assert.equal(expected.text, added, 'the CLI on the edited copy ranks the new sentence first');

        const side = await openSideView(page);
        // The edit reaches the index after the typing pause; search until it shows (no rebuild is run).
        const deadline = Date.now() + 30_000;
        for (;;) {
          await searchInSideView(side, query);
          const shown = await firstResult(side);
          if (shown.unit === added || Date.now() > deadline) {
            assert.equal(shown.location, `docs/troubleshooting.txt:${expected.line}`);
            assert.ok(Math.abs(shown.score - expected.score) < 1e-4, `score ${shown.score} vs the CLI's ${expected.score}`);
            break;
          }
          await page.waitForTimeout(500);
        }
      });

      await step('Clear Index empties the index, Rebuild Index builds it again', async () => {
        // Our own item, by id: a transient status message ("Similar Sentences: result copied") also says "Similar".
        const status = page.locator('[id="similar-sentences.similar-sentences.similarSentences.status"]');
        const units = ((await status.textContent()) ?? '').match(/Similar: (\d+) units/)?.[1];
        assert.ok(units, `the status bar shows the unit count: ${await status.textContent()}`);
        await runCommand(page, 'Similar Sentences: Clear Index');
        await page.locator('.notification-toast', { hasText: 'the index was cleared' }).waitFor();
        await page.waitForFunction(() => Array.from(document.querySelectorAll('.statusbar-item')).some((item) => /^\s*Similar\s*$/.test(item.textContent ?? '')));
        await runCommand(page, 'Similar Sentences: Rebuild Index');
        await status.filter({ hasText: `Similar: ${units} units` }).waitFor({ timeout: SEARCH_TIMEOUT_MS });
      });

      await step('screenshots in a light theme', async () => {
        await setTheme(page, lightTheme);
        const side = await openSideView(page);
        await searchInSideView(side, 'the socket connection expired');
        await screenshot(page, 'sideview-light');
        await openFile(page, 'README.md');
        await selectLines(page, 8);
        await runCommand(page, 'Similar Sentences: Find Similar to Selection');
        const panel = await webviewFrame(page, PANEL_TITLE, SEARCH_TIMEOUT_MS);
        await waitForResultsOf(panel, 'The person box was packed');
        await screenshot(page, 'panel-light');
        await page.locator('.editor-group-container', { has: page.locator('.tab.active', { hasText: PANEL_TITLE }) }).screenshot({ path: path.join(runFolder(), 'results-panel-light.png') });
      });

      await step('the results panel comes back after a window reload, and its results still open', async () => {
        await page.reload();
        await page.locator('.monaco-workbench').waitFor();
        // VS Code restores a webview panel when its tab is shown.
        await page.locator('.tab', { hasText: PANEL_TITLE }).click();
        const panel = await webviewFrame(page, PANEL_TITLE, SEARCH_TIMEOUT_MS);
        await waitForResultsOf(panel, 'The person box was packed');
        const first = panel.locator('.result').first();
        assert.equal(await first.locator('.location').textContent(), 'README.md:3');
        await first.click();
        await page.waitForFunction(() => document.querySelector('.editor-group-container.active .tab.active .label-name')?.textContent === 'README.md');
        assert.equal((await editorCursor(page)).line, 3);
      });
    },
  );
});

test('offline, a Hub model gives one clear error with Select Local Model Folder… and Retry; Select Model… sets the model', { timeout: 300_000 }, async (t) => {
  assert.ok(fs.existsSync(VSIX), `no VSIX at ${VSIX}: run npm run package first`);
  const workspace = makeWorkspace();
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
  // Nothing listens on this port: every download request is refused, as on a machine without a network.
  const endpoint = `http://127.0.0.1:${await freePort()}`;

  await withWorkbench(
    {
      name: 'offline',
      workspace,
      vsix: VSIX,
      theme: darkTheme,
      userSettings: { 'similarSentences.model': 'Xenova/all-MiniLM-L6-v2', 'similarSentences.downloadEndpoint': endpoint },
    },
    async ({ page, server }) => {
      await openFile(page, 'README.md');
      await runCommand(page, 'Similar Sentences: Search Workspace by Meaning…');
      await page.locator('.quick-input-box input').fill('jelly in a box');
      await page.keyboard.press('Enter');

      const toast = page.locator('.notification-toast', { hasText: 'could not be downloaded' });
      await toast.waitFor({ timeout: SEARCH_TIMEOUT_MS });
      assert.match((await toast.locator('.notification-list-item-message').textContent()) ?? '', /Could not connect to http:\/\/127\.0\.0\.1/);
      assert.deepEqual(await toast.locator('.monaco-button').allTextContents(), ['Select Local Model Folder…', 'Retry']);

      const panel = await webviewFrame(page, PANEL_TITLE, SEARCH_TIMEOUT_MS);
      const notice = panel.locator('.notice-error');
      await notice.waitFor();
      assert.match((await notice.textContent()) ?? '', /could not be downloaded/);
      assert.deepEqual(await notice.locator('vscode-button').allTextContents(), ['Select Local Model Folder…', 'Retry']);
      assert.equal(await page.locator('.statusbar-item', { hasText: 'Similar: error' }).count(), 1);
      await screenshot(page, 'offline-error');

      // Retry asks again (still offline): the same single error, not a pile of them.
      await toast.locator('.monaco-button', { hasText: 'Retry' }).click();
      await page.locator('.notification-toast', { hasText: 'could not be downloaded' }).first().waitFor({ timeout: SEARCH_TIMEOUT_MS });
      assert.equal(await page.locator('.notification-toast', { hasText: 'could not be downloaded' }).count(), 1);
      assert.equal(await page.locator('.notification-toast', { hasText: 'Similar Sentences' }).count(), 1);

      // Select Model… writes the user settings: the weights, then a Hub id (checked as it is typed).
      const userSetting = (key: string) => JSON.parse(fs.readFileSync(path.join(server.userDataDir, 'User', 'settings.json'), 'utf8'))[key];
      const row = (text: string | RegExp) => page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: text });
      await runCommand(page, 'Similar Sentences: Select Model…');
      await row('Weights: fp32').click();
      await row(/^q8/).click();
      await expectSoon(async () => userSetting('similarSentences.dtype') === 'q8', 'dtype q8 in the user settings');
      await runCommand(page, 'Similar Sentences: Select Model…');
      await row('Hugging Face model id…').click();
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await input.fill('not a model id');
      await page.locator('.quick-input-message', { hasText: 'A model id looks like owner/name.' }).waitFor();
      await input.fill('sentence-transformers/all-MiniLM-L6-v2');
      await input.press('Enter');
      await expectSoon(async () => userSetting('similarSentences.model') === 'sentence-transformers/all-MiniLM-L6-v2', 'the model id in the user settings');
    },
  );
});

test('indexing a large workspace shows progress and can be cancelled', { timeout: 300_000 }, async (t) => {
  assert.ok(fs.existsSync(VSIX), `no VSIX at ${VSIX}: run npm run package first`);
  // A full-size model on thousands of lines: indexing takes long enough to watch and to cancel.
  const model = await ensureTestModel('minilm');
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'similar-sentences-large-'));
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
  generateSyntheticWorkspace(workspace, { lines: 30_000 });
  fs.writeFileSync(path.join(workspace, 'query.txt'), 'Find the configuration file and load its settings.\n');

  await withWorkbench(
    { name: 'cancel', workspace, vsix: VSIX, theme: darkTheme, userSettings: { 'similarSentences.model': model } },
    async ({ page }) => {
      await openFile(page, 'query.txt');
      await runCommand(page, 'Similar Sentences: Find Similar to Selection');
      const toast = page.locator('.notification-toast', { hasText: 'Similar Sentences: indexing' });
      await toast.waitFor({ timeout: SEARCH_TIMEOUT_MS });
      const status = page.locator('.statusbar-item', { hasText: 'Similar: indexing' });
      await status.waitFor();
      // The notification and the status bar count up while units are embedded.
      await toast.locator('.notification-list-item-message', { hasText: 'Embedding units' }).waitFor({ timeout: SEARCH_TIMEOUT_MS });
      await status.filter({ hasText: /indexing \d+%/ }).waitFor({ timeout: SEARCH_TIMEOUT_MS });
      // So does the panel, which waits for the index.
      const panel = await webviewFrame(page, PANEL_TITLE, SEARCH_TIMEOUT_MS);
      await panel.locator('.notice', { hasText: 'Embedding units' }).waitFor({ timeout: SEARCH_TIMEOUT_MS });
      await screenshot(page, 'indexing-progress');

      await toast.hover();
      await toast.locator('.monaco-button', { hasText: 'Cancel' }).click();
      await panel.locator('.notice', { hasText: 'Indexing was cancelled' }).waitFor({ timeout: SEARCH_TIMEOUT_MS });
      await page.locator('.statusbar-item', { hasText: /^\s*Similar\s*$/ }).waitFor();
      assert.equal(await page.locator('.notification-toast', { hasText: 'Similar Sentences: indexing' }).count(), 0);
    },
  );
});
