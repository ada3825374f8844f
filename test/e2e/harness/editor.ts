import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { openQuickInputWith } from './commands';
import { pickQuickInputItem, quickInputBox } from './quick-input';

export interface EditorCursor {
  /** File name of the active tab in the active editor group. */
  file: string;
  /** 1-based, as the status bar shows it. */
  line: number;
  column: number;
  /** Characters selected, 0 without a selection. */
  selected: number;
}

const cursorStatus = (page: Page) => page.locator('[id="status.editor.selection"]');

/**
 * Waits two animation frames: a key press has been handled when playwright's press() returns, but the status bar
 * renders the new cursor only on the next frame.
 */
async function statusBarRendered(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
}

/** Reads the active text editor's file and cursor from the active tab and the status bar's "Ln X, Col Y" item. */
export async function editorCursor(page: Page): Promise<EditorCursor> {
  await statusBarRendered(page);
  const file = await page.locator('.editor-group-container.active .tab.active .label-name').first().textContent();
  // The item only exists while a text editor is active, not while a webview or another kind of editor is.
  const status = (await cursorStatus(page).count()) > 0 ? await cursorStatus(page).textContent() : null;
  const match = /Ln (\d+), Col (\d+)(?: \((\d+) selected\))?/.exec(status ?? '');
  if (file === null || !match) {
    throw new Error(`no active text editor (tab ${JSON.stringify(file)}, status ${JSON.stringify(status)})`);
  }
  return { file, line: Number(match[1]), column: Number(match[2]), selected: Number(match[3] ?? 0) };
}

/** Polls the cursor until `accept` holds: the status bar follows key presses asynchronously. */
async function waitForCursor(
  page: Page,
  accept: (cursor: EditorCursor) => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<EditorCursor> {
  const deadline = Date.now() + timeoutMs;
  let last: EditorCursor | Error | undefined;
  for (;;) {
    try {
      last = await editorCursor(page);
      if (accept(last)) return last;
    } catch (error) {
      last = error as Error;
    }
    if (Date.now() > deadline) throw new Error(`expected ${what}, last seen: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await page.waitForTimeout(50);
  }
}

/** Moves the cursor of the active editor to the start of `line` with Go to Line (Ctrl+G). */
export async function goToLine(page: Page, line: number): Promise<void> {
  await page.keyboard.press('Control+G');
  await quickInputBox(page).fill(`:${line}`);
  await page.keyboard.press('Enter');
  await waitForCursor(page, (cursor) => cursor.line === line && cursor.column === 1, `cursor at line ${line}`);
}

/**
 * Selects whole lines `from`..`to` (1-based, inclusive; without the last line break) in the active editor.
 * Moves by Shift+Down, so it assumes word wrap is off (VS Code's default).
 */
export async function selectLines(page: Page, from: number, to: number = from): Promise<EditorCursor> {
  await goToLine(page, from);
  for (let line = from; line < to; line++) await page.keyboard.press('Shift+ArrowDown');
  await page.keyboard.press('Shift+End');
  const cursor = await editorCursor(page);
  if (cursor.line !== to) throw new Error(`selection should end on line ${to}: ${JSON.stringify(cursor)}`);
  return cursor;
}

/** Selects the first occurrence of single-line `text` in the active editor, through the Find widget. */
export async function selectText(page: Page, text: string): Promise<EditorCursor> {
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('Control+F');
  const findInput = page.locator('.editor-group-container.active .find-widget.visible textarea[aria-label="Find"]');
  await findInput.fill(text);
  await page.keyboard.press('Enter');
  // Closing the widget leaves the current match selected and gives the focus back to the editor.
  await page.keyboard.press('Escape');
  return waitForCursor(page, (cursor) => cursor.selected === text.length, `"${text}" selected`);
}

/** Opens a workspace text file through Quick Open (Ctrl+P) and waits until its editor is the active one. */
export async function openFile(page: Page, relativePath: string, timeoutMs?: number): Promise<EditorCursor> {
  const posixPath = relativePath.split(path.sep).join('/');
  const folder = path.posix.dirname(posixPath);
  const name = path.posix.basename(posixPath);
  await pickQuickInputItem(page, {
    open: () => openQuickInputWith(page, 'Control+P'),
    value: posixPath,
    label: name,
    description: folder === '.' ? '' : folder,
    timeoutMs,
  });
  return waitForCursor(page, (cursor) => cursor.file === name, `${name} active in a text editor`, timeoutMs);
}
