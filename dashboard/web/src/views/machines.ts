// Machines: a server-paged, server-sorted grid (fast at 100,000 machines: the browser only ever holds one page),
// filters in the URL so a view can be linked, live row updates in place from the `machines` room, and the detail
// pane on the right.
import { KmsHostListItem, MachineListItem, Page, Summary } from '../../../../shared/api.js';
import { channelLabel, CHANNELS } from '../../../../shared/channel.js';
import { LICENSE_STATUSES } from '../../../../shared/license-status.js';
import { DataGrid } from '../components/data-grid.js';
import { healthIcon } from '../components/health-icon.js';
import { MachineDetailPane } from '../components/machine-detail.js';
import { emptyState, errorState, pageHead, statusCell, timeAgo } from '../components/page.js';
import { h, replaceChildren, setText } from '../lib/dom.js';
import { num } from '../lib/format.js';
import { href, type Route } from '../lib/router.js';
import { emptyFleetCommands } from '../lib/fleet-figures.js';
import { Disposer, type View, type ViewFactory } from './view.js';

const PAGE_SIZE = 100;
const MachinePage = Page(MachineListItem);
const KmsHostPage = Page(KmsHostListItem);

interface Filters {
  status: string;
  channel: string;
  kmsHost: string;
  group: string;
  q: string;
  sort: string;
  page: number;
}

function filtersOf(route: Route): Filters {
  const q = route.query;
  return {
    status: q.get('status') ?? '',
    channel: q.get('channel') ?? '',
    kmsHost: q.get('kmsHost') ?? '',
    group: q.get('group') ?? '',
    q: q.get('q') ?? '',
    sort: q.get('sort') ?? 'hostname',
    page: Math.max(0, Number(q.get('page') ?? 0) || 0),
  };
}

function sameFilters(a: Filters, b: Filters): boolean {
  return a.status === b.status && a.channel === b.channel && a.kmsHost === b.kmsHost && a.group === b.group && a.q === b.q && a.sort === b.sort && a.page === b.page;
}

function routeHref(f: Filters, machineId?: string): string {
  return href(machineId ? ['machines', machineId] : ['machines'], {
    status: f.status,
    channel: f.channel,
    kmsHost: f.kmsHost,
    group: f.group,
    q: f.q,
    sort: f.sort === 'hostname' ? undefined : f.sort,
    page: f.page ? String(f.page) : undefined,
  });
}

const STATUS_OPTIONS: Array<[string, string]> = [
  ['', 'Any status'],
  ['0,2,3,4,5,6', 'Not licensed (any)'],
  ...LICENSE_STATUSES.map((s) => [String(s.value), s.label] as [string, string]),
  ['2,3,4,6', 'In any grace period'],
  ['none', 'No Windows product'],
];

function select(options: Array<[string, string]>, value: string, testid: string, onChange: (v: string) => void): HTMLSelectElement {
  const el = h('select', { attrs: { 'data-testid': testid }, on: { change: () => onChange(el.value) } }, options.map(([v, l]) => h('option', { attrs: { value: v } }, l)));
  if (!options.some(([v]) => v === value) && value) el.appendChild(h('option', { attrs: { value } }, value));
  el.value = value;
  return el;
}

