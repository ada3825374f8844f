// The HTML shell of both webviews, with a strict Content Security Policy: nothing runs but our bundle (by a fresh
// nonce each render), styles and fonts come only from the extension's own files, and nothing remote loads at all.
// No `vscode` import: unit tests parse the output.
import { randomBytes } from 'node:crypto';

export type WebviewKind = 'panel' | 'sidebar' | 'compare' | 'duplicates';

export interface WebviewHtmlOptions {
  kind: WebviewKind;
  title: string;
  /** `webview.cspSource`: the origin VS Code serves `asWebviewUri` resources from. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  /** Our stylesheet(s), as webview URIs. */
  styleUris: string[];
  /** codicon.css as a webview URI; linked with the id @vscode-elements/elements looks for. */
  codiconCssUri: string;
}

/** 128 random bits per render: a nonce must never be predictable or reused. */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function renderWebviewHtml(options: WebviewHtmlOptions): string {
  const attr = escapeAttribute;
  const styles = options.styleUris.map((uri) => `<link rel="stylesheet" href="${attr(uri)}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(options.cspSource, options.nonce))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <link rel="stylesheet" id="vscode-codicon-stylesheet" href="${attr(options.codiconCssUri)}">
    ${styles}
    <title>${escapeText(options.title)}</title>
  </head>
  <body data-view="${attr(options.kind)}">
    <script nonce="${attr(options.nonce)}" src="${attr(options.scriptUri)}"></script>
  </body>
</html>
`;
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeAttribute(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ENTITIES[ch]);
}

function escapeText(value: string): string {
  return value.replace(/[&<>]/g, (ch) => ENTITIES[ch]);
}
