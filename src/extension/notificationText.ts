// VS Code turns `[label](command:…)` (or https:, file:) in a notification's message into a link, and a command:
// link runs its command, with arguments, when clicked. File names, settings values and errors that quote them come
// from the workspace, so every message built from them goes through here first. No `vscode` import.

/**
 * The message with every `](` split by a zero-width space: it reads exactly as before, but no part of it can
 * become a link. (Our own messages never contain links.)
 */
export function literalNotificationText(message: string): string {
  return message.replaceAll('](', ']\u200B(');
}