export const machinesView: ViewFactory = (ctx, route) => {
  const d = new Disposer();
  let f = filtersOf(route);
  let selected: string | null = route.path[1] ?? null;
  let total = 0;
  let loadSeq = 0;
  const changedOffscreen = new Set<string>();

  const grid = new DataGrid<MachineListItem>({
    now: () => ctx.clock.now(),
    key: (m) => m.machineId,
    sort: f.sort,
    onSort: (sort) => go({ ...f, sort, page: 0 }),
    onSelect: (m) => ctx.navigate(routeHref(f, m.machineId)),
    rowClass: (m) => (m.retired ? 'retired' : ''),
    columns: [
      { label: '', class: 'icon', cell: (m) => healthIcon(m.health, 15) },
      { label: 'Host name', sort: 'hostname', class: 'strong', cell: (m) => m.hostname },
      { label: 'Group', sort: 'group', cell: (m) => m.group || '—' },
      { label: 'Licence status', sort: 'status', cell: (m) => statusCell(m.status) },
      { label: 'Channel', sort: 'channel', cell: (m) => (m.channel ? channelLabel(m.channel) : '—') },
      { label: 'Time left', sort: 'graceExpiresAt', cell: (m, now) => (m.status === null ? '—' : m.graceExpiresAt ? timeAgo(m.graceExpiresAt, now, 'left') : m.status === 1 ? 'permanent' : '—') },
      { label: 'KMS host', sort: 'kmsHost', cell: (m) => m.kmsHost ?? '—' },
      { label: 'OS', cell: (m) => m.osCaption ?? '—' },
      { label: 'Office', cell: (m) => m.office ?? '—' },
      { label: 'Last report', sort: 'lastReportAt', cell: (m, now) => timeAgo(m.lastReceivedAt ?? m.lastReportAt, now) },
    ],
  });
  grid.select(selected);

  const search = h('input', { attrs: { type: 'search', placeholder: 'Search host name, machine id or CMID', value: f.q, 'data-testid': 'machine-search' } });
  let searchTimer: ReturnType<typeof setTimeout> | null = null;
  search.addEventListener('input', () => {
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = setTimeout(() => go({ ...f, q: search.value.trim(), page: 0 }), 250);
  });
  d.add(() => {
    if (searchTimer) clearTimeout(searchTimer);
  });
  const statusSel = select(STATUS_OPTIONS, f.status, 'filter-status', (v) => go({ ...f, status: v, page: 0 }));
  const channelSel = select([['', 'Any channel'], ...CHANNELS.map((c) => [c, channelLabel(c)] as [string, string]), ['none', 'No Windows product']], f.channel, 'filter-channel', (v) => go({ ...f, channel: v, page: 0 }));
  const kmsSel = select([['', 'Any KMS host']], f.kmsHost, 'filter-kms-host', (v) => go({ ...f, kmsHost: v, page: 0 }));
  const groupSel = select([['', 'Any group']], f.group, 'filter-group', (v) => go({ ...f, group: v, page: 0 }));
  const countEl = h('span', { class: 'count', attrs: { 'data-testid': 'machine-count' } });
  const changedNote = h('a', { class: 'pill acked', attrs: { href: '#', hidden: true }, on: { click: (e) => { e.preventDefault(); void load(); } } });
  const clear = h('button', { class: 'btn small', on: { click: () => { search.value = ''; go({ status: '', channel: '', kmsHost: '', group: '', q: '', sort: f.sort, page: 0 }); } } }, 'Clear filters');
  const filters = h('div', { class: 'filters' }, search, statusSel, channelSel, kmsSel, groupSel, clear, changedNote, countEl);

  const tableWrap = h('div', { class: 'table-wrap' }, grid.el);
  const prev = h('button', { class: 'btn small', on: { click: () => go({ ...f, page: Math.max(0, f.page - 1) }) } }, '‹ Previous');
  const next = h('button', { class: 'btn small', on: { click: () => go({ ...f, page: f.page + 1 }) } }, 'Next ›');
  const pageInfo = h('span');
  const pager = h('div', { class: 'pager' }, pageInfo, h('span', { class: 'spacer' }), prev, next);
  const pane = h('aside', { class: 'detail-pane' });
  const gridArea = h('div', { class: 'grid-area' }, filters, tableWrap, pager);
  const sub = h('span', null, 'All machines that report to this collector');
  const el = h('div', { class: 'view-col' }, pageHead('Machines', sub), h('div', { class: 'page-body flush' }, h('div', { class: 'split' }, gridArea, pane)));

  let detail: MachineDetailPane | null = null;
  function openDetail(id: string | null): void {
    if (detail && selected === id) return;
    detail?.destroy();
    detail = null;
    selected = id;
    grid.select(id);
    pane.classList.toggle('open', id !== null);
    gridArea.classList.toggle('pane-open', id !== null);
    if (id === null) {
      replaceChildren(pane);
      return;
    }
    detail = new MachineDetailPane(ctx, id, () => ctx.navigate(routeHref(f)));
    replaceChildren(pane, detail.el);
  }
  d.add(() => detail?.destroy());

  function go(nf: Filters): void {
    ctx.navigate(routeHref(nf, selected ?? undefined));
  }

  async function load(): Promise<void> {
    const seq = ++loadSeq;
    changedOffscreen.clear();
    changedNote.hidden = true;
    try {
      const page = await ctx.api.get('/api/v1/machines', MachinePage, {
        status: f.status,
        channel: f.channel,
        kmsHost: f.kmsHost,
        group: f.group,
        q: f.q,
        sort: f.sort,
        offset: f.page * PAGE_SIZE,
        limit: PAGE_SIZE,
      });
      if (seq !== loadSeq) return; // a newer request superseded this one
      total = page.total;
      grid.setItems(page.items);
      grid.select(selected);
      const filtered = Boolean(f.status || f.channel || f.kmsHost || f.group || f.q);
      if (!page.items.length) {
        replaceChildren(
          tableWrap,
          filtered
            ? emptyState('No machine matches these filters', 'Clear a filter or search for part of a host name.', undefined, true)
            : emptyState('No agents have reported yet', 'Machines appear here within seconds of their agent’s first report.', emptyFleetCommands(location.origin)),
        );
      } else if (tableWrap.firstChild !== grid.el) replaceChildren(tableWrap, grid.el);
      const from = f.page * PAGE_SIZE;
      setText(countEl, `${num(total)} machine${total === 1 ? '' : 's'}${filtered ? ' match' : ''}`);
      setText(pageInfo, total ? `${num(from + 1)}–${num(from + page.items.length)} of ${num(total)}` : '');
      prev.disabled = f.page === 0;
      next.disabled = from + page.items.length >= total;
    } catch (err) {
      if (seq === loadSeq) replaceChildren(tableWrap, errorState(err));
    }
  }

  // Filter choices: groups from the summary, KMS hosts from their list (both small next to the machine list).
  ctx.api.get('/api/v1/summary', Summary).then(
    (s) => {
      for (const g of [...s.byGroup].sort((a, b) => a.group.localeCompare(b.group))) if (g.group !== f.group) groupSel.appendChild(h('option', { attrs: { value: g.group } }, g.group || '(no group)'));
      groupSel.value = f.group;
    },
    () => undefined,
  );
  ctx.api.get('/api/v1/kms-hosts', KmsHostPage, { limit: 1000 }).then(
    (p) => {
      for (const k of p.items) if (k.id !== f.kmsHost) kmsSel.appendChild(h('option', { attrs: { value: k.id } }, k.hostname));
      kmsSel.value = f.kmsHost;
    },
    () => undefined,
  );

  d.add(
    ctx.live.subscribe('machines', {
      snapshot: () => undefined,
      delta: (b) => {
        for (const c of b.changes) {
          if (c.type !== 'machine') continue;
          if (!grid.update(c.machine)) changedOffscreen.add(c.machine.machineId);
        }
        if (changedOffscreen.size) {
          changedNote.hidden = false;
          setText(changedNote, `${num(changedOffscreen.size)} other machine${changedOffscreen.size === 1 ? '' : 's'} changed — refresh`);
        }
      },
    }),
  );

  void load();
  openDetail(selected);

  return {
    el,
    crumbs: ['Monitoring', 'Machines'],
    update(r: Route): boolean {
      if (r.path[0] !== 'machines') return false;
      const nf = filtersOf(r);
      const id = r.path[1] ?? null;
      if (!sameFilters(nf, f)) {
        f = nf;
        grid.setSort(f.sort);
        void load();
      }
      openDetail(id);
      return true;
    },
    tick(now) {
      grid.tick(now);
      detail?.tick(now);
    },
    destroy: () => d.dispose(),
  } satisfies View;
};
