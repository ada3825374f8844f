// The one place where `similarSentences.*` settings are read and validated. Everything below receives a `Settings`
// value; nothing else reads configuration. Broken values fall back to their default and are reported, so a typo
// in settings.json never stops a search.
//
// Only type imports from `vscode`: this module is unit-tested in plain Node.
import type * as vscode from 'vscode';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Dtype } from '../protocol';
import type { UnitMode } from '../core/units';
import { DTYPES, isDtype } from '../core/model/files';
import { DEFAULT_ENDPOINT, isEndpointUrl, isHubId } from '../core/model/hub';
import { DEFAULT_MAX_FILES } from '../core/walk';
import type { ExcludeSetting, WorkspaceExcludes } from './folderSpecs';

export const SECTION = 'similarSentences';

export interface Settings {
  /** A Hugging Face model id, or an absolute path of a local model folder. */
  model: ModelSource;
  dtype: Dtype;
  maxResults: number;
  minScore: number;
  include: string[];
  exclude: string[];
  /** Keys: a file extension with its dot (".md"), a file name ("Makefile"), or a language id in brackets ("[markdown]"). */
  unitModes: Record<string, UnitMode>;
  contextLines: number;
  maxFileSize: number;
  /** Files indexed per workspace folder at most; the walk stops there and the user is told. */
  maxFiles: number;
  /** Inference threads of the model host (already resolved from 0 = automatic). */
  threads: number;
  /** Resident-memory ceiling of the model host in MB; 0 = no limit. */
  maxMemoryMB: number;
  /** Where downloaded models are stored; undefined = the extension's global storage. */
  modelCacheFolder?: string;
  /** Base URL of the model hub downloads come from. */
  downloadEndpoint: string;
}

export type ModelSource = { kind: 'hub'; id: string } | { kind: 'folder'; path: string };

/** Settings a workspace must not choose in Restricted Mode: they decide which files the extension loads and runs. */
// What is downloaded and from where, and the host's resource limits (a workspace could lift the memory ceiling or
// ask for 256 threads): user settings only until the workspace is trusted.
export const RESTRICTED_KEYS = ['model', 'dtype', 'modelCacheFolder', 'downloadEndpoint', 'threads', 'maxMemoryMB'] as const;

/** The subset of `vscode.WorkspaceConfiguration` this module needs. */
export interface ConfigurationLike {
  get<T>(key: string): T | undefined;
  inspect<T>(key: string): { defaultValue?: T; globalValue?: T } | undefined;
}

export interface SettingsEnvironment {
  /** Workspace Trust: when false, RESTRICTED_KEYS come only from user settings. */
  trusted: boolean;
  cpuCount: number;
  homeDir: string;
  defaultModel: string;
}

export interface ParsedSettings {
  settings: Settings;
  /** One sentence per broken value, naming the setting and what was used instead. */
  problems: string[];
}

export const DEFAULTS = {
  dtype: 'fp32' as Dtype,
  maxResults: 20,
  minScore: 0,
  contextLines: 2,
  maxFileSize: 1_048_576,
  maxFiles: DEFAULT_MAX_FILES,
  threads: 0,
  maxMemoryMB: 4096,
};

const UNIT_MODES: readonly UnitMode[] = ['lines', 'sentences'];

