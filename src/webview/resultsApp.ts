// The results panel and the side view: the query, the ranked results (with explained scores, refinement and
// percentiles) and, in the side view, the query box, the scope controls, follow mode and the index state.
import type { VscodeProgressBar } from '@vscode-elements/elements/dist/vscode-progress-bar/vscode-progress-bar.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import type { VscodeToolbarButton } from '@vscode-elements/elements/dist/vscode-toolbar-button/vscode-toolbar-button.js';
import { shortModelName } from './format';
import type { Grouping } from './grouping';
import type { ActionId, ExplanationView, ExtensionMessage, IndexStateView, QueryView, ResultsView } from './protocol';
import { element, renderNotice, renderQuery, ResultList } from './render';
import { ScopeControls } from './scopeControls';
import { PageState, type WebviewApi } from './vscodeApi';

/** What survives hiding the view and reloading the window (VS Code keeps it per webview). */
interface ViewState {
  grouping: Grouping;
  selectedId?: string;
  view?: ResultsView;
  /** Explanations received for the results shown, by result id. */
  explanations?: Record<string, ExplanationView>;
  draft?: string;
}

export function startResultsApp(api: WebviewApi<ViewState>, kind: 'panel' | 'sidebar'): void {
  const state = new PageState<ViewState>(api, { grouping: 'flat' });
  const post = api.postMessage.bind(api);
  /** A search was started and has not answered yet. */
  let searching = false;
  let indexState: IndexStateView | undefined;
  const onAction = (action: ActionId) => post({ type: 'action', action });
  const clearRefinement = () => post({ type: 'clearRefinement' });

  const list = new ResultList({
    open: (id, toSide) => post({ type: 'open', id, toSide }),
    copy: (id) => post({ type: 'copy', id }),
    select: (id) => state.patch({ selectedId: id }),
    refine: (id, direction) => post({ type: 'refine', id, direction }),
    explain: (id) => post({ type: 'explain', id }),
  });

  const app = element('main', `app app-${kind}`);
  const indexSection = element('section', 'index-state');
  indexSection.setAttribute('aria-live', 'polite');
  const querySection = element('section', 'query-section');
  const noticeSection = element('section', 'notices');
  document.body.append(app);

  let follow: VscodeToolbarButton | undefined;
  let scope: ScopeControls | undefined;
  if (kind === 'sidebar') {
    scope = new ScopeControls((change) => post({ type: 'scope', ...change }));
    app.append(buildSearchBox(), scope.root, indexSection);
  }
  app.append(buildToolbar(), querySection, noticeSection, list.root);

  if (state.value.view) showResults(state.value.view);
  else showEmpty();

  window.addEventListener('message', (event: MessageEvent<ExtensionMessage>) => {
    const message = event.data;
    switch (message.type) {
      case 'searching':
        showSearching(message.query);
        break;
      case 'results':
        searching = false;
        state.patch({ view: message.view, selectedId: undefined, explanations: {} });
        showResults(message.view);
        if (kind === 'panel') list.focus();
        break;
      case 'searchFailed':
        searching = false;
        state.patch({ view: undefined });
        querySection.replaceChildren(renderQuery(message.query));
        noticeSection.replaceChildren(renderNotice('error', message.message, message.actions, onAction));
        list.render([], state.value.grouping);
        break;
      case 'indexState':
        indexState = message.state;
        if (kind === 'sidebar') showIndexState(message.state);
        if (searching) noticeSection.replaceChildren(renderSearchProgress());
        break;
      case 'explanation':
        state.patch({ explanations: { ...state.value.explanations, [message.id]: message.explanation } });
        list.showExplanation(message.id, message.explanation);
        break;
      case 'follow':
        if (follow) follow.checked = message.on;
        break;
      case 'scope':
        scope?.show(message.scope);
        break;
    }
  });
  // When the page gets the focus (the panel was revealed for new results), the keyboard lands on the selected result.
  window.addEventListener('focus', () => {
    if (document.activeElement === document.body) list.focus();
  });
  post({ type: 'ready' });

  function buildToolbar(): HTMLElement {
    const toolbar = element('div', 'toolbar');
    if (kind === 'sidebar') {
      follow = toolbarButton('eye', 'Follow the cursor: show what is similar to the line under it', 'follow-cursor');
      follow.toggleable = true;
      follow.addEventListener('change', () => post({ type: 'follow', on: follow!.checked }));
      toolbar.append(follow);
    }
    const group = toolbarButton('list-tree', 'Group by file', 'group-by-file');
    group.toggleable = true;
    group.checked = state.value.grouping === 'file';
    group.addEventListener('change', () => {
      state.patch({ grouping: group.checked ? 'file' : 'flat' });
      const { view } = state.value;
      if (view) list.render(view.results, state.value.grouping, state.value.selectedId, view.searched, state.value.explanations);
    });
    const rerun = toolbarButton('refresh', 'Run the search again', 'rerun');
    rerun.addEventListener('click', () => post({ type: 'rerun' }));
    toolbar.append(group, rerun);
    return toolbar;
  }

  function buildSearchBox(): HTMLElement {
    const form = element('form', 'search-box');
    const field = document.createElement('vscode-textfield') as VscodeTextfield;
    field.placeholder = 'Search by meaning';
    field.label = 'Search the workspace by meaning';
    field.id = 'query';
    field.value = state.value.draft ?? '';
    const icon = document.createElement('vscode-icon');
    icon.setAttribute('slot', 'content-after');
    icon.setAttribute('name', 'search');
    icon.setAttribute('action-icon', '');
    icon.setAttribute('label', 'Search');
    field.append(icon);
    const submit = () => {
      const query = field.value.trim();
      if (query) post({ type: 'search', query });
    };
    field.addEventListener('input', () => state.patch({ draft: field.value }));
    field.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        submit();
      }
    });
    icon.addEventListener('vsc-click', submit);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit();
    });
    form.append(field);
    return form;
  }

  function showEmpty(): void {
    querySection.replaceChildren();
    const hint =
      kind === 'sidebar'
        ? 'Type a sentence above, or select text in an editor and run “Find Similar to Selection”.'
        : 'Select text in an editor and run “Find Similar to Selection”.';
    noticeSection.replaceChildren(renderNotice('info', hint, [], onAction));
    list.render([], state.value.grouping);
  }

  function showSearching(query: QueryView): void {
    searching = true;
    querySection.replaceChildren(renderQuery(query));
    noticeSection.replaceChildren(renderSearchProgress());
    list.render([], state.value.grouping);
  }

  /** While a search waits for the model or the index, say what it is waiting for. */
  function renderSearchProgress(): HTMLElement {
    const busy = indexState && ['preparing', 'downloading', 'indexing'].includes(indexState.phase);
    const notice = renderNotice('progress', busy ? (indexState!.detail ?? 'Building the index…') : 'Searching…', [], onAction);
    if (busy) notice.append(progressBar(indexState!));
    return notice;
  }

  function showResults(view: ResultsView): void {
    querySection.replaceChildren(renderQuery(view.query, view, clearRefinement));
    const empty = view.query.scope
      ? `Nothing in ${view.query.scope} is similar enough. Widen the scope, or lower “similarSentences.minScore” to see weaker matches.`
      : 'Nothing in the workspace is similar enough. Lower “similarSentences.minScore” to see weaker matches.';
    noticeSection.replaceChildren(...(view.results.length ? [] : [renderNotice('info', empty, ['openSettings'], onAction)]));
    list.render(view.results, state.value.grouping, state.value.selectedId, view.searched, state.value.explanations);
  }

  function showIndexState(index: IndexStateView): void {
    const parts: HTMLElement[] = [];
    const model = element('div', 'index-summary');
    const modelName = element('span', 'index-model', shortModelName(index.model));
    modelName.title = index.model;
    model.append(element('span', 'codicon codicon-hubot'), modelName);
    parts.push(model);
    if (index.units !== undefined) {
      const units = element('div', 'index-summary');
      units.append(element('span', 'codicon codicon-database'), element('span', 'index-units', `${index.units.toLocaleString()} units in ${(index.files ?? 0).toLocaleString()} files`));
      parts.push(units);
    }
    if (index.skipped) {
      const skipped = element('div', `index-summary index-skipped${index.skipped.warning ? ' warning' : ''}`);
      const show = element('button', 'link-button', 'Show');
      show.title = 'List the skipped files in the log';
      show.addEventListener('click', () => onAction('showSkipped'));
      skipped.append(element('span', `codicon ${index.skipped.warning ? 'codicon-warning' : 'codicon-info'}`), element('span', 'index-skipped-text', index.skipped.summary), show);
      parts.push(skipped);
    }
    if (index.phase === 'preparing' || index.phase === 'downloading' || index.phase === 'indexing') parts.push(progressBar(index));
    if (index.detail) parts.push(element('div', 'index-detail', index.detail));
    if (index.error) parts.push(renderNotice('error', index.error.message, index.error.actions, onAction));
    indexSection.dataset.phase = index.phase;
    indexSection.replaceChildren(...parts);
  }
}

