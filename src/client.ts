// Starts and supervises the model host process. Used by the CLI and the extension alike.
// The host runs native inference code: if it crashes or hangs, pending requests fail with a typed
// error, the host is restarted with backoff (a bounded number of times), and no caller ever hangs.
// Indexing requests interrupted by a native crash are sent again once the host is back: the new host isolates
// the input that crashed it (host/crashJournal.ts) and resumes from what the index has stored.
import { ChildProcess, execFile, fork } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CancellationToken,
  createMessageConnection,
  IPCMessageReader,
  IPCMessageWriter,
  MessageConnection,
  RequestType,
  RequestType0,
  ResponseError,
} from 'vscode-jsonrpc/node';
import {
  ErrorCodes,
  HostExitCodes,
  IndexFolders,
  InitializeParams,
  Initialize,
  Log,
  LogParams,
  ModelInfo,
  Ping,
  Progress,
  ProgressParams,
  UpdateFiles,
} from './protocol';

export type ClientState = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';

export interface HostClientOptions {
  /** Path of the bundled host entry point (dist/host.js). */
  hostScript: string;
  /** Crashes tolerated inside restartWindowMs before giving up. */
  maxRestarts?: number;
  restartWindowMs?: number;
  heartbeatIntervalMs?: number;
  /** A ping unanswered for this long means the host hangs: it is killed and restarted. */
  heartbeatTimeoutMs?: number;
  onLog?: (params: LogParams) => void;
  onProgress?: (params: ProgressParams) => void;
  onStateChange?: (state: ClientState, detail?: string) => void;
}

const defaults = {
  maxRestarts: 5,
  restartWindowMs: 3 * 60_000,
  heartbeatIntervalMs: 5_000,
  heartbeatTimeoutMs: 30_000,
};

/** Signals of a crash inside the host itself (native code), as opposed to a kill from outside. */
const NATIVE_CRASH_SIGNALS: ReadonlySet<string> = new Set(['SIGSEGV', 'SIGABRT', 'SIGBUS', 'SIGILL', 'SIGFPE']);
/** Requests that can simply be sent again after a crash: they resume from what the index has stored. */
const RESUMABLE: ReadonlySet<string> = new Set([IndexFolders.method, UpdateFiles.method]);
const MB = 1024 * 1024;

interface Running {
  child: ChildProcess;
  connection: MessageConnection;
  /** Rejects every request in flight when the process goes away. */
  pending: Set<(error: ResponseError<void>) => void>;
  /** Set when this client killed the host on purpose: the error its pending requests fail with. */
  killed?: { code: number; reason: string };
}

export class HostClient {
  private readonly options: HostClientOptions & typeof defaults;
  private state: ClientState = 'stopped';
  private running?: Running;
  private ready?: Promise<ModelInfo>;
  private init?: InitializeParams;
  private crashTimes: number[] = [];
  private heartbeat?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;
  /** Ends a restart backoff early (on stop), so nothing waits on a restart that will not happen. */
  private wakeRestart?: () => void;
  private lastExit = '';
  /** Whether the last exit was a crash in the host's own (native) code, the kind a poison input causes. */
  private lastExitWasNativeCrash = false;
  /** A private folder for the host's crash journal (host/crashJournal.ts): kept across restarts, removed by stop(). */
  private journalDir?: string;

  constructor(options: HostClientOptions) {
    this.options = { ...defaults, ...options };
  }

  get currentState(): ClientState {
    return this.state;
  }

  get pid(): number | undefined {
    return this.running?.child.pid;
  }

  /** Starts the host (or re-initialises a running one) with this model. */
  start(init: InitializeParams): Promise<ModelInfo> {
    this.init = init;
    this.crashTimes = [];
    if (this.running && this.state === 'running') {
      this.ready = this.initialize(this.running, init);
    } else {
      this.ready = this.launch();
    }
    return this.ready;
  }

