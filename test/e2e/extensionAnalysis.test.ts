// Beyond search, in a real VS Code (code-server + headless chromium) with the packaged extension: the similarity
// heatmap of selected lines, near-duplicate clusters, explained scores and percentiles, More/Less like this, follow
// mode, scoped searches, skipped files and the host's memory limit. Expected numbers come from the CLI on the same
// folder and model (the same host, run separately). Needs test/e2e/setup-code-server.sh and `npm run package` first.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { ROCCHIO_ALPHA, ROCCHIO_BETA, ROCCHIO_GAMMA } from '../../src/core/refine';
import { DEFAULTS } from '../../src/extension/settings';
import { topWords } from '../../src/webview/highlight';
import type { ExplainedWord } from '../../src/webview/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import {
  assertTop,
  cliJson,
  type CliHit,
  cliSearch,
  expectedTop,
  expectSoon,
  firstResult,
  openSideView,
  PANEL_TITLE,
  SEARCH_TIMEOUT_MS,
  searchInSideView,
  reloadWindow,
  stepper,
  VSIX,
  waitForResultsOf,
  findSimilarToSampleQuery,
  SAMPLE_QUERY,
} from './extensionSteps';
import { darkTheme, editorCursor, goToLine, lightTheme, openFile, runCommand, runFolder, screenshot, selectLines, setTheme, webviewFrame, withWorkbench } from './harness';
import { repoRoot } from './harness/paths';

const HEATMAP_TITLE = 'Similarity Heatmap';
const DUPLICATES_TITLE = 'Near-Duplicates';
const MAX_FILE_SIZE = 2048;

/** Copy-pasted comments (two identical) and a paraphrase of them: one near-duplicate cluster. */
const RETRY_SOURCE = [
  'export function fetchWithRetry(): void {',
  '  // Retry the request after a timeout.',
  '  // Try the request again after the deadline expired.',
  '}',
  '',
  'export function uploadWithRetry(): void {',
  '  // Retry the request after a timeout.',
  '}',
  '',
].join('\n');

function makeWorkspace(): string {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'similar-sentences-analysis-'));
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'sample-workspace'), workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, 'src', 'retry.ts'), RETRY_SOURCE);
  // Left out of the index: too large for the configured limit (and without a unit the CLI would index), and binary.
  fs.writeFileSync(path.join(workspace, 'docs', 'big.txt'), '- - - - - - - -\n'.repeat(200));
  fs.writeFileSync(path.join(workspace, 'docs', 'blob.bin'), Buffer.from([0, 1, 2, 3, 0, 0, 255, 254, 0, 7]));
  return workspace;
}

/** The active editor's text as the model sees it, line by line (1-based). */
function fileLines(workspace: string, relPath: string): string[] {
  return fs.readFileSync(path.join(workspace, relPath), 'utf8').split('\n');
}

/** Text of an editor's rendered lines: Monaco draws spaces as no-break spaces. */
async function renderedText(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').replace(/\u00a0/g, ' ');
}

/** The editor group whose active tab has this title. */
function editorGroupOf(page: Page, title: string) {
  return page.locator('.editor-group-container', { has: page.locator('.tab.active', { hasText: title }) });
}

/** Right-clicks inside the editor's selection and picks a context menu item. */
async function contextMenuOnSelection(page: Page, item: string): Promise<void> {
  const selection = page.locator('.editor-group-container.active .monaco-editor .selected-text').first();
  await selection.waitFor();
  const box = await selection.boundingBox();
  assert.ok(box, 'the selection is drawn');
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { button: 'right' });
  await clickMenuItem(page, item);
}

/** A menu just opened may take the first click for the right-click's release: point, then click until it closes. */
async function clickMenuItem(page: Page, label: string): Promise<void> {
  const item = page.locator('.monaco-menu .action-item', { hasText: label }).first();
  await item.waitFor();
  await item.hover();
  await expectSoon(async () => {
    if (await item.isVisible()) await item.click({ timeout: 2000 }).catch(() => undefined);
    return !(await item.isVisible());
  }, `the menu item "${label}" was clicked`);
}

/** A toolbar action of the side view's title bar, by its label. */
function viewAction(page: Page, label: string) {
  return page.locator(`.part.sidebar .title-actions .action-label[aria-label^="${label}"]`);
}

/** The value of the side view's "in" dropdown. */
function scopeValue(side: FrameLocator): Promise<string> {
  return side.locator('#scope-kind').evaluate((select) => (select as unknown as { value: string }).value);
}

