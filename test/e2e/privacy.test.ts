// Privacy inside a real VS Code (code-server + headless chromium): indexing a workspace, Find Similar, the side view
// and opening a result, with a local model folder, make no network request from the extension's code or from its
// model host. The recorder of test/host/privacy.test.ts is preloaded into code-server and everything it starts
// (NODE_OPTIONS, which VS Code passes on to the extension host and the extension to the model host). code-server and
// the extension host use sockets for their own work, so a record counts as ours when its stack has a frame in the
// installed extension's folder, or when it comes from the process running the installed dist/host.js. A second,
// throwaway extension that does reach for the network on a command proves that this attribution sees extension code.
// Needs test/e2e/setup-code-server.sh and `npm run package` first (npm run test:e2e does both).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { ensureTestModel } from '../fixtures/models/generate';
import type { NetworkRecord } from '../host/privacyNetworkRecorder';
import { assertTop, findSimilarToSampleQuery, SAMPLE_QUERY, cliSearch, expectedTop, firstResult, openSideView, searchInSideView, VSIX } from './extensionSteps';
import { editorCursor, packageVsix, runCommand, withWorkbench } from './harness';
import { repoRoot } from './harness/paths';

const RECORDER = path.join(repoRoot, 'out', 'test', 'host', 'privacyNetworkRecorder.js');
const OUR_EXTENSION_PREFIX = 'similar-sentences.similar-sentences-';
const PROBE_PREFIX = 'similar-sentences-test.network-probe-';

/** The positive control: one command that tries fetch, http.request and net.connect (nothing listens on port 9). */
const probeSource = `
const vscode = require('vscode');
exports.activate = (context) => {
  context.subscriptions.push(vscode.commands.registerCommand('networkProbe.run', async () => {
    await fetch('http://127.0.0.1:9/probe').catch(() => undefined);
    await new Promise((resolve) => require('http').request('http://127.0.0.1:9/probe').on('error', resolve).end());
    await new Promise((resolve) => require('net').connect(9, '127.0.0.1').on('error', resolve));
    void vscode.window.showInformationMessage('network probe done');
  }));
};
`;

const probeManifest = {
  name: 'network-probe',
  publisher: 'similar-sentences-test',
  version: '0.0.1',
  license: 'MIT',
  engines: { vscode: '^1.95.0' },
  main: './extension.js',
  contributes: { commands: [{ command: 'networkProbe.run', title: 'Run', category: 'Network Probe' }] },
};

async function packageProbe(root: string): Promise<string> {
  const dir = path.join(root, 'network-probe');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(probeManifest, null, 2));
  fs.writeFileSync(path.join(dir, 'extension.js'), probeSource);
  fs.writeFileSync(path.join(dir, 'README.md'), '# Network probe\n');
  return packageVsix(dir, { outFile: path.join(root, 'network-probe.vsix'), noDependencies: true });
}

function readRecords(file: string): NetworkRecord[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as NetworkRecord);
}

const calledFrom = (record: NetworkRecord, folder: string) => record.stack.some((frame) => frame.includes(folder + path.sep));

test('indexing, Find Similar and the side view in VS Code: no network request from the extension or its model host', { timeout: 300_000 }, async (t) => {
  assert.ok(fs.existsSync(VSIX), `no VSIX at ${VSIX}: run npm run package first`);
  assert.ok(fs.existsSync(RECORDER), `no recorder at ${RECORDER}: run tsc first`);
  const model = await ensureTestModel('semantic');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'similar-sentences-privacy-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const workspace = path.join(root, 'workspace');
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'sample-workspace'), workspace, { recursive: true });
  const probeVsix = await packageProbe(root);
  const networkLog = path.join(root, 'network.jsonl');

  let ourFolder = '';
  let probeFolder = '';
  await withWorkbench(
    {
      name: 'privacy',
      workspace,
      vsix: [VSIX, probeVsix],
      env: { NODE_OPTIONS: `--require ${RECORDER}`, SIMILAR_SENTENCES_NETWORK_LOG: networkLog },
      userSettings: { 'similarSentences.model': model, 'editor.wordWrap': 'off', '[markdown]': { 'editor.wordWrap': 'off' } },
    },
    async ({ server, page }) => {
      const installed = fs.readdirSync(server.extensionsDir);
      ourFolder = path.join(server.extensionsDir, installed.find((name) => name.startsWith(OUR_EXTENSION_PREFIX)) ?? assert.fail(`not installed: ${installed.join(', ')}`));
      probeFolder = path.join(server.extensionsDir, installed.find((name) => name.startsWith(PROBE_PREFIX)) ?? assert.fail(`not installed: ${installed.join(', ')}`));

      // Index (on the first search) and Find Similar, in the results panel.
      const query = SAMPLE_QUERY.text;
      const panel = await findSimilarToSampleQuery(page);
      assertTop(await firstResult(panel), expectedTop(cliSearch(workspace, model, query), { file: 'README.md', line: 8, endLine: 8 }));

      // A free-text query in the side view, and a result opened from it.
      const side = await openSideView(page);
      const sideQuery = 'the socket connection expired';
      await searchInSideView(side, sideQuery);
      const top = await firstResult(side);
      assertTop(top, expectedTop(cliSearch(workspace, model, sideQuery)));
      await side.locator('.result').first().click();
      const [file, line] = top.location.split(':');
      await page.waitForFunction((name) => document.querySelector('.editor-group-container.active .tab.active .label-name')?.textContent === name, path.posix.basename(file));
      assert.equal((await editorCursor(page)).line, Number(line));

      await runCommand(page, 'Network Probe: Run');
      await page.locator('.notification-toast', { hasText: 'network probe done' }).waitFor();
    },
  );

  const records = readRecords(networkLog);
  const loaded = records.filter((record) => record.api === 'loaded');
  // Watched: the extension host, and the model host with its inference thread.
  const extensionHost = loaded.find((record) => record.threadId === 0 && record.args.includes("'--type=extensionHost'"));
  assert.ok(extensionHost, `the extension host was not watched; loaded: ${loaded.map((record) => record.args).join('\n')}`);
  const modelHost = loaded.find((record) => record.threadId === 0 && record.script === path.join(ourFolder, 'dist', 'host.js'));
  assert.ok(modelHost, `the model host was not watched; loaded: ${loaded.map((record) => record.script).join(', ')}`);
  assert.ok(loaded.some((record) => record.pid === modelHost.pid && record.threadId > 0), 'no inference thread of the model host was watched');

  // The attribution sees extension code in the extension host: each of the probe's calls, by its stack.
  const probe = records.filter((record) => calledFrom(record, probeFolder));
  assert.deepEqual(new Set(probe.map((record) => record.api)), new Set(['fetch', 'http.request', 'net.Socket.connect']));
  assert.ok(probe.every((record) => record.pid === extensionHost.pid));

  const ours = records.filter((record) => record.pid === modelHost.pid || calledFrom(record, ourFolder));
  assert.deepEqual(ours.filter((record) => record.api !== 'loaded'), []);
  t.diagnostic(`${records.length} records from ${new Set(records.map((record) => record.pid)).size} processes; ${ours.length} from our code, all 'loaded'`);
});
