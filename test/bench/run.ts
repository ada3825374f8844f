// `npm run bench`: every benchmark, each printing figures and ratios measured in the same run.
import { runActivationBench } from './activation.bench';
import { runDuplicatesBench } from './duplicates.bench';
import { runEmbeddingBench } from './embedding.bench';
import { runExplainBench } from './explain.bench';
import { runSearchBench } from './search.bench';

const print = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  print('# Extension activation');
  await runActivationBench(print);
  print('');
  print('# Embedding pipeline vs raw onnxruntime, index life cycle (MiniLM-shaped generated model)');
  await runEmbeddingBench(print);
  print('\n# Workspace index: exact top-k search, save/load, memory (random 384-d vectors)');
  await runSearchBench(print);
  print('\n# Near-duplicate clusters and percentiles: time and peak memory (random 384-d vectors with planted duplicates)');
  await runDuplicatesBench(print);
  print('\n# Explained scores: Explain next to Search (MiniLM-shaped generated model)');
  await runExplainBench(print);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
