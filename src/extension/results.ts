// Search hits → what a webview shows (ids, display paths, snippets read from the editor or the file), and the
// actions a webview may ask for on a result: open it (only by an issued id, only inside the workspace) or copy it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readTextFile } from '../core/walk';
import type { SearchHit, SearchResult } from '../protocol';
import type { QueryView, ResultView, ResultsView } from '../webview/protocol';
import { literalNotificationText } from './notificationText';
import { fileInsideWorkspace, ResultRegistry, type ResultLocation, type ResultOwner, type ResultQuery } from './resultRegistry';
import { buildSnippet, DEFAULT_SNIPPET_LIMITS } from './snippets';

export class ResultsPresenter {
  private readonly registry = new ResultRegistry();

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly roots: () => string[],
  ) {}

  /** `asked`: the query as the host saw it (what explanations and refinements of these results start from). */
  async present(owner: ResultOwner, query: QueryView, asked: ResultQuery, result: SearchResult, limits: SnippetSettings): Promise<ResultsView> {
    return this.toView(owner, query, asked, result.model, result.searched, result.elapsedMs, result.queryTruncated, result.hits.map(locationOf), limits);
  }

  /** Re-issues ids for results kept from an earlier session (a restored panel); drops any outside the workspace. */
  async restore(owner: ResultOwner, saved: SavedResults, limits: SnippetSettings): Promise<ResultsView> {
    const inside = [];
    for (const location of saved.locations) {
      if (await fileInsideWorkspace(this.roots(), location.root, location.relPath)) inside.push(location);
    }
    const asked = { query: saved.query.text, refine: saved.query.refine };
    return this.toView(owner, saved.query, asked, saved.model, saved.searched, saved.elapsedMs, saved.queryTruncated, inside, limits);
  }

  /** Ids for places shown by another view (a comparison's units, near-duplicates) that can be opened like results. */
  issue(owner: ResultOwner, locations: readonly ResultLocation[]): string[] {
    return this.registry.issue(owner, locations);
  }

  /** The unit text of a result and the query it answered: what an explanation compares. */
  explainable(id: string): { text: string; asked: ResultQuery } | undefined {
    const location = this.registry.get(id);
    const asked = this.registry.queryOf(id);
    return location && asked ? { text: location.text, asked } : undefined;
  }

  /** What to keep so the view can be rebuilt after a reload. */
  save(view: ResultsView): SavedResults {
    return {
      query: view.query,
      model: view.model,
      searched: view.searched,
      elapsedMs: view.elapsedMs,
      queryTruncated: view.queryTruncated,
      locations: view.results.map((result) => this.registry.get(result.id)).filter((location): location is ResultLocation => !!location),
    };
  }

  /**
   * Opens the result in the column the user last edited in, unless that is the results panel's own column
   * (then the first other one), so the panel stays in view; to the side opens a new column beside the panel.
   */
  async open(viewer: ResultOwner, id: string, toSide: boolean, preferredColumn: vscode.ViewColumn | undefined, panelColumn: vscode.ViewColumn | undefined): Promise<void> {
    const decision = await this.registry.openable(viewer, id, this.roots());
    if ('refused' in decision) {
      if (decision.refused === 'unknown id') this.log.warn(`the ${viewer} webview asked to open a result id that was never issued to it (or has expired)`);
      else void vscode.window.showWarningMessage(literalNotificationText(`${decision.location.relPath} is no longer inside the workspace.`));
      return;
    }
    const { open: absPath, location } = decision;
    const selection = new vscode.Range(location.line - 1, location.column, location.endLine - 1, location.endColumn);
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(absPath), {
      selection,
      viewColumn: toSide ? vscode.ViewColumn.Beside : editorColumn(preferredColumn, panelColumn),
      preserveFocus: false,
      preview: !toSide,
    });
    editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  async copy(id: string): Promise<void> {
    const location = this.registry.get(id);
    if (!location) return;
    await vscode.env.clipboard.writeText(`${this.displayPath(location.root, location.relPath)}:${location.line}: ${location.text}`);
    vscode.window.setStatusBarMessage('Similar Sentences: result copied', 2000);
  }

  private async toView(
    owner: ResultOwner,
    query: QueryView,
    asked: ResultQuery,
    model: string,
    searched: number,
    elapsedMs: number,
    queryTruncated: boolean,
    locations: ResultLocation[],
    limits: SnippetSettings,
  ): Promise<ResultsView> {
    const texts = await this.readFiles(locations, limits.maxFileSize);
    const ids = this.registry.issue(owner, locations, asked);
    const results: ResultView[] = locations.map((location, index) => ({
      id: ids[index],
      rank: index + 1,
      score: location.score,
      file: this.displayPath(location.root, location.relPath),
      line: location.line,
      endLine: location.endLine,
      snippet: buildSnippet(texts.get(fileKey(location)) ?? '', location, location.text, { ...DEFAULT_SNIPPET_LIMITS, contextLines: limits.contextLines }),
      percentile: location.percentile,
    }));
    return { query, results, model, searched, elapsedMs, queryTruncated };
  }

  /** Each file once: an open editor's text (unsaved edits included), else the file on disk. */
  private async readFiles(locations: ResultLocation[], maxFileSize: number): Promise<Map<string, string>> {
    const open = new Map(vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'file').map((d) => [d.uri.fsPath, d]));
    const texts = new Map<string, string>();
    await Promise.all(
      [...new Set(locations.map(fileKey))].map(async (key) => {
        const absPath = key;
        const document = open.get(absPath);
        if (document) {
          texts.set(key, document.getText());
          return;
        }
        const read = await readTextFile(absPath, maxFileSize);
        if ('text' in read) texts.set(key, read.text);
      }),
    );
    return texts;
  }

  displayPath(root: string, relPath: string): string {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length <= 1) return relPath;
    const folder = folders.find((candidate) => candidate.uri.fsPath === root);
    return `${folder?.name ?? path.basename(root)}/${relPath}`;
  }
}

/** The settings a snippet is built with. */
export interface SnippetSettings {
  contextLines: number;
  maxFileSize: number;
}

export interface SavedResults {
  query: QueryView;
  model: string;
  searched: number;
  elapsedMs: number;
  queryTruncated: boolean;
  locations: ResultLocation[];
}

function editorColumn(preferred: vscode.ViewColumn | undefined, panel: vscode.ViewColumn | undefined): vscode.ViewColumn {
  if (preferred !== undefined && preferred !== panel) return preferred;
  return panel === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
}

/** Where a hit is, as the registry keeps it. */
export function locationOf(hit: SearchHit): ResultLocation {
  return {
    root: hit.root,
    relPath: hit.relPath,
    line: hit.line,
    endLine: hit.endLine,
    column: hit.column,
    endColumn: hit.endColumn,
    text: hit.text,
    score: hit.score,
    percentile: hit.percentile,
  };
}

function fileKey(location: ResultLocation): string {
  return path.join(location.root, ...location.relPath.split('/'));
}
