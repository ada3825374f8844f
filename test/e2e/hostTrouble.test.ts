// A model host in trouble, seen from a real VS Code (code-server + headless chromium):
// - an inference worker stuck in a busy loop (SIMILAR_SENTENCES_TEST_HANG_ON, src/host/inferenceWorker.ts) is ended
//   by the per-batch deadline and the host restarted, while the workbench keeps answering; the search completes and
//   the file that hangs is reported as skipped;
// - a host killed again and again is restarted with a growing backoff until the sixth crash in three minutes, when
//   the client gives up and the views say so, with Restart and Show Log, and Restart brings search back.
// Model hosts are found by their command line: node running dist/host.js from the installed extension's folder.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { ensureTestModel } from '../fixtures/models/generate';
import {
  assertTop,
  cliSearch,
  expectedTop,
  expectSoon,
  findSimilarToSampleQuery,
  firstResult,
  modelHosts,
  openSideView,
  PANEL_TITLE,
  SAMPLE_QUERY,
  SEARCH_TIMEOUT_MS,
  stepper,
  VSIX,
  waitForResultsOf,
} from './extensionSteps';
import { extensionLog, openFile, runCommand, screenshot, selectLines, webviewFrame, withWorkbench, type CodeServer } from './harness';
import { quickInputBox } from './harness/quick-input';
import { repoRoot } from './harness/paths';
import { isAlive } from './harness/process-tree';

const SAMPLE_WORKSPACE = path.join(repoRoot, 'test', 'fixtures', 'sample-workspace');
/** A unit containing this text makes the inference worker spin forever. */
const HANG_MARKER = 'HANG_e2e_7f3a';
const STUCK_FILE = 'src/stuck.ts';
const STUCK_LINE = `const spin = '${HANG_MARKER}'; // inference never finishes on this line`;
/** The per-batch deadline floor: long enough to work in the workbench while the worker spins. */
const BATCH_DEADLINE_MS = 10_000;
/** What a user may wait for a key press or a palette to show, on a machine where one core is taken by the spin. */
const RESPONSIVE_MS = 3_000;
/** The client's crash-loop limit (src/client.ts): this many restarts in three minutes, then it gives up. */
const MAX_RESTARTS = 5;
const STATUS_ITEM = '[id="similar-sentences.similar-sentences.similarSentences.status"]';

function sampleWorkspace(prefix: string): string {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(SAMPLE_WORKSPACE, workspace, { recursive: true });
  return workspace;
}

