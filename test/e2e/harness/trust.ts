import type { Page } from 'playwright-core';

/**
 * Answers the Workspace Trust dialog a fresh profile shows on opening a folder (only when the server was started
 * with `workspaceTrust: true`), and waits for it to close.
 */
export async function answerWorkspaceTrust(page: Page, trust: boolean): Promise<void> {
  const dialog = page.locator('.monaco-dialog-box');
  const answer = trust ? 'Yes, I trust the authors' : "No, I don't trust the authors";
  await dialog.getByRole('button', { name: answer }).click();
  await dialog.waitFor({ state: 'detached' });
}
