// The command-line front end: the same model host and index as the extension, driven from a terminal.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { HostClient } from './client';
import { describeSaveFailure } from './core/index/saveFailure';
import { cosineMatrix } from './core/similarity';
import { DEFAULT_ENDPOINT, DEFAULT_MODEL, DTYPES, isDtype, isEndpointUrl, prepareModel } from './core/model';
import { DEFAULT_MAX_FILES, DEFAULT_WALK } from './core/walk';
import { Embed, Explain, FindDuplicates, IndexFolders, IndexSummary, Search, type Contribution, type DuplicateCluster, type SearchHit } from './protocol';

/** Cosine from which two units count as near-duplicates by default: paraphrases and small edits, not mere topics. */
const DEFAULT_DUPLICATE_THRESHOLD = 0.9;
/** Words shown per result by search --explain. */
const EXPLAINED_WORDS = 5;

const USAGE = `Usage:
  similar-sentences search <folder> --query <text> [--model <hub-id|folder>] [--dtype fp32|q8|fp16] [--top-k <n>] [--explain] [--json]
  similar-sentences index <folder> [--model ...] [--dtype ...] [--json]
  similar-sentences similarity <sentence> <sentence>... [--model ...] [--dtype ...] [--json]
  similar-sentences duplicates <folder> [--threshold <cosine, default ${DEFAULT_DUPLICATE_THRESHOLD}>] [--model ...] [--dtype ...] [--json]
Common options: --cache-dir <dir> (models and indexes; default ~/.cache/similar-sentences), --no-cache (index in memory),
  --threads <n>, --max-length <tokens>, --revision <commit>, --min-score <s>,
  --endpoint <url> (where a Hub model is downloaded from; default ${DEFAULT_ENDPOINT}),
  --max-files <n> (files indexed at most in the folder; default ${DEFAULT_MAX_FILES})`;

const options = {
  query: { type: 'string', short: 'q' },
  model: { type: 'string', short: 'm' },
  revision: { type: 'string' },
  endpoint: { type: 'string' },
  dtype: { type: 'string', default: 'fp32' },
  'top-k': { type: 'string', short: 'k', default: '10' },
  'min-score': { type: 'string' },
  threshold: { type: 'string' },
  explain: { type: 'boolean', default: false },
  'max-length': { type: 'string' },
  threads: { type: 'string' },
  'cache-dir': { type: 'string' },
  'max-files': { type: 'string' },
  'no-cache': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const cacheDir = resolve(values['cache-dir'] ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'similar-sentences'));
  const maxFiles = positiveInt(values['max-files'], 'max-files') ?? DEFAULT_MAX_FILES;
  if (maxFiles === 0) throw new UsageError('--max-files must be at least 1, not 0');
  const model = await resolveModelOption(values, cacheDir);
  const client = new HostClient({
    hostScript: join(__dirname, 'host.js'),
    onLog: ({ level, message }) => {
      if (level !== 'info') process.stderr.write(`${level}: ${message}\n`);
    },
  });
  try {
    const info = await client.start({
      model,
      threads: positiveInt(values.threads, 'threads') ?? 0,
      indexDir: values['no-cache'] ? undefined : join(cacheDir, 'indexes'),
    });
    if (command === 'similarity') {
      if (rest.length < 2) throw new UsageError('similarity needs at least two sentences');
      const { vectors } = await client.request(Embed, { texts: rest });
      const matrix = cosineMatrix(vectors.map((v) => Float32Array.from(v)));
      print(values.json, { model: info.id, sentences: rest, matrix }, () => formatMatrix(rest, matrix));
      return;
    }
    if (!['search', 'index', 'duplicates'].includes(command)) throw new UsageError(`unknown command: ${command}`);
    if (rest.length !== 1) throw new UsageError(`${command} needs exactly one folder`);
    const threshold = values.threshold === undefined ? DEFAULT_DUPLICATE_THRESHOLD : Number(values.threshold);
    if (command === 'duplicates' && !(threshold > 0 && threshold <= 1)) throw new UsageError(`--threshold must be a cosine in (0, 1], not ${values.threshold}`);
    if (command === 'search' && !values.query) throw new UsageError('search needs --query <text>');
    const root = resolve(rest[0]);
    const summary = await client.request(IndexFolders, { folders: [{ root, walk: { ...DEFAULT_WALK, maxFiles } }] });
    if (summary.skipped.some((file) => file.reason === 'max-files')) {
      process.stderr.write(`warn: ${root} has more than ${maxFiles} files: only the first ${maxFiles} were indexed. Raise the limit with --max-files <n>.\n`);
    }
    if (summary.saveError) {
      // A full disk: results are still right (the index works in memory); only `index`, whose product is the stored
      // index, fails.
      process.stderr.write(`warn: ${describeSaveFailure(summary.saveError)}\n`);
      if (command === 'index') process.exitCode = 1;
    }
    if (command === 'index') {
      print(values.json, { model: info.id, maxFiles, ...summary }, () => formatSummary(summary));
      return;
    }
    if (command === 'duplicates') {
      const { clusters } = await client.request(FindDuplicates, { threshold });
      const out = clusters.map((cluster) => ({ members: cluster.members.map(location) }));
      print(values.json, { model: info.id, threshold, clusters: out }, () => formatClusters(clusters));
      return;
    }
    const query = values.query!;
    const topK = positiveInt(values['top-k'], 'top-k') ?? 10;
    const minScore = values['min-score'] === undefined ? undefined : Number(values['min-score']);
    const result = await client.request(Search, { query, topK, minScore });
    const results: Array<ReturnType<typeof location> & { words?: Contribution[] }> = [];
    for (const hit of result.hits) {
      const explained = values.explain ? await client.request(Explain, { query, text: hit.text }) : undefined;
      results.push({ ...location(hit), ...(explained && { words: explained.words }) });
    }
    print(values.json, { model: info.id, query, results }, () =>
      results
        .map((r, i) => `${String(i + 1).padStart(3)}  ${r.score.toFixed(4)}  ${r.file}:${r.line}  ${r.text}${r.words ? `\n${formatWhy(r.words)}` : ''}`)
        .join('\n'),
    );
  } finally {
    await client.stop();
  }
}

