import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parse } from 'parse5';
import { contentSecurityPolicy, createNonce, renderWebviewHtml, type WebviewHtmlOptions } from '../../src/extension/webviewHtml';

type Node = { nodeName: string; attrs?: { name: string; value: string }[]; childNodes?: Node[]; value?: string };

function elements(node: Node, found: Node[] = []): Node[] {
  if (node.attrs) found.push(node);
  for (const child of node.childNodes ?? []) elements(child, found);
  // <template> content is not under childNodes; we render none, so none is missed.
  return found;
}
const attr = (node: Node, name: string) => node.attrs?.find((a) => a.name === name)?.value;

const CSP_SOURCE = 'https://file+.vscode-resource.vscode-cdn.net';
const options = (overrides: Partial<WebviewHtmlOptions> = {}): WebviewHtmlOptions => ({
  kind: 'panel',
  title: 'Similar Sentences',
  cspSource: CSP_SOURCE,
  nonce: createNonce(),
  scriptUri: `${CSP_SOURCE}/ext/dist/webview/main.js`,
  styleUris: [`${CSP_SOURCE}/ext/media/webview.css`],
  codiconCssUri: `${CSP_SOURCE}/ext/node_modules/@vscode/codicons/dist/codicon.css`,
  ...overrides,
});

function parsePolicy(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((tokens) => tokens[0])
      .map(([name, ...values]) => [name, values]),
  );
}

describe('webview HTML', () => {
  it('declares a strict CSP: nothing by default, scripts only by nonce, styles and fonts only from the extension', () => {
    const opts = options();
    const document = parse(renderWebviewHtml(opts)) as unknown as Node;
    const metas = elements(document).filter((n) => n.nodeName === 'meta' && attr(n, 'http-equiv') === 'Content-Security-Policy');
    assert.equal(metas.length, 1);
    const policy = parsePolicy(attr(metas[0], 'content')!);
    assert.deepEqual(policy.get('default-src'), ["'none'"]);
    assert.deepEqual(policy.get('script-src'), [`'nonce-${opts.nonce}'`]);
    assert.deepEqual(policy.get('style-src'), [CSP_SOURCE]);
    assert.deepEqual(policy.get('font-src'), [CSP_SOURCE]);
    for (const [directive, values] of policy) {
      for (const value of values) {
        assert.ok(!/unsafe-inline|unsafe-eval|^\*$|^https?:$|^data:$|^blob:$/.test(value), `${directive} allows ${value}`);
      }
    }
  });

  it('has exactly one script, carrying the nonce, loaded from the extension, and no inline code', () => {
    const opts = options();
    const nodes = elements(parse(renderWebviewHtml(opts)) as unknown as Node);
    const scripts = nodes.filter((n) => n.nodeName === 'script');
    assert.equal(scripts.length, 1);
    assert.equal(attr(scripts[0], 'nonce'), opts.nonce);
    assert.equal(attr(scripts[0], 'src'), opts.scriptUri);
    assert.equal(scripts[0].childNodes?.length ?? 0, 0);
    for (const node of nodes) {
      for (const a of node.attrs ?? []) {
        assert.ok(!/^on/i.test(a.name), `inline handler ${a.name} on <${node.nodeName}>`);
        assert.notEqual(a.name, 'style', `inline style on <${node.nodeName}>`);
      }
    }
    assert.equal(nodes.filter((n) => n.nodeName === 'style').length, 0);
  });

  it('links codicons with the id @vscode-elements looks for, and every stylesheet from the extension', () => {
    const opts = options();
    const links = elements(parse(renderWebviewHtml(opts)) as unknown as Node).filter((n) => n.nodeName === 'link');
    assert.equal(links.find((l) => attr(l, 'id') === 'vscode-codicon-stylesheet') && attr(links[0], 'href'), opts.codiconCssUri);
    for (const link of links) assert.ok(attr(link, 'href')!.startsWith(CSP_SOURCE));
  });

  it('marks which view the page is for', () => {
    for (const kind of ['panel', 'sidebar'] as const) {
      const body = elements(parse(renderWebviewHtml(options({ kind }))) as unknown as Node).find((n) => n.nodeName === 'body')!;
      assert.equal(attr(body, 'data-view'), kind);
    }
  });

  it('escapes attribute values instead of letting them break out', () => {
    const hostile = `x" onload="alert(1)`;
    const html = renderWebviewHtml(options({ scriptUri: hostile, title: '</title><script>alert(1)</script>' }));
    const nodes = elements(parse(html) as unknown as Node);
    assert.equal(nodes.filter((n) => n.nodeName === 'script').length, 1);
    assert.equal(attr(nodes.find((n) => n.nodeName === 'script')!, 'src'), hostile);
    assert.ok(nodes.every((n) => !(n.attrs ?? []).some((a) => a.name === 'onload')));
  });

  it('uses a fresh, unguessable nonce for every render', () => {
    const nonces = new Set(Array.from({ length: 200 }, () => createNonce()));
    assert.equal(nonces.size, 200);
    for (const nonce of nonces) {
      assert.ok(Buffer.from(nonce, 'base64').length >= 16);
      assert.match(nonce, /^[A-Za-z0-9+/]+=*$/);
    }
    assert.ok(contentSecurityPolicy('a', 'n1') !== contentSecurityPolicy('a', 'n2'));
  });
});
