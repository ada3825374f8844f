// Entry point of the webview bundle (dist/webview/main.js), shared by every webview of the extension:
// <body data-view="…"> picks the page: the results panel or side view, the comparison heatmap, the near-duplicates.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-toolbar-button/index.js';
import { startCompareApp } from './compareApp';
import { startDuplicatesApp } from './duplicatesApp';
import { startResultsApp } from './resultsApp';
import { vscodeApi } from './vscodeApi';

switch (document.body.dataset.view) {
  case 'compare':
    startCompareApp(vscodeApi());
    break;
  case 'duplicates':
    startDuplicatesApp(vscodeApi());
    break;
  case 'sidebar':
    startResultsApp(vscodeApi(), 'sidebar');
    break;
  default:
    startResultsApp(vscodeApi(), 'panel');
}