export function toolbarButton(icon: string, label: string, id: string): VscodeToolbarButton {
  const button = document.createElement('vscode-toolbar-button') as VscodeToolbarButton;
  button.icon = icon;
  button.label = label;
  button.title = label;
  button.id = id;
  return button;
}

export function progressBar(index?: Pick<IndexStateView, 'fraction'>): HTMLElement {
  const bar = document.createElement('vscode-progress-bar') as VscodeProgressBar;
  if (index?.fraction !== undefined) {
    bar.value = index.fraction * 100;
    bar.max = 100;
  } else {
    bar.indeterminate = true;
  }
  return bar;
}

/**
 * The analysis panels' state while they work or after their work failed: the title, and a progress notice with an
 * indeterminate bar or the error with its actions. The caller clears the content below.
 */
export function showBusyOrFailed(
  header: HTMLElement,
  notices: HTMLElement,
  message: Extract<ExtensionMessage, { type: 'busy' | 'failed' }>,
  onAction: (action: ActionId) => void,
): void {
  header.replaceChildren(element('div', 'query-text', message.title));
  if (message.type === 'failed') {
    notices.replaceChildren(renderNotice('error', message.message, message.actions, onAction));
    return;
  }
  const notice = renderNotice('progress', message.detail, [], () => undefined);
  notice.append(progressBar());
  notices.replaceChildren(notice);
}
