import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runFolder, screenshot } from './artifacts';
import { startCodeServer, type CodeServer, type CodeServerOptions } from './code-server';
import { setTheme } from './theme';
import { openWorkbench, type WorkbenchOptions } from './workbench';

export interface Session {
  server: CodeServer;
  browser: Browser;
  page: Page;
}

export interface SessionOptions extends CodeServerOptions, WorkbenchOptions {
  /** Names the failure artefacts in the run folder. */
  name: string;
}

/** Keeps what a failing test needs to be understood: a screenshot, code-server's logs, and their tails on stderr. */
async function preserveFailure(name: string, server: CodeServer, page: Page | undefined): Promise<void> {
  const logsCopy = path.join(runFolder(), `${name}-logs`);
  fs.cpSync(server.logsDir, path.join(logsCopy, 'vscode'), { recursive: true });
  fs.copyFileSync(server.outputLog, path.join(logsCopy, 'code-server.log'));
  const shot = page ? await screenshot(page, `${name}-failure`).catch((error: Error) => `none (${error.message})`) : 'none';
  console.error(`${name} failed; screenshot: ${shot}; logs copied to ${logsCopy}\n${server.logReport()}`);
}

/**
 * Starts code-server, opens the workspace in headless chromium, runs `body`, and always tears both down.
 * When `body` (or opening the workbench) throws, the failure artefacts are kept before the error is rethrown.
 */
export async function withWorkbench<T>(options: SessionOptions, body: (session: Session) => Promise<T>): Promise<T> {
  const server = await startCodeServer(options);
  let browser: Browser | undefined;
  let page: Page | undefined;
  try {
    // The theme is set here rather than by openWorkbench, so a failure to set it still leaves a page to screenshot.
    ({ browser, page } = await openWorkbench(server.url, options.workspace, { timeoutMs: options.timeoutMs }));
    if (options.theme) await setTheme(page, options.theme);
    return await body({ server, browser, page });
  } catch (error) {
    await preserveFailure(options.name, server, page);
    throw error;
  } finally {
    await browser?.close();
    await server.stop();
  }
}
