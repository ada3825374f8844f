// What every webview of the extension may do and load, and one render of its page: scripts on (our bundle only, by
// nonce), no command links, local resources only from the extension's own asset folders, never the workspace.
// No `vscode` import: the URI type and how to join paths are passed in, so unit tests check the real values.
import { createNonce, renderWebviewHtml, type WebviewKind } from './webviewHtml';

/** Folders (relative to the extension) a webview may load from: our bundles, our stylesheets, the codicon font. */
export const WEBVIEW_RESOURCE_FOLDERS: readonly (readonly string[])[] = [
  ['dist', 'webview'],
  ['media'],
  ['node_modules', '@vscode', 'codicons', 'dist'],
];

/** The files a page loads, each inside one of WEBVIEW_RESOURCE_FOLDERS. */
export const WEBVIEW_ASSETS = {
  script: ['dist', 'webview', 'main.js'],
  styles: [['media', 'webview.css']],
  codiconCss: ['node_modules', '@vscode', 'codicons', 'dist', 'codicon.css'],
} as const;

/** The page's own <title> (VS Code shows the panel's or view's title; this names the document). */
export const WEBVIEW_TITLES: Record<WebviewKind, string> = {
  panel: 'Similar Sentences',
  sidebar: 'Similar Sentences: search',
  compare: 'Similarity Heatmap',
  duplicates: 'Near-Duplicates',
};

export interface WebviewOptionValues<Uri> {
  enableScripts: true;
  enableCommandUris: false;
  localResourceRoots: Uri[];
}

export function webviewOptionValues<Uri>(extensionUri: Uri, joinPath: (base: Uri, ...segments: string[]) => Uri): WebviewOptionValues<Uri> {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: WEBVIEW_RESOURCE_FOLDERS.map((segments) => joinPath(extensionUri, ...segments)),
  };
}

/** The page for one render: a fresh nonce every time. `resourceUri` maps a path in the extension to a webview URI. */
export function renderWebviewPage(kind: WebviewKind, cspSource: string, resourceUri: (...segments: string[]) => string): string {
  return renderWebviewHtml({
    kind,
    title: WEBVIEW_TITLES[kind],
    cspSource,
    nonce: createNonce(),
    scriptUri: resourceUri(...WEBVIEW_ASSETS.script),
    styleUris: WEBVIEW_ASSETS.styles.map((segments) => resourceUri(...segments)),
    codiconCssUri: resourceUri(...WEBVIEW_ASSETS.codiconCss),
  });
}
