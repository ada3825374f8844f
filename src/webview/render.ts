// DOM rendering shared by the results panel and the side view. Workspace text (snippets, paths, queries) only ever
// reaches the page through textContent, so no file content can become markup.
import { ACTION_LABELS, ActionId, ExplanationView, QueryView, RefineDirection, ResultView, ResultsView, SnippetLine } from './protocol';
import { describePercentile, formatLines, formatPercentile, formatScore } from './format';
import { displayOrder, Grouping, groupResults } from './grouping';
import { placeWords, topWords, type HighlightSpan } from './highlight';

export interface ResultListHandlers {
  open(id: string, toSide: boolean): void;
  copy(id: string): void;
  /** The selection moved (kept in webview state so it survives a reload). */
  select(id: string): void;
  /** *More like this* / *Less like this*. */
  refine(id: string, direction: RefineDirection): void;
  /** A result came into view or was selected: ask why it matched (once per result). */
  explain(id: string): void;
}

/** An element with a class, text (as textContent, never markup) and children. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string, ...children: Node[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  node.append(...children);
  return node;
}

const isMac = navigator.platform.toUpperCase().includes('MAC');

/** A ranked, keyboard-navigable list of results (a listbox with a roving tabindex). */
export class ResultList {
  readonly root: HTMLElement;
  private items: HTMLElement[] = [];
  private order: ResultView[] = [];
  private selected = -1;
  private searched?: number;
  /** Results already asked about: each is explained once per rendering. */
  private readonly explainAsked = new Set<string>();
  private readonly explanations = new Map<string, ExplanationView>();
  /** Asks for an explanation when a result scrolls into view, not for every result up front. */
  private readonly visibility = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const id = (entry.target as HTMLElement).dataset.id;
      if (entry.isIntersecting && id) this.askExplain(id);
    }
  });

  constructor(private readonly handlers: ResultListHandlers) {
    this.root = element('div', 'results');
    this.root.setAttribute('role', 'listbox');
    this.root.setAttribute('aria-label', 'Similar sentences');
    this.root.addEventListener('keydown', (event) => this.onKeyDown(event));
  }

  get selectedId(): string | undefined {
    return this.order[this.selected]?.id;
  }

  /** `explanations`: those already known (kept in the page's state), shown at once. */
  render(results: readonly ResultView[], grouping: Grouping, selectedId?: string, searched?: number, explanations?: Record<string, ExplanationView>): void {
    this.visibility.disconnect();
    this.explainAsked.clear();
    this.explanations.clear();
    for (const [id, explanation] of Object.entries(explanations ?? {})) {
      this.explanations.set(id, explanation);
      this.explainAsked.add(id);
    }
    this.searched = searched;
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
        this.visibility.observe(item);
      }
    }
    const index = this.order.findIndex((result) => result.id === selectedId);
    this.select(index >= 0 ? index : 0, false);
  }

  focus(): void {
    this.items[this.selected]?.focus();
  }

  /** Highlights the words that made result `id` match. */
  showExplanation(id: string, explanation: ExplanationView): void {
    this.explanations.set(id, explanation);
    const index = this.order.findIndex((result) => result.id === id);
    if (index < 0) return;
    this.applyExplanation(this.items[index], this.order[index], explanation);
  }

  private askExplain(id: string): void {
    if (this.explainAsked.has(id)) return;
    this.explainAsked.add(id);
    this.handlers.explain(id);
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
    const percentile = result.percentile === undefined ? '' : `, ${formatPercentile(result.percentile)}`;
    item.setAttribute('aria-label', `${result.rank}. ${formatScore(result.score)}${percentile} ${result.file}:${result.line}`);
    item.setAttribute('aria-keyshortcuts', 'Enter Control+Enter + -');

    const head = element('div', 'result-head');
    const bar = element('span', 'score-bar');
    const fill = element('span', 'score-fill');
    // CSSOM, not a style attribute: allowed by the CSP without 'unsafe-inline'.
    fill.style.width = `${Math.round(Math.max(0, Math.min(1, result.score)) * 100)}%`;
    bar.append(fill);
    const location = inGroup ? `line ${formatLines(result.line, result.endLine)}` : `${result.file}:${formatLines(result.line, result.endLine)}`;
    const score = element('span', 'score', formatScore(result.score));
    score.title = `Cosine similarity ${result.score}`;
    head.append(element('span', 'rank', `${result.rank}`), score, bar);
    if (result.percentile !== undefined) {
      const badge = element('span', 'percentile', formatPercentile(result.percentile));
      badge.title = describePercentile(result.percentile, this.searched);
      badge.dataset.percentile = String(result.percentile);
      head.append(badge);
    }
    head.append(
      element('span', 'location', location),
      this.iconButton('thumbsup', 'More like this (+)', 'refine-more', () => this.handlers.refine(result.id, 'more')),
      this.iconButton('thumbsdown', 'Less like this (-)', 'refine-less', () => this.handlers.refine(result.id, 'less')),
      this.iconButton('copy', 'Copy result', 'copy', () => this.handlers.copy(result.id)),
    );

    item.append(head, renderSnippet(result.snippet));
    const known = this.explanations.get(result.id);
    if (known) this.applyExplanation(item, result, known);
    item.addEventListener('click', (event) => {
      this.select(this.items.indexOf(item), false);
      this.handlers.open(result.id, event.ctrlKey || event.metaKey);
    });
    return item;
  }

  private iconButton(icon: string, label: string, name: string, run: () => void): HTMLButtonElement {
    const button = element('button', `icon-button codicon codicon-${icon}`);
    button.title = label;
    button.setAttribute('aria-label', label);
    button.dataset.name = name;
    button.tabIndex = -1;
    button.addEventListener('click', (event) => {
      event.stopPropagation();
      run();
    });
    return button;
  }

  private applyExplanation(item: HTMLElement, result: ResultView, explanation: ExplanationView): void {
    const chosen = topWords(explanation);
    const spans = placeWords(result.snippet, explanation.words, chosen);
    item.querySelector('.snippet')?.replaceWith(renderSnippet(result.snippet, spans));
    item.dataset.explained = 'true';
    if (chosen.length) item.setAttribute('aria-description', `Matched mostly on: ${chosen.map((word) => word.text).join(', ')}`);
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
    this.askExplain(this.order[index].id);
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
      case '+':
      case '=':
        if (!current || event.ctrlKey || event.metaKey || event.altKey) return;
        this.handlers.refine(current.id, 'more');
        break;
      case '-':
        if (!current || event.ctrlKey || event.metaKey || event.altKey) return;
        this.handlers.refine(current.id, 'less');
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

function hasTextSelection(): boolean {
  const selection = window.getSelection();
  return !!selection && !selection.isCollapsed;
}

function renderSnippet(lines: readonly SnippetLine[], highlights?: Map<number, HighlightSpan[]>): HTMLElement {
  const snippet = element('div', 'snippet');
  for (const line of lines) {
    const row = element('div', line.unitStart === undefined ? 'line' : 'line in-unit');
    const code = element('span', 'code');
    if (line.unitStart === undefined) {
      code.textContent = line.text;
    } else {
      const end = line.unitEnd ?? line.text.length;
      const unit = element('mark', 'unit');
      unit.append(...highlighted(line.text, line.unitStart, end, highlights?.get(line.line) ?? []));
      code.append(line.text.slice(0, line.unitStart), unit, line.text.slice(end));
    }
    row.append(element('span', 'line-number', String(line.line)), code);
    snippet.append(row);
  }
  return snippet;
}

/** The text from `start` to `end`, with the spans that contributed most to the score wrapped in their own marks. */
function highlighted(text: string, start: number, end: number, spans: readonly HighlightSpan[]): Array<string | HTMLElement> {
  const parts: Array<string | HTMLElement> = [];
  let at = start;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start < at || span.end > end) continue;
    parts.push(text.slice(at, span.start));
    const mark = element('mark', 'contribution', text.slice(span.start, span.end));
    // The strength of the highlight follows the word's share; set through the CSSOM (allowed by the CSP).
    mark.style.setProperty('--weight', span.weight.toFixed(2));
    mark.title = `Adds ${span.word.contribution >= 0 ? '+' : ''}${span.word.contribution.toFixed(3)} to the score`;
    parts.push(mark);
    at = span.end;
  }
  parts.push(text.slice(at, end));
  return parts;
}

