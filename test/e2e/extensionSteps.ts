// What the end-to-end tests of the extension do again and again: ask the CLI for the expected answer, wait for a
// view to show results, read them, search from the side view. Shared by test/e2e/extension*.test.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { openFile, runCommand, screenshot, selectLines, webviewFrame } from './harness';
import { repoRoot } from './harness/paths';
import { processesWithCommandLine } from './harness/process-tree';

export const VSIX = process.env.SIMILAR_SENTENCES_VSIX ?? path.join(repoRoot, 'similar-sentences-linux-x64.vsix');
export const PANEL_TITLE = 'Similar Sentences';
export const SIDE_VIEW_TITLE = 'Search by Meaning';
/** A search may first build the index (and start the host): allow for a slow CI machine. */
export const SEARCH_TIMEOUT_MS = 90_000;

export interface CliHit {
  file: string;
  line: number;
  endLine: number;
  text: string;
  score: number;
}

/** Runs the CLI (the same host as the extension, separately) and returns its parsed --json output. */
export function cliJson<T>(args: string[]): T {
  const output = execFileSync(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), ...args, '--json'], { encoding: 'utf8' });
  return JSON.parse(output) as T;
}

/** The ranking the CLI computes for `query` on `folder` (in memory, nothing cached). */
export function cliSearch(folder: string, model: string, query: string): CliHit[] {
  return cliJson<{ results: CliHit[] }>(['search', folder, '--query', query, '--model', model, '--top-k', '50', '--no-cache']).results;
}

/** The CLI's best hit outside the query's own lines (the extension leaves those out). */
export function expectedTop(hits: CliHit[], origin?: { file: string; line: number; endLine: number }): CliHit {
  const top = hits.find((hit) => !origin || hit.file !== origin.file || hit.endLine < origin.line || hit.line > origin.endLine);
  assert.ok(top, 'the CLI found something');
  return top;
}

export interface ShownResult {
  location: string;
  score: number;
  shownScore: string;
  unit: string;
}

export async function firstResult(frame: FrameLocator): Promise<ShownResult> {
  const first = frame.locator('.result').first();
  await first.waitFor({ timeout: SEARCH_TIMEOUT_MS });
  return {
    location: (await first.locator('.location').textContent()) ?? '',
    score: Number(await first.getAttribute('data-score')),
    shownScore: (await first.locator('.score').textContent()) ?? '',
    unit: (await first.locator('mark.unit').allTextContents()).join(' '),
  };
}

/** Waits until the view shows results for `query` (not the previous search's). */
export async function waitForResultsOf(frame: FrameLocator, query: string): Promise<void> {
  await frame.locator('.query-text', { hasText: query.slice(0, 40) }).waitFor({ timeout: SEARCH_TIMEOUT_MS });
  await frame.locator('.query-summary').waitFor({ timeout: SEARCH_TIMEOUT_MS });
}

/** Retries `attempt` until it returns true, for UI reactions without an event to wait on. */
export async function expectSoon(attempt: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await attempt())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function assertTop(shown: ShownResult, expected: CliHit): void {
  assert.equal(shown.location, `${expected.file}:${expected.line}`);
  assert.equal(shown.unit, expected.text);
  assert.ok(Math.abs(shown.score - expected.score) < 1e-4, `score ${shown.score} vs the CLI's ${expected.score}`);
  assert.equal(shown.shownScore, expected.score.toFixed(3));
}

export async function openSideView(page: Page): Promise<FrameLocator> {
  // Clicking the activity bar icon of the container already shown would hide the side bar.
  const shown = page.locator('.activitybar .action-item.checked a[aria-label^="Similar Sentences"]');
  if (!(await shown.count())) await page.locator('.activitybar .action-item a[aria-label^="Similar Sentences"]').click();
  return webviewFrame(page, SIDE_VIEW_TITLE, SEARCH_TIMEOUT_MS);
}

export async function searchInSideView(side: FrameLocator, query: string): Promise<void> {
  const input = side.locator('#query input');
  await input.fill(query);
  await input.press('Enter');
  await waitForResultsOf(side, query);
}

/** A subtest that keeps a screenshot when it fails (withWorkbench only sees failures it throws itself). */
export function stepper(t: TestContext, page: Page): (name: string, body: () => Promise<void>) => Promise<void> {
  return (name, body) =>
    t.test(name, async () => {
      try {
        await body();
      } catch (error) {
        console.error(`"${name}" failed; screenshot: ${await screenshot(page, `failed-${name}`)}`);
        throw error;
      }
    });
}

/** README.md:8 of test/fixtures/sample-workspace, the line most searches of these tests start from. */
export const SAMPLE_QUERY = { file: 'README.md', line: 8, endLine: 8, text: 'The person box was packed with jelly many dozens of months later.' };

/** Selects the sample query line and runs Find Similar to Selection; returns the results panel once it shows them. */
export async function findSimilarToSampleQuery(page: Page): Promise<FrameLocator> {
  await openFile(page, SAMPLE_QUERY.file);
  await selectLines(page, SAMPLE_QUERY.line);
  await runCommand(page, 'Similar Sentences: Find Similar to Selection');
  const panel = await webviewFrame(page, PANEL_TITLE, SEARCH_TIMEOUT_MS);
  await waitForResultsOf(panel, SAMPLE_QUERY.text);
  return panel;
}

/** Reloads the window and waits until contributions (themes, commands) have arrived again. */
export async function reloadWindow(page: Page): Promise<void> {
  const reloaded = page.waitForEvent('load', { timeout: 60_000 });
  await runCommand(page, 'Developer: Reload Window');
  await reloaded;
  await page.locator('.monaco-workbench[class*="vscode-theme-"]').waitFor({ timeout: 60_000 });
}

/** Live model hosts started from an extensions folder: node running the installed extension's dist/host.js. */
export function modelHosts(extensionsDir: string): number[] {
  const escaped = extensionsDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return processesWithCommandLine(new RegExp(`${escaped}/[^/ ]+/dist/host\\.js`));
}
