// What the user is told when a workspace folder has more files than similarSentences.maxFiles: the walk stops at the
// cap (core/walk.ts), so only the files it reached are searched. Told once per folder and limit, not on every
// rebuild. No `vscode` import.
import type { SkippedReport } from '../protocol';
import { SECTION } from './settings';

export const MAX_FILES_SETTING = `${SECTION}.maxFiles`;

export class FileLimitNotice {
  private readonly told = new Set<string>();

  /**
   * The warning for the folders whose walk stopped at the cap in this build (the host lists every cap report, see
   * IndexSummary.skipped), or undefined when there is none the user has not heard of.
   */
  onIndexed(skipped: readonly SkippedReport[], maxFiles: number, folderName: (root: string) => string): string | undefined {
    const capped = new Set(skipped.filter((file) => file.reason === 'max-files').map((file) => file.root));
    const news = [...capped].filter((root) => !this.told.has(`${maxFiles}\0${root}`));
    if (!news.length) return undefined;
    for (const root of news) this.told.add(`${maxFiles}\0${root}`);
    return describeFileLimit(news.map(folderName), maxFiles);
  }
}

/** '"big" has more than 100,000 files, the limit of "similarSentences.maxFiles": only the first 100,000 are indexed…' */
export function describeFileLimit(folderNames: readonly string[], maxFiles: number): string {
  const limit = maxFiles.toLocaleString();
  const names = folderNames.map((name) => JSON.stringify(name)).join(', ');
  const one = folderNames.length === 1;
  return (
    `${names} ${one ? 'has' : 'have'} more than ${limit} files${one ? '' : ' each'}, the limit of "${MAX_FILES_SETTING}": ` +
    `only the first ${limit}${one ? '' : ' of each'} are indexed and searched. ` +
    `Raise the limit, or leave folders out with "${SECTION}.exclude".`
  );
}