/** The query and what was searched, above the results. `onClearRefinement` offers to drop a refinement. */
export function renderQuery(query: QueryView, view?: ResultsView, onClearRefinement?: () => void): HTMLElement {
  const header = element('div', 'query');
  const text = element('div', 'query-text', query.text);
  if (query.following) text.prepend(element('span', 'codicon codicon-eye query-icon'));
  header.append(text);
  if (query.origin) {
    const from = query.following ? 'line under the cursor' : 'left out of the results';
    header.append(element('div', 'query-origin', `from ${query.origin.file}:${query.origin.line} (${from})`));
  }
  if (query.scope) header.append(element('div', 'query-scope', `in ${query.scope}`));
  if (query.refine && (query.refine.more.length || query.refine.less.length)) header.append(renderRefinement(query.refine, onClearRefinement));
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

/** The texts the query was moved toward (+) and away from (−). */
function renderRefinement(refine: NonNullable<QueryView['refine']>, onClear?: () => void): HTMLElement {
  const block = element('div', 'refinement');
  block.setAttribute('aria-label', 'Refinement');
  const chip = (direction: 'more' | 'less', text: string) => {
    const item = element('span', `refine-chip refine-${direction}`);
    item.append(element('span', `codicon codicon-${direction === 'more' ? 'thumbsup' : 'thumbsdown'}`), element('span', 'refine-text', text));
    item.title = `${direction === 'more' ? 'More' : 'Less'} like: ${text}`;
    return item;
  };
  block.append(...refine.more.map((text) => chip('more', text)), ...refine.less.map((text) => chip('less', text)));
  if (onClear) {
    const clear = element('button', 'link-button', 'Clear refinement');
    clear.addEventListener('click', onClear);
    block.append(clear);
  }
  return block;
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
