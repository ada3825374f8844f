// Entry point of the webview bundle (dist/webview/main.js), used by both the results panel and the side view:
// <body data-view="panel|sidebar"> picks which chrome surrounds the shared result list.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import type { VscodeProgressBar } from '@vscode-elements/elements/dist/vscode-progress-bar/vscode-progress-bar.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import type { VscodeToolbarButton } from '@vscode-elements/elements/dist/vscode-toolbar-button/vscode-toolbar-button.js';
import { ActionId, ExtensionMessage, IndexStateView, QueryView, ResultsView, WebviewMessage } from './protocol';
import type { Grouping } from './grouping';
import { element, renderNotice, renderQuery, ResultList } from './render';

interface WebviewApi<State> {
  postMessage(message: WebviewMessage): void;
  getState(): State | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<State>(): WebviewApi<State>;

/** What survives hiding the view and reloading the window (VS Code keeps it per webview). */
interface ViewState {
  grouping: Grouping;
  selectedId?: string;
  view?: ResultsView;
  draft?: string;
}

const vscode = acquireVsCodeApi<ViewState>();
const kind = document.body.dataset.view === 'sidebar' ? 'sidebar' : 'panel';
let state: ViewState = { grouping: 'flat', ...vscode.getState() };
const saveState = (patch: Partial<ViewState>) => {
  state = { ...state, ...patch };
  vscode.setState(state);
};

const post = (message: WebviewMessage) => vscode.postMessage(message);
/** A search was started and has not answered yet. */
let searching = false;
let indexState: IndexStateView | undefined;
const onAction = (action: ActionId) => post({ type: 'action', action });

const list = new ResultList({
  open: (id, toSide) => post({ type: 'open', id, toSide }),
  copy: (id) => post({ type: 'copy', id }),
  select: (id) => saveState({ selectedId: id }),
});

const app = element('main', `app app-${kind}`);
const indexSection = element('section', 'index-state');
indexSection.setAttribute('aria-live', 'polite');
const querySection = element('section', 'query-section');
const noticeSection = element('section', 'notices');
document.body.append(app);

if (kind === 'sidebar') app.append(buildSearchBox(), indexSection);
app.append(buildToolbar(), querySection, noticeSection, list.root);

if (state.view) showResults(state.view);
else showEmpty();

window.addEventListener('message', (event: MessageEvent<ExtensionMessage>) => {
  const message = event.data;
  switch (message.type) {
    case 'searching':
      showSearching(message.query);
      break;
    case 'results':
      searching = false;
      saveState({ view: message.view, selectedId: undefined });
      showResults(message.view);
      if (kind === 'panel') list.focus();
      break;
    case 'searchFailed':
      searching = false;
      saveState({ view: undefined });
      querySection.replaceChildren(renderQuery(message.query));
      noticeSection.replaceChildren(renderNotice('error', message.message, message.actions, onAction));
      list.render([], state.grouping);
      break;
    case 'indexState':
      indexState = message.state;
      if (kind === 'sidebar') showIndexState(message.state);
      if (searching) noticeSection.replaceChildren(renderSearchProgress());
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
  const group = document.createElement('vscode-toolbar-button') as VscodeToolbarButton;
  group.icon = 'list-tree';
  group.label = 'Group by file';
  group.title = 'Group by file';
  group.toggleable = true;
  group.checked = state.grouping === 'file';
  group.id = 'group-by-file';
  group.addEventListener('change', () => {
    saveState({ grouping: group.checked ? 'file' : 'flat' });
    if (state.view) list.render(state.view.results, state.grouping, state.selectedId);
  });
  const rerun = document.createElement('vscode-toolbar-button') as VscodeToolbarButton;
  rerun.icon = 'refresh';
  rerun.label = 'Run the search again';
  rerun.title = 'Run the search again';
  rerun.id = 'rerun';
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
  field.value = state.draft ?? '';
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
  field.addEventListener('input', () => saveState({ draft: field.value }));
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
  list.render([], state.grouping);
}

function showSearching(query: QueryView): void {
  searching = true;
  querySection.replaceChildren(renderQuery(query));
  noticeSection.replaceChildren(renderSearchProgress());
  list.render([], state.grouping);
}

/** While a search waits for the model or the index, say what it is waiting for. */
function renderSearchProgress(): HTMLElement {
  const busy = indexState && ['preparing', 'downloading', 'indexing'].includes(indexState.phase);
  const notice = renderNotice('progress', busy ? (indexState!.detail ?? 'Building the index…') : 'Searching…', [], onAction);
  if (busy) notice.append(progressBar(indexState!));
  return notice;
}

function showResults(view: ResultsView): void {
  querySection.replaceChildren(renderQuery(view.query, view));
  noticeSection.replaceChildren(
    ...(view.results.length ? [] : [renderNotice('info', 'Nothing in the workspace is similar enough. Lower “similarSentences.minScore” to see weaker matches.', ['openSettings'], onAction)]),
  );
  list.render(view.results, state.grouping, state.selectedId);
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
  if (index.phase === 'preparing' || index.phase === 'downloading' || index.phase === 'indexing') parts.push(progressBar(index));
  if (index.detail) parts.push(element('div', 'index-detail', index.detail));
  if (index.error) parts.push(renderNotice('error', index.error.message, index.error.actions, onAction));
  indexSection.dataset.phase = index.phase;
  indexSection.replaceChildren(...parts);
}

function progressBar(index: IndexStateView): HTMLElement {
  const bar = document.createElement('vscode-progress-bar') as VscodeProgressBar;
  if (index.fraction !== undefined) {
    bar.value = index.fraction * 100;
    bar.max = 100;
  } else {
    bar.indeterminate = true;
  }
  return bar;
}

/** A model folder is named by its last segment (the full path is in the tooltip); a Hub id as it is. */
function shortModelName(model: string): string {
  return /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(model) ? model : (model.split(/[\\/]/).filter(Boolean).pop() ?? model);
}