/** Waits for exactly one model host other than `previous` (after a crash, the client's replacement). */
async function newModelHost(server: CodeServer, previous: number | undefined, timeoutMs: number): Promise<number> {
  let found: number[] = [];
  await expectSoon(async () => {
    found = modelHosts(server.extensionsDir);
    return found.length === 1 && found[0] !== previous;
  }, `one model host other than ${previous}`, timeoutMs);
  return found[0];
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: state is the first, utime the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

/**
 * The texts the model host has handed to its inference workers, from its crash journal (src/host/crashJournal.ts),
 * which the client keeps in a folder of its own under the (test's private) temporary folder.
 */
function textsInFlight(tmp: string): string[] {
  const texts: string[] = [];
  for (const entry of fs.readdirSync(tmp).filter((name) => name.startsWith('similar-sentences-host-'))) {
    try {
      texts.push(...(JSON.parse(fs.readFileSync(path.join(tmp, entry, 'in-flight.json'), 'utf8')) as { inFlight: string[] }).inFlight);
    } catch {
      // Not written yet, or being replaced (written to a temporary file and renamed).
    }
  }
  return texts;
}

/** How many times the extension's log says the model host reached `state` (src/extension/service.ts onClientState). */
function hostStateCount(server: CodeServer, state: string): number {
  return extensionLog(server).split('\n').filter((line) => line.includes(`model host ${state}`)).length;
}

/** Runs `body` and checks it is done within `limitMs`; returns how long it took. */
async function within(limitMs: number, what: string, body: () => Promise<void>): Promise<number> {
  const started = Date.now();
  await body();
  const elapsed = Date.now() - started;
  assert.ok(elapsed <= limitMs, `${what} took ${elapsed} ms (at most ${limitMs} ms expected)`);
  return elapsed;
}

/** The output panel showing the extension's log, with `text` among its visible lines. */
async function logShown(page: Page, text: string): Promise<void> {
  await page.locator('.part.panel .monaco-editor .view-lines', { hasText: text }).waitFor({ timeout: 10_000 });
}

/** The side view's index state section, in any phase or in this one. */
function indexState(side: FrameLocator, phase?: string) {
  return side.locator(phase ? `.index-state[data-phase="${phase}"]` : '.index-state');
}

test('a worker stuck in a busy loop: the deadline restarts the host, the UI keeps answering, the search completes and the file is skipped', { timeout: 600_000 }, async (t) => {
  assert.ok(fs.existsSync(VSIX), `no VSIX at ${VSIX}: run npm run package first`);
  const model = await ensureTestModel('semantic');
  const workspace = sampleWorkspace('similar-sentences-hang-');
  fs.writeFileSync(path.join(workspace, STUCK_FILE), `export const ready = true;\n${STUCK_LINE}\n`);
  // The extension host and the model host get their own temporary folder: the crash journal is found there.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'similar-sentences-hang-tmp-'));
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  await withWorkbench(
    {
      name: 'host-hang',
      workspace,
      vsix: VSIX,
      userSettings: { 'similarSentences.model': model, 'editor.wordWrap': 'off', '[markdown]': { 'editor.wordWrap': 'off' } },
      env: { SIMILAR_SENTENCES_TEST_HANG_ON: HANG_MARKER, SIMILAR_SENTENCES_BATCH_DEADLINE_MS: String(BATCH_DEADLINE_MS), TMPDIR: tmp },
    },
    async ({ server, page }) => {
      const step = stepper(t, page);
      const status = page.locator(STATUS_ITEM);
      let stuckHost = 0;
      let searchStarted = 0;

      await step('Find Similar starts indexing, and the batch with the marker hangs an inference worker', async () => {
        await openFile(page, SAMPLE_QUERY.file);
        await selectLines(page, SAMPLE_QUERY.line);
        searchStarted = Date.now();
        await runCommand(page, 'Similar Sentences: Find Similar to Selection');
        await expectSoon(async () => textsInFlight(tmp).some((text) => text.includes(HANG_MARKER)), 'the marker line handed to a worker', SEARCH_TIMEOUT_MS);
        stuckHost = await newModelHost(server, undefined, 5_000);
        console.log(`the worker got the marker ${Date.now() - searchStarted} ms after Find Similar; model host ${stuckHost}`);
      });

      await step('while the worker spins, the workbench answers: typing, the palette, progress with Cancel, the side view', async () => {
        const cpuBefore = cpuSeconds(stuckHost);
        const checksStarted = Date.now();

        await page.keyboard.press('Control+N');
        await page.locator('.editor-group-container.active .tab.active .label-name', { hasText: /^Untitled-\d+$/ }).waitFor({ timeout: RESPONSIVE_MS });
        const typed = 'typed while the model host spins';
        const typing = await within(RESPONSIVE_MS, 'typed text to show in the editor', async () => {
          await page.keyboard.type(typed);
          await page.locator('.editor-group-container.active .monaco-editor .view-lines', { hasText: typed }).waitFor({ timeout: RESPONSIVE_MS });
        });
        const palette = await within(RESPONSIVE_MS, 'the command palette to open', async () => {
          await page.keyboard.press('F1');
          await quickInputBox(page).waitFor({ timeout: RESPONSIVE_MS });
        });
        await page.keyboard.press('Escape');
        await quickInputBox(page).waitFor({ state: 'hidden', timeout: RESPONSIVE_MS });

        // Progress: the cancellable notification and the status bar.
        const toast = page.locator('.notification-toast', { hasText: 'Similar Sentences: indexing' });
        await toast.waitFor({ timeout: RESPONSIVE_MS });
        await toast.hover();
        assert.equal(await toast.locator('.monaco-button', { hasText: 'Cancel' }).count(), 1, 'the indexing notification offers Cancel');
        assert.match((await status.textContent()) ?? '', /Similar: indexing/);

        // The side view is resolved by the extension host: it answers too, and shows the indexing.
        let side: FrameLocator | undefined;
        const sideView = await within(2 * RESPONSIVE_MS, 'the side view to show the index state', async () => {
          side = await openSideView(page);
          await indexState(side, 'indexing').waitFor({ timeout: 2 * RESPONSIVE_MS });
        });
        assert.ok(side);
        await screenshot(page, 'hang-while-stuck');

        // All of it happened while the worker was stuck: the same host, still spinning (about one core busy).
        const elapsed = (Date.now() - checksStarted) / 1000;
        const cpu = cpuSeconds(stuckHost) - cpuBefore;
        assert.ok(isAlive(stuckHost), 'the stuck host was still running during the checks');
        assert.ok(textsInFlight(tmp).some((text) => text.includes(HANG_MARKER)), 'the marker is still in flight');
        // An idle host uses next to no CPU; a spinning worker takes most of a core (of two, shared with the browser).
        assert.ok(cpu >= 0.4 * elapsed, `the host used ${cpu.toFixed(2)} s of CPU in ${elapsed.toFixed(2)} s: no busy loop`);
        console.log(`while stuck: typing ${typing} ms, palette ${palette} ms, side view ${sideView} ms; host CPU ${cpu.toFixed(2)} s in ${elapsed.toFixed(2)} s`);
      });

      let restartedHost = 0;
      await step('the batch deadline ends the stuck host; the client starts another, and the views say it is restarting', async () => {
        restartedHost = await newModelHost(server, stuckHost, BATCH_DEADLINE_MS + 30_000);
        assert.ok(!isAlive(stuckHost), 'the stuck host is gone');
        const log = extensionLog(server);
        assert.match(log, /an inference worker did not finish a batch of \d+ text\(s\) within [\d.]+ s \(stuck\); restarting the model host/);
        assert.match(log, /model host exited \(exit code 70\)/);
        // The new host embeds the texts that were in flight one by one, first: the marker alone hangs it again.
        await expectSoon(async () => {
          const texts = textsInFlight(tmp);
          return texts.length === 1 && texts[0].includes(HANG_MARKER);
        }, 'the marker line in flight alone', SEARCH_TIMEOUT_MS);
        const side = await openSideView(page);
        const restarting = 'The model host stopped (exit code 70) and is restarting…';
        await indexState(side).locator('.index-detail', { hasText: restarting }).waitFor({ timeout: RESPONSIVE_MS });
        const panel = await webviewFrame(page, PANEL_TITLE);
        await panel.locator('.notice-progress', { hasText: restarting }).waitFor({ timeout: RESPONSIVE_MS });
        assert.match((await status.textContent()) ?? '', /Similar: model/);
        // The indexing notification stays: the interrupted request is sent again to the new host.
        await page.locator('.notification-toast', { hasText: 'Similar Sentences: indexing' }).waitFor({ timeout: RESPONSIVE_MS });
        await screenshot(page, 'hang-restarting');
      });

      await step('hung twice, the marker is poison: the search completes with results and its file is reported as skipped', async () => {
        const panel = await webviewFrame(page, PANEL_TITLE, SEARCH_TIMEOUT_MS);
        await waitForResultsOf(panel, SAMPLE_QUERY.text);
        console.log(`the search completed ${Date.now() - searchStarted} ms after Find Similar`);
        // Ranked exactly as the CLI ranks the workspace without the file that hangs.
        assertTop(await firstResult(panel), expectedTop(cliSearch(SAMPLE_WORKSPACE, model, SAMPLE_QUERY.text), SAMPLE_QUERY));
        const locations = await panel.locator('.result .location').allTextContents();
        assert.ok(!locations.some((location) => location.startsWith(STUCK_FILE)), locations.join(', '));

        const hosts = modelHosts(server.extensionsDir);
        assert.equal(hosts.length, 1);
        assert.ok(hosts[0] !== stuckHost && hosts[0] !== restartedHost, 'a third host finished the indexing');
        assert.match(extensionLog(server), /this text crashed the model host twice and will not be embedded again/);

        const side = await openSideView(page);
        await indexState(side, 'ready').waitFor({ timeout: RESPONSIVE_MS });
        assert.equal(await side.locator('.index-skipped.warning .index-skipped-text').textContent(), '1 file skipped: 1 crashed the model host');
        await status.locator('.codicon-warning').waitFor({ timeout: RESPONSIVE_MS });
        assert.match((await status.textContent()) ?? '', /Similar: \d+ units/);
        await screenshot(page, 'hang-skipped');
      });

      await step('Show Skipped Files names the file that hangs in the log', async () => {
        await runCommand(page, 'Similar Sentences: Show Skipped Files');
        await logShown(page, `${STUCK_FILE}: crashed the model host`);
        assert.match(extensionLog(server), new RegExp(`${STUCK_FILE.replace('.', '\\.')}: crashed the model host`));
      });
    },
  );
});

test('six crashes in three minutes: the client stops restarting, says so with Restart and Show Log, and Restart brings search back', { timeout: 600_000 }, async (t) => {
  assert.ok(fs.existsSync(VSIX), `no VSIX at ${VSIX}: run npm run package first`);
  const model = await ensureTestModel('semantic');
  const workspace = sampleWorkspace('similar-sentences-crashloop-');
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
  const expected = expectedTop(cliSearch(workspace, model, SAMPLE_QUERY.text), SAMPLE_QUERY);

  await withWorkbench(
    { name: 'host-crash-loop', workspace, vsix: VSIX, userSettings: { 'similarSentences.model': model, 'editor.wordWrap': 'off', '[markdown]': { 'editor.wordWrap': 'off' } } },
    async ({ server, page }) => {
      const step = stepper(t, page);
      const status = page.locator(STATUS_ITEM);
      let host = 0;
      let side: FrameLocator | undefined;

      await step('a search starts the model host', async () => {
        assertTop(await firstResult(await findSimilarToSampleQuery(page)), expected);
        host = await newModelHost(server, undefined, 5_000);
        side = await openSideView(page);
        await indexState(side, 'ready').waitFor();
      });

      await step(`${MAX_RESTARTS} SIGKILLs: each time a new host is started, after a backoff that doubles`, async () => {
        const delays: number[] = [];
        for (let crash = 1; crash <= MAX_RESTARTS; crash++) {
          const running = hostStateCount(server, 'running');
          // Watched from before the kill: the message lasts only for the backoff and the model's loading.
          const restarting = indexState(side!, 'preparing')
            .locator('.index-detail', { hasText: 'The model host stopped (signal SIGKILL) and is restarting…' })
            .waitFor({ timeout: 30_000 });
          const killed = Date.now();
          process.kill(host, 'SIGKILL');
          const next = await newModelHost(server, host, 30_000);
          delays.push(Date.now() - killed);
          await restarting;
          // Killed only once it has loaded the model, as a crash in use would be.
          await expectSoon(async () => hostStateCount(server, 'running') > running, `host ${next} running`, 30_000);
          // Once the new host runs, the views show the index again rather than a restart that is over.
          await indexState(side!, 'ready').waitFor({ timeout: RESPONSIVE_MS });
          await status.filter({ hasText: /Similar: \d+ units/ }).waitFor({ timeout: RESPONSIVE_MS });
          host = next;
        }
        console.log(`restart delays after each SIGKILL: ${delays.join(', ')} ms`);
        delays.forEach((delay, n) => assert.ok(delay >= 250 * 2 ** n, `restart ${n + 1} came after ${delay} ms, before its backoff of ${250 * 2 ** n} ms`));
        assert.ok(hostStateCount(server, 'restarting (signal SIGKILL)') >= MAX_RESTARTS, 'each crash logged as a restart');
      });

      await step('the sixth crash: no new host, and the side view and status bar say so with Restart and Show Log', async () => {
        process.kill(host, 'SIGKILL');
        const message = 'The model host kept crashing (signal SIGKILL) and was stopped.';
        const notice = indexState(side!).locator('.notice-error', { hasText: message });
        await notice.waitFor({ timeout: 10_000 });
        assert.deepEqual(await notice.locator('vscode-button').allTextContents(), ['Restart', 'Show Log']);
        // Said once in a notification too, where it is seen without the side view.
        const toast = page.locator('.notification-toast', { hasText: message });
        await toast.waitFor({ timeout: RESPONSIVE_MS });
        assert.deepEqual(await toast.locator('.monaco-button').allTextContents(), ['Restart', 'Show Log']);
        await status.filter({ hasText: 'Similar: error' }).waitFor({ timeout: RESPONSIVE_MS });
        assert.match(extensionLog(server), /model host failed \(signal SIGKILL\)/);
        // The next backoff would have been 250 ms · 2^5 = 8 s: no host comes back in that time, nor after it.
        const deadline = Date.now() + 250 * 2 ** MAX_RESTARTS + 1_000;
        while (Date.now() < deadline) {
          assert.deepEqual(modelHosts(server.extensionsDir), [], 'no model host is started after the client gave up');
          await page.waitForTimeout(250);
        }
        await screenshot(page, 'crash-loop-stopped');
      });

      await step('Show Log, in the side view and in the notification, opens the output channel with the crashes', async () => {
        await indexState(side!).locator('vscode-button', { hasText: 'Show Log' }).click();
        await logShown(page, 'model host failed (signal SIGKILL)');
        await runCommand(page, 'View: Toggle Panel Visibility');
        await page.locator('.part.panel').waitFor({ state: 'hidden' });
        const toast = page.locator('.notification-toast', { hasText: 'The model host kept crashing' });
        await toast.locator('.monaco-button', { hasText: 'Show Log' }).click();
        await logShown(page, 'model host failed (signal SIGKILL)');
      });

      await step('Restart starts a new host, and a search works again', async () => {
        const started = Date.now();
        await indexState(side!).locator('vscode-button', { hasText: 'Restart' }).click();
        const restarted = await newModelHost(server, host, 30_000);
        await indexState(side!, 'ready').waitFor({ timeout: SEARCH_TIMEOUT_MS });
        console.log(`Restart: host ${restarted} up and the index ready after ${Date.now() - started} ms`);
        assert.equal(await indexState(side!).locator('.notice-error').count(), 0);
        await status.filter({ hasText: /Similar: \d+ units/ }).waitFor({ timeout: RESPONSIVE_MS });
        // A fresh panel, so the results read are this search's and not the first one's.
        await runCommand(page, 'View: Close All Editors');
        assertTop(await firstResult(await findSimilarToSampleQuery(page)), expected);
        assert.deepEqual(modelHosts(server.extensionsDir), [restarted]);
      });
    },
  );
});
