// Which files a scoped search or near-duplicate request covers, as VS Code's Search view scopes a search: listed
// files, a folder, include and exclude globs. Every part given must hold (they narrow each other).
import { compileGlobs } from './globs';
import type { SearchScope } from '../protocol';
import type { FileFilter } from './index/workspaceIndex';

/** The file filter of a root: undefined = every file, else only the files it accepts. */
export type ScopeFilter = (root: string) => FileFilter | undefined;

export function compileScope(scope: SearchScope | undefined): ScopeFilter {
  if (!scope) return () => undefined;
  const include = scope.include?.length ? compileGlobs(scope.include) : undefined;
  const exclude = scope.exclude?.length ? compileGlobs(scope.exclude) : undefined;
  const files = scope.files && new Set(scope.files.map(({ root, relPath }) => key(root, relPath)));
  const folder = scope.folder && { root: scope.folder.root, prefix: trimSlashes(scope.folder.relPath) };
  if (!include && !exclude && !files && !folder) return () => undefined;
  return (root) => {
    if (folder && folder.root !== root) return () => false;
    return (relPath) =>
      (!files || files.has(key(root, relPath))) &&
      (!folder || folder.prefix === '' || relPath === folder.prefix || relPath.startsWith(`${folder.prefix}/`)) &&
      (!include || include.matches(relPath)) &&
      !exclude?.matches(relPath);
  };
}

function key(root: string, relPath: string): string {
  return `${root}\0${relPath}`;
}

function trimSlashes(relPath: string): string {
  return relPath.replace(/^\/+|\/+$/g, '');
}
