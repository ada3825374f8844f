import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumBin } from './paths';
import { setTheme } from './theme';

export interface Workbench {
  browser: Browser;
  page: Page;
}

export interface WorkbenchOptions {
  /** Colour theme label as the theme picker shows it, e.g. `lightTheme` or `darkTheme`. */
  theme?: string;
  /** How long to wait for the workbench to render. */
  timeoutMs?: number;
}

/** Flags from the recipe: no sandbox (root in CI), no GPU, and no background traffic to the unreachable internet. */
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Opens `folder` from the code-server at `url` in headless Debian chromium and waits until the workbench is usable. */
export async function openWorkbench(url: string, folder: string, options: WorkbenchOptions = {}): Promise<Workbench> {
  const browser = await chromium.launch({ executablePath: chromiumBin, headless: true, args: chromiumArgs });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
    const timeout = options.timeoutMs ?? 60_000;
    await page.locator('.monaco-workbench').waitFor({ timeout });
    await page.locator('.monaco-workbench .part.sidebar .explorer-folders-view').waitFor({ timeout });
    // The shell renders before extensions are scanned. Colour themes are contributed by built-in extensions, so
    // a theme class on the workbench means contributions (commands, themes, views) have arrived.
    await page.locator('.monaco-workbench[class*="vscode-theme-"]').waitFor({ timeout });
    if (options.theme) await setTheme(page, options.theme);
    return { browser, page };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
