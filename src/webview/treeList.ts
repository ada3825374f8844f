// A keyboard-navigable tree (WAI-ARIA tree pattern on flat rows with aria-level): Up/Down move through the visible
// rows, Right expands or enters, Left collapses or goes to the parent, Home/End jump, Enter/Space activates (Ctrl/Cmd+
// Enter to the side). One row is tabbable at a time (roving tabindex).
import { element } from './render';

export interface TreeRowOptions {
  /** Row content; only workspace text through textContent. */
  content: HTMLElement[];
  /** Accessible name of the row. */
  label: string;
  /** Undefined for a leaf. */
  expanded?: boolean;
  /** Enter, Space or a click on a leaf. */
  activate?: (toSide: boolean) => void;
  className?: string;
  /** Kept as data-id (e.g. the result id a member opens). */
  id?: string;
}

interface Row {
  element: HTMLElement;
  level: number;
  parent?: Row;
  children: Row[];
  expanded?: boolean;
  activate?: (toSide: boolean) => void;
}

const isMac = navigator.platform.toUpperCase().includes('MAC');

export class TreeList {
  readonly root: HTMLElement;
  private rows: Row[] = [];
  private readonly byElement = new Map<Element, Row>();
  private focused?: Row;

  constructor(label: string) {
    this.root = element('div', 'tree');
    this.root.setAttribute('role', 'tree');
    this.root.setAttribute('aria-label', label);
    this.root.addEventListener('keydown', (event) => this.onKeyDown(event));
    // However a row got the focus (Tab, a click, a screen reader), it becomes the one the keys move from.
    this.root.addEventListener('focusin', (event) => {
      const row = this.byElement.get(event.target as Element);
      if (row && row !== this.focused) this.makeTabbable(row);
    });
  }

  clear(): void {
    this.rows = [];
    this.byElement.clear();
    this.focused = undefined;
    this.root.replaceChildren();
  }

  /** Appends a row under `parent` (a handle returned by an earlier call), or at the top level. */
  add(options: TreeRowOptions, parent?: object): object {
    const parentRow = parent as Row | undefined;
    const level = parentRow ? parentRow.level + 1 : 1;
    const row: Row = { element: element('div', `tree-row${options.className ? ` ${options.className}` : ''}`), level, parent: parentRow, children: [], expanded: options.expanded, activate: options.activate };
    const node = row.element;
    node.setAttribute('role', 'treeitem');
    node.setAttribute('aria-level', String(level));
    node.setAttribute('aria-label', options.label);
    if (options.id) node.dataset.id = options.id;
    node.tabIndex = this.rows.length ? -1 : 0;
    node.style.setProperty('--level', String(level - 1));
    const twistie = element('span', 'twistie codicon');
    node.append(twistie, ...options.content);
    // A row goes after its parent's last descendant, so the DOM order is the visible order.
    const after = parentRow ? lastDescendant(parentRow) : undefined;
    parentRow?.children.push(row);
    this.byElement.set(node, row);
    const index = after ? this.rows.indexOf(after) + 1 : this.rows.length;
    this.rows.splice(index, 0, row);
    if (after && after.element.nextSibling) this.root.insertBefore(node, after.element.nextSibling);
    else this.root.append(node);
    node.addEventListener('click', (event) => {
      this.focus(row);
      if (row.expanded !== undefined && (event.target === twistie || !row.activate)) this.setExpanded(row, !row.expanded);
      else row.activate?.(isMac ? event.metaKey : event.ctrlKey);
    });
    if (parentRow && parentRow.expanded === undefined) this.setExpanded(parentRow, false);
    this.refresh(row);
    if (!this.focused) this.focused = row;
    return row;
  }

  /** Expands or collapses every row with children. */
  setAllExpanded(expanded: boolean): void {
    for (const row of this.rows) if (row.children.length) this.setExpanded(row, expanded);
  }

  private setExpanded(row: Row, expanded: boolean): void {
    row.expanded = expanded;
    this.refresh(row);
    for (const descendant of descendants(row)) descendant.element.hidden = !isVisible(descendant);
    if (this.focused && !isVisible(this.focused)) this.focus(row);
  }

  private refresh(row: Row): void {
    const twistie = row.element.firstElementChild as HTMLElement;
    if (row.expanded === undefined) {
      row.element.removeAttribute('aria-expanded');
      twistie.className = 'twistie';
    } else {
      row.element.setAttribute('aria-expanded', String(row.expanded));
      twistie.className = `twistie codicon codicon-chevron-${row.expanded ? 'down' : 'right'}`;
    }
    row.element.hidden = !isVisible(row);
  }

  private focus(row: Row): void {
    this.makeTabbable(row);
    row.element.focus();
    row.element.scrollIntoView({ block: 'nearest' });
  }

  private makeTabbable(row: Row): void {
    if (this.focused) this.focused.element.tabIndex = -1;
    this.focused = row;
    row.element.tabIndex = 0;
  }

  private onKeyDown(event: KeyboardEvent): void {
    const visible = this.rows.filter(isVisible);
    const current = this.focused && visible.includes(this.focused) ? this.focused : visible[0];
    if (!current) return;
    const at = visible.indexOf(current);
    switch (event.key) {
      case 'ArrowDown':
        if (visible[at + 1]) this.focus(visible[at + 1]);
        break;
      case 'ArrowUp':
        if (visible[at - 1]) this.focus(visible[at - 1]);
        break;
      case 'Home':
        this.focus(visible[0]);
        break;
      case 'End':
        this.focus(visible[visible.length - 1]);
        break;
      case 'ArrowRight':
        if (current.expanded === false) this.setExpanded(current, true);
        else if (current.expanded && current.children[0]) this.focus(current.children[0]);
        break;
      case 'ArrowLeft':
        if (current.expanded) this.setExpanded(current, false);
        else if (current.parent) this.focus(current.parent);
        break;
      case 'Enter':
      case ' ':
        if (current.activate) current.activate(isMac ? event.metaKey : event.ctrlKey);
        else if (current.expanded !== undefined) this.setExpanded(current, !current.expanded);
        break;
      default:
        return;
    }
    event.preventDefault();
  }
}

function isVisible(row: Row): boolean {
  for (let parent = row.parent; parent; parent = parent.parent) if (!parent.expanded) return false;
  return true;
}

function descendants(row: Row): Row[] {
  return row.children.flatMap((child) => [child, ...descendants(child)]);
}

function lastDescendant(row: Row): Row {
  const children = row.children;
  return children.length ? lastDescendant(children[children.length - 1]) : row;
}