/** Picks a scope in the side view's "in" dropdown (a vscode-single-select: its options live in its shadow root). */
async function chooseScope(side: FrameLocator, label: string, value: string): Promise<void> {
  await side.locator('#scope-kind').click();
  await side.locator('#scope-kind [role="option"]', { hasText: label }).click();
  await expectSoon(async () => (await scopeValue(side)) === value, `scope ${label} chosen`);
}

/** Reads every rendered result set's query text from a view, as it happens. */
async function recordRenderedQueries(frame: FrameLocator): Promise<void> {
  await frame.locator('body').evaluate((body) => {
    const seen: string[] = ((window as unknown as { renderedQueries: string[] }).renderedQueries = []);
    new MutationObserver(() => {
      const summary = body.querySelector('.query-summary');
      const text = body.querySelector('.query-text')?.textContent ?? '';
      if (summary && seen[seen.length - 1] !== text) seen.push(text);
    }).observe(body, { childList: true, subtree: true });
  });
}

async function renderedQueries(frame: FrameLocator): Promise<string[]> {
  return frame.locator('body').evaluate(() => (window as unknown as { renderedQueries: string[] }).renderedQueries);
}

/** Brings an editor panel's tab to the front and returns its page. */
async function showPanel(page: Page, title: string): Promise<FrameLocator> {
  await page.locator('.tab', { hasText: title }).first().click();
  return webviewFrame(page, title, SEARCH_TIMEOUT_MS);
}

/** What the heatmap shows: the units, their places and every cell's value. */
async function heatmapContent(heatmap: FrameLocator): Promise<{ title: string; texts: string[]; locations: string[]; cells: string[] }> {
  await heatmap.locator('table.heatmap').waitFor({ timeout: SEARCH_TIMEOUT_MS });
  return {
    title: (await heatmap.locator('.query-text').textContent()) ?? '',
    texts: await heatmap.locator('.compare-text').allTextContents(),
    locations: await heatmap.locator('.compare-unit .location').allTextContents(),
    cells: await heatmap.locator('td.heat-cell').evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-value') ?? '')),
  };
}

/** What the near-duplicates panel shows: the title, each cluster's row and each member's row. */
async function duplicatesContent(duplicates: FrameLocator): Promise<{ title: string; clusters: string[]; members: string[]; rows: string[] }> {
  await duplicates.locator('.tree-row.cluster').first().waitFor({ timeout: SEARCH_TIMEOUT_MS });
  return {
    title: (await duplicates.locator('.query-text').textContent()) ?? '',
    clusters: await duplicates.locator('.tree-row.cluster').allTextContents(),
    members: await duplicates.locator('.tree-row.member .location').allTextContents(),
    rows: await duplicates.locator('.tree-row.member').allTextContents(),
  };
}

/** Waits until the active editor is `file` with the cursor on `line`. */
async function expectCursorAt(page: Page, file: string, line: number): Promise<void> {
  await expectSoon(async () => {
    const cursor = await editorCursor(page).catch(() => undefined);
    return cursor?.file === file && cursor.line === line;
  }, `${file}:${line} is open`);
}

interface CliCluster {
  members: Array<{ file: string; line: number; text: string; score: number }>;
  distinctTexts: number;
}