export function parseSettings(config: ConfigurationLike, env: SettingsEnvironment): ParsedSettings {
  const problems: string[] = [];
  const read = <T>(key: string): T | undefined => {
    if (!env.trusted && (RESTRICTED_KEYS as readonly string[]).includes(key)) {
      const inspected = config.inspect<T>(key);
      return inspected?.globalValue ?? inspected?.defaultValue;
    }
    return config.get<T>(key);
  };
  const invalid = (key: string, value: unknown, expected: string, fallback: unknown) => {
    const instead = fallback === undefined ? 'the default' : JSON.stringify(fallback);
    problems.push(`"${SECTION}.${key}" is ${JSON.stringify(value)}, but ${expected}; using ${instead}.`);
    return fallback;
  };

  const integer = (key: keyof typeof DEFAULTS, min: number, max: number): number => {
    const value = read<unknown>(key);
    if (value === undefined || value === null) return DEFAULTS[key] as number;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    return invalid(key, value, `it must be a whole number from ${min} to ${max}`, DEFAULTS[key]) as number;
  };

  const dtypeValue = read<unknown>('dtype') ?? DEFAULTS.dtype;
  const dtype = isDtype(dtypeValue)
    ? dtypeValue
    : (invalid('dtype', dtypeValue, `it must be one of ${DTYPES.join(', ')}`, DEFAULTS.dtype) as Dtype);

  const minScoreValue = read<unknown>('minScore') ?? DEFAULTS.minScore;
  const minScore =
    typeof minScoreValue === 'number' && minScoreValue >= -1 && minScoreValue <= 1
      ? minScoreValue
      : (invalid('minScore', minScoreValue, 'it must be a number from -1 to 1', DEFAULTS.minScore) as number);

  const threads = integer('threads', 0, 256);
  const cacheValue = read<unknown>('modelCacheFolder');
  let modelCacheFolder: string | undefined;
  if (typeof cacheValue === 'string' && cacheValue.trim()) {
    modelCacheFolder = absoluteFolder(cacheValue.trim(), env.homeDir);
    if (!modelCacheFolder) invalid('modelCacheFolder', cacheValue, 'it must be an absolute folder path', undefined);
  } else if (cacheValue !== undefined && cacheValue !== null && cacheValue !== '') {
    invalid('modelCacheFolder', cacheValue, 'it must be an absolute folder path', undefined);
  }

  const endpointValue = read<unknown>('downloadEndpoint');
  let downloadEndpoint = DEFAULT_ENDPOINT;
  if (endpointValue !== undefined && endpointValue !== null && endpointValue !== '') {
    if (typeof endpointValue === 'string' && isEndpointUrl(endpointValue.trim())) downloadEndpoint = endpointValue.trim().replace(/\/+$/, '');
    else invalid('downloadEndpoint', endpointValue, 'it must be an http(s) URL', DEFAULT_ENDPOINT);
  }

  return {
    settings: {
      downloadEndpoint,
      model: parseModel(read<unknown>('model'), env, invalid),
      dtype,
      maxResults: integer('maxResults', 1, 1000),
      minScore,
      include: globList('include', read<unknown>('include'), invalid),
      exclude: globList('exclude', read<unknown>('exclude'), invalid),
      unitModes: parseUnitModes(read<unknown>('unitModes'), problems),
      contextLines: integer('contextLines', 0, 20),
      maxFileSize: integer('maxFileSize', 1024, 1024 * 1024 * 1024),
      // No 0 = unlimited: the cap is what keeps the host's memory bounded on huge trees.
      maxFiles: integer('maxFiles', 1, 100_000_000),
      threads: threads === 0 ? automaticThreads(env.cpuCount) : threads,
      maxMemoryMB: integer('maxMemoryMB', 0, 1024 * 1024),
      modelCacheFolder,
    },
    problems,
  };
}

/** Half the cores (at least one): inference must not starve the editor's own processes. */
export function automaticThreads(cpuCount: number): number {
  return Math.max(1, Math.floor(cpuCount / 2));
}

/** Describes a model source the way the user would type it. */
export function describeModel(model: ModelSource): string {
  return model.kind === 'hub' ? model.id : model.path;
}

function defaultEnvironment(trusted: boolean, defaultModel: string): SettingsEnvironment {
  return { trusted, cpuCount: os.cpus().length || 1, homeDir: os.homedir(), defaultModel };
}

type Invalid = (key: string, value: unknown, expected: string, fallback: unknown) => unknown;

