// What an explained score costs next to the search it explains: the real host with the MiniLM-shaped generated model
// on a small synthetic workspace. Explain runs the model once on the query and once on the text (returning its token
// states), then splits the cosine over the tokens and aligns them with the text.
//
//   part of `npm run bench`; alone: node out/test/bench/explain.bench.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostClient } from '../../src/client';
import { DEFAULT_WALK } from '../../src/core/walk';
import { Explain, IndexFolders, Search, type Dtype } from '../../src/protocol';
import { ensureTestModel } from '../fixtures/models/generate';
import { generateSyntheticWorkspace } from '../fixtures/syntheticWorkspace';

const HOST = join(__dirname, '..', '..', '..', 'dist', 'host.js');
const QUERIES = ['return a promise that resolves', 'throw new Error', 'the configuration file', 'read the file and parse it', 'export default function'];
const ROUNDS = 4;

export async function runExplainBench(print: (line: string) => void): Promise<void> {
  const dir = await ensureTestModel('minilm');
  const work = mkdtempSync(join(tmpdir(), 'ss-bench-explain-'));
  try {
    const { root } = generateSyntheticWorkspace(join(work, 'ws'), { lines: 3_000, seed: 21 });
    for (const dtype of ['fp32', 'q8'] as Dtype[]) {
      const client = new HostClient({ hostScript: HOST });
      try {
        await client.start({ model: { dir, id: 'generated/minilm', dtype }, threads: 2 });
        await client.request(IndexFolders, { folders: [{ root, walk: DEFAULT_WALK }] });
        const searches: number[] = [];
        const explains: number[] = [];
        let tokens = 0;
        for (let round = 0; round < ROUNDS; round++) {
          for (const query of QUERIES) {
            let started = performance.now();
            const { hits } = await client.request(Search, { query, topK: 10 });
            searches.push(performance.now() - started);
            for (const hit of hits.slice(0, 3)) {
              started = performance.now();
              const explained = await client.request(Explain, { query, text: hit.text });
              explains.push(performance.now() - started);
              tokens += explained.tokens.length;
            }
          }
        }
        const median = (samples: number[]) => samples.slice().sort((a, b) => a - b)[samples.length >> 1];
        print(
          `[${dtype}] search p50 ${median(searches).toFixed(1)} ms; explain one result p50 ${median(explains).toFixed(1)} ms ` +
            `(${(tokens / explains.length).toFixed(0)} tokens on average) — ${(median(explains) / median(searches)).toFixed(2)}× a search`,
        );
      } finally {
        await client.stop();
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runExplainBench(console.log).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
