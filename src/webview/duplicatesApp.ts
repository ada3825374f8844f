// The near-duplicates panel: clusters of units whose cosine is above the threshold, largest first, each member one
// click (or Enter) from its place; members with exactly the same text can be folded into one entry.
import type { VscodeToolbarButton } from '@vscode-elements/elements/dist/vscode-toolbar-button/vscode-toolbar-button.js';
import { clusterEntries, lowestScore } from './duplicateGroups';
import { formatLines, formatScore, shortModelName } from './format';
import type { ActionId, DuplicateClusterView, DuplicateMemberView, DuplicatesView, ExtensionMessage } from './protocol';
import { element, renderNotice } from './render';
import { showBusyOrFailed, toolbarButton } from './resultsApp';
import { TreeList } from './treeList';
import { PageState, type WebviewApi } from './vscodeApi';

interface DuplicatesState {
  foldExact: boolean;
}

export function startDuplicatesApp(api: WebviewApi<DuplicatesState>): void {
  const state = new PageState<DuplicatesState>(api, { foldExact: true });
  const post = api.postMessage.bind(api);
  const onAction = (action: ActionId) => post({ type: 'action', action });
  let view: DuplicatesView | undefined;

  const app = element('main', 'app app-duplicates');
  const header = element('section', 'query-section');
  const notices = element('section', 'notices');
  notices.setAttribute('aria-live', 'polite');
  const tree = new TreeList('Near-duplicate clusters');
  app.append(buildToolbar(), header, notices, tree.root);
  document.body.append(app);

  window.addEventListener('message', (event: MessageEvent<ExtensionMessage>) => {
    const message = event.data;
    switch (message.type) {
      case 'busy':
      case 'failed':
        showBusyOrFailed(header, notices, message, onAction);
        tree.clear();
        break;
      case 'duplicates':
        view = message.view;
        render(message.view);
        break;
    }
  });
  post({ type: 'ready' });

  function buildToolbar(): HTMLElement {
    const toolbar = element('div', 'toolbar');
    const fold = toolbarButton('fold', 'Fold exact duplicates', 'fold-exact') as VscodeToolbarButton;
    fold.toggleable = true;
    fold.checked = state.value.foldExact;
    fold.addEventListener('change', () => {
      state.patch({ foldExact: fold.checked });
      if (view) render(view);
    });
    const expand = toolbarButton('expand-all', 'Expand all', 'expand-all');
    expand.addEventListener('click', () => tree.setAllExpanded(true));
    const collapse = toolbarButton('collapse-all', 'Collapse all', 'collapse-all');
    collapse.addEventListener('click', () => tree.setAllExpanded(false));
    const threshold = toolbarButton('settings', 'Change the threshold…', 'change-threshold');
    threshold.addEventListener('click', () => post({ type: 'changeThreshold' }));
    const rerun = toolbarButton('refresh', 'Find near-duplicates again', 'rerun');
    rerun.addEventListener('click', () => post({ type: 'rerun' }));
    toolbar.append(fold, expand, collapse, threshold, rerun);
    return toolbar;
  }

  function render(shown: DuplicatesView): void {
    const title = element('div', 'query-text', `Near-duplicates above ${formatScore(shown.threshold)}`);
    const clusters = shown.clusters.length;
    const members = shown.clusters.reduce((sum, cluster) => sum + cluster.members.length, 0);
    const summary = `${clusters.toLocaleString()} cluster${clusters === 1 ? '' : 's'} of ${members.toLocaleString()} units, from ${shown.units.toLocaleString()} units compared · ${shortModelName(shown.model)} · ${Math.round(shown.elapsedMs)} ms`;
    header.replaceChildren(title, element('div', 'query-summary', summary));
    notices.replaceChildren(
      ...(shown.foundBeforeReload === undefined ? [] : [renderFoundBeforeReload(shown.foundBeforeReload)]),
      ...(shown.limited ? [renderNotice('info', `Only the ${clusters.toLocaleString()} largest clusters are listed. Raise the threshold to see the closest ones.`, [], onAction)] : []),
      ...(clusters ? [] : [renderNotice('info', 'No units are this similar to each other. Lower the threshold to find looser paraphrases.', [], onAction)]),
    );
    tree.clear();
    shown.clusters.forEach((cluster, index) => addCluster(cluster, index));
  }

  /** Restored clusters may be out of date: say when they were found, and offer to find them again. */
  function renderFoundBeforeReload(foundAt: number): HTMLElement {
    const when = new Date(foundAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
    const notice = renderNotice('info', `Found before the window was reloaded (${when}); files may have changed since.`, [], onAction);
    notice.classList.add('found-before-reload');
    const refresh = document.createElement('vscode-button');
    refresh.textContent = 'Refresh';
    refresh.addEventListener('click', () => post({ type: 'rerun' }));
    notice.append(element('div', 'notice-actions', undefined, refresh));
    return notice;
  }

  function addCluster(cluster: DuplicateClusterView, index: number): void {
    const count = cluster.members.length;
    const exact = count - cluster.distinctTexts;
    const facts = [`${count} units`, `${cluster.distinctTexts} distinct`, ...(exact ? [`${exact} exact ${exact === 1 ? 'copy' : 'copies'}`] : []), `≥ ${formatScore(lowestScore(cluster.members))}`];
    const handle = tree.add({
      className: 'cluster',
      label: `Cluster ${index + 1}: ${facts.join(', ')}: ${cluster.members[0].text}`,
      expanded: true,
      content: [element('span', 'badge', String(count)), element('span', 'cluster-text', cluster.members[0].text), element('span', 'cluster-facts', facts.slice(1).join(' · '))],
    });
    for (const entry of clusterEntries(cluster.members, state.value.foldExact)) {
      if (entry.kind === 'member') {
        addMember(entry.member, handle);
        continue;
      }
      const group = tree.add(
        {
          className: 'identical',
          label: `${entry.members.length} identical: ${entry.text}`,
          expanded: false,
          content: [element('span', 'codicon codicon-files'), element('span', 'member-text', entry.text), element('span', 'badge identical-count', `×${entry.members.length}`)],
        },
        handle,
      );
      for (const member of entry.members) addMember(member, group, true);
    }
  }

  function addMember(member: DuplicateMemberView, parent: object, locationOnly = false): void {
    const location = `${member.file}:${formatLines(member.line, member.endLine)}`;
    const score = element('span', 'score', formatScore(member.score));
    score.title = `Cosine similarity to the cluster's first unit: ${member.score}`;
    const content = [score, element('span', 'location', location), ...(locationOnly ? [] : [element('span', 'member-text', member.text)])];
    tree.add(
      {
        className: 'member',
        id: member.id,
        label: `${formatScore(member.score)} ${location}${locationOnly ? '' : `: ${member.text}`}`,
        content,
        activate: (toSide) => post({ type: 'open', id: member.id, toSide }),
      },
      parent,
    );
  }
}
