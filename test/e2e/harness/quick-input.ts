import type { Locator, Page } from 'playwright-core';
import { exactText } from './exact-text';

export interface QuickInputPick {
  /** Opens the quick input, e.g. by a key press; may throw when the input is not ready yet, to be retried. */
  open: () => Promise<void>;
  /** The whole value of the input box, prefix included ('>' for commands, nothing for files). */
  value: string;
  /** The item's label exactly as shown. */
  label: string;
  /** The item's description exactly as shown ('' for none); not checked when omitted. */
  description?: string;
  timeoutMs?: number;
}

export const quickInputBox = (page: Page): Locator => page.locator('.quick-input-widget .quick-input-box input');

function matchingRow(page: Page, pick: QuickInputPick): Locator {
  let rows = page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: exactText(pick.label) }) });
  if (pick.description !== undefined) {
    const description = page.locator('.label-description', { hasText: /\S/ });
    rows =
      pick.description === ''
        ? rows.filter({ hasNot: description })
        : rows.filter({ has: page.locator('.label-description', { hasText: exactText(pick.description) }) });
  }
  // The same file may be listed twice: under "recently opened" and under "file results".
  return rows.first();
}

/**
 * Opens a quick input, fills it and clicks the item with exactly this label: fuzzy matching often focuses a
 * different item first. Items can arrive late (an extension's commands once its host has scanned it, search
 * results), so a failed attempt closes the input and tries again until the timeout.
 */
export async function pickQuickInputItem(page: Page, pick: QuickInputPick): Promise<void> {
  const deadline = Date.now() + (pick.timeoutMs ?? 30_000);
  for (;;) {
    try {
      await pick.open();
      await quickInputBox(page).fill(pick.value);
      const row = matchingRow(page, pick);
      await row.waitFor({ timeout: 2000 });
      await row.click();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        const shown = await page.locator('.quick-input-widget .quick-input-list .label-name').allTextContents();
        const reason = (error as Error).message.split('\n')[0];
        throw new Error(`no quick input item "${pick.label}" for "${pick.value}" (${reason}); shown: ${JSON.stringify(shown)}`, {
          cause: error,
        });
      }
      await page.keyboard.press('Escape');
    }
  }
}
