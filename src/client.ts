// Starts and supervises the model host process. Used by the CLI and the extension alike.
// The host runs native inference code: if it crashes or hangs, pending requests fail with a typed
// error, the host is restarted with backoff (a bounded number of times), and no caller ever hangs.
import { ChildProcess, fork } from 'node:child_process';
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
import { ErrorCodes, InitializeParams, Initialize, Log, LogParams, ModelInfo, Ping, Progress, ProgressParams } from './protocol';

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

interface Running {
  child: ChildProcess;
  connection: MessageConnection;
  /** Rejects every request in flight when the process goes away. */
  pending: Set<(error: ResponseError<void>) => void>;
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
    if (!this.ready) throw new ResponseError(ErrorCodes.ModelNotLoaded, 'The model host has not been started.');
    await this.ready;
    const running = this.running;
    if (!running) throw this.unavailableError();
    return new Promise((resolve, reject) => {
      const fail = (error: ResponseError<void>) => reject(error);
      running.pending.add(fail);
      (running.connection.sendRequest as (t: unknown, ...a: unknown[]) => Promise<unknown>)(type, ...args).then(
        (value) => {
          running.pending.delete(fail);
          resolve(value);
        },
        (error) => {
          running.pending.delete(fail);
          reject(error);
        },
      );
    });
  }

  async stop(): Promise<void> {
    this.setState('stopped');
    this.ready = undefined;
    clearTimeout(this.restartTimer);
    this.wakeRestart?.();
    const running = this.running;
    this.running = undefined;
    this.stopHeartbeat();
    if (!running) return;
    running.connection.dispose();
    await new Promise<void>((resolve) => {
      if (running.child.exitCode !== null || running.child.signalCode !== null) return resolve();
      running.child.once('exit', () => resolve());
      running.child.kill('SIGTERM');
      // A host stuck in native code ignores SIGTERM handlers; do not wait on it forever.
      setTimeout(() => running.child.kill('SIGKILL'), 2_000).unref();
    });
  }

  private async launch(): Promise<ModelInfo> {
    if (this.state === 'stopped' && this.crashTimes.length) {
      throw new ResponseError(ErrorCodes.HostCrashed, 'The model host was stopped.');
    }
    this.setState(this.crashTimes.length ? 'restarting' : 'starting');
    const running = this.spawn();
    this.running = running;
    const info = await this.initialize(running, this.init!);
    this.setState('running');
    this.startHeartbeat();
    return info;
  }

  private initialize(running: Running, init: InitializeParams): Promise<ModelInfo> {
    return new Promise((resolve, reject) => {
      const fail = (error: ResponseError<void>) => reject(error);
      running.pending.add(fail);
      running.connection.sendRequest(Initialize, init).then(
        (info) => {
          running.pending.delete(fail);
          resolve(info);
        },
        (error) => {
          running.pending.delete(fail);
          reject(error);
        },
      );
    });
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
    this.lastExit = signal ? `signal ${signal}` : `exit code ${code}`;
    const error = new ResponseError<void>(
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
