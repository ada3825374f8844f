// The side view's scope controls, as in VS Code's Search view: where to search (the workspace, the current file,
// the open editors, or a folder picked with *Find Similar in Folder…*) and, behind a details toggle, globs of files
// to include and to exclude. The extension holds the scope; this shows it and reports what the user changes.
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { VscodeSingleSelect } from '@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import type { VscodeToolbarButton } from '@vscode-elements/elements/dist/vscode-toolbar-button/vscode-toolbar-button.js';
import type { ScopeKind, ScopeView } from './protocol';
import { element } from './render';

export type ScopeChange = Pick<ScopeView, 'kind' | 'include' | 'exclude'>;

const KIND_LABELS: Record<Exclude<ScopeKind, 'folder'>, string> = {
  workspace: 'Workspace',
  file: 'Current file',
  openEditors: 'Open editors',
};

export class ScopeControls {
  readonly root: HTMLElement;
  private readonly row: HTMLElement;
  private select: VscodeSingleSelect;
  private readonly details: HTMLElement;
  private readonly toggle: VscodeToolbarButton;
  private readonly include: VscodeTextfield;
  private readonly exclude: VscodeTextfield;
  private scope: ScopeView = { kind: 'workspace', include: '', exclude: '' };

  constructor(private readonly onChange: (change: ScopeChange) => void) {
    this.root = element('div', 'scope');
    this.row = element('div', 'scope-row');
    this.row.append(element('span', 'scope-label', 'in'));
    this.select = this.buildSelect();
    this.toggle = document.createElement('vscode-toolbar-button') as VscodeToolbarButton;
    this.toggle.icon = 'ellipsis';
    this.toggle.label = 'Toggle search details';
    this.toggle.title = 'Toggle search details';
    this.toggle.id = 'scope-details';
    this.toggle.toggleable = true;
    this.toggle.addEventListener('change', () => this.showDetails(this.toggle.checked));
    this.row.append(this.select, this.toggle);

    this.details = element('div', 'scope-details');
    this.include = this.globField('include', 'files to include', 'e.g. *.md, src/**');
    this.exclude = this.globField('exclude', 'files to exclude', 'e.g. test/**, *.min.js');
    this.root.append(this.row, this.details);
    this.showDetails(false);
  }

  /** Shows the scope the extension holds (on load, and when a command set a folder). */
  show(scope: ScopeView): void {
    const foldersChanged = scope.folder !== this.scope.folder;
    this.scope = scope;
    if (foldersChanged) {
      const select = this.buildSelect();
      this.select.replaceWith(select);
      this.select = select;
    }
    this.select.value = scope.kind;
    this.include.value = scope.include;
    this.exclude.value = scope.exclude;
    // Globs in use are never hidden, as in VS Code's Search view.
    if (scope.include || scope.exclude) this.showDetails(true);
  }

  private buildSelect(): VscodeSingleSelect {
    const select = document.createElement('vscode-single-select') as VscodeSingleSelect;
    select.id = 'scope-kind';
    select.setAttribute('aria-label', 'Search in');
    const option = (value: ScopeKind, label: string) => {
      const item = document.createElement('vscode-option');
      item.setAttribute('value', value);
      item.textContent = label;
      return item;
    };
    for (const [value, label] of Object.entries(KIND_LABELS)) select.append(option(value as ScopeKind, label));
    if (this.scope.folder) select.append(option('folder', `Folder ${this.scope.folder}`));
    select.value = this.scope.kind;
    select.addEventListener('change', () => this.changed());
    return select;
  }

  private globField(id: string, label: string, placeholder: string): VscodeTextfield {
    const wrapper = element('label', 'scope-field');
    wrapper.append(element('span', 'scope-field-label', label));
    const field = document.createElement('vscode-textfield') as VscodeTextfield;
    field.id = id;
    field.label = label;
    field.placeholder = placeholder;
    field.addEventListener('input', () => this.changed());
    wrapper.append(field);
    this.details.append(wrapper);
    return field;
  }

  private showDetails(open: boolean): void {
    this.toggle.checked = open;
    this.details.hidden = !open;
  }

  private changed(): void {
    const kind = this.select.value as ScopeKind;
    this.scope = { ...this.scope, kind, include: this.include.value, exclude: this.exclude.value };
    this.onChange({ kind, include: this.scope.include, exclude: this.scope.exclude });
  }
}
