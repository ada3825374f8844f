// No orphan model hosts: reloading the window, an extension host that dies, and a VS Code server that shuts down
// each end the model host they started, in a real VS Code (code-server + headless chromium). Model hosts are found
// by their command line: node running dist/host.js from the installed extension's folder.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureTestModel } from '../fixtures/models/generate';
import { expectSoon, findSimilarToSampleQuery, modelHosts, reloadWindow, stepper, VSIX } from './extensionSteps';
import { withWorkbench } from './harness';
import { repoRoot } from './harness/paths';
import { isAlive, parentOf } from './harness/process-tree';

const EXIT_TIMEOUT_MS = 20_000;

/** A search, which starts a model host if none runs. */
async function search(page: Page): Promise<void> {
  await findSimilarToSampleQuery(page);
}

/** The one model host of this extensions folder (there must be exactly one). */
function onlyModelHost(extensionsDir: string): number {
  const hosts = modelHosts(extensionsDir);
  assert.equal(hosts.length, 1, `one model host, found ${hosts.length}`);
  return hosts[0];
}

async function assertExits(pid: number, what: string): Promise<void> {
  await expectSoon(async () => !isAlive(pid), `${what}: model host ${pid} exits`, EXIT_TIMEOUT_MS);
}

/** The process this test started (code-server's launcher), the top of the model host's ancestry below this process. */
function serverRootOf(pid: number): number {
  for (let current = pid; ; ) {
    const parent = parentOf(current);
    assert.ok(parent !== undefined && parent > 1, `process ${pid} descends from this test`);
    if (parent === process.pid) return current;
    current = parent;
  }
}

test('closing, reloading or losing the window leaves no model host behind', { timeout: 600_000 }, async (t) => {
  assert.ok(fs.existsSync(VSIX), `no VSIX at ${VSIX}: run npm run package first`);
  const model = await ensureTestModel('semantic');
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'similar-sentences-lifecycle-'));
  fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'sample-workspace'), workspace, { recursive: true });
  t.after(() => fs.rmSync(workspace, { recursive: true, force: true }));

  await withWorkbench(
    { name: 'lifecycle', workspace, vsix: VSIX, userSettings: { 'similarSentences.model': model, 'editor.wordWrap': 'off', '[markdown]': { 'editor.wordWrap': 'off' } } },
    async ({ server, page }) => {
      const step = stepper(t, page);
      let host = 0;

      await step('a search starts one model host, a child of the extension host', async () => {
        await search(page);
        host = onlyModelHost(server.extensionsDir);
      });

      await step('Reload Window ends the old model host; the next search starts a new one', async () => {
        await reloadWindow(page);
        await assertExits(host, 'after Reload Window');
        await search(page);
        const next = onlyModelHost(server.extensionsDir);
        assert.notEqual(next, host);
        host = next;
      });

      await step('an extension host killed with SIGKILL (no deactivate) still takes its model host with it', async () => {
        const extensionHost = parentOf(host)!;
        process.kill(extensionHost, 'SIGKILL');
        await assertExits(host, 'after the extension host was killed');
      });

      await step('the VS Code server shutting down ends the model host', async () => {
        await reloadWindow(page);
        await search(page);
        host = onlyModelHost(server.extensionsDir);
        const extensionHost = parentOf(host)!;
        process.kill(serverRootOf(host), 'SIGTERM');
        await assertExits(host, 'after code-server got SIGTERM');
        // code-server may leave its extension host to exit on its own, outside the tree the harness stops.
        if (isAlive(extensionHost)) process.kill(extensionHost, 'SIGKILL');
      });
    },
  );
});