function parseModel(value: unknown, env: SettingsEnvironment, invalid: Invalid): ModelSource {
  const fallback: ModelSource = { kind: 'hub', id: env.defaultModel };
  if (value === undefined || value === null || (typeof value === 'string' && !value.trim())) return fallback;
  if (typeof value !== 'string') {
    invalid('model', value, 'it must be a Hub model id or a model folder path', env.defaultModel);
    return fallback;
  }
  const text = value.trim();
  if (isHubId(text)) return { kind: 'hub', id: text };
  const folder = absoluteFolder(text, env.homeDir);
  if (folder) return { kind: 'folder', path: folder };
  invalid('model', value, 'it must be a Hub model id "owner/name" or an absolute model folder path (or one starting with ~)', env.defaultModel);
  return fallback;
}

/**
 * Absolute folder from `text`, or undefined for a relative path: a relative path would be resolved against
 * something the workspace controls, which is exactly what Restricted Mode must not allow.
 */
function absoluteFolder(text: string, homeDir: string): string | undefined {
  const expanded = text === '~' ? homeDir : text.startsWith('~/') || text.startsWith('~\\') ? path.join(homeDir, text.slice(2)) : text;
  if (path.isAbsolute(expanded) || path.win32.isAbsolute(expanded)) return path.normalize(expanded);
  return undefined;
}

function globList(key: string, value: unknown, invalid: Invalid): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.map((item) => item.trim()).filter(Boolean);
  invalid(key, value, 'it must be a list of glob patterns', []);
  return [];
}

function parseUnitModes(value: unknown, problems: string[]): Record<string, UnitMode> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`"${SECTION}.unitModes" must be an object such as { ".md": "sentences", "[python]": "lines" }; ignoring it.`);
    return {};
  }
  const modes: Record<string, UnitMode> = {};
  for (const [key, mode] of Object.entries(value as Record<string, unknown>)) {
    if (!UNIT_MODES.includes(mode as UnitMode)) {
      problems.push(`"${SECTION}.unitModes" has ${JSON.stringify(mode)} for ${JSON.stringify(key)}, but a mode is "lines" or "sentences"; ignoring it.`);
    } else if (!key.trim() || /[/\\]/.test(key)) {
      problems.push(`"${SECTION}.unitModes" key ${JSON.stringify(key)} is not an extension (".md"), a file name or a [languageId]; ignoring it.`);
    } else {
      modes[key.trim()] = mode as UnitMode;
    }
  }
  return modes;
}

/** Reads and validates the settings (the extension's only call to `getConfiguration` for its own section). */
export function readSettings(workspace: typeof vscode.workspace, defaultModel: string): ParsedSettings {
  return parseSettings(workspace.getConfiguration(SECTION), defaultEnvironment(workspace.isTrusted, defaultModel));
}

/** VS Code's own excludes for one workspace folder (they can differ per folder). */
export function readWorkspaceExcludes(workspace: typeof vscode.workspace, folder: vscode.Uri): WorkspaceExcludes {
  return {
    filesExclude: workspace.getConfiguration('files', folder).get<ExcludeSetting>('exclude'),
    searchExclude: workspace.getConfiguration('search', folder).get<ExcludeSetting>('exclude'),
  };
}

/** Settings that need the model host restarted with a new model or thread count. */
const HOST_KEYS = ['model', 'dtype', 'threads', 'maxMemoryMB', 'modelCacheFolder', 'downloadEndpoint'];
/** Settings that change which files and units are indexed. */
const INDEX_KEYS = ['include', 'exclude', 'unitModes', 'maxFileSize', 'maxFiles'];

export function settingsChangeKind(event: vscode.ConfigurationChangeEvent): { host: boolean; index: boolean; any: boolean } {
  const host = HOST_KEYS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`));
  const index = INDEX_KEYS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`)) || event.affectsConfiguration('files.exclude') || event.affectsConfiguration('search.exclude');
  return { host, index, any: host || index || event.affectsConfiguration(SECTION) };
}

/** Writes where it takes effect: the workspace when it already sets the key (and is trusted), else user settings. */
export async function writeSetting(workspace: typeof vscode.workspace, key: string, value: unknown): Promise<void> {
  const config = workspace.getConfiguration(SECTION);
  const inWorkspace = workspace.isTrusted && config.inspect(key)?.workspaceValue !== undefined;
  await config.update(key, value, /* global: */ !inWorkspace);
}
