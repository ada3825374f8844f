// Proves the e2e harness against a real VS Code: a throwaway extension, built here from strings, is packaged,
// installed into code-server and driven through headless chromium. Needs test/e2e/setup-code-server.sh first.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  darkTheme,
  editorCursor,
  goToLine,
  lightTheme,
  openFile,
  packageVsix,
  runCommand,
  runFolder,
  screenshot,
  selectLines,
  selectText,
  setTheme,
  webviewFrame,
  withWorkbench,
} from './harness';

const panelTitle = 'Harness Smoke Panel';

/** One command opens a webview showing the workspace name and the active editor's file and selected text. */
const extensionSource = `
const vscode = require('vscode');
exports.activate = (context) => {
  context.subscriptions.push(vscode.commands.registerCommand('harnessSmoke.showSelection', () => {
    const editor = vscode.window.activeTextEditor;
    const file = editor ? editor.document.fileName.split('/').pop() : 'none';
    const selected = editor ? editor.document.getText(editor.selection) : '';
    const panel = vscode.window.createWebviewPanel('harnessSmoke', ${JSON.stringify(panelTitle)}, vscode.ViewColumn.Beside, {});
    const escape = (text) => text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);
    panel.webview.html = '<!DOCTYPE html><html><body style="color: var(--vscode-editor-foreground)">'
      + '<h1 id="workspace">Workspace ' + escape(vscode.workspace.name || '') + '</h1>'
      + '<p id="file">' + escape(file) + '</p><pre id="selected">' + escape(selected) + '</pre></body></html>';
  }));
};
`;

const extensionManifest = {
  name: 'harness-smoke',
  displayName: 'Harness Smoke',
  publisher: 'similar-sentences-test',
  version: '0.0.1',
  license: 'MIT',
  engines: { vscode: '^1.95.0' },
  main: './extension.js',
  contributes: {
    commands: [{ command: 'harnessSmoke.showSelection', title: 'Show Selection', category: 'Harness Smoke' }],
  },
};

const notes = ['line one', 'line two is here', 'line three', 'line four'];

async function buildFixture(): Promise<{ workspace: string; vsix: string }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-smoke-'));
  const extensionDir = path.join(root, 'extension');
  fs.mkdirSync(extensionDir);
  fs.writeFileSync(path.join(extensionDir, 'package.json'), JSON.stringify(extensionManifest, null, 2));
  fs.writeFileSync(path.join(extensionDir, 'extension.js'), extensionSource);
  fs.writeFileSync(path.join(extensionDir, 'README.md'), '# Harness smoke\n');
  const workspace = path.join(root, 'smoke-workspace');
  fs.mkdirSync(path.join(workspace, 'docs'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'docs', 'notes.txt'), notes.join('\n') + '\n');
  fs.writeFileSync(path.join(workspace, 'README.md'), '# Smoke workspace\n');
  const vsix = await packageVsix(extensionDir, { outFile: path.join(root, 'harness-smoke.vsix'), noDependencies: true });
  return { workspace, vsix };
}

test('the harness drives an extension, the editor and webviews in a real VS Code', { timeout: 240_000 }, async (t) => {
  const { workspace, vsix } = await buildFixture();
  t.after(() => fs.rmSync(path.dirname(workspace), { recursive: true, force: true }));
  const started = Date.now();
  let serverUrl = '';
  let userDataDir = '';

  await withWorkbench({ name: 'harness-smoke', workspace, vsix, theme: lightTheme }, async ({ server, page }) => {
    t.diagnostic(`code-server start + vsix install + workbench ready + light theme: ${Date.now() - started} ms`);
    serverUrl = server.url;
    userDataDir = server.userDataDir;

    await openFile(page, 'docs/notes.txt');
    assert.deepEqual(await editorCursor(page), { file: 'notes.txt', line: 1, column: 1, selected: 0 });
    await goToLine(page, 4);
    assert.deepEqual(await editorCursor(page), { file: 'notes.txt', line: 4, column: 1, selected: 0 });
    const lines = await selectLines(page, 2, 3);
    assert.deepEqual(lines, { file: 'notes.txt', line: 3, column: notes[2].length + 1, selected: notes[1].length + 1 + notes[2].length });
    // 'line' occurs on every line: the first occurrence in the file, not the next one after the cursor.
    assert.deepEqual(await selectText(page, 'two is'), { file: 'notes.txt', line: 2, column: 12, selected: 6 });
    assert.deepEqual(await selectText(page, 'line'), { file: 'notes.txt', line: 1, column: 5, selected: 4 });
    await selectLines(page, 2, 3);

    await runCommand(page, 'Harness Smoke: Show Selection');
    const webview = await webviewFrame(page, panelTitle);
    assert.equal(await webview.locator('#workspace').textContent(), 'Workspace smoke-workspace');
    assert.equal(await webview.locator('#file').textContent(), 'notes.txt');
    assert.equal(await webview.locator('#selected').textContent(), `${notes[1]}\n${notes[2]}`);
    const lightColour = await webview.locator('body').evaluate((body) => getComputedStyle(body).color);
    await screenshot(page, 'harness-smoke-light');

    assert.equal(await setTheme(page, darkTheme), 'vs-dark');
    // The theme reaches inside the webview through VS Code's CSS variables.
    const darkColour = await webview.locator('body').evaluate((body) => getComputedStyle(body).color);
    assert.notEqual(darkColour, lightColour);
    await screenshot(page, 'harness-smoke-dark');

    // Focus is in the webview now; workbench keys still reach VS Code from there.
    await openFile(page, 'README.md');
    assert.equal((await editorCursor(page)).file, 'README.md');

    assert.match(server.logReport(), /remoteexthost\.log/);
    const extHostLog = fs
      .readdirSync(server.logsDir, { recursive: true, encoding: 'utf8' })
      .find((name) => name.endsWith('remoteexthost.log'));
    assert.ok(extHostLog, 'extension host log exists');
    assert.match(fs.readFileSync(path.join(server.logsDir, extHostLog), 'utf8'), /similar-sentences-test\.harness-smoke/);
  });

  t.diagnostic(`artefacts in ${runFolder()}`);
  await assert.rejects(fetch(serverUrl), 'code-server no longer answers after stop()');
  assert.equal(fs.existsSync(userDataDir), false, 'temporary user-data dir removed');
});

test('a failing test keeps a screenshot and the logs in the run folder', { timeout: 120_000 }, async (t) => {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-failure-'));
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));
  await assert.rejects(
    withWorkbench({ name: 'deliberate-failure', workspace }, async () => {
      throw new Error('deliberate');
    }),
    /deliberate/,
  );
  assert.ok(fs.existsSync(path.join(runFolder(), 'deliberate-failure-failure.png')));
  assert.ok(fs.existsSync(path.join(runFolder(), 'deliberate-failure-logs', 'code-server.log')));
  const vscodeLogs = fs.readdirSync(path.join(runFolder(), 'deliberate-failure-logs', 'vscode'), { recursive: true });
  assert.ok(vscodeLogs.some((name) => String(name).endsWith('remoteagent.log')));
});
