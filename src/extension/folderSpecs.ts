// What the host is told to index for each workspace folder: our include/exclude settings on top of VS Code's
// `files.exclude` and `search.exclude`, and unit modes with language ids turned into extensions and file names.
// No `vscode` import: the extension passes the raw configuration values in.
import type { FolderSpec } from '../protocol';
import type { UnitMode } from '../core/units';
import type { Settings } from './settings';

/** `files.exclude` / `search.exclude`: pattern → true, or a `{ when }` condition on a sibling file. */
export type ExcludeSetting = Record<string, unknown> | undefined;

/** A language as contributed by extensions (`contributes.languages`). */
export interface LanguageContribution {
  id: string;
  extensions?: string[];
  filenames?: string[];
}

/**
 * Patterns switched on in an exclude setting. Conditional entries (`{ "when": "$(basename).ts" }`) depend on
 * sibling files the walker does not track; they are left out rather than applied too broadly.
 */
export function enabledPatterns(setting: ExcludeSetting): string[] {
  if (!setting || typeof setting !== 'object') return [];
  return Object.entries(setting)
    .filter(([, value]) => value === true)
    .map(([pattern]) => pattern);
}

/**
 * Unit modes keyed the way the host understands them (".ext" or a file name). A "[languageId]" key expands to
 * every extension and file name the language is contributed with; explicit extension keys win over it.
 */
export function resolveUnitModes(modes: Record<string, UnitMode>, languages: readonly LanguageContribution[]): Record<string, UnitMode> {
  const resolved: Record<string, UnitMode> = {};
  for (const [key, mode] of Object.entries(modes)) {
    const language = /^\[(.+)\]$/.exec(key)?.[1];
    if (!language) continue;
    for (const contribution of languages.filter((candidate) => candidate.id === language)) {
      for (const extension of contribution.extensions ?? []) resolved[extension.toLowerCase()] = mode;
      for (const filename of contribution.filenames ?? []) resolved[filename.toLowerCase()] = mode;
    }
  }
  for (const [key, mode] of Object.entries(modes)) {
    if (!key.startsWith('[')) resolved[key.toLowerCase()] = mode;
  }
  return resolved;
}

export interface WorkspaceExcludes {
  filesExclude: ExcludeSetting;
  searchExclude: ExcludeSetting;
}

export function folderSpec(root: string, settings: Settings, excludes: WorkspaceExcludes, unitModes: Record<string, UnitMode>): FolderSpec {
  const exclude = [...new Set([...enabledPatterns(excludes.filesExclude), ...enabledPatterns(excludes.searchExclude), ...settings.exclude])];
  return {
    root,
    walk: {
      maxFileBytes: settings.maxFileSize,
      maxFiles: settings.maxFiles,
      include: settings.include.length ? settings.include : undefined,
      exclude,
      respectGitignore: true,
    },
    unitModes,
  };
}
