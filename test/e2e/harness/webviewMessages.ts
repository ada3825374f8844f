import type { FrameLocator } from 'playwright-core';

/**
 * Sends `message` to the extension as the page in `frame` (from webviewFrame) would with
 * `acquireVsCodeApi().postMessage`: through the function VS Code's host frame exposes to the page. A page whose
 * script is compromised can send exactly this, so tests use it to forge messages.
 */
export async function postAsWebview(frame: FrameLocator, message: unknown): Promise<void> {
  // The page's own iframe element lives in the host frame: evaluate there, where the function is defined.
  await frame.owner().evaluate((pageFrame, sent) => {
    const host = pageFrame.ownerDocument.defaultView as unknown as Record<string, (command: string, data: unknown) => void>;
    host.__vscode_post_message__('onmessage', { message: sent, transfer: undefined });
  }, message);
}