/** Resolves --model to a local folder, downloading it first when it is a Hub id not yet cached. */
async function resolveModelOption(values: Values, cacheDir: string) {
  const dtype = values.dtype;
  if (!isDtype(dtype)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}, not ${dtype}`);
  const endpoint = values.endpoint?.replace(/\/+$/, '');
  if (endpoint !== undefined && !isEndpointUrl(endpoint)) throw new UsageError(`--endpoint must be an http(s) URL without credentials, not ${values.endpoint}`);
  const cacheRoot = join(cacheDir, 'models');
  const spec = await prepareModel({ model: values.model ?? DEFAULT_MODEL.id, revision: values.revision, dtype }, {
    cacheRoot,
    endpoint,
    onDownloadStart: (m) => process.stderr.write(`Downloading ${m.id}@${m.revision} (${dtype}) into ${m.dir}…\n`),
  });
  return { ...spec, maxLength: positiveInt(values['max-length'], 'max-length') };
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, not ${value}`);
  return n;
}

function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(`${json ? JSON.stringify(value) : human()}\n`);
}

function formatMatrix(sentences: string[], matrix: number[][]): string {
  const header = `      ${sentences.map((_, j) => String(j).padStart(7)).join('')}`;
  const rows = matrix.map((row, i) => `${String(i).padStart(4)}  ${row.map((v) => v.toFixed(4).padStart(7)).join('')}  ${sentences[i]}`);
  return [header, ...rows].join('\n');
}

function location(hit: SearchHit) {
  return { file: hit.relPath, line: hit.line, endLine: hit.endLine, text: hit.text, score: hit.score };
}

function formatClusters(clusters: DuplicateCluster[]): string {
  if (clusters.length === 0) return 'No near-duplicates found.';
  return clusters
    .map((cluster, i) => {
      const header = `Cluster ${i + 1}: ${cluster.members.length} units, ${cluster.distinctTexts} distinct text${cluster.distinctTexts === 1 ? '' : 's'}`;
      const members = cluster.members.map((m) => `  ${m.score.toFixed(4)}  ${m.relPath}:${m.line}  ${m.text}`);
      return [header, ...members].join('\n');
    })
    .join('\n\n');
}

/** The words that added most to a result's score, as "why: word +0.123, …". */
function formatWhy(words: Contribution[]): string {
  const top = [...words].sort((a, b) => b.contribution - a.contribution).slice(0, EXPLAINED_WORDS);
  return `       why: ${top.map((w) => `${w.text} ${w.contribution >= 0 ? '+' : ''}${w.contribution.toFixed(3)}`).join(', ')}`;
}

function formatSummary(s: IndexSummary): string {
  return [
    `${s.files} files, ${s.units} units indexed in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `${s.embedded} texts embedded, ${s.reused} reused from the index, ${s.truncated} truncated at the model's limit`,
    `${s.skippedCount} files skipped${s.skipped.length ? `: ${s.skipped.slice(0, 5).map((k) => `${k.relPath} (${k.reason})`).join(', ')}` : ''}`,
  ].join('\n');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`similar-sentences: ${message}\n`);
  if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
