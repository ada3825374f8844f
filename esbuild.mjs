// The one build script (esbuild): bundles the extension, the model host (+ its inference worker), the webviews and
// the CLI into dist/. Usage: node esbuild.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// transformers.js imports sharp at load time for image pipelines; text embedding never touches it, and shipping
// its native binaries would bloat the VSIX, so it resolves to an empty module.
const noSharp = {
  name: 'no-sharp',
  setup(build) {
    build.onResolve({ filter: /^sharp$/ }, () => ({ path: 'sharp', namespace: 'no-sharp' }));
    build.onLoad({ filter: /.*/, namespace: 'no-sharp' }, () => ({ contents: 'module.exports = {};' }));
  },
};

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const node = {
  ...common,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Native code stays a real node_modules dependency: its .node binaries cannot be bundled.
  external: ['vscode', 'onnxruntime-node'],
  plugins: [noSharp],
};

const webviewDir = 'src/webview';
const webviewEntries = existsSync(webviewDir)
  ? readdirSync(webviewDir).filter((f) => /^(panel|view|main)\w*\.ts$/.test(f)).map((f) => join(webviewDir, f))
  : [];

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/main.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { host: 'src/host/main.ts', 'inference-worker': 'src/host/inferenceWorker.ts', 'pair-worker': 'src/host/pairWorker.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { cli: 'src/cli.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
].filter((b) => Object.values(b.entryPoints).every((e) => existsSync(e)));
if (webviewEntries.length) {
  builds.push({ ...common, platform: 'browser', target: 'es2022', format: 'iife', entryPoints: webviewEntries, outdir: 'dist/webview' });
}

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
