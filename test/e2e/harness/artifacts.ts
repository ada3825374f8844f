import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { repoRoot } from './paths';

let runFolderPath: string | undefined;

/** `test-results/e2e-<timestamp>/`: one per test process, created and printed on first use. */
export function runFolder(): string {
  if (!runFolderPath) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    runFolderPath = path.join(repoRoot, 'test-results', `e2e-${stamp}`);
    fs.mkdirSync(runFolderPath, { recursive: true });
    console.log(`e2e artefacts: ${runFolderPath}`);
  }
  return runFolderPath;
}

/** Saves a PNG of the whole page as `<run folder>/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(runFolder(), `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path: file });
  return file;
}
