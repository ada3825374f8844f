// Keeps the index current: typing (unsaved text counts), saves, reverts, and files created, changed, deleted or
// renamed on disk, coalesced into debounced UpdateFiles batches. Folder-level changes make the next search walk
// the workspace again instead (a walk reuses every stored vector, so it only embeds what changed).
import { promises as fs } from 'node:fs';
import * as vscode from 'vscode';
import type { FileChange } from '../protocol';
import { ChangeBatcher } from './changeBatcher';
import { rootOf, toRelPath } from './paths';
import type { SimilarityService } from './service';

/** Typing pauses this long before the changed text is embedded. */
const DEBOUNCE_MS = 600;

export function registerIndexUpdates(service: SimilarityService, log: vscode.LogOutputChannel): vscode.Disposable {
  const batcher = new ChangeBatcher<FileChange>(
    (changes) => service.updateFiles(changes),
    DEBOUNCE_MS,
    (error) => log.warn(`updating the index failed: ${error instanceof Error ? error.message : String(error)}`),
  );

  /** Where a file URI sits in the workspace, when it is a file the index could hold. */
  const locate = (uri: vscode.Uri): { root: string; relPath: string } | undefined => {
    if (uri.scheme !== 'file' || !service.isStarted) return undefined;
    const root = rootOf(service.roots(), uri.fsPath);
    if (!root) return undefined;
    const relPath = toRelPath(root, uri.fsPath);
    return service.isIndexable(root, relPath) ? { root, relPath } : undefined;
  };
  const key = (root: string, relPath: string) => `${root}\0${relPath}`;

  const fromDisk = (uri: vscode.Uri) => {
    const place = locate(uri);
    if (place) batcher.add(key(place.root, place.relPath), () => ({ ...place, reread: true }));
  };
  const fromEditor = (document: vscode.TextDocument) => {
    const place = locate(document.uri);
    if (!place) return;
    // The text is taken when the batch is sent: the document as it is then, not at every keystroke.
    batcher.add(key(place.root, place.relPath), () =>
      document.isClosed ? { ...place, reread: true } : { ...place, text: document.getText() },
    );
  };
  const deleted = (uri: vscode.Uri) => {
    const place = locate(uri);
    if (place) batcher.add(key(place.root, place.relPath), () => ({ ...place, deleted: true }));
    // A deleted folder removes the files below it, which the host only learns about from a walk.
    service.markStale('files');
  };
  const created = async (uri: vscode.Uri) => {
    try {
      if ((await fs.stat(uri.fsPath)).isDirectory()) service.markStale('files');
      else fromDisk(uri);
    } catch {
      // Gone again before we looked: the delete event follows.
    }
  };

  const watcher = vscode.workspace.createFileSystemWatcher('**/*');
  return vscode.Disposable.from(
    batcher,
    watcher,
    watcher.onDidCreate((uri) => void created(uri)),
    watcher.onDidChange((uri) => {
      // An open document with unsaved edits is what counts; its disk copy changing does not change that.
      const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
      if (!open?.isDirty) fromDisk(uri);
    }),
    watcher.onDidDelete(deleted),
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.contentChanges.length) fromEditor(event.document);
    }),
    vscode.workspace.onDidSaveTextDocument((document) => fromDisk(document.uri)),
    // Closing without saving discards the edits: the file on disk counts again.
    vscode.workspace.onDidCloseTextDocument((document) => fromDisk(document.uri)),
    vscode.workspace.onDidRenameFiles((event) => {
      for (const { oldUri, newUri } of event.files) {
        deleted(oldUri);
        void created(newUri);
      }
    }),
  );
}
