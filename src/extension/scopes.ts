// Where a search looks, as in VS Code's Search view: the workspace, the current file, the open editors or one
// folder, narrowed by comma-separated globs of files to include and to exclude. Turns the side view's choice into
// the host's SearchScope and a short label for the results. No `vscode` import.
import type { SearchScope } from '../protocol';
import type { ScopeKind } from '../webview/protocol';

/** A file or folder of a workspace root ('' = the whole root). */
export interface WorkspacePlace {
  root: string;
  relPath: string;
}

export interface ScopeChoice {
  kind: ScopeKind;
  /** As typed: comma-separated globs. */
  include: string;
  exclude: string;
}

export interface ScopeContext {
  /** The file of the active (or last active) text editor, when it is in the workspace. */
  currentFile?: WorkspacePlace;
  /** Files of the open editor tabs that are in the workspace. */
  openEditors: WorkspacePlace[];
  /** The folder chosen with *Find Similar in Folder…*. */
  folder?: WorkspacePlace;
  displayPath(root: string, relPath: string): string;
}

export type ResolvedScope = { scope?: SearchScope; label?: string } | { problem: string };

/**
 * Splits a glob list at commas outside braces, as VS Code's Search view does: "*.{ts,md}, docs/**" is two patterns.
 * Blank entries are dropped.
 */
export function splitGlobs(text: string): string[] {
  const patterns: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      patterns.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  patterns.push(current);
  return patterns.map((pattern) => pattern.trim()).filter(Boolean);
}

export function resolveScope(choice: ScopeChoice, context: ScopeContext): ResolvedScope {
  const include = splitGlobs(choice.include);
  const exclude = splitGlobs(choice.exclude);
  const scope: SearchScope = {};
  const labels: string[] = [];
  switch (choice.kind) {
    case 'file':
      if (!context.currentFile) return { problem: 'The current editor does not show a file of the workspace: open one to search in it.' };
      scope.files = [context.currentFile];
      labels.push(context.displayPath(context.currentFile.root, context.currentFile.relPath));
      break;
    case 'openEditors':
      if (!context.openEditors.length) return { problem: 'No open editor shows a file of the workspace.' };
      scope.files = context.openEditors;
      labels.push(context.openEditors.length === 1 ? 'the open editor' : `${context.openEditors.length} open editors`);
      break;
    case 'folder':
      if (!context.folder) return { problem: 'No folder is chosen: use “Find Similar in Folder…” on a folder in the Explorer.' };
      scope.folder = context.folder;
      labels.push(folderLabel(context.folder, context.displayPath));
      break;
    case 'workspace':
      break;
  }
  if (include.length) {
    scope.include = include;
    labels.push(`files matching ${include.join(', ')}`);
  }
  if (exclude.length) {
    scope.exclude = exclude;
    labels.push(`excluding ${exclude.join(', ')}`);
  }
  return Object.keys(scope).length ? { scope, label: labels.join(', ') } : {};
}

/** "src/" for a folder, or the workspace folder's own name (multi-root) / "the workspace folder" for a whole root. */
export function folderLabel(folder: WorkspacePlace, displayPath: (root: string, relPath: string) => string): string {
  const shown = displayPath(folder.root, folder.relPath).replace(/\/+$/, '');
  return shown ? `${shown}/` : 'the workspace folder';
}
