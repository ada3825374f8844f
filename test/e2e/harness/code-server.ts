import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';
import { codeServerBin } from './paths';
import { killProcessTree, killProcessTreeNow } from './process-tree';

export interface CodeServerOptions {
  /** Folder the workbench opens. */
  workspace: string;
  /** Extensions folder; a fresh empty one next to the user-data dir when omitted. */
  extensionsDir?: string;
  /** Merged over `defaultUserSettings` and written to User/settings.json before the server starts. */
  userSettings?: Record<string, unknown>;
  /** One or more .vsix installed with `--install-extension` into the extensions folder before the server starts. */
  vsix?: string | readonly string[];
  /** Port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** Keep Workspace Trust (and its dialog) on, for tests about trust. Off by default. */
  workspaceTrust?: boolean;
  /** How long to wait for the HTTP server to answer. */
  startTimeoutMs?: number;
  /** Set in the environment of the server and everything it starts (extension host included), over `cleanEnv()`. */
  env?: Readonly<Record<string, string>>;
}

export interface CodeServer {
  /** http://127.0.0.1:PORT, no trailing slash. */
  url: string;
  workspace: string;
  userDataDir: string;
  extensionsDir: string;
  /** VS Code's server-side logs, extension host included (`<session>/exthost1/remoteexthost.log`). */
  logsDir: string;
  /** code-server's own stdout and stderr. */
  outputLog: string;
  /** Paths of every log written so far and the last lines of the ones that matter, for a failing test to print. */
  logReport(tailLines?: number): string;
  /** Ends code-server and every process it started, and deletes its temporary folders (logs included). */
  stop(): Promise<void>;
}

/** Settings that keep the workbench quiet and deterministic: no welcome page, tips, update or telemetry traffic. */
export const defaultUserSettings: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
};

const run = promisify(execFile);

/** The caller's environment minus what would redirect code-server (e.g. when the tests run in a VS Code terminal). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(VSCODE_|ELECTRON_)|^(PORT|PASSWORD|HASHED_PASSWORD)$/.test(key)),
  );
}

async function waitForHttp(url: string, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = exited();
    if (exit) throw new Error(`code-server exited before answering (${exit})`);
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // Not listening yet, or not answering yet.
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function listLogs(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.log'))
    .map((name) => path.join(dir, name))
    .sort();
}

function tail(file: string, lines: number): string {
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'similar-sentences-e2e-'));
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = options.extensionsDir ?? path.join(root, 'extensions');
  const logsDir = path.join(userDataDir, 'logs');
  const outputLog = path.join(root, 'code-server.log');
  // Its own config file, so code-server neither reads nor writes ~/.config/code-server/config.yaml.
  const configFile = path.join(root, 'config.yaml');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(configFile, 'auth: none\n');
  const trustSettings = options.workspaceTrust ? {} : { 'security.workspace.trust.enabled': false };
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...defaultUserSettings, ...trustSettings, ...options.userSettings }, null, 2),
  );

  const dirArgs = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  for (const vsix of typeof options.vsix === 'string' ? [options.vsix] : (options.vsix ?? [])) {
    try {
      await run(codeServerBin, [...dirArgs, '--install-extension', vsix, '--force'], { env: cleanEnv() });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      throw new Error(`installing ${vsix} failed:\n${stdout ?? ''}${stderr ?? ''}`, { cause: error });
    }
  }

  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const output = fs.openSync(outputLog, 'a');
  const child = spawn(
    codeServerBin,
    [
      ...dirArgs,
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
      options.workspace,
    ],
    // Same process group as the tests: a Ctrl+C or a CI job's kill reaches code-server too.
    { stdio: ['ignore', output, output], env: { ...cleanEnv(), ...options.env } },
  );
  fs.closeSync(output);
  let exitStatus: string | undefined;
  child.once('exit', (code, sig) => (exitStatus = `code ${code}, signal ${sig}`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A test process that ends without stop() (a timeout, an uncaught error) must not leave code-server running.
  const killOnExit = (): void => {
    if (child.pid !== undefined && exitStatus === undefined) killProcessTreeNow(child.pid);
    fs.rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  const logReport = (tailLines = 30): string => {
    const files = [outputLog, ...listLogs(logsDir)];
    const important = files.filter((file) => /code-server\.log$|remoteexthost\.log$|remoteagent\.log$/.test(file));
    return [
      'code-server logs:',
      ...files.map((file) => `  ${file}`),
      ...important.map((file) => `--- last ${tailLines} lines of ${file}\n${tail(file, tailLines)}`),
    ].join('\n');
  };
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.pid !== undefined && exitStatus === undefined) {
      await killProcessTree(child.pid);
      await exited;
    }
    fs.rmSync(root, { recursive: true, force: true });
  };

  try {
    await waitForHttp(url, options.startTimeoutMs ?? 60_000, () => exitStatus);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${logReport()}`, { cause: error });
  }
  return { url, workspace: options.workspace, userDataDir, extensionsDir, logsDir, outputLog, logReport, stop };
}
