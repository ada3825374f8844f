// DOM rendering shared by the results panel and the side view. Workspace text (snippets, paths, queries) only ever
// reaches the page through textContent, so no file content can become markup.
import { ACTION_LABELS, ActionId, QueryView, ResultView, ResultsView, SnippetLine } from './protocol';
import { displayOrder, Grouping, groupResults } from './grouping';

export interface ResultListHandlers {
  open(id: string, toSide: boolean): void;
  copy(id: string): void;
  /** The selection moved (kept in webview state so it survives a reload). */
  select(id: string): void;
}

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatScore(score: number): string {
  return score.toFixed(3);
}

const isMac = navigator.platform.toUpperCase().includes('MAC');

/** A ranked, keyboard-navigable list of results (a listbox with a roving tabindex). */
export class ResultList {
  readonly root: HTMLElement;
  private items: HTMLElement[] = [];
  private order: ResultView[] = [];
  private selected = -1;

  constructor(private readonly handlers: ResultListHandlers) {
    this.root = element('div', 'results');
    this.root.setAttribute('role', 'listbox');
    this.root.setAttribute('aria-label', 'Similar sentences');
    this.root.addEventListener('keydown', (event) => this.onKeyDown(event));
  }

  get selectedId(): string | undefined {
    return this.order[this.selected]?.id;
  }

  render(results: readonly ResultView[], grouping: Grouping, selectedId?: string): void {
    this.root.replaceChildren();
    const groups = groupResults(results, grouping);
    this.order = displayOrder(groups);
    this.items = [];
    for (const group of groups) {
      const parent = group.file === undefined ? this.root : this.appendGroup(group.file, group.results.length);
      for (const result of group.results) {
        const item = this.renderResult(result, grouping === 'file');
        this.items.push(item);
        parent.append(item);
      }
    }
    const index = this.order.findIndex((result) => result.id === selectedId);
    this.select(index >= 0 ? index : 0, false);
  }

  focus(): void {
    this.items[this.selected]?.focus();
  }

  private appendGroup(file: string, count: number): HTMLElement {
    const group = element('div', 'group');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', file);
    const header = element('div', 'group-header');
    header.append(element('span', 'codicon codicon-file'), element('span', 'group-file', file), element('span', 'badge', String(count)));
    group.append(header);
    this.root.append(group);
    return group;
  }

  private renderResult(result: ResultView, inGroup: boolean): HTMLElement {
    const item = element('div', 'result');
    item.setAttribute('role', 'option');
    item.tabIndex = -1;
    item.dataset.id = result.id;
    item.dataset.score = String(result.score);
    item.setAttribute('aria-label', `${result.rank}. ${formatScore(result.score)} ${result.file}:${result.line}`);

    const head = element('div', 'result-head');
    const bar = element('span', 'score-bar');
    const fill = element('span', 'score-fill');
    // CSSOM, not a style attribute: allowed by the CSP without 'unsafe-inline'.
    fill.style.width = `${Math.round(Math.max(0, Math.min(1, result.score)) * 100)}%`;
    bar.append(fill);
    const location = inGroup ? `line ${lineLabel(result)}` : `${result.file}:${lineLabel(result)}`;
    const copy = element('button', 'icon-button codicon codicon-copy');
    copy.title = 'Copy result';
    copy.setAttribute('aria-label', 'Copy result');
    copy.tabIndex = -1;
    copy.addEventListener('click', (event) => {
      event.stopPropagation();
      this.handlers.copy(result.id);
    });
    const score = element('span', 'score', formatScore(result.score));
    score.title = `Cosine similarity ${result.score}`;
    head.append(element('span', 'rank', `${result.rank}`), score, bar, element('span', 'location', location));
    head.append(copy);

    item.append(head, renderSnippet(result.snippet));
    item.addEventListener('click', (event) => {
      this.select(this.items.indexOf(item), false);
      this.handlers.open(result.id, event.ctrlKey || event.metaKey);
    });
    return item;
  }

