// A dense grid whose rows are keyed by id, so a live change rewrites one row in place (and flashes it) instead of
// re-rendering the table. Sorting and paging belong to the server; the grid only reports clicks.
import { h, type Child } from '../lib/dom.js';
import { tickTimes } from './page.js';

export interface Column<T> {
  label: string;
  /** Server sort key; makes the header clickable. */
  sort?: string;
  class?: string;
  cell: (item: T, now: number) => Child;
}

export interface DataGridOptions<T> {
  columns: Column<T>[];
  key: (item: T) => string;
  onSelect?: (item: T) => void;
  onSort?: (sort: string) => void;
  /** Current sort, `key` or `-key`. */
  sort?: string;
  static?: boolean;
  now: () => number;
  rowClass?: (item: T) => string;
}

export class DataGrid<T> {
  readonly el: HTMLTableElement;
  readonly #opts: DataGridOptions<T>;
  readonly #tbody: HTMLTableSectionElement;
  readonly #thead: HTMLTableSectionElement;
  readonly #rows = new Map<string, { tr: HTMLTableRowElement; item: T }>();
  #selected: string | null = null;
  #sort: string | undefined;

  constructor(opts: DataGridOptions<T>) {
    this.#opts = opts;
    this.#sort = opts.sort;
    this.#thead = h('thead');
    this.#tbody = h('tbody');
    this.el = h('table', { class: opts.static ? 'grid static' : 'grid' }, this.#thead, this.#tbody);
    this.#renderHead();
  }

  get size(): number {
    return this.#rows.size;
  }

  has(id: string): boolean {
    return this.#rows.has(id);
  }

  get(id: string): T | undefined {
    return this.#rows.get(id)?.item;
  }

  setSort(sort: string | undefined): void {
    this.#sort = sort;
    this.#renderHead();
  }

  setItems(items: readonly T[]): void {
    this.#rows.clear();
    const frag = document.createDocumentFragment();
    for (const item of items) {
      const tr = this.#renderRow(item);
      this.#rows.set(this.#opts.key(item), { tr, item });
      frag.appendChild(tr);
    }
    this.#tbody.replaceChildren(frag);
  }

  /** Replaces the row of an item already shown; returns false when it is not on screen. */
  update(item: T, flash = true): boolean {
    const id = this.#opts.key(item);
    const row = this.#rows.get(id);
    if (!row) return false;
    const tr = this.#renderRow(item);
    if (flash) tr.classList.add('flash');
    row.tr.replaceWith(tr);
    this.#rows.set(id, { tr, item });
    return true;
  }

  /** Adds a row at the top (new events). Drops the last row beyond `max`. */
  prepend(item: T, max: number): void {
    const id = this.#opts.key(item);
    if (this.update(item)) return;
    const tr = this.#renderRow(item);
    tr.classList.add('flash');
    this.#tbody.prepend(tr);
    this.#rows.set(id, { tr, item });
    while (this.#rows.size > max) {
      const last = this.#tbody.lastElementChild as HTMLTableRowElement | null;
      if (!last) break;
      const lastId = last.dataset['id'];
      last.remove();
      if (lastId !== undefined) this.#rows.delete(lastId);
    }
  }

  select(id: string | null): void {
    this.#selected = id;
    for (const [rid, { tr }] of this.#rows) tr.classList.toggle('selected', rid === id);
  }

  tick(now: number): void {
    tickTimes(this.#tbody, now);
  }

  #renderHead(): void {
    const cur = this.#sort?.replace(/^-/, '');
    const desc = this.#sort?.startsWith('-') ?? false;
    const tr = h('tr');
    for (const c of this.#opts.columns) {
      const th = h('th', { class: `${c.class ?? ''} ${c.sort ? 'sortable' : ''}` }, c.label);
      if (c.sort) {
        th.setAttribute('aria-sort', cur === c.sort ? (desc ? 'descending' : 'ascending') : 'none');
        if (cur === c.sort) th.appendChild(h('span', { class: 'arrow' }, desc ? '▼' : '▲'));
        th.addEventListener('click', () => {
          const next = cur === c.sort && !desc ? `-${c.sort}` : c.sort!;
          this.setSort(next);
          this.#opts.onSort?.(next);
        });
      }
      tr.appendChild(th);
    }
    this.#thead.replaceChildren(tr);
  }

  #renderRow(item: T): HTMLTableRowElement {
    const now = this.#opts.now();
    const id = this.#opts.key(item);
    const tr = h('tr', { data: { id }, class: this.#opts.rowClass?.(item) ?? '' });
    if (id === this.#selected) tr.classList.add('selected');
    for (const c of this.#opts.columns) tr.appendChild(h('td', { class: c.class ?? '' }, c.cell(item, now)));
    if (this.#opts.onSelect) {
      const onSelect = this.#opts.onSelect;
      tr.addEventListener('click', () => onSelect(this.#rows.get(id)?.item ?? item));
    }
    return tr;
  }
}
