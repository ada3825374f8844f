// Hostile strings in every webview of the packaged extension, in a real VS Code (code-server + headless chromium).
// Workspace lines, file and folder names and a setting shown in the views (the model folder, the side view's globs)
// carry markup, script breakouts, javascript: links, template syntax and an RTL override. In the results panel, the
// side view, the similarity heatmap and the near-duplicates panel they must read as these exact characters, and
// inside each page's own frame no element, attribute or script may have been injected, and no payload may have run.
// Then the page is treated as compromised: messages forged as it would send them must open nothing and run nothing,
// command: links must stay dead, and resources outside the extension's asset folders must not load.
// Needs test/e2e/setup-code-server.sh and `npm run package` first (npm run test:e2e does both).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { WEBVIEW_TITLES } from '../../src/extension/webviewPage';
import type { WebviewKind } from '../../src/extension/webviewHtml';
import { shortModelName } from '../../src/webview/format';
import { ensureTestModel } from '../fixtures/models/generate';
import { expectSoon, openSideView, PANEL_TITLE, SEARCH_TIMEOUT_MS, searchInSideView, stepper, VSIX, waitForResultsOf } from './extensionSteps';
import { darkTheme, extensionLog, pickQuickInputItem, postAsWebview, runCommand, screenshot, selectLines, waitForCursor, webviewFrame, withWorkbench } from './harness';
import { openQuickInputWith } from './harness/commands';
import { repoRoot } from './harness/paths';

const HEATMAP_TITLE = 'Similarity Heatmap';
const DUPLICATES_TITLE = 'Near-Duplicates';

/** Had any of these run, the page's title or this global would say so. */
const PAYLOAD = "document.title='pwned';window.pwned=1";

/** One unit each (a line of a code file; a paragraph of a text file). */
const HOSTILE_LINES = [
  `The gnome hid in the walnut husk <img src=x onerror="${PAYLOAD}"> beside the river`,
  `The gnome slept in the walnut shell </script><script>${PAYLOAD}</script> until dawn`,
  `The gnome left a note in the walnut <a href="javascript:${PAYLOAD}">click here</a> for the squirrel`,
  `The gnome carved {{constructor.constructor('${PAYLOAD}')()}} and \${${PAYLOAD}} into the walnut \u202Etxt.exe`,
  `The gnome drew <svg onload="${PAYLOAD}"></svg><iframe srcdoc="<script>${PAYLOAD}</script>"></iframe> on the walnut`,
];

/** A workspace path whose folders spell a script breakout and whose name is markup with an RTL override. */
const HOSTILE_FOLDER = `</script><script>${PAYLOAD}</script>`;
const HOSTILE_NAME = `<img src=x onerror="${PAYLOAD}"> {{7*7}} gnome-notes \u202Egnp.js`;
const HOSTILE_FILE = `${HOSTILE_FOLDER}/${HOSTILE_NAME}`;
/** A command link in the syntax VS Code's notifications turn into links: as a file name, and as a setting's value. */
const COMMAND_LINK = '[Open a new file](command:workbench.action.files.newUntitledFile)';
const LINK_NAME = `${COMMAND_LINK}.txt`;

/** Globs typed into the side view's scope: shown back in the view. */
const INCLUDE_GLOBS = `docs/**, <img src=x onerror="${PAYLOAD}">`;
const EXCLUDE_GLOBS = `</script><script>${PAYLOAD}</script>`;

function makeWorkspace(root: string): string {
  const workspace = path.join(root, 'workspace');
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'sample-workspace'), workspace, { recursive: true });
  // Prose: each paragraph a unit, so each line is one.
  fs.writeFileSync(path.join(workspace, 'docs', 'hostile.txt'), `${HOSTILE_LINES.join('\n\n')}\n`);
  fs.mkdirSync(path.join(workspace, ...HOSTILE_FOLDER.split('/')), { recursive: true });
  fs.writeFileSync(path.join(workspace, ...HOSTILE_FILE.split('/')), `${HOSTILE_LINES.join('\n')}\n`);
  fs.writeFileSync(path.join(workspace, 'docs', LINK_NAME), 'The gnome kept a diary about the walnut.\n');
  // A workspace setting the extension reports as broken (no such unit mode), quoting it back to the user.
  fs.mkdirSync(path.join(workspace, '.vscode'));
  fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'similarSentences.unitModes': { '.txt': COMMAND_LINK } }));
  return workspace;
}