  private select(index: number, focus: boolean): void {
    if (index < 0 || index >= this.items.length) return;
    this.items[this.selected]?.setAttribute('aria-selected', 'false');
    if (this.items[this.selected]) this.items[this.selected].tabIndex = -1;
    this.selected = index;
    const item = this.items[index];
    item.setAttribute('aria-selected', 'true');
    item.tabIndex = 0;
    if (focus) {
      item.focus();
      item.scrollIntoView({ block: 'nearest' });
    }
    this.handlers.select(this.order[index].id);
  }

  private onKeyDown(event: KeyboardEvent): void {
    const modifier = isMac ? event.metaKey : event.ctrlKey;
    const current = this.order[this.selected];
    switch (event.key) {
      case 'ArrowDown':
        this.select(this.selected + 1, true);
        break;
      case 'ArrowUp':
        this.select(this.selected - 1, true);
        break;
      case 'Home':
        this.select(0, true);
        break;
      case 'End':
        this.select(this.items.length - 1, true);
        break;
      case 'Enter':
      case ' ':
        if (current) this.handlers.open(current.id, modifier);
        break;
      case 'c':
        if (!modifier || !current || hasTextSelection()) return;
        this.handlers.copy(current.id);
        break;
      default:
        return;
    }
    event.preventDefault();
  }
}

function lineLabel(result: ResultView): string {
  return result.endLine > result.line ? `${result.line}-${result.endLine}` : `${result.line}`;
}

function hasTextSelection(): boolean {
  const selection = window.getSelection();
  return !!selection && !selection.isCollapsed;
}

function renderSnippet(lines: readonly SnippetLine[]): HTMLElement {
  const snippet = element('div', 'snippet');
  for (const line of lines) {
    const row = element('div', line.unitStart === undefined ? 'line' : 'line in-unit');
    const code = element('span', 'code');
    if (line.unitStart === undefined) {
      code.textContent = line.text;
    } else {
      const end = line.unitEnd ?? line.text.length;
      code.append(line.text.slice(0, line.unitStart), element('mark', 'unit', line.text.slice(line.unitStart, end)), line.text.slice(end));
    }
    row.append(element('span', 'line-number', String(line.line)), code);
    snippet.append(row);
  }
  return snippet;
}

/** The query and what was searched, above the results. */
export function renderQuery(query: QueryView, view?: ResultsView): HTMLElement {
  const header = element('div', 'query');
  header.append(element('div', 'query-text', query.text));
  if (query.origin) {
    header.append(element('div', 'query-origin', `from ${query.origin.file}:${query.origin.line} (left out of the results)`));
  }
  if (view) {
    const count = view.results.length;
    const summary = `${count} result${count === 1 ? '' : 's'} from ${view.searched.toLocaleString()} units · ${view.model} · ${Math.round(view.elapsedMs)} ms`;
    header.append(element('div', 'query-summary', summary));
    if (view.queryTruncated) {
      header.append(element('div', 'query-truncated', 'The query is longer than the model reads: only its beginning was compared.'));
    }
  }
  return header;
}

/** A message (searching, no results, an error) with buttons for the fixes the extension offers. */
export function renderNotice(kind: 'info' | 'error' | 'progress', text: string, actions: readonly ActionId[], onAction: (action: ActionId) => void): HTMLElement {
  const notice = element('div', `notice notice-${kind}`);
  notice.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const icon = kind === 'error' ? 'codicon-error' : kind === 'progress' ? 'codicon-loading codicon-modifier-spin' : 'codicon-info';
  notice.append(element('span', `codicon ${icon}`), element('span', 'notice-text', text));
  if (actions.length) {
    const buttons = element('div', 'notice-actions');
    actions.forEach((action, index) => {
      const button = document.createElement('vscode-button');
      button.textContent = ACTION_LABELS[action];
      button.dataset.action = action;
      button.secondary = index > 0;
      button.addEventListener('click', () => onAction(action));
      buttons.append(button);
    });
    notice.append(buttons);
  }
  return notice;
}
