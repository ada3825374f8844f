// The model host process: a vscode-jsonrpc connection over Node IPC and its handlers. The main thread only does
// IPC, file walking and index bookkeeping; inference runs in worker threads (see embedder.ts).
import {
  CancellationToken,
  createMessageConnection,
  IPCMessageReader,
  IPCMessageWriter,
  ResponseError,
} from 'vscode-jsonrpc/node';
import {
  ClearIndex,
  Embed,
  ErrorCodes,
  Explain,
  FindDuplicates,
  HostExitCodes,
  IndexFolders,
  Initialize,
  InitializeParams,
  Log,
  Ping,
  Progress,
  Search,
  Status,
  UpdateFiles,
} from '../protocol';
import { CrashJournal } from './crashJournal';
import { Embedder, poolLayout } from './embedder';
import { Engine, isCancellation } from './engine';

const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
let engine: Engine | undefined;
let loading: Promise<Engine> | undefined;
/** Opened once per process: what earlier hosts of the same client were embedding when they crashed. */
let journal: CrashJournal | undefined;

// No orphans: when the parent goes away (closed window, killed CLI), so does the host.
process.on('disconnect', () => process.exit(0));

const log = (level: 'info' | 'warn' | 'error', message: string) => void connection.sendNotification(Log, { level, message });

connection.onRequest(Initialize, async (params: InitializeParams) => {
  const previous = engine;
  engine = undefined;
  loading = load(params);
  await previous?.dispose();
  engine = await loading;
  return engine.embedder.info;
});

async function load(params: InitializeParams): Promise<Engine> {
  let embedder: Embedder;
  try {
    embedder = await Embedder.load(params.model, params.threads);
  } catch (error) {
    throw new ResponseError(ErrorCodes.ModelInvalid, `Could not load the model in ${params.model.dir}: ${messageOf(error)}`);
  }
  embedder.onBroken = (reason) => {
    log('error', `${reason}; restarting the model host`);
    process.exit(HostExitCodes.InferenceWorkerDied);
  };
  const { workers, intraOpThreads } = poolLayout(params.threads);
  log('info', `model ${params.model.id} (${params.model.dtype}) loaded: dim ${embedder.info.dim}, max ${embedder.info.maxLength} tokens, ${embedder.info.pooling} pooling, ${workers} worker(s) × ${intraOpThreads} thread(s)`);
  if (params.crashJournal) {
    const current = (journal ??= CrashJournal.open(params.crashJournal, (message) => log('warn', message)));
    embedder.onInFlight = (texts) => current.record(texts);
    // Before any other work, so a suspect that crashes again is known to have done it alone.
    if (current.suspects.size) log('warn', `embedding ${current.suspects.size} text(s) in flight during a crash one by one`);
    await current.clearSuspects((texts) => embedder.embed(texts));
  }
  return new Engine(
    embedder,
    params.indexDir,
    { log, progress: (p) => void connection.sendNotification(Progress, p) },
    { poison: journal?.poison, saveIntervalMs: params.saveIntervalMs },
  );
}

async function ready(): Promise<Engine> {
  if (engine) return engine;
  if (loading) return loading;
  throw new ResponseError(ErrorCodes.ModelNotLoaded, 'No model is loaded: send initialize first.');
}

/** Runs a handler with the engine, mapping cancellation and failures to typed errors. */
function handle<P, R>(run: (engine: Engine, params: P, token: CancellationToken) => Promise<R>) {
  return async (params: P, token: CancellationToken): Promise<R> => {
    const current = await ready();
    try {
      return await run(current, params, token);
    } catch (error) {
      if (error instanceof ResponseError) throw error;
      if (isCancellation(error)) throw new ResponseError(ErrorCodes.Cancelled, 'cancelled');
      log('error', messageOf(error));
      throw new ResponseError(-32603, messageOf(error));
    }
  };
}

connection.onRequest(Embed, handle((e, params, token) => e.embed(params, token)));
connection.onRequest(IndexFolders, handle((e, params, token) => e.indexFolders(params, token)));
connection.onRequest(UpdateFiles, handle((e, params, token) => e.updateFiles(params, token)));
connection.onRequest(Search, handle((e, params, token) => e.search(params, token)));
connection.onRequest(Explain, handle((e, params, token) => e.explain(params, token)));
connection.onRequest(FindDuplicates, handle((e, params, token) => e.findDuplicates(params, token)));
connection.onRequest(ClearIndex, handle((e, params) => e.clear(params.roots)));
connection.onRequest(Status, () => ({
  ...(engine?.status() ?? { state: loading ? 'loading' : 'starting', files: 0, units: 0 }),
  pid: process.pid,
  rssBytes: process.memoryUsage.rss(),
}));
connection.onRequest(Ping, () => Date.now());

connection.listen();

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