/** The test model, copied into a folder whose path is markup: the model setting is shown in the views. */
function hostileModelFolder(root: string, model: string): string {
  const folder = path.join(root, ...`models/${HOSTILE_FOLDER}/<img src=x onerror="${PAYLOAD}"> {{7*7}} \u202Eledom`.split('/'));
  fs.cpSync(model, folder, { recursive: true });
  return folder;
}

interface PageReport {
  title: string;
  pwned: boolean;
  cspMetas: number;
  cspNonce: string | undefined;
  scripts: Array<{ id: string; src: string; nonce: string; inline: boolean; inHead: boolean; inShadowRoot: boolean }>;
  /** Elements that none of our pages create, wherever they are ("tag in light DOM" or "tag in shadow root"). */
  foreignElements: string[];
  /** `tag attribute` for every on* attribute. */
  handlers: string[];
  /** `tag attribute=value` for every attribute that is a javascript:, data: or command: URL. */
  scriptUrls: string[];
}

/**
 * Runs inside a webview page's own frame (self-contained: playwright serializes it). Walks the whole document,
 * shadow roots of the web components included.
 */
function inspectPage(): PageReport {
  const report: PageReport = {
    title: document.title,
    pwned: (window as unknown as { pwned?: unknown }).pwned !== undefined,
    cspMetas: document.querySelectorAll('meta[http-equiv="Content-Security-Policy" i]').length,
    cspNonce: /'nonce-([^']+)'/.exec(document.querySelector('meta[http-equiv="Content-Security-Policy" i]')?.getAttribute('content') ?? '')?.[1],
    scripts: [],
    foreignElements: [],
    handlers: [],
    scriptUrls: [],
  };
  // Our pages create none of these; the payloads would. (The web components draw their own <svg> icons and
  // link their own styles inside their shadow roots, so those two are only foreign in the light DOM.)
  const foreignAnywhere = ['img', 'iframe', 'frame', 'object', 'embed', 'a', 'base', 'audio', 'video', 'source', 'math'];
  const foreignInLightDom = [...foreignAnywhere, 'svg', 'template'];
  const walk = (root: Document | ShadowRoot, inShadowRoot: boolean) => {
    for (const node of Array.from(root.querySelectorAll('*'))) {
      const tag = node.localName;
      if ((inShadowRoot ? foreignAnywhere : foreignInLightDom).includes(tag)) report.foreignElements.push(`${tag} in ${inShadowRoot ? 'shadow root' : 'light DOM'}`);
      if (tag === 'link' && !inShadowRoot && node.parentElement !== document.head) report.foreignElements.push('link outside <head>');
      if (tag === 'meta' && node.parentElement !== document.head) report.foreignElements.push('meta outside <head>');
      // VS Code's host adds its default styles to the head; the side view has one search form. Nothing else.
      if (tag === 'style' && !inShadowRoot && !(node.id === '_defaultStyles' && node.parentElement === document.head)) report.foreignElements.push('style in light DOM');
      if (tag === 'form' && !node.matches('form.search-box')) report.foreignElements.push('form');
      if (tag === 'script') {
        const script = node as HTMLScriptElement;
        report.scripts.push({
          id: script.id,
          src: script.src,
          nonce: script.nonce ?? '',
          inline: !script.src || !!script.textContent?.trim(),
          inHead: script.parentElement === document.head,
          inShadowRoot,
        });
      }
      for (const attribute of Array.from(node.attributes)) {
        if (/^on/i.test(attribute.name)) report.handlers.push(`${tag} ${attribute.name}`);
        if (/^\s*(javascript|data|command|vbscript):/i.test(attribute.value)) report.scriptUrls.push(`${tag} ${attribute.name}=${attribute.value}`);
      }
      if (node.shadowRoot) walk(node.shadowRoot, true);
    }
  };
  walk(document, false);
  return report;
}

/**
 * Inside the frame: nothing injected, nothing run, only our one script with this render's nonce (besides the script
 * VS Code's host puts first in every webview's head to define acquireVsCodeApi).
 */
