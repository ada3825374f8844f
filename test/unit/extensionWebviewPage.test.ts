import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'parse5';
import { renderWebviewPage, WEBVIEW_ASSETS, webviewOptionValues } from '../../src/extension/webviewPage';

type Node = { nodeName: string; attrs?: { name: string; value: string }[]; childNodes?: Node[] };
function elements(node: Node, found: Node[] = []): Node[] {
  if (node.attrs) found.push(node);
  for (const child of node.childNodes ?? []) elements(child, found);
  return found;
}

const EXTENSION = 'file:///home/user/.vscode/extensions/similar-sentences';
const join = (base: string, ...segments: string[]) => [base, ...segments].join('/');
const repoRoot = path.resolve(__dirname, '..', '..', '..');

describe('webview options', () => {
  const options = webviewOptionValues(EXTENSION, join);

  it('runs scripts (our bundle, by nonce) but never turns command: links into commands', () => {
    assert.equal(options.enableScripts, true);
    assert.equal(options.enableCommandUris, false);
    assert.deepEqual(Object.keys(options).sort(), ['enableCommandUris', 'enableScripts', 'localResourceRoots']);
  });

  it("lets a page load only from the extension's own asset folders: nothing of the workspace, not the whole extension", () => {
    assert.deepEqual(options.localResourceRoots, [
      `${EXTENSION}/dist/webview`,
      `${EXTENSION}/media`,
      `${EXTENSION}/node_modules/@vscode/codicons/dist`,
    ]);
    for (const root of options.localResourceRoots) assert.ok(!root.split('/').includes('..'), root);
  });

  it('serves every file the page loads from inside those roots', () => {
    // renderWebviewPage maps extension paths to webview URIs exactly as WebviewConnection does (with a stand-in
    // asWebviewUri); each URI the page references must then lie under a root, or VS Code would refuse to load it.
    const asWebviewUri = (...segments: string[]) => join(EXTENSION, ...segments);
    const page = elements(parse(renderWebviewPage('panel', 'https://x.vscode-cdn.net', asWebviewUri)) as unknown as Node);
    const loaded = page.flatMap((node) => (node.attrs ?? []).filter((a) => a.name === 'src' || a.name === 'href').map((a) => a.value));
    assert.deepEqual(loaded.sort(), [WEBVIEW_ASSETS.script, ...WEBVIEW_ASSETS.styles, WEBVIEW_ASSETS.codiconCss].map((segments) => asWebviewUri(...segments)).sort());
    for (const uri of loaded) {
      assert.ok(
        options.localResourceRoots.some((root) => uri.startsWith(`${root}/`)),
        `${uri} is outside the resource roots`,
      );
    }
  });

  it('names asset files that exist in the repository (the bundle is built by npm run build)', () => {
    for (const segments of [...WEBVIEW_ASSETS.styles, WEBVIEW_ASSETS.codiconCss]) {
      assert.ok(existsSync(path.join(repoRoot, ...segments)), segments.join('/'));
    }
  });
});
