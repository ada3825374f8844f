// The end-to-end harness: the packaged extension in a real VS Code (code-server) driven through headless chromium.
export { runFolder, screenshot } from './artifacts';
export { startCodeServer, defaultUserSettings, type CodeServer, type CodeServerOptions } from './code-server';
export { runCommand } from './commands';
export { extensionLog } from './extensionLog';
export { editorCursor, goToLine, openFile, selectLines, selectText, waitForCursor, type EditorCursor } from './editor';
export { pickQuickInputItem, type QuickInputPick } from './quick-input';
export { withWorkbench, type Session, type SessionOptions } from './session';
export { darkTheme, lightTheme, setTheme, themeKind, type ThemeKind } from './theme';
export { answerWorkspaceTrust } from './trust';
export { packageVsix, type PackageOptions } from './vsix';
export { webviewFrame } from './webview';
export { postAsWebview } from './webviewMessages';
export { openWorkbench, type Workbench, type WorkbenchOptions } from './workbench';
