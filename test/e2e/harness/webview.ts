import type { FrameLocator, Page } from 'playwright-core';

/**
 * The name of the visible webview iframe laid over the editor whose active tab, or the view whose header,
 * is titled `title`. VS Code renders every webview in an overlay outside the editor or view that hosts it,
 * and the iframe carries no title, so the two are matched by position.
 */
function findWebviewName(title: string): string | null {
  const hosts: Element[] = [];
  for (const group of Array.from(document.querySelectorAll('.editor-group-container'))) {
    const activeTab = group.querySelector('.tab.active .label-name');
    const editor = group.querySelector('.editor-container');
    if (activeTab?.textContent === title && editor) hosts.push(editor);
  }
  for (const pane of Array.from(document.querySelectorAll('.pane'))) {
    const header = pane.querySelector('.pane-header .title');
    const body = pane.querySelector('.pane-body');
    if (header?.textContent === title && body) hosts.push(body);
  }
  for (const frame of Array.from(document.querySelectorAll<HTMLIFrameElement>('iframe.webview'))) {
    const box = frame.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || !frame.checkVisibility({ visibilityProperty: true })) continue;
    const x = box.left + box.width / 2;
    const y = box.top + box.height / 2;
    const inside = hosts.some((host) => {
      const area = host.getBoundingClientRect();
      return x >= area.left && x <= area.right && y >= area.top && y <= area.bottom;
    });
    if (inside && frame.name) return frame.name;
  }
  return null;
}

/**
 * The content of the webview titled `title` (an editor panel's tab title or a webview view's header), reached
 * through both nested iframes: VS Code's host frame `iframe.webview` and the extension's `#active-frame` in it.
 */
export async function webviewFrame(page: Page, title: string, timeoutMs = 30_000): Promise<FrameLocator> {
  const name = await (await page.waitForFunction(findWebviewName, title, { timeout: timeoutMs })).jsonValue();
  return page.frameLocator(`iframe.webview[name="${name}"]`).frameLocator('#active-frame');
}