  async request<P, R>(type: RequestType<P, R, void>, params: P, token?: CancellationToken): Promise<R>;
  async request<R>(type: RequestType0<R, void>, token?: CancellationToken): Promise<R>;
  async request(type: RequestType<unknown, unknown, void> | RequestType0<unknown, void>, ...args: unknown[]): Promise<unknown> {
    const token = args.find((arg) => CancellationToken.is(arg));
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(type, args);
      } catch (error) {
        const resend =
          RESUMABLE.has(type.method) &&
          (error as ResponseError<void>)?.code === ErrorCodes.HostCrashed &&
          this.lastExitWasNativeCrash &&
          (this.state === 'restarting' || this.state === 'running') &&
          !token?.isCancellationRequested &&
          attempt <= this.options.maxRestarts;
        if (!resend) throw error;
        this.options.onLog?.({ level: 'warn', message: `${type.method} was interrupted by a crash of the model host (${this.lastExit}); sending it again` });
      }
    }
  }

  private async send(type: RequestType<unknown, unknown, void> | RequestType0<unknown, void>, args: unknown[]): Promise<unknown> {
    if (!this.ready) throw new ResponseError(ErrorCodes.ModelNotLoaded, 'The model host has not been started.');
    await this.ready;
    const running = this.running;
    if (!running) throw this.unavailableError();
    return whileRunning(running, () => (running.connection.sendRequest as (t: unknown, ...a: unknown[]) => Promise<unknown>)(type, ...args));
  }

  async stop(): Promise<void> {
    this.setState('stopped');
    this.ready = undefined;
    clearTimeout(this.restartTimer);
    this.wakeRestart?.();
    const running = this.running;
    this.running = undefined;
    this.stopHeartbeat();
    if (running) {
      running.connection.dispose();
      await new Promise<void>((resolve) => {
        if (running.child.exitCode !== null || running.child.signalCode !== null) return resolve();
        running.child.once('exit', () => resolve());
        running.child.kill('SIGTERM');
        // A host stuck in native code ignores SIGTERM handlers; do not wait on it forever.
        setTimeout(() => running.child.kill('SIGKILL'), 2_000).unref();
      });
    }
    if (this.journalDir) await rm(this.journalDir, { recursive: true, force: true });
    this.journalDir = undefined;
  }

  private async launch(): Promise<ModelInfo> {
    if (this.state === 'stopped' && this.crashTimes.length) {
      throw new ResponseError(ErrorCodes.HostCrashed, 'The model host was stopped.');
    }
    // A relaunch keeps saying why the host stopped: the views show it until the new host is up.
    if (this.crashTimes.length) this.setState('restarting', this.lastExit);
    else this.setState('starting');
    const running = this.spawn();
    this.running = running;
    const info = await this.initialize(running, this.init!);
    this.setState('running');
    this.startHeartbeat();
    return info;
  }

  private initialize(running: Running, init: InitializeParams): Promise<ModelInfo> {
    this.journalDir ??= mkdtempSync(join(tmpdir(), 'similar-sentences-host-'));
    const params: InitializeParams = { crashJournal: join(this.journalDir, 'in-flight.json'), ...init };
    return whileRunning(running, () => running.connection.sendRequest(Initialize, params));
  }

  private spawn(): Running {
    // Inside VS Code, process.execPath is Electron: ELECTRON_RUN_AS_NODE makes the child a plain Node process.
    const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
    const child = fork(this.options.hostScript, [], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
    const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    const running: Running = { child, connection, pending: new Set() };
    connection.onNotification(Log, (params) => this.options.onLog?.(params));
    connection.onNotification(Progress, (params) => this.options.onProgress?.(params));
    const forward = (level: LogParams['level']) => (chunk: Buffer) =>
      this.options.onLog?.({ level, message: `[host] ${chunk.toString().trimEnd()}` });
    child.stdout?.on('data', forward('info'));
    child.stderr?.on('data', forward('warn'));
    child.on('error', (error) => this.options.onLog?.({ level: 'error', message: `model host: ${error.message}` }));
    child.once('exit', (code, signal) => this.onExit(running, code, signal));
    connection.listen();
    return running;
  }

  private onExit(running: Running, code: number | null, signal: NodeJS.Signals | null): void {
    running.connection.dispose();
    const { killed } = running;
    this.lastExit = killed ? `killed: ${killed.reason}` : signal ? `signal ${signal}` : `exit code ${code}`;
    this.lastExitWasNativeCrash = !killed && (NATIVE_CRASH_SIGNALS.has(signal ?? '') || code === HostExitCodes.InferenceWorkerDied);
    const error = killed
      ? new ResponseError<void>(killed.code, `The model host was stopped: ${killed.reason}. Pending work was cancelled.`)
      : new ResponseError<void>(
          ErrorCodes.HostCrashed,
          `The model host stopped unexpectedly (${this.lastExit}). Pending work was cancelled; see the log for details.`,
        );
    for (const fail of running.pending) fail(error);
    running.pending.clear();
    if (this.running !== running || this.state === 'stopped') return;
    this.running = undefined;
    this.stopHeartbeat();
    this.options.onLog?.({ level: 'error', message: `model host exited (${this.lastExit})` });

    const now = Date.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < this.options.restartWindowMs), now];
    if (this.crashTimes.length > this.options.maxRestarts) {
      this.ready = Promise.reject(this.unavailableError());
      this.ready.catch(() => undefined);
      this.setState('failed', this.lastExit);
      return;
    }
    const backoff = Math.min(250 * 2 ** (this.crashTimes.length - 1), 10_000);
    this.setState('restarting', this.lastExit);
    this.ready = new Promise<void>((resolve) => {
      this.wakeRestart = resolve;
      this.restartTimer = setTimeout(resolve, backoff);
    }).then(() => this.launch());
    // A failed restart surfaces through the next request; nothing else awaits this promise.
    this.ready.catch((e) => this.options.onLog?.({ level: 'error', message: `model host restart failed: ${String(e?.message ?? e)}` }));
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      const running = this.running;
      if (!running) return;
      void this.enforceMemoryLimit(running);
      const timer = setTimeout(() => {
        this.options.onLog?.({ level: 'error', message: `model host did not answer for ${this.options.heartbeatTimeoutMs} ms; killing it` });
        running.child.kill('SIGKILL');
      }, this.options.heartbeatTimeoutMs);
      running.connection.sendRequest(Ping).then(
        () => clearTimeout(timer),
        () => clearTimeout(timer),
      );
    }, this.options.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  /** Kills the host above InitializeParams.maxMemoryMB, before the machine starts swapping. */
  private async enforceMemoryLimit(running: Running): Promise<void> {
    const limitMB = this.init?.maxMemoryMB;
    const pid = running.child.pid;
    if (!limitMB || pid === undefined) return;
    const bytes = await residentBytes(pid);
    if (bytes === undefined || bytes <= limitMB * MB || this.running !== running || running.killed) return;
    const reason = `it used ${Math.round(bytes / MB)} MB of memory, above the limit of ${limitMB} MB`;
    this.options.onLog?.({ level: 'error', message: `model host: ${reason}; killing it` });
    running.killed = { code: ErrorCodes.HostMemoryLimit, reason };
    running.child.kill('SIGKILL');
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private unavailableError(): ResponseError<void> {
    return new ResponseError(
      ErrorCodes.HostCrashed,
      `The model host crashed ${this.crashTimes.length} times in ${Math.round(this.options.restartWindowMs / 60_000)} minutes (last: ${this.lastExit}) and was not restarted again.`,
    );
  }

  private setState(state: ClientState, detail?: string): void {
    this.state = state;
    this.options.onStateChange?.(state, detail);
  }
}

/**
 * The resident memory of a process as the OS sees it, native allocations included: /proc on Linux, ps on macOS and
 * the BSDs. Undefined when unknown (the process is gone, or Windows: the limit is not enforced there).
 */
async function residentBytes(pid: number): Promise<number | undefined> {
  if (process.platform === 'linux') {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const kB = /^VmRSS:\s*(\d+) kB/m.exec(status)?.[1];
    return kB === undefined ? undefined : Number(kB) * 1024;
  }
  if (process.platform === 'win32') return undefined;
  const { stdout } = await promisify(execFile)('ps', ['-o', 'rss=', '-p', String(pid)]).catch(() => ({ stdout: '' }));
  const kB = Number.parseInt(stdout.trim(), 10);
  return Number.isNaN(kB) ? undefined : kB * 1024;
}

/** Sends a request that also fails, with the crash error, if the host process goes away before it is answered. */
function whileRunning<T>(running: Running, send: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = (error: ResponseError<void>) => reject(error);
    running.pending.add(fail);
    send().then(resolve, reject).finally(() => running.pending.delete(fail));
  });
}
