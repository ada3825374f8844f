// Workspace Trust in a real VS Code (code-server + headless chromium) with the packaged extension: a folder the user
// does not trust opens in Restricted Mode, and its .vscode/settings.json names a model folder, a download endpoint
// and a model cache folder of its own. Search must still work, with the model, endpoint and cache folder from the
// user settings only (package.json: untrustedWorkspaces.restrictedConfigurations). The user's model is a Hub id
// served by a local server in the Hub's URL layout; the workspace's endpoint is a second such server serving the same
// model, so honouring it would succeed silently and only its request log would tell.
// Needs test/e2e/setup-code-server.sh and `npm run package` first (npm run test:e2e does both).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { ensureTestModel } from '../fixtures/models/generate';
import { assertTop, findSimilarToSampleQuery, SAMPLE_QUERY, cliSearch, expectedTop, expectSoon, firstResult, VSIX } from './extensionSteps';
import { answerWorkspaceTrust, extensionLog, screenshot, withWorkbench } from './harness';
import { repoRoot } from './harness/paths';

/** A Hub id for the generated test model, served only by the local servers below. */
const USER_MODEL_ID = 'similar-sentences-test/semantic';
/** A setting the workspace may choose in Restricted Mode: proves its settings file is read at all. */
const WORKSPACE_MAX_RESULTS = 7;

interface ModelServer {
  endpoint: string;
  /** Every request's path, in order. */
  requested: string[];
}

/** Serves `modelDir` as the Hub serves `${id}` at any revision (`/${id}/resolve/<revision>/<file>`), logging requests. */
async function serveModel(t: TestContext, modelDir: string, id: string): Promise<ModelServer> {
  const requested: string[] = [];
  const prefix = new RegExp(`^/${id}/resolve/[^/]+/`);
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    requested.push(url);
    const file = prefix.test(url) ? path.join(modelDir, decodeURIComponent(url.replace(prefix, ''))) : undefined;
    if (!file || !file.startsWith(modelDir + path.sep) || !fs.existsSync(file)) return void res.writeHead(404).end('Entry not found');
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requested };
}

test('Restricted Mode: search works with the user settings; the workspace model, endpoint and cache folder are ignored', { timeout: 300_000 }, async (t) => {
  assert.ok(fs.existsSync(VSIX), `no VSIX at ${VSIX}: run npm run package first`);
  const model = await ensureTestModel('semantic');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'similar-sentences-restricted-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const workspace = path.join(root, 'untrusted-workspace');
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'sample-workspace'), workspace, { recursive: true });
  const userCache = path.join(root, 'user-model-cache');
  const userHub = await serveModel(t, model, USER_MODEL_ID);
  const hostileHub = await serveModel(t, model, USER_MODEL_ID);

  // What a hostile repository would ship: its own model (here a folder inside it that does not exist), its own
  // download host, and a cache folder inside itself.
  const workspaceModel = path.join(workspace, '.vscode', 'model');
  const workspaceCache = path.join(workspace, '.model-cache');
  fs.mkdirSync(path.join(workspace, '.vscode'));
  fs.writeFileSync(
    path.join(workspace, '.vscode', 'settings.json'),
    JSON.stringify(
      {
        'similarSentences.model': workspaceModel,
        'similarSentences.downloadEndpoint': hostileHub.endpoint,
        'similarSentences.modelCacheFolder': workspaceCache,
        'similarSentences.maxResults': WORKSPACE_MAX_RESULTS,
      },
      null,
      2,
    ),
  );

  await withWorkbench(
    {
      name: 'restricted-mode',
      workspace,
      vsix: VSIX,
      workspaceTrust: true,
      userSettings: {
        'similarSentences.model': USER_MODEL_ID,
        'similarSentences.downloadEndpoint': userHub.endpoint,
        'similarSentences.modelCacheFolder': userCache,
        'editor.wordWrap': 'off',
        '[markdown]': { 'editor.wordWrap': 'off' },
      },
    },
    async ({ server, page }) => {
      await answerWorkspaceTrust(page, false);
      // VS Code's own signs of Restricted Mode: the status bar item and the banner.
      await page.locator('[id="status.workspaceTrust"]', { hasText: 'Restricted Mode' }).waitFor();
      await page.locator('.monaco-workbench .banner', { hasText: 'Restricted Mode is intended for safe code browsing' }).waitFor();

      const query = SAMPLE_QUERY.text;
      const panel = await findSimilarToSampleQuery(page);
      await screenshot(page, 'restricted-mode-results');

      // The ranking and scores of the user's model (the CLI on the same folder and weights), limited by the
      // workspace's maxResults, which is not a restricted setting.
      const origin = { file: 'README.md', line: 8, endLine: 8 };
      const hits = cliSearch(workspace, model, query);
      assertTop(await firstResult(panel), expectedTop(hits, origin));
      assert.match((await panel.locator('.query-summary').textContent()) ?? '', new RegExp(`· ${USER_MODEL_ID} ·`));
      const eligible = hits.filter((hit) => hit.file !== origin.file || hit.endLine < origin.line || hit.line > origin.endLine);
      assert.ok(eligible.length > WORKSPACE_MAX_RESULTS, 'enough hits for the limit to show');
      const shownScores = await panel.locator('.result').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-score'))));
      assert.deepEqual(
        shownScores.map((score) => score.toFixed(4)),
        eligible.slice(0, WORKSPACE_MAX_RESULTS).map((hit) => hit.score.toFixed(4)),
      );

      // The user's model came from the user's endpoint into the user's cache folder.
      assert.ok(userHub.requested.some((url) => url.endsWith('/onnx/model.onnx')), `user endpoint requests: ${userHub.requested.join(', ')}`);
      assert.ok(userHub.requested.every((url) => url.startsWith(`/${USER_MODEL_ID}/resolve/`)), userHub.requested.join(', '));
      assert.ok(fs.readdirSync(userCache, { recursive: true, encoding: 'utf8' }).some((name) => name.endsWith('model.onnx')), 'the model is in the user cache folder');
      await expectSoon(async () => /model host ready: similar-sentences-test\/semantic /.test(extensionLog(server)), 'the host loaded the user model');
      const log = extensionLog(server);
      assert.ok(log.includes(`from ${userHub.endpoint} into ${userCache}${path.sep}`), log);

      // Nothing of the workspace's choice was used: no request to its endpoint, no cache folder, its model never named.
      assert.deepEqual(hostileHub.requested, []);
      assert.equal(fs.existsSync(workspaceCache), false, 'no cache folder created inside the workspace');
      assert.ok(!log.includes(workspaceModel) && !log.includes(workspaceCache) && !log.includes(hostileHub.endpoint), log);
    },
  );
});
