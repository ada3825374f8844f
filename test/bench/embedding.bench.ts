// Embedding throughput: the full pipeline (walk, read, segment, tokenize, infer, pool, store) against bare
// onnxruntime-node session.run on the same token batches, session options and threads, measured in one run.
// Then the index life cycle on a larger workspace: cold build, warm re-open, one-line edit.
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AutoTokenizer } from '@huggingface/transformers';
import { HostClient } from '../../src/client';
import { splitUnits, defaultUnitMode } from '../../src/core/units';
import { DEFAULT_WALK } from '../../src/core/walk';
import { encodeBatch, specialTokensOf } from '../../src/host/batchEncoding';
import { lengthSortedBatches, poolLayout } from '../../src/host/embedder';
import { readEmbeddingConfig } from '../../src/host/modelConfig';
import { Dtype, IndexFolders, Search, Status, UpdateFiles } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { generateSyntheticWorkspace } from '../fixtures/syntheticWorkspace';
import type { RawBatch, RawWorkerData } from './rawOrtWorker';

const HOST = join(__dirname, '..', '..', '..', 'dist', 'host.js');
const THROUGHPUT_LINES = Number(process.env.BENCH_THROUGHPUT_LINES ?? 10_000);
const BUILD_LINES = Number(process.env.BENCH_BUILD_LINES ?? 100_000);

export async function runEmbeddingBench(print: (line: string) => void): Promise<void> {
  const modelDir = await ensureTestModel('minilm');
  const work = mkdtempSync(join(tmpdir(), 'ss-bench-embed-'));
  try {
    const sample = generateSyntheticWorkspace(join(work, 'sample'), { lines: THROUGHPUT_LINES, seed: 11 });
    const texts = distinctUnitTexts(sample.root, sample.files);
    print(`workspace sample: ${sample.files.length} files, ${sample.lines} lines, ${texts.length} distinct units`);
    for (const dtype of ['q8', 'fp32'] as Dtype[]) {
      const layout = poolLayout(2);
      const batches = await tokenizedBatches(modelDir, texts);
      const raw = await rawThroughput(modelFile(modelDir, dtype), batches, layout.workers, layout.intraOpThreads);
      const rawOneSession = await rawThroughput(modelFile(modelDir, dtype), batches, 1, 2);
      const pipeline = await indexOnce(modelDir, dtype, sample.root, join(work, `index-${dtype}`));
      const pipelinePerSec = pipeline.embedded / (pipeline.ms / 1000);
      print(`[${dtype}] raw onnxruntime ${layout.workers} sessions × ${layout.intraOpThreads} thread: ${fmt(texts.length / (raw / 1000))} lines/s`);
      print(`[${dtype}] raw onnxruntime 1 session × 2 threads:  ${fmt(texts.length / (rawOneSession / 1000))} lines/s`);
      print(`[${dtype}] full pipeline (host, index):           ${fmt(pipelinePerSec)} lines/s (${pipeline.embedded} embedded in ${fmt(pipeline.ms)} ms)`);
      print(`[${dtype}] ratio pipeline / best raw:              ${(pipelinePerSec / (texts.length / (Math.min(raw, rawOneSession) / 1000))).toFixed(3)}`);
    }

    const big = generateSyntheticWorkspace(join(work, 'big'), { lines: BUILD_LINES, seed: 12 });
    print(`workspace: ${big.files.length} files, ${big.lines} lines`);
    await indexLifecycle(modelDir, 'q8', big.root, big.files, join(work, 'index-big'), print);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function distinctUnitTexts(root: string, files: string[]): string[] {
  const texts = new Set<string>();
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const unit of splitUnits(text, { mode: defaultUnitMode(file) })) texts.add(unit.text);
  }
  return [...texts];
}

async function tokenizedBatches(modelDir: string, texts: string[]): Promise<RawBatch[]> {
  const { maxLength } = await readEmbeddingConfig(modelDir);
  const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
  const special = specialTokensOf(tokenizer);
  return lengthSortedBatches(texts).map((indices) => encodeBatch(tokenizer, special, indices.map((i) => texts[i]), maxLength));
}

