import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parse } from 'parse5';
import { contentSecurityPolicy, createNonce, renderWebviewHtml, type WebviewHtmlOptions, type WebviewKind } from '../../src/extension/webviewHtml';
import { renderWebviewPage } from '../../src/extension/webviewPage';

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

/** The one CSP of a rendered page, parsed into its directives. */
function policyOf(html: string): Map<string, string[]> {
  const metas = elements(parse(html) as unknown as Node).filter((n) => n.nodeName === 'meta' && attr(n, 'http-equiv')?.toLowerCase() === 'content-security-policy');
  assert.equal(metas.length, 1, 'exactly one CSP');
  return parsePolicy(attr(metas[0], 'content')!);
}

/** The nonce a page's CSP allows scripts by. */
function nonceOf(html: string): string {
  const [source, ...others] = policyOf(html).get('script-src') ?? [];
  assert.equal(others.length, 0);
  const nonce = /^'nonce-([A-Za-z0-9+/]+=*)'$/.exec(source ?? '')?.[1];
  assert.ok(nonce, `script-src is one nonce: ${source}`);
  return nonce;
}

describe('webview HTML', () => {
  it('declares a strict CSP: nothing by default, scripts only by nonce, styles, fonts and images only from the extension', () => {
    // Two origins: the policy must follow the one VS Code gives, not a hard-coded one.
    for (const cspSource of [CSP_SOURCE, 'https://0a1b2c.vscode-cdn.net']) {
      const opts = options({ cspSource });
      const policy = policyOf(renderWebviewHtml(opts));
      assert.deepEqual(
        Object.fromEntries(policy),
        {
          'default-src': ["'none'"],
          'script-src': [`'nonce-${opts.nonce}'`],
          'style-src': [cspSource],
          'font-src': [cspSource],
          'img-src': [cspSource],
          'base-uri': ["'none'"],
          'form-action': ["'none'"],
        },
      );
      // Whatever directives are added later, each source must be one of these three, exactly: no remote origin,
      // no wildcard, no scheme source (data:, blob:, https:), no 'unsafe-inline' / 'unsafe-eval' / 'strict-dynamic'.
      const allowed = new Set(["'none'", `'nonce-${opts.nonce}'`, cspSource]);
      for (const [directive, sources] of policy) {
        assert.ok(sources.length > 0, `${directive} lists its sources`);
        for (const source of sources) assert.ok(allowed.has(source), `${directive} allows ${source}`);
        if (sources.includes("'none'")) assert.equal(sources.length, 1, `${directive}: 'none' stands alone`);
      }
      assert.deepEqual(policy.get('default-src'), ["'none'"], 'anything not listed is refused');
      for (const directive of ['script-src', 'style-src', 'font-src', 'img-src']) {
        assert.ok(policy.has(directive), `${directive} is explicit rather than inherited`);
      }
      assert.ok(!policy.get('script-src')!.includes(cspSource), 'scripts are allowed by nonce only, not by origin');
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

  it('renders each view with a new nonce, and every script of a render carries that render\'s nonce', () => {
    const resourceUri = (...segments: string[]) => `${CSP_SOURCE}/ext/${segments.join('/')}`;
    for (const kind of ['panel', 'sidebar', 'compare', 'duplicates'] as WebviewKind[]) {
      // The page exactly as WebviewConnection renders it, twice for the same view (a reload, a panel opened again).
      const renders = [renderWebviewPage(kind, CSP_SOURCE, resourceUri), renderWebviewPage(kind, CSP_SOURCE, resourceUri)];
      const nonces = renders.map(nonceOf);
      assert.notEqual(nonces[0], nonces[1], `${kind}: two renders, two nonces`);
      renders.forEach((html, i) => {
        assert.ok(Buffer.from(nonces[i], 'base64').length >= 16, `${kind}: a 128-bit nonce`);
        const scripts = elements(parse(html) as unknown as Node).filter((n) => n.nodeName === 'script');
        assert.ok(scripts.length > 0);
        for (const script of scripts) assert.equal(attr(script, 'nonce'), nonces[i], `${kind}: a script without this render's nonce`);
        assert.ok(!html.includes(nonces[1 - i]), `${kind}: nothing of the other render's nonce`);
      });
    }
  });
});
