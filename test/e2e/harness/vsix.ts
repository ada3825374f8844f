import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths';

const vsceBin = path.join(repoRoot, 'node_modules', '.bin', 'vsce');

export interface PackageOptions {
  /** Where to write the .vsix. */
  outFile: string;
  /** Skip vsce's `npm list` of production dependencies, for extensions that are already bundled. */
  noDependencies?: boolean;
}

/** Packages the extension in `extensionDir` with the repository's vsce, non-interactively. */
export async function packageVsix(extensionDir: string, options: PackageOptions): Promise<string> {
  const args = ['package', '--allow-missing-repository', '--skip-license', '--out', options.outFile];
  if (options.noDependencies) args.push('--no-dependencies');
  try {
    await promisify(execFile)(vsceBin, args, { cwd: extensionDir });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`vsce package failed in ${extensionDir}:\n${stdout ?? ''}${stderr ?? ''}`, { cause: error });
  }
  return options.outFile;
}
