import type { Page } from 'playwright-core';
import { runCommand } from './commands';
import { pickQuickInputItem } from './quick-input';

/** The workbench's base theme kind, the class VS Code puts on `.monaco-workbench` (and themes key off). */
export type ThemeKind = 'vs' | 'vs-dark' | 'hc-black' | 'hc-light';

export const lightTheme = 'Light Modern';
export const darkTheme = 'Dark Modern';

export async function themeKind(page: Page): Promise<ThemeKind> {
  const classes = ((await page.locator('.monaco-workbench').getAttribute('class')) ?? '').split(/\s+/);
  const kind = (['vs', 'vs-dark', 'hc-black', 'hc-light'] as const).find((candidate) => classes.includes(candidate));
  if (!kind) throw new Error(`no theme kind among the workbench classes: ${classes.join(' ')}`);
  return kind;
}

/** The workbench class naming the applied theme, e.g. `vscode-theme-defaults-themes-light_modern-json`. */
async function appliedThemeClass(page: Page): Promise<string | undefined> {
  const classes = ((await page.locator('.monaco-workbench').getAttribute('class')) ?? '').split(/\s+/);
  return classes.find((name) => name.startsWith('vscode-theme-'));
}

/** Switches the colour theme through "Preferences: Color Theme", by its label as the picker shows it. */
export async function setTheme(page: Page, label: string): Promise<ThemeKind> {
  const before = await appliedThemeClass(page);
  let current: string | null = null;
  const openThemePicker = async (): Promise<void> => {
    await runCommand(page, 'Preferences: Color Theme');
    // The picker reuses the palette's input box: filling it before the picker is up would type into the palette.
    await page.locator('.quick-input-box input[placeholder^="Select Color Theme"]').waitFor();
    // It opens with the current theme focused, or with no themes at all until the theme extensions are loaded.
    current = await page
      .locator('.quick-input-list .monaco-list-row.focused .label-name')
      .textContent({ timeout: 2000 });
  };
  await pickQuickInputItem(page, { open: openThemePicker, value: label, label });
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  if (current !== label) {
    // Applying a theme loads it from the server: the workbench changes its classes a moment after the pick.
    await page.waitForFunction(
      (previous) => !document.querySelector('.monaco-workbench')?.classList.contains(previous),
      before ?? '',
    );
  }
  return themeKind(page);
}
