// The comparison panel: selected lines or sentences side by side as a pairwise cosine-similarity heatmap (the seed
// notebook's cosine_similarity as a picture). The heatmap is a real table: row and column headers name the units,
// every cell holds its value (shown on hover, on focus, or always with "Show values"), and the arrow keys move
// through it, so it reads as well with a screen reader as it looks.
import type { VscodeToolbarButton } from '@vscode-elements/elements/dist/vscode-toolbar-button/vscode-toolbar-button.js';
import { formatScore, shortModelName } from './format';
import type { ActionId, CompareView, ExtensionMessage } from './protocol';
import { element, renderNotice } from './render';
import { showBusyOrFailed, toolbarButton } from './resultsApp';
import { PageState, type WebviewApi } from './vscodeApi';

interface CompareState {
  /** Values written in every cell; undefined = only for small matrices. */
  showValues?: boolean;
}

/** Up to this many units the cells are wide enough to show their values by default. */
const VALUES_SHOWN_UP_TO = 12;

export function startCompareApp(api: WebviewApi<CompareState>): void {
  const state = new PageState<CompareState>(api, {});
  const post = api.postMessage.bind(api);
  const onAction = (action: ActionId) => post({ type: 'action', action });
  let view: CompareView | undefined;

  const app = element('main', 'app app-compare');
  const header = element('section', 'query-section');
  const notices = element('section', 'notices');
  const readout = element('div', 'heat-readout');
  readout.setAttribute('aria-live', 'polite');
  const body = element('section', 'compare-body');
  let valuesButton: VscodeToolbarButton;
  app.append(buildToolbar(), header, notices, readout, body);
  document.body.append(app);

  window.addEventListener('message', (event: MessageEvent<ExtensionMessage>) => {
    const message = event.data;
    switch (message.type) {
      case 'busy':
      case 'failed':
        showBusyOrFailed(header, notices, message, onAction);
        body.replaceChildren();
        readout.textContent = '';
        break;
      case 'compare':
        view = message.view;
        render(message.view);
        break;
    }
  });
  post({ type: 'ready' });

  function buildToolbar(): HTMLElement {
    const toolbar = element('div', 'toolbar');
    valuesButton = toolbarButton('symbol-number', 'Show values in every cell', 'show-values');
    valuesButton.toggleable = true;
    valuesButton.addEventListener('change', () => {
      state.patch({ showValues: valuesButton.checked });
      if (view) render(view);
    });
    const save = toolbarButton('save', 'Export as CSV…', 'export-csv');
    save.addEventListener('click', () => post({ type: 'exportCsv', to: 'file' }));
    const copy = toolbarButton('copy', 'Copy as CSV', 'copy-csv');
    copy.addEventListener('click', () => post({ type: 'exportCsv', to: 'clipboard' }));
    const rerun = toolbarButton('refresh', 'Compare again', 'rerun');
    rerun.addEventListener('click', () => post({ type: 'rerun' }));
    toolbar.append(valuesButton, save, copy, rerun);
    return toolbar;
  }

  function render(shown: CompareView): void {
    const n = shown.units.length;
    const unitName = shown.mode === 'sentences' ? 'sentence' : 'line';
    header.replaceChildren(
      element('div', 'query-text', `Compare ${n} ${unitName}s of ${shown.source}`),
      element('div', 'query-summary', `Pairwise cosine similarity · ${shortModelName(shown.model)}`),
    );
    notices.replaceChildren(
      ...(shown.limited ? [renderNotice('info', `Only the first ${n} ${unitName}s of the selection are compared.`, [], onAction)] : []),
    );
    const showValues = state.value.showValues ?? n <= VALUES_SHOWN_UP_TO;
    valuesButton.checked = showValues;
    readout.textContent = 'Point at or move to a cell to read its value.';
    body.replaceChildren(renderHeatmap(shown, showValues), renderLegend(shown), renderScale());
  }

  function renderHeatmap(shown: CompareView, showValues: boolean): HTMLElement {
    const table = element('table', `heatmap${showValues ? ' show-values' : ''}`);
    table.setAttribute('role', 'grid');
    table.setAttribute('aria-label', 'Pairwise cosine similarity');
    table.setAttribute('aria-rowcount', String(shown.units.length + 1));
    table.append(element('caption', 'visually-hidden', `Cosine similarity of every pair of the ${shown.units.length} units; rows and columns are numbered as in the list of units.`));
    const head = element('thead');
    const headRow = element('tr');
    headRow.append(element('td', 'corner'));
    const columnHeaders = shown.units.map((unit, j) => {
      const th = element('th', 'col-header', String(j + 1));
      th.scope = 'col';
      th.title = unit.text;
      th.setAttribute('aria-label', `${j + 1}: ${unit.text}`);
      headRow.append(th);
      return th;
    });
    head.append(headRow);
    const tbody = element('tbody');
    const cells: HTMLTableCellElement[][] = [];
    const rowHeaders: HTMLElement[] = [];
    shown.matrix.forEach((values, i) => {
      const tr = element('tr');
      const th = element('th', 'row-header', String(i + 1));
      th.scope = 'row';
      th.title = shown.units[i].text;
      th.setAttribute('aria-label', `${i + 1}: ${shown.units[i].text}`);
      rowHeaders.push(th);
      tr.append(th);
      cells.push(
        values.map((value, j) => {
          const td = element('td', `heat-cell${value < 0 ? ' negative' : ''}${i === j ? ' diagonal' : ''}`);
          td.setAttribute('role', 'gridcell');
          td.tabIndex = i === 0 && j === 0 ? 0 : -1;
          td.dataset.row = String(i);
          td.dataset.col = String(j);
          td.dataset.value = String(value);
          // Colour strength through the CSSOM (allowed by the CSP); the colours themselves are theme variables.
          td.style.setProperty('--strength', Math.min(1, Math.abs(value)).toFixed(3));
          if (Math.abs(value) > 0.6) td.classList.add('strong');
          td.title = `${i + 1} × ${j + 1}: ${formatScore(value)}`;
          td.append(element('span', 'cell-value', formatScore(value)));
          const point = () => pointAt(i, j);
          td.addEventListener('mouseenter', point);
          td.addEventListener('focus', point);
          tr.append(td);
          return td;
        }),
      );
      tbody.append(tr);
    });
    table.append(head, tbody);

    let crossed: HTMLElement[] = [];
    const pointAt = (i: number, j: number) => {
      for (const node of crossed) node.classList.remove('crossed');
      crossed = [rowHeaders[i], columnHeaders[j]];
      for (const node of crossed) node.classList.add('crossed');
      readout.textContent = `${i + 1} × ${j + 1}: ${formatScore(shown.matrix[i][j])} · “${shown.units[i].text}” and “${shown.units[j].text}”`;
    };
    table.addEventListener('keydown', (event) => {
      const cell = (event.target as HTMLElement).closest<HTMLTableCellElement>('td.heat-cell');
      if (!cell) return;
      const n = shown.units.length;
      let i = Number(cell.dataset.row);
      let j = Number(cell.dataset.col);
      switch (event.key) {
        case 'ArrowDown': i = Math.min(n - 1, i + 1); break;
        case 'ArrowUp': i = Math.max(0, i - 1); break;
        case 'ArrowRight': j = Math.min(n - 1, j + 1); break;
        case 'ArrowLeft': j = Math.max(0, j - 1); break;
        case 'Home': j = 0; if (event.ctrlKey) i = 0; break;
        case 'End': j = n - 1; if (event.ctrlKey) i = n - 1; break;
        case 'Enter': {
          const id = shown.units[i].id;
          if (id) post({ type: 'open', id, toSide: event.ctrlKey || event.metaKey });
          event.preventDefault();
          return;
        }
        default: return;
      }
      event.preventDefault();
      cell.tabIndex = -1;
      const next = cells[i][j];
      next.tabIndex = 0;
      next.focus();
    });
    return element('div', 'heatmap-scroll', undefined, table);
  }

  function renderLegend(shown: CompareView): HTMLElement {
    const list = element('ol', 'compare-units');
    list.setAttribute('aria-label', 'Compared units');
    shown.units.forEach((unit) => {
      const item = element('li', 'compare-unit');
      const location = element(unit.id ? 'button' : 'span', 'location', `${unit.file}:${unit.line}`);
      if (unit.id) {
        location.classList.add('link-button');
        location.title = 'Open';
        location.addEventListener('click', (event) => post({ type: 'open', id: unit.id!, toSide: (event as MouseEvent).ctrlKey || (event as MouseEvent).metaKey }));
      }
      item.append(location, element('span', 'compare-text', unit.text));
      list.append(item);
    });
    return list;
  }

  /** What the colours mean, from −1 through 0 to 1. */
  function renderScale(): HTMLElement {
    const scale = element('div', 'heat-scale');
    scale.setAttribute('aria-hidden', 'true');
    for (const value of [-1, -0.5, 0, 0.5, 1]) {
      const swatch = element('span', `heat-swatch${value < 0 ? ' negative' : ''}`);
      swatch.style.setProperty('--strength', String(Math.abs(value)));
      scale.append(element('span', 'heat-step', undefined, swatch, element('span', 'heat-step-label', value.toFixed(1))));
    }
    return scale;
  }
}