async function assertNothingInjected(frame: FrameLocator, kind: WebviewKind): Promise<void> {
  const report = await frame.locator(':root').evaluate(inspectPage);
  assert.equal(report.title, WEBVIEW_TITLES[kind], `${kind}: the page's own title was not changed`);
  assert.equal(report.pwned, false, `${kind}: no payload ran in the page`);
  assert.equal(report.cspMetas, 1, `${kind}: one CSP`);
  assert.deepEqual(report.foreignElements, [], `${kind}: injected elements`);
  assert.deepEqual(report.handlers, [], `${kind}: injected handlers`);
  assert.deepEqual(report.scriptUrls, [], `${kind}: script URLs`);
  const [vscodeApi, ...ours] = report.scripts;
  assert.ok(vscodeApi.id === '_vscodeApiScript' && vscodeApi.inHead && vscodeApi.inline, `${kind}: VS Code's API script first: ${JSON.stringify(vscodeApi)}`);
  assert.equal(ours.length, 1, `${kind}: one script of ours: ${JSON.stringify(ours)}`);
  const [script] = ours;
  assert.ok(report.cspNonce && script.nonce === report.cspNonce, `${kind}: the script carries the CSP's nonce`);
  assert.ok(!script.inline && !script.inShadowRoot && script.src.endsWith('/dist/webview/main.js'), JSON.stringify(script));
}

/**
 * A notification that reads `text` (give or take the zero-width spaces that keep it literal) and holds no link:
 * VS Code turns [label](command:…) in a message into a link that runs the command when clicked.
 */
async function assertLiteralNotification(toast: Locator, text: string): Promise<void> {
  const shown = await toast.locator('.notification-list-item-message').textContent();
  assert.equal(shown?.replaceAll('\u200B', ''), text);
  assert.equal(await toast.locator('.notification-list-item-message a').count(), 0, 'no link in the notification');
}

/** Text contents of every match, in order. */
const texts = (frame: FrameLocator, selector: string) => frame.locator(selector).allTextContents();
const attributes = (frame: FrameLocator, selector: string, name: string) =>
  frame.locator(selector).evaluateAll((nodes, attribute) => nodes.map((node) => node.getAttribute(attribute) ?? ''), name);

/** Opens the hostile file through Quick Open (by a plain word of its name) and waits for its editor. */
async function openHostileFile(page: Page): Promise<void> {
  await pickQuickInputItem(page, { open: () => openQuickInputWith(page, 'Control+P'), value: 'gnome-notes', label: HOSTILE_NAME });
  await waitForCursor(page, (cursor) => cursor.file === HOSTILE_NAME, 'the hostile file is active');
}

/** The labels of all editor tabs, in every group. */
const tabLabels = (page: Page) => page.locator('.tab .label-name').allTextContents();

/** Shows an editor panel by its tab (panels share a group and hide each other) and returns its page. */
async function showPanel(page: Page, title: string): Promise<FrameLocator> {
  await page.locator('.tab', { has: page.locator('.label-name', { hasText: new RegExp(`^${title}$`) }) }).click();
  return webviewFrame(page, title, SEARCH_TIMEOUT_MS);
}

