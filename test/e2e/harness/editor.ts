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

/** Reads the active text editor's file and cursor from the active tab and the status bar's "Ln X, Col Y" item. */
export async function editorCursor(page: Page): Promise<EditorCursor> {
  const { file, status } = await page.evaluate(async () => {
    // The status bar renders a cursor change on a later frame (usually the next one; waitForCursor covers the rest).
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    return {
      file: document.querySelector('.editor-group-container.active .tab.active .label-name')?.textContent ?? null,
      // Only present while a text editor is active, not while a webview or another kind of editor is.
      status: document.getElementById('status.editor.selection')?.textContent ?? null,
    };
  });
  const match = /Ln (\d+), Col (\d+)(?: \((\d+) selected\))?/.exec(status ?? '');
  if (file === null || !match) {
    throw new Error(`no active text editor (tab ${JSON.stringify(file)}, status ${JSON.stringify(status)})`);
  }
  return { file, line: Number(match[1]), column: Number(match[2]), selected: Number(match[3] ?? 0) };
}

/**
 * Polls the cursor until `accept` holds. The status bar can show the cursor a few frames behind the keys, so use
 * this rather than a single `editorCursor` read after pressing keys yourself.
 */
export async function waitForCursor(
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
    if (Date.now() > deadline) {
      throw new Error(`expected ${what}, last seen: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await page.waitForTimeout(50);
  }
}

/**
 * Waits until the active editor has the keyboard focus: closing a quick input or the Find widget hands it back
 * a moment later, and keys pressed before that go nowhere.
 */
async function editorFocused(page: Page): Promise<void> {
  await page.locator('.editor-group-container.active .monaco-editor.focused').first().waitFor({ timeout: 5000 });
}

/** Moves the cursor of the active editor to the start of `line` with Go to Line (Ctrl+G). */
export async function goToLine(page: Page, line: number): Promise<void> {
  await page.keyboard.press('Control+G');
  await quickInputBox(page).fill(`:${line}`);
  await page.keyboard.press('Enter');
  await waitForCursor(page, (cursor) => cursor.line === line && cursor.column === 1, `cursor at line ${line}`);
  await editorFocused(page);
}

/**
 * Selects whole lines `from`..`to` (1-based, inclusive; without the last line break) in the active editor.
 * Moves by Shift+Down, so it assumes word wrap is off (VS Code's default).
 */
export async function selectLines(page: Page, from: number, to: number = from): Promise<EditorCursor> {
  await goToLine(page, from);
  for (let line = from; line < to; line++) await page.keyboard.press('Shift+ArrowDown');
  await page.keyboard.press('Shift+End');
  // The status bar can lag the keys by a few frames. Column 1 on line `to` is the state before Shift+End, unless
  // that line is empty; only a reading that stays put tells the two apart.
  let previous = '';
  let unchangedSince = Date.now();
  return waitForCursor(page, (cursor) => {
    const reading = JSON.stringify(cursor);
    if (reading !== previous) [previous, unchangedSince] = [reading, Date.now()];
    return cursor.line === to && (cursor.column > 1 || Date.now() - unchangedSince > 500);
  }, `a selection ending on line ${to}`);
}

/** Selects the first occurrence of single-line `text` in the active editor, through the Find widget. */
export async function selectText(page: Page, text: string): Promise<EditorCursor> {
  await editorFocused(page);
  await page.keyboard.press('Control+Home');
  // Otherwise a lagging status bar still showing an earlier selection of the same length would pass for the result.
  await waitForCursor(page, (cursor) => cursor.line === 1 && cursor.column === 1 && cursor.selected === 0, 'cursor at 1:1');
  await page.keyboard.press('Control+F');
  const findInput = page.locator('.editor-group-container.active .find-widget.visible textarea[aria-label="Find"]');
  await findInput.fill(text);
  await page.keyboard.press('Enter');
  // Closing the widget leaves the current match selected and gives the focus back to the editor.
  await page.keyboard.press('Escape');
  await editorFocused(page);
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
