// The side view's search scope, held by the extension (the page shows it and reports changes): the kind, the globs
// typed, and the folder picked with *Find Similar in Folder…*. Kept per workspace. Resolving it reads the editors:
// the current file and the open editor tabs that are files of the workspace.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ScopeKind, ScopeView } from '../webview/protocol';
import { SCOPE_KINDS } from '../webview/protocol';
import { rootOf, toRelPath } from './paths';
import { folderLabel, resolveScope, type ResolvedScope, type ScopeChoice, type WorkspacePlace } from './scopes';

const STATE_KEY = 'similarSentences.sideScope';

interface StoredScope extends ScopeChoice {
  folder?: WorkspacePlace;
}

export class SideScope {
  private scope: StoredScope;
  /** The last text editor's file: the side view has the focus while its query is typed, not the editor. */
  private currentFile?: vscode.Uri;

  constructor(
    private readonly state: vscode.Memento,
    private readonly roots: () => string[],
    private readonly displayPath: (root: string, relPath: string) => string,
  ) {
    this.scope = this.load();
    this.currentFile = vscode.window.activeTextEditor?.document.uri;
  }

  trackEditor(editor: vscode.TextEditor | undefined): void {
    if (editor && (editor.document.uri.scheme === 'file' || editor.document.uri.scheme === 'untitled')) this.currentFile = editor.document.uri;
  }

  /** What the side view shows. */
  view(): ScopeView {
    const { kind, include, exclude, folder } = this.scope;
    return { kind, include, exclude, folder: folder && folderLabel(folder, this.displayPath) };
  }

  /** The user changed the scope in the side view. */
  async change(choice: ScopeChoice): Promise<void> {
    this.scope = { ...this.scope, ...choice, kind: choice.kind === 'folder' && !this.scope.folder ? 'workspace' : choice.kind };
    await this.state.update(STATE_KEY, this.scope);
  }

  /** *Find Similar in Folder…*: search that folder from now on. */
  async setFolder(folder: WorkspacePlace): Promise<void> {
    this.scope = { ...this.scope, kind: 'folder', folder };
    await this.state.update(STATE_KEY, this.scope);
  }

  /** The side view's scope, for its searches. */
  resolve(): ResolvedScope {
    return this.resolveFor(this.scope);
  }

  /** Another scope in the same context (the current file, the open editors), for a one-off search. */
  resolveFor(choice: ScopeChoice): ResolvedScope {
    return resolveScope(choice, {
      currentFile: this.currentFile && this.place(this.currentFile),
      openEditors: this.openEditors(),
      folder: this.scope.folder,
      displayPath: this.displayPath,
    });
  }

  private openEditors(): WorkspacePlace[] {
    const seen = new Set<string>();
    const places: WorkspacePlace[] = [];
    for (const tab of vscode.window.tabGroups.all.flatMap((group) => group.tabs)) {
      const uri = tab.input instanceof vscode.TabInputText ? tab.input.uri : undefined;
      const place = uri && this.place(uri);
      if (place && !seen.has(`${place.root}\0${place.relPath}`)) {
        seen.add(`${place.root}\0${place.relPath}`);
        places.push(place);
      }
    }
    return places;
  }

  private place(uri: vscode.Uri): WorkspacePlace | undefined {
    if (uri.scheme !== 'file') return undefined;
    const root = rootOf(this.roots(), uri.fsPath);
    return root ? { root, relPath: toRelPath(root, uri.fsPath) } : undefined;
  }

  /** The stored scope, if it is still well-formed and its folder still belongs to the workspace. */
  private load(): StoredScope {
    const stored = this.state.get<Partial<StoredScope>>(STATE_KEY);
    const text = (value: unknown) => (typeof value === 'string' ? value : '');
    const folder = stored?.folder;
    const folderOk =
      !!folder && typeof folder.root === 'string' && typeof folder.relPath === 'string' && !path.isAbsolute(folder.relPath) && this.roots().includes(folder.root);
    const kind: ScopeKind = (SCOPE_KINDS as readonly unknown[]).includes(stored?.kind) ? stored!.kind! : 'workspace';
    return {
      kind: kind === 'folder' && !folderOk ? 'workspace' : kind,
      include: text(stored?.include),
      exclude: text(stored?.exclude),
      folder: folderOk ? folder : undefined,
    };
  }
}