test('beyond search in VS Code: heatmap, near-duplicates, explained scores, refinement, follow mode, scopes', { timeout: 900_000 }, async (t) => {
  assert.ok(fs.existsSync(VSIX), `no VSIX at ${VSIX}: run npm run package first`);
  const model = await ensureTestModel('semantic');
  const workspace = makeWorkspace();
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));

  await withWorkbench(
    {
      name: 'analysis',
      workspace,
      vsix: VSIX,
      theme: darkTheme,
      userSettings: {
        'similarSentences.model': model,
        'similarSentences.maxFileSize': MAX_FILE_SIZE,
        'editor.wordWrap': 'off',
        '[markdown]': { 'editor.wordWrap': 'off' },
      },
    },
    async ({ page, server }) => {
      const step = stepper(t, page);
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });

      await step('Compare Selected Lines from the context menu: the CLI matrix as a heatmap, an accessible table, CSV', async () => {
        await openFile(page, 'README.md');
        await selectLines(page, 3, 4);
        await contextMenuOnSelection(page, 'Compare Selected Lines');
        const heatmap = await webviewFrame(page, HEATMAP_TITLE, SEARCH_TIMEOUT_MS);
        await heatmap.locator('table.heatmap').waitFor({ timeout: SEARCH_TIMEOUT_MS });
        // README.md is prose: the two lines hold three sentences.
        const texts = await heatmap.locator('.compare-text').allTextContents();
        assert.deepEqual(texts, [
          'This folder is what the demo and the tests search.',
          'Three years later, the coffin was still full of Jello.',
          'The fish dreamed of escaping the fishbowl and into the toilet where he saw his friend go.',
        ]);
        const expected = cliJson<{ matrix: number[][] }>(['similarity', ...texts, '--model', model]).matrix;
        const cells = heatmap.locator('td.heat-cell');
        assert.equal(await cells.count(), 9);
        for (let i = 0; i < 3; i++) {
          for (let j = 0; j < 3; j++) {
            const cell = heatmap.locator(`td.heat-cell[data-row="${i}"][data-col="${j}"]`);
            const shown = Number(await cell.getAttribute('data-value'));
            assert.ok(Math.abs(shown - expected[i][j]) < 1e-4, `cell ${i},${j}: ${shown} vs the CLI's ${expected[i][j]}`);
            assert.equal(await cell.locator('.cell-value').textContent(), expected[i][j].toFixed(3));
          }
        }
        // A table with headers naming the units, for screen readers.
        assert.equal(await heatmap.locator('table.heatmap[role="grid"] th[scope="col"]').count(), 3);
        assert.equal(await heatmap.locator('th[scope="row"]').nth(1).getAttribute('aria-label'), `2: ${texts[1]}`);
        // Hover shows a value; the arrow keys move through the cells and read them out.
        await heatmap.locator('td.heat-cell[data-row="2"][data-col="1"]').hover();
        assert.match((await heatmap.locator('.heat-readout').textContent()) ?? '', new RegExp(`^3 × 2: ${expected[2][1].toFixed(3)}`));
        await heatmap.locator('td.heat-cell[data-row="0"][data-col="0"]').focus();
        await page.keyboard.press('ArrowRight');
        await page.keyboard.press('ArrowDown');
        assert.equal(await heatmap.locator('td.heat-cell:focus').getAttribute('data-col'), '1');
        assert.equal(await heatmap.locator('td.heat-cell:focus').getAttribute('data-row'), '1');
        assert.match((await heatmap.locator('.heat-readout').textContent()) ?? '', /^2 × 2: 1\.000/);

        // Copy as CSV: the same numbers, six decimals, labelled rows and columns.
        await heatmap.locator('#copy-csv').click();
        await page.locator('.statusbar-item', { hasText: 'copied as CSV' }).waitFor();
        const csv = await page.evaluate(() => navigator.clipboard.readText());
        const rows = csv.trimEnd().split('\r\n');
        assert.equal(rows.length, 4);
        // A label with a comma is quoted.
        assert.equal(rows[0], `,README.md:3 ${texts[0]},"README.md:3 ${texts[1]}",README.md:4 ${texts[2]}`);
        assert.deepEqual(rows[2].split(',').slice(-3).map(Number), expected[1].map((value) => Number(value.toFixed(6))));

        // Export CSV… asks where to save (VS Code's own save dialog) and writes the same text there.
        // Outside the workspace: a new file inside it would be indexed and change later answers.
        const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'similar-sentences-csv-')), 'similarity.csv');
        t.after(() => fs.rmSync(path.dirname(target), { recursive: true, force: true }));
        await heatmap.locator('#export-csv').click();
        const input = page.locator('.quick-input-widget .quick-input-box input');
        await input.waitFor();
        // The dialog first fills in the suggested file (in the workspace folder); only then is the path replaced.
        await expectSoon(async () => (await input.inputValue()).endsWith(`${path.basename(workspace)}/similarity.csv`), 'the save dialog suggests similarity.csv');
        await input.fill(target);
        await expectSoon(async () => (await input.inputValue()) === target, 'the path is typed into the save dialog');
        await page.waitForTimeout(300);
        await input.press('Enter');
        await expectSoon(async () => fs.existsSync(target), 'the CSV file was written');
        assert.equal(fs.readFileSync(target, 'utf8'), csv);

        // A name in the heatmap's list opens its line.
        await heatmap.locator('.compare-unit .location').nth(2).click();
        await page.waitForFunction(() => document.querySelector('.editor-group-container.active .tab.active .label-name')?.textContent === 'README.md');
        assert.equal((await editorCursor(page)).line, 4);
      });

      await step('Compare Selected Lines from the palette compares the lines of a code file', async () => {
        await openFile(page, 'src/retry.ts');
        await selectLines(page, 2, 3);
        await runCommand(page, 'Similar Sentences: Compare Selected Lines');
        const heatmap = await webviewFrame(page, HEATMAP_TITLE, SEARCH_TIMEOUT_MS);
        await heatmap.locator('.query-text', { hasText: 'Compare 2 lines of src/retry.ts:2-3' }).waitFor({ timeout: SEARCH_TIMEOUT_MS });
        const lines = fileLines(workspace, 'src/retry.ts').slice(1, 3).map((line) => line.trim());
        assert.deepEqual(await heatmap.locator('.compare-text').allTextContents(), lines);
        const expected = cliJson<{ matrix: number[][] }>(['similarity', ...lines, '--model', model]).matrix;
        const shown = Number(await heatmap.locator('td.heat-cell[data-row="0"][data-col="1"]').getAttribute('data-value'));
        assert.ok(Math.abs(shown - expected[0][1]) < 1e-4);
      });

      await step('the side view counts skipped files and lists them in the log', async () => {
        const side = await openSideView(page);
        await searchInSideView(side, 'the socket connection expired');
        const skipped = side.locator('.index-skipped');
        await skipped.waitFor({ timeout: SEARCH_TIMEOUT_MS });
        assert.match((await skipped.locator('.index-skipped-text').textContent()) ?? '', /^2 files skipped: (1 too large, 1 binary|1 binary, 1 too large)$/);
        await skipped.locator('button', { hasText: 'Show' }).click();
        const output = page.locator('.part.panel .output-view, .part.panel .monaco-editor').first();
        await output.waitFor();
        await expectSoon(async () => (await renderedText(page, '.part.panel .view-lines')).includes('docs/big.txt: too large'), 'the log lists big.txt');
        assert.match(await renderedText(page, '.part.panel .view-lines'), /docs\/blob\.bin: binary/);
        await page.keyboard.press('Control+J');
        await page.locator('.part.panel').waitFor({ state: 'hidden' });
      });

      await step('Find Near-Duplicates from the side view toolbar: the CLI clusters, largest first, exact copies folded', async () => {
        await openSideView(page);
        await viewAction(page, 'Find Near-Duplicates').click();
        const input = page.locator('.quick-input-widget .quick-input-box input');
        await input.waitFor();
        assert.equal(await input.inputValue(), '0.9', 'the default threshold is offered');
        await input.fill('2');
        await page.locator('.quick-input-message', { hasText: 'above 0 and at most 1' }).waitFor();
        const threshold = 0.85;
        await input.fill(String(threshold));
        await input.press('Enter');

        const duplicates = await webviewFrame(page, DUPLICATES_TITLE, SEARCH_TIMEOUT_MS);
        await duplicates.locator('.query-summary').waitFor({ timeout: SEARCH_TIMEOUT_MS });
        const expected = cliJson<{ clusters: CliCluster[] }>(['duplicates', workspace, '--threshold', String(threshold), '--model', model, '--no-cache']).clusters;
        assert.ok(expected.length > 0, 'the CLI finds clusters in the fixture');
        const clusters = duplicates.locator('.tree-row.cluster');
        assert.equal(await clusters.count(), expected.length);
        const sizes = (await duplicates.locator('.tree-row.cluster .badge').allTextContents()).map(Number);
        assert.deepEqual(sizes, expected.map((cluster) => cluster.members.length));
        assert.deepEqual([...sizes].sort((a, b) => b - a), sizes, 'largest first');

        // The retry comments: two identical lines and a paraphrase. Folded, the identical ones are one entry.
        const retry = expected.find((cluster) => cluster.members.some((member) => member.file === 'src/retry.ts'));
        assert.ok(retry, 'the copied comment is a cluster');
        const retryRow = duplicates.locator('.tree-row.cluster', { hasText: 'request' }).first();
        await retryRow.waitFor();
        const identical = duplicates.locator('.tree-row.identical', { hasText: 'Retry the request after a timeout.' });
        assert.equal(await identical.locator('.identical-count').textContent(), '×2');
        assert.equal(await identical.getAttribute('aria-expanded'), 'false');

        // The keyboard opens the fold (Right) and a member's place (Enter).
        await identical.focus();
        await page.keyboard.press('ArrowRight');
        assert.equal(await identical.getAttribute('aria-expanded'), 'true');
        await page.keyboard.press('ArrowDown');
        const member = duplicates.locator('.tree-row.member:focus');
        const location = (await member.locator('.location').textContent()) ?? '';
        assert.match(location, /^src\/retry\.ts:(2|7)$/);
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.querySelector('.editor-group-container.active .tab.active .label-name')?.textContent === 'retry.ts');
        assert.equal((await editorCursor(page)).line, Number(location.split(':')[1]));

        // Unfolded, every member is its own row.
        const duplicatesAgain = await webviewFrame(page, DUPLICATES_TITLE).catch(async () => {
          await page.locator('.tab', { hasText: DUPLICATES_TITLE }).click();
          return webviewFrame(page, DUPLICATES_TITLE);
        });
        await duplicatesAgain.locator('#fold-exact').click();
        assert.equal(await duplicatesAgain.locator('.tree-row.identical').count(), 0);
        const memberRows = await duplicatesAgain.locator('.tree-row.member .location').allTextContents();
        assert.equal(memberRows.length, expected.reduce((sum, cluster) => sum + cluster.members.length, 0));

        // The threshold is remembered.
        await runCommand(page, 'Similar Sentences: Find Near-Duplicates…');
        await input.waitFor();
        assert.equal(await input.inputValue(), String(threshold));
        await page.keyboard.press('Escape');
      });

      await step('after a window reload the heatmap and the near-duplicates are back as they were, and their places open', async () => {
        const heatmapBefore = await heatmapContent(await showPanel(page, HEATMAP_TITLE));
        const duplicatesBefore = await duplicatesContent(await showPanel(page, DUPLICATES_TITLE));
        assert.ok(heatmapBefore.texts.length === 2 && duplicatesBefore.members.includes('src/retry.ts:7'), 'both panels show something to restore');

        await reloadWindow(page);

        // The heatmap: the same units and values, without the model (the matrix was kept); a name opens its line.
        const heatmap = await showPanel(page, HEATMAP_TITLE);
        await heatmap.locator('table.heatmap').waitFor({ timeout: SEARCH_TIMEOUT_MS });
        assert.deepEqual(await heatmapContent(heatmap), heatmapBefore);
        await heatmap.locator('.compare-unit .location', { hasText: 'src/retry.ts:3' }).click();
        await expectCursorAt(page, 'retry.ts', 3);

        // The near-duplicates: the same clusters, still unfolded (the page's own state), marked as found before.
        const duplicates = await showPanel(page, DUPLICATES_TITLE);
        await duplicates.locator('.tree-row.cluster').first().waitFor({ timeout: SEARCH_TIMEOUT_MS });
        assert.deepEqual(await duplicatesContent(duplicates), duplicatesBefore);
        assert.equal(await duplicates.locator('.tree-row.identical').count(), 0);
        assert.match((await duplicates.locator('.found-before-reload').textContent()) ?? '', /^Found before the window was reloaded \(.+\); files may have changed since\.Refresh$/);
        await duplicates.locator('.tree-row.member', { has: duplicates.locator('.location', { hasText: /^src\/retry\.ts:7$/ }) }).click();
        await expectCursorAt(page, 'retry.ts', 7);

        // Refresh finds them again (the same clusters here) and drops the mark.
        const refreshed = await showPanel(page, DUPLICATES_TITLE);
        await refreshed.locator('.found-before-reload vscode-button', { hasText: 'Refresh' }).click();
        await refreshed.locator('.found-before-reload').waitFor({ state: 'detached', timeout: SEARCH_TIMEOUT_MS });
        await refreshed.locator('.tree-row.cluster').first().waitFor({ timeout: SEARCH_TIMEOUT_MS });
        assert.deepEqual(await duplicatesContent(refreshed), duplicatesBefore);
      });

      await step('results show percentiles and highlight the words that matched, explained lazily', async () => {
        const query = SAMPLE_QUERY.text;
        const panel = await findSimilarToSampleQuery(page);
        const expected = expectedTop(
          cliJson<{ results: Array<CliHit & { words: ExplainedWord[] }> }>(['search', workspace, '--query', query, '--model', model, '--top-k', '50', '--no-cache', '--explain']).results,
          { file: 'README.md', line: 8, endLine: 8 },
        ) as CliHit & { words: ExplainedWord[] };
        assertTop(await firstResult(panel), expected);
        const first = panel.locator('.result').first();
        const percentile = Number(await first.locator('.percentile').getAttribute('data-percentile'));
        assert.ok(percentile > 90 && percentile <= 100, `the best match is in the top of the workspace: ${percentile}`);
        assert.match((await first.locator('.percentile').textContent()) ?? '', /^top \d+(\.\d)?%$/);
        // The words that contributed most are marked inside the unit.
        await first.locator('mark.contribution').first().waitFor({ timeout: SEARCH_TIMEOUT_MS });
        const words = await first.locator('mark.contribution').allTextContents();
        assert.ok(words.length >= 1 && words.length <= 5, JSON.stringify(words));
        const unit = (await first.locator('mark.unit').allTextContents()).join(' ');
        for (const word of words) assert.ok(unit.includes(word), `${word} is in the result`);
        // The words the CLI's explanation of the same result ranks highest.
        assert.deepEqual([...words].sort(), topWords({ score: expected.score, words: expected.words }).map((word) => word.text).sort());
        assert.match((await first.getAttribute('aria-description')) ?? '', /^Matched mostly on: /);
        // Only results that were shown are explained: the last ones wait until they are scrolled to.
        const results = panel.locator('.result');
        const count = await results.count();
        assert.ok(count > 8, `enough results to scroll: ${count}`);
        await page.waitForTimeout(1500);
        const explained = await panel.locator('.result[data-explained="true"]').count();
        assert.ok(explained < count, `${explained} of ${count} explained before scrolling`);
        await results.last().scrollIntoViewIfNeeded();
        await results.last().locator('.snippet').waitFor();
        await expectSoon(async () => (await results.last().getAttribute('data-explained')) === 'true', 'the last result is explained once shown', 30_000);
        await screenshot(page, 'explained-dark');
      });

      await step('More like this / Less like this rerun the query, and the history keeps the refined query', async () => {
        const again = await webviewFrame(page, PANEL_TITLE, SEARCH_TIMEOUT_MS);
        const query = (await again.locator('.query-text').textContent())!;
        const third = again.locator('.result').nth(2);
        const secondText = (await third.locator('mark.unit').allTextContents()).join(' ');
        const scoreBefore = Number(await third.getAttribute('data-score'));
        // The keyboard: down to the third result, then + (More like this).
        await again.locator('.result').first().focus();
        await page.keyboard.press('ArrowDown');
        await page.keyboard.press('ArrowDown');
        assert.equal((await again.locator('.result[aria-selected="true"] mark.unit').allTextContents()).join(' '), secondText);
        await page.keyboard.press('+');
        await again.locator('.refine-chip.refine-more', { hasText: secondText.slice(0, 30) }).waitFor({ timeout: SEARCH_TIMEOUT_MS });
        await again.locator('.query-summary').waitFor({ timeout: SEARCH_TIMEOUT_MS });
        const refinedTexts = await again.locator('.result mark.unit').allTextContents();
        assert.ok(refinedTexts.slice(0, 2).some((text) => text === secondText), 'the result marked More like this rose to the top');
        const liked = again.locator('.result').filter({ has: again.locator('mark.unit', { hasText: secondText }) }).first();
        assert.ok(Number(await liked.getAttribute('data-score')) > scoreBefore, 'and scores higher');
        // Less like this with the button, on the first result that is not the one marked More like this.
        const unliked = again.locator('.result').filter({ hasNot: again.locator('mark.unit', { hasText: secondText }) }).first();
        const unlikedText = (await unliked.locator('mark.unit').allTextContents()).join(' ');
        const unlikedBefore = Number(await unliked.getAttribute('data-score'));
        await unliked.hover();
        await unliked.locator('[data-name="refine-less"]').click();
        await again.locator('.refine-chip.refine-less', { hasText: unlikedText.slice(0, 30) }).waitFor({ timeout: SEARCH_TIMEOUT_MS });
        await again.locator('.query-summary').waitFor({ timeout: SEARCH_TIMEOUT_MS });
        await again.locator('.refine-chip.refine-more').waitFor();
        // The score it must have now, shown or not: the host's refined query (Rocchio) from the CLI's cosines
        // between the query, the text marked More like this and the one marked Less like this (all unit vectors).
        const [[, qm, ql], [, , ml]] = cliJson<{ matrix: number[][] }>(['similarity', query, secondText, unlikedText, '--model', model]).matrix;
        const [a, b, c] = [ROCCHIO_ALPHA, ROCCHIO_BETA, ROCCHIO_GAMMA];
        const refinedNorm = Math.sqrt(a * a + b * b + c * c + 2 * a * b * qm - 2 * a * c * ql - 2 * b * c * ml);
        const expectedAfter = (a * ql + b * ml - c) / refinedNorm;
        assert.ok(expectedAfter < unlikedBefore, `Less like this lowers its score: ${unlikedBefore} → ${expectedAfter}`);
        const shownScores = await again.locator('.result').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-score'))));
        const unlikedAfter = again.locator('.result').filter({ has: again.locator('mark.unit', { hasText: unlikedText }) });
        if (await unlikedAfter.count()) {
          const after = Number(await unlikedAfter.first().getAttribute('data-score'));
          assert.ok(Math.abs(after - expectedAfter) < 1e-4, `shown with the refined score: ${after} vs ${expectedAfter}`);
        } else {
          // Dropped out: below the last result of a full list, or below the minimum score.
          const cut = shownScores.length >= DEFAULTS.maxResults ? Math.min(...shownScores) : DEFAULTS.minScore;
          assert.ok(expectedAfter <= cut + 1e-4, `left out only below the cut: ${expectedAfter} vs ${cut} (${shownScores.length} shown)`);
        }
        await screenshot(page, 'refined-dark');

        // The query history shows the refined query, marked as refined; picking it runs it with its refinement.
        await runCommand(page, 'Similar Sentences: Search Workspace by Meaning…');
        const refinedItem = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'refined: +1 more like, −1 less like' }).first();
        await refinedItem.waitFor();
        await refinedItem.click();
        const rerun = await webviewFrame(page, PANEL_TITLE, SEARCH_TIMEOUT_MS);
        await rerun.locator('.refine-chip.refine-less').waitFor({ timeout: SEARCH_TIMEOUT_MS });
        await rerun.locator('.refine-chip.refine-more').waitFor();
        // Clear refinement: the plain query again.
        await rerun.locator('.refinement .link-button', { hasText: 'Clear refinement' }).click();
        await expectSoon(async () => (await rerun.locator('.refine-chip').count()) === 0 && (await rerun.locator('.query-summary').count()) === 1, 'the refinement is cleared');
      });

      await step('follow mode shows what is similar to the line under the cursor, only for lines the cursor rests on', async () => {
        const side = await openSideView(page);
        await viewAction(page, 'Follow Cursor').click();
        await expectSoon(async () => (await side.locator('#follow-cursor').getAttribute('checked')) !== null, 'the view shows follow mode on');
        await openFile(page, 'src/connection.ts');
        // The cursor rests on line 1 first: that line is followed, then the test watches what the view shows.
        await waitForResultsOf(side, fileLines(workspace, 'src/connection.ts')[0].trim());
        await recordRenderedQueries(side);
        await goToLine(page, 5);
        const line5 = fileLines(workspace, 'src/connection.ts')[4].trim();
        await waitForResultsOf(side, line5);
        assertTop(await firstResult(side), expectedTop(cliSearch(workspace, model, line5), { file: 'src/connection.ts', line: 5, endLine: 5 }));
        assert.equal(await side.locator('.query-origin').textContent(), 'from src/connection.ts:5 (line under the cursor)');

        // Quick moves through lines 6, 7, 9 and a rest on line 10: only line 10 is searched and shown.
        await page.locator('.editor-group-container.active .monaco-editor textarea').focus();
        for (const key of ['ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowDown']) await page.keyboard.press(key);
        await page.keyboard.press('ArrowDown');
        const line10 = fileLines(workspace, 'src/connection.ts')[9].trim();
        await waitForResultsOf(side, line10);
        await page.waitForTimeout(1000);
        assert.deepEqual(await renderedQueries(side), [line5, line10]);

        // Typing while following is never held up: every key lands, and the view follows the edited line.
        await page.keyboard.press('End');
        const typed = ' and retry the request';
        await page.keyboard.type(typed);
        const editedLine = `${line10}${typed}`;
        await expectSoon(async () => (await side.locator('.query-text').textContent()) === editedLine && (await side.locator('.query-summary').count()) === 1, 'the view follows the edited line', SEARCH_TIMEOUT_MS);
        assert.ok((await renderedText(page, '.editor-group-container.active .view-lines')).includes(typed.trim()), 'every typed key landed');
        await screenshot(page, 'follow-dark');
        await runCommand(page, 'File: Revert File');

        // Off again: moving the cursor changes nothing.
        await runCommand(page, 'Similar Sentences: Stop Following Cursor');
        const before = await renderedQueries(side);
        await goToLine(page, 2);
        await page.waitForTimeout(1500);
        assert.deepEqual(await renderedQueries(side), before);
      });

      await step('scopes: the current file, globs to include and exclude, a folder from the Explorer, the open editors', async () => {
        const side = await openSideView(page);
        const query = 'jelly in a box';
        const locations = async () => side.locator('.result .location').allTextContents();

        await openFile(page, 'README.md');
        await openSideView(page);
        await chooseScope(side, 'Current file', 'file');
        await searchInSideView(side, query);
        assert.equal(await side.locator('.query-scope').textContent(), 'in README.md');
        const inFile = await locations();
        assert.ok(inFile.length > 0 && inFile.every((location) => location.startsWith('README.md:')), JSON.stringify(inFile));

        await chooseScope(side, 'Workspace', 'workspace');
        await side.locator('#scope-details').click();
        await side.locator('#include input').fill('*.ts');
        await side.locator('#exclude input').fill('src/users.ts, src/files.ts');
        await searchInSideView(side, query);
        assert.equal(await side.locator('.query-scope').textContent(), 'in files matching *.ts, excluding src/users.ts, src/files.ts');
        const globbed = await locations();
        assert.ok(globbed.length > 0 && globbed.every((location) => /^src\/(connection|retry)\.ts:/.test(location)), JSON.stringify(globbed));
        await side.locator('#include input').fill('');
        await side.locator('#exclude input').fill('');

        // Find Similar in Folder… on the Explorer's "docs" folder: the side view searches docs/ from now on.
        await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').click();
        const docs = page.locator('.explorer-folders-view .monaco-list-row[aria-label="docs"]');
        await docs.click({ button: 'right' });
        await clickMenuItem(page, 'Find Similar in Folder…');
        const scoped = await webviewFrame(page, 'Search by Meaning', SEARCH_TIMEOUT_MS);
        await expectSoon(async () => (await scopeValue(scoped)) === 'folder', 'the folder scope is chosen');
        await searchInSideView(scoped, 'the socket connection expired');
        assert.equal(await scoped.locator('.query-scope').textContent(), 'in docs/');
        const inFolder = await scoped.locator('.result .location').allTextContents();
        assert.ok(inFolder.length > 0 && inFolder.every((location) => location.startsWith('docs/')), JSON.stringify(inFolder));
        await screenshot(page, 'scope-folder-dark');

        // The palette's Search Open Editors by Meaning… looks only in the open editor tabs.
        await runCommand(page, 'View: Close All Editors');
        await openFile(page, 'src/users.ts');
        await runCommand(page, 'Similar Sentences: Search Open Editors by Meaning…');
        const input = page.locator('.quick-input-widget .quick-input-box input');
        await input.fill('check the password before the login');
        await input.press('Enter');
        const panel = await webviewFrame(page, PANEL_TITLE, SEARCH_TIMEOUT_MS);
        await waitForResultsOf(panel, 'check the password before the login');
        assert.equal(await panel.locator('.query-scope').textContent(), 'in the open editor');
        const inEditors = await panel.locator('.result .location').allTextContents();
        assert.ok(inEditors.length > 0 && inEditors.every((location) => location.startsWith('src/users.ts:')), JSON.stringify(inEditors));
      });

      await step('screenshots of the heatmap and the near-duplicates in a dark and a light theme', async () => {
        for (const [theme, kind] of [[darkTheme, 'dark'], [lightTheme, 'light']] as const) {
          await setTheme(page, theme);
          await runCommand(page, 'View: Close All Editors');
          await openFile(page, 'README.md');
          await selectLines(page, 3, 9);
          await runCommand(page, 'Similar Sentences: Compare Selected Lines');
          const heatmap = await webviewFrame(page, HEATMAP_TITLE, SEARCH_TIMEOUT_MS);
          await heatmap.locator('.query-text', { hasText: 'Compare 6 sentences' }).waitFor({ timeout: SEARCH_TIMEOUT_MS });
          await heatmap.locator('td.heat-cell[data-row="1"][data-col="4"]').hover();
          await screenshot(page, `heatmap-${kind}`);
          await editorGroupOf(page, HEATMAP_TITLE).screenshot({ path: path.join(runFolder(), `heatmap-${kind}-panel.png`) });
          await runCommand(page, 'Similar Sentences: Find Near-Duplicates…');
          await page.locator('.quick-input-message', { hasText: 'Units whose cosine similarity' }).waitFor();
          await page.locator('.quick-input-widget .quick-input-box input').press('Enter');
          const duplicates = await webviewFrame(page, DUPLICATES_TITLE, SEARCH_TIMEOUT_MS);
          await duplicates.locator('.tree-row.cluster').first().waitFor({ timeout: SEARCH_TIMEOUT_MS });
          await duplicates.locator('.tree-row.member:not([hidden])').first().hover();
          await screenshot(page, `duplicates-${kind}`);
          await editorGroupOf(page, DUPLICATES_TITLE).screenshot({ path: path.join(runFolder(), `duplicates-${kind}-panel.png`) });
        }
      });
    },
  );
});

test('the memory limit setting reaches the model host: above it the host is stopped and says why', { timeout: 300_000 }, async (t) => {
  assert.ok(fs.existsSync(VSIX), `no VSIX at ${VSIX}: run npm run package first`);
  const model = await ensureTestModel('semantic');
  const workspace = makeWorkspace();
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
  await withWorkbench(
    { name: 'memory-limit', workspace, vsix: VSIX, theme: darkTheme, userSettings: { 'similarSentences.model': model, 'similarSentences.maxMemoryMB': 1 } },
    async ({ page }) => {
      const side = await openSideView(page);
      await side.locator('#query input').fill('the socket connection expired');
      await side.locator('#query input').press('Enter');
      // Any host uses more than 1 MB: the first memory check (a heartbeat) stops it, and the view says so.
      await side.locator('.index-state', { hasText: 'above the limit of 1 MB' }).waitFor({ timeout: SEARCH_TIMEOUT_MS });
      await screenshot(page, 'memory-limit');
    },
  );
});