test('hostile workspace text, file names and settings render as literal text in every webview; a forged page opens and runs nothing', { timeout: 900_000 }, async (t) => {
  assert.ok(fs.existsSync(VSIX), `no VSIX at ${VSIX}: run npm run package first`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'similar-sentences-hostile-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const workspace = makeWorkspace(root);
  const model = hostileModelFolder(root, await ensureTestModel('semantic'));
  const modelName = shortModelName(model);
  assert.ok(modelName.includes('<img'), 'the views name the model folder by its hostile last segment');

  await withWorkbench(
    {
      name: 'hostile-text',
      workspace,
      vsix: VSIX,
      theme: darkTheme,
      userSettings: { 'similarSentences.model': model, 'editor.wordWrap': 'off' },
    },
    async ({ page, server }) => {
      const step = stepper(t, page);

      await step('the results panel shows hostile lines, file names and the model folder as text', async () => {
        await openHostileFile(page);
        await selectLines(page, 1);
        await runCommand(page, 'Similar Sentences: Find Similar to Selection');
        const panel = await webviewFrame(page, PANEL_TITLE, SEARCH_TIMEOUT_MS);
        await waitForResultsOf(panel, HOSTILE_LINES[0]);
        await assertNothingInjected(panel, 'panel');
        assert.deepEqual(await texts(panel, '.query-text'), [HOSTILE_LINES[0]]);
        assert.deepEqual(await texts(panel, '.query-origin'), [`from ${HOSTILE_FILE}:1 (left out of the results)`]);
        assert.ok((await texts(panel, '.query-summary'))[0].includes(` · ${model} · `), 'the model folder, literally');
        const locations = await texts(panel, '.result .location');
        for (const line of [2, 3, 4, 5]) assert.ok(locations.includes(`${HOSTILE_FILE}:${line}`), `${HOSTILE_FILE}:${line} in ${JSON.stringify(locations)}`);
        assert.ok(locations.includes('docs/hostile.txt:1'), 'the same line in the text file');
        assert.ok(locations.includes(`docs/${LINK_NAME}:1`));
        const units = await texts(panel, '.result mark.unit');
        for (const line of HOSTILE_LINES) assert.ok(units.includes(line), `shown as typed: ${line}`);
        const labels = await attributes(panel, '.result', 'aria-label');
        assert.ok(labels.some((label) => label.endsWith(` ${HOSTILE_FILE}:2`)), 'the accessible name holds the path as text');
        await screenshot(page, 'hostile-panel');
      });

      await step('a hostile workspace setting quoted in a warning stays text, not a command link', async () => {
        // Shown once the extension starts (with the first search above).
        const toast = page.locator('.notification-toast', { hasText: 'unitModes' });
        await toast.waitFor({ timeout: SEARCH_TIMEOUT_MS });
        const problem = `"similarSentences.unitModes" has ${JSON.stringify(COMMAND_LINK)} for ".txt", but a mode is "lines" or "sentences"; ignoring it.`;
        await assertLiteralNotification(toast, `Similar Sentences: ${problem}`);
      });

      await step('the side view shows hostile results, scope globs and the model folder as text', async () => {
        const side = await openSideView(page);
        if (!(await side.locator('#include').isVisible())) await side.locator('#scope-details').click();
        await side.locator('#include input').fill(INCLUDE_GLOBS);
        await side.locator('#exclude input').fill(EXCLUDE_GLOBS);
        await searchInSideView(side, 'the gnome and the walnut');
        await assertNothingInjected(side, 'sidebar');
        const scope = (await texts(side, '.query-scope'))[0];
        for (const glob of [...INCLUDE_GLOBS.split(', '), EXCLUDE_GLOBS]) assert.ok(scope.includes(glob), `${glob} in ${scope}`);
        assert.deepEqual(await texts(side, '.index-model'), [modelName]);
        assert.deepEqual(await attributes(side, '.index-model', 'title'), [model]);
        const locations = await texts(side, '.result .location');
        assert.ok(locations.length > 0 && locations.every((location) => location.startsWith('docs/')), `only docs/**: ${JSON.stringify(locations)}`);
        assert.ok(locations.includes(`docs/${LINK_NAME}:1`));
        const units = await texts(side, '.result mark.unit');
        for (const line of HOSTILE_LINES) assert.ok(units.includes(line), `shown as typed: ${line}`);
        await screenshot(page, 'hostile-sideview');
        // Back to the whole workspace for the side view search at the end.
        await side.locator('#include input').fill('');
        await side.locator('#exclude input').fill('');
      });

      await step('the similarity heatmap shows hostile units and their file as text', async () => {
        await openHostileFile(page);
        await selectLines(page, 1, HOSTILE_LINES.length);
        await runCommand(page, 'Similar Sentences: Compare Selected Lines');
        const heatmap = await webviewFrame(page, HEATMAP_TITLE, SEARCH_TIMEOUT_MS);
        await heatmap.locator('table.heatmap').waitFor({ timeout: SEARCH_TIMEOUT_MS });
        await assertNothingInjected(heatmap, 'compare');
        assert.deepEqual(await texts(heatmap, '.query-text'), [`Compare ${HOSTILE_LINES.length} lines of ${HOSTILE_FILE}:1-${HOSTILE_LINES.length}`]);
        assert.ok((await texts(heatmap, '.query-summary'))[0].endsWith(` · ${modelName}`));
        assert.deepEqual(await texts(heatmap, '.compare-text'), HOSTILE_LINES);
        assert.deepEqual(await texts(heatmap, '.compare-unit .location'), HOSTILE_LINES.map((_, i) => `${HOSTILE_FILE}:${i + 1}`));
        assert.deepEqual(await attributes(heatmap, 'th.row-header', 'title'), HOSTILE_LINES);
        assert.deepEqual(await attributes(heatmap, 'th.col-header', 'aria-label'), HOSTILE_LINES.map((line, i) => `${i + 1}: ${line}`));
        await heatmap.locator('td.heat-cell[data-row="1"][data-col="4"]').hover();
        assert.ok((await texts(heatmap, '.heat-readout'))[0].endsWith(`“${HOSTILE_LINES[1]}” and “${HOSTILE_LINES[4]}”`));
        await screenshot(page, 'hostile-heatmap');
      });

      await step('the near-duplicates panel shows hostile units and file names as text', async () => {
        await runCommand(page, 'Similar Sentences: Find Near-Duplicates…');
        const input = page.locator('.quick-input-widget .quick-input-box input');
        await input.waitFor();
        await input.fill('0.99');
        await input.press('Enter');
        const duplicates = await webviewFrame(page, DUPLICATES_TITLE, SEARCH_TIMEOUT_MS);
        await duplicates.locator('.query-summary').waitFor({ timeout: SEARCH_TIMEOUT_MS });
        assert.ok((await texts(duplicates, '.query-summary'))[0].includes(` · ${modelName} · `));
        await duplicates.locator('#expand-all').click();
        await assertNothingInjected(duplicates, 'duplicates');
        // Each hostile line is in both files: its exact copies are one entry, whose members name the two files.
        const shown = [...(await texts(duplicates, '.cluster-text')), ...(await texts(duplicates, '.member-text'))];
        for (const line of HOSTILE_LINES) assert.ok(shown.includes(line), `shown as typed: ${line}`);
        const locations = await texts(duplicates, '.tree-row.member .location');
        for (const line of [1, 2, 3, 4, 5]) assert.ok(locations.includes(`${HOSTILE_FILE}:${line}`), `${HOSTILE_FILE}:${line} in ${JSON.stringify(locations)}`);
        const labels = await attributes(duplicates, '.tree-row', 'aria-label');
        for (const line of HOSTILE_LINES) assert.ok(labels.some((label) => label.endsWith(line)), `an accessible name ends with ${line}`);
        await screenshot(page, 'hostile-duplicates');
      });

      await step('messages forged by a compromised page open nothing and run nothing', async () => {
        // An id the near-duplicates page was given: valid there, foreign to the results panel.
        const duplicates = await showPanel(page, DUPLICATES_TITLE);
        const duplicateId = await duplicates.locator('.tree-row.member[data-id]').first().getAttribute('data-id');
        assert.ok(duplicateId);
        const panel = await showPanel(page, PANEL_TITLE);
        await panel.locator('.result').first().waitFor({ timeout: SEARCH_TIMEOUT_MS });
        const firstId = async () => (await panel.locator('.result').first().getAttribute('data-id'))!;
        const oldId = await firstId();
        // Two new renders of the panel (Rerun is part of the protocol): the id of two renders ago has expired.
        for (let render = 0; render < 2; render++) {
          const before = await firstId();
          await postAsWebview(panel, { type: 'rerun' });
          await expectSoon(async () => (await panel.locator('.query-summary').count()) === 1 && (await firstId()) !== before, 'the panel shows a new render', SEARCH_TIMEOUT_MS);
        }
        const currentId = await firstId();

        await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
        const tabsBefore = await tabLabels(page);
        const refusedOpen = /the panel webview asked to open a result id that was never issued to it/g;
        const malformed = /ignored a malformed message from the panel webview/g;
        const count = (pattern: RegExp) => (extensionLog(server).match(pattern) ?? []).length;
        const [openRefusalsBefore, malformedBefore] = [count(refusedOpen), count(malformed)];

        const foreignIds = [randomUUID(), duplicateId, oldId, path.join(workspace, 'README.md'), '../../../../etc/passwd', '__proto__'];
        for (const id of foreignIds) await postAsWebview(panel, { type: 'open', id, toSide: false });
        const commandName = 'workbench.action.files.newUntitledFile';
        const malformedMessages = [
          { type: 'action', action: commandName },
          { type: 'command', command: commandName },
          { type: 'open', id: currentId, toSide: false, command: commandName },
          { type: 'open', id: currentId, toSide: false, path: path.join(workspace, 'README.md') },
          { type: 'action', action: 'showLog', args: [commandName] },
        ];
        for (const message of malformedMessages) await postAsWebview(panel, message);
        // Every one reached the extension, which refused it.
        await expectSoon(
          async () => count(refusedOpen) - openRefusalsBefore === foreignIds.length && count(malformed) - malformedBefore === malformedMessages.length,
          `${foreignIds.length} opens refused and ${malformedMessages.length} messages ignored, in the log`,
          30_000,
        );
        assert.deepEqual(await tabLabels(page), tabsBefore, 'no editor opened');
        assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true);

        // The same channel with an id this page was given does open its result: the refusals above were real.
        const location = (await panel.locator(`.result[data-id="${currentId}"] .location`).textContent())!;
        const [file, line] = [location.slice(0, location.lastIndexOf(':')), Number(location.slice(location.lastIndexOf(':') + 1))];
        await postAsWebview(panel, { type: 'open', id: currentId, toSide: false });
        await waitForCursor(page, (cursor) => cursor.file === path.posix.basename(file) && cursor.line === line, `${location} opened`);
      });

      await step('command: links in a page do nothing (enableCommandUris is off)', async () => {
        const panel = await showPanel(page, PANEL_TITLE);
        const tabsBefore = await tabLabels(page);
        await panel.locator('body').evaluate((body) => {
          const link = document.createElement('a');
          link.href = 'command:workbench.action.files.newUntitledFile';
          link.id = 'forged-command-link';
          link.textContent = 'run a command';
          body.prepend(link);
        });
        await panel.locator('#forged-command-link').click();
        await page.waitForTimeout(2000);
        assert.deepEqual(await tabLabels(page), tabsBefore, 'no Untitled editor: the command did not run');
        await panel.locator('#forged-command-link').evaluate((link) => link.remove());
      });

      await step("a page loads resources only from the extension's asset folders", async () => {
        const panel = await showPanel(page, PANEL_TITLE);
        const installed = fs.readdirSync(server.extensionsDir).find((name) => name.includes('similar-sentences'));
        assert.ok(installed, `the extension in ${server.extensionsDir}`);
        const extensionDir = path.join(server.extensionsDir, installed);
        // Images: allowed by the CSP (img-src is the webview origin), so only the resource roots decide.
        fs.copyFileSync(path.join(extensionDir, 'media', 'icon.svg'), path.join(extensionDir, 'outside-roots.svg'));
        fs.copyFileSync(path.join(repoRoot, 'media', 'icon.svg'), path.join(workspace, 'docs', 'picture.svg'));
        const scriptSrc = (await panel.locator('script[src]').getAttribute('src'))!;
        const extensionAt = scriptSrc.indexOf(extensionDir);
        assert.ok(extensionAt > 0 && scriptSrc.endsWith(`${extensionDir}/dist/webview/main.js`), `${scriptSrc} names ${extensionDir}`);
        const resource = (absolutePath: string) => `${scriptSrc.slice(0, extensionAt)}${absolutePath}`;
        const load = (url: string) =>
          panel.locator('body').evaluate(
            (_, src) =>
              new Promise<string>((resolve) => {
                const image = new Image();
                image.onload = () => resolve('loaded');
                image.onerror = () => resolve('refused');
                image.src = src;
              }),
            url,
          );
        assert.equal(await load(resource(path.join(extensionDir, 'media', 'icon.svg'))), 'loaded', 'an asset inside the roots loads');
        assert.equal(await load(resource(path.join(extensionDir, 'outside-roots.svg'))), 'refused', 'the extension folder itself is not a root');
        assert.equal(await load(resource(path.join(workspace, 'docs', 'picture.svg'))), 'refused', 'nothing of the workspace');
      });

      await step('an issued result whose file now links out of the workspace does not open', async () => {
        const side = await openSideView(page);
        await searchInSideView(side, 'The gnome kept a diary about the walnut.');
        const result = side.locator('.result', { has: side.locator('.location', { hasText: `docs/${LINK_NAME}:1` }) }).first();
        await result.waitFor();
        const secret = path.join(root, 'secret.txt');
        fs.writeFileSync(secret, 'outside the workspace\n');
        const linked = path.join(workspace, 'docs', LINK_NAME);
        fs.rmSync(linked);
        fs.symlinkSync(secret, linked);
        const tabsBefore = await tabLabels(page);
        await result.click();
        const toast = page.locator('.notification-toast', { hasText: 'is no longer inside the workspace' });
        await toast.waitFor();
        assert.deepEqual(await tabLabels(page), tabsBefore, 'nothing opened');
        await assertLiteralNotification(toast, `docs/${LINK_NAME} is no longer inside the workspace.`);
      });
    },
  );
});