/** Wall time (ms) for `workers` sessions to run all batches, dealt round-robin. */
async function rawThroughput(modelPath: string, batches: RawBatch[], workers: number, intraOpThreads: number): Promise<number> {
  const script = join(__dirname, 'rawOrtWorker.js');
  const shares = Array.from({ length: workers }, (_, w) => batches.filter((_, i) => i % workers === w));
  const pool = shares.map((share) => new Worker(script, { workerData: { modelPath, intraOpThreads, batches: share } satisfies RawWorkerData }));
  const next = (w: Worker) => new Promise<any>((resolve, reject) => {
    w.once('message', (m) => (m.type === 'error' ? reject(new Error(m.message)) : resolve(m)));
    w.once('error', reject);
  });
  await Promise.all(pool.map(next)); // all sessions loaded
  const started = performance.now();
  const done = pool.map(next);
  for (const w of pool) w.postMessage('go');
  await Promise.all(done);
  const ms = performance.now() - started;
  await Promise.all(pool.map((w) => w.terminate()));
  return ms;
}

async function indexOnce(modelDir: string, dtype: Dtype, root: string, indexDir: string) {
  const client = await startHost(modelDir, dtype, indexDir);
  try {
    const started = performance.now();
    const summary = await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    return { ms: performance.now() - started, embedded: summary.embedded };
  } finally {
    await client.stop();
  }
}

async function indexLifecycle(modelDir: string, dtype: Dtype, root: string, files: string[], indexDir: string, print: (line: string) => void) {
  const cold = await indexOnce(modelDir, dtype, root, indexDir);
  print(`[${dtype}] cold build: ${fmt(cold.ms / 1000, 1)} s, ${cold.embedded} texts embedded (${fmt(cold.embedded / (cold.ms / 1000))} lines/s)`);
  // A restart on an already indexed workspace, as the extension's first query does it: start the host (model
  // load), re-open the index (load + walk, nothing to embed), search.
  const bare = await bareNodeRssMB();
  let started = performance.now();
  const client = await startHost(modelDir, dtype, indexDir);
  try {
    const hostStartMs = performance.now() - started;
    let mark = performance.now();
    const warm = await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
    const reopenMs = performance.now() - mark;
    mark = performance.now();
    await client.request(Search, { query: 'open the configuration file and read the settings', topK: 10 });
    const searchMs = performance.now() - mark;
    print(`[${dtype}] warm restart: host start ${fmt(hostStartMs)} ms, index re-open (load + walk) ${fmt(reopenMs)} ms with ${warm.embedded} texts re-embedded of ${warm.units} units, first search ${fmt(searchMs)} ms; first result ${fmt(performance.now() - started)} ms after the query`);
    const status = await client.request(Status);
    print(`[${dtype}] host resident memory with ${warm.units} units: ${fmt(status.rssBytes / 1048576)} MB (bare Node: ${fmt(bare)} MB, +${fmt(status.rssBytes / 1048576 - bare)} MB)`);

    const file = files.find((f) => f.endsWith('.ts'))!;
    appendFileSync(join(root, file), 'const benchmarkEditMarker = computeSomethingNew(42);\n');
    started = performance.now();
    const edit = await client.request(UpdateFiles, { changes: [{ root, relPath: file, reread: true }] });
    print(`[${dtype}] one-line edit re-indexed: ${fmt(performance.now() - started)} ms end to end, ${edit.embedded} text embedded`);
  } finally {
    await client.stop();
  }
}

/** Resident memory of a Node process that does nothing, the baseline for the host's figure. */
function bareNodeRssMB(): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', 'setTimeout(() => console.log(process.memoryUsage.rss()), 200)'], (error, stdout) =>
      error ? reject(error) : resolve(Number(stdout) / 1048576),
    );
  });
}

async function startHost(modelDir: string, dtype: Dtype, indexDir: string): Promise<HostClient> {
  const client = new HostClient({ hostScript: HOST });
  await client.start({ model: { dir: modelDir, id: 'generated/minilm-shaped', dtype }, threads: 2, indexDir });
  return client;
}

function modelFile(dir: string, dtype: Dtype): string {
  return join(dir, 'onnx', dtype === 'q8' ? 'model_quantized.onnx' : 'model.onnx');
}

function fmt(n: number, digits = 0): string {
  return n.toFixed(digits).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
