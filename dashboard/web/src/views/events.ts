// Events: every licensing event the agents read and the collector's own, newest first, paged from the server. New
// events arrive on the `events` room and are prepended on the first page when they match the filter.
import { EventListItem, Page } from '../../../../shared/api.js';
import { DataGrid } from '../components/data-grid.js';
import { healthIcon } from '../components/health-icon.js';
import { emptyState, errorState, pageHead } from '../components/page.js';
import { h, replaceChildren, setText } from '../lib/dom.js';
import { eventHealth, eventText } from '../lib/event-text.js';
import { num } from '../lib/format.js';
import { timeText } from '../components/time-text.js';
import { href, type Route } from '../lib/router.js';
import { Disposer, type View, type ViewFactory } from './view.js';

const EventPage = Page(EventListItem);
const PAGE_SIZE = 100;

const EVENT_FILTERS: Array<[string, string]> = [
  ['', 'All events'],
  ['12288,12289', '12288 / 12289 — client activation'],
  ['12290', '12290 — requests on KMS hosts'],
  ['12293,12294', '12293 / 12294 — DNS publishing'],
  ['8198', '8198 — activation failed'],
  ['1003', '1003 — status check'],
];

export const eventsView: ViewFactory = (ctx, route) => {
  const d = new Disposer();
  let eventId = route.query.get('eventId') ?? '';
  let q = route.query.get('q') ?? '';
  let page = Math.max(0, Number(route.query.get('page') ?? 0) || 0);
  let seq = 0;
  const grid = new DataGrid<EventListItem>({
    now: () => ctx.clock.now(),
    key: (e) => String(e.id),
    onSelect: (e) => ctx.navigate(href(['machines', e.machineId])),
    columns: [
      { label: '', class: 'icon', cell: (e) => healthIcon(eventHealth(e), 14) },
      { label: 'Time', cell: (e) => timeText(e.time) },
      { label: 'Machine', class: 'strong', cell: (e) => e.hostname },
      { label: 'Group', cell: (e) => e.group || '—' },
      { label: 'Log', cell: (e) => e.log },
      { label: 'Id', class: 'num', cell: (e) => (e.payload.kind === 'collector' ? '—' : String(e.eventId)) },
      { label: 'What happened', cell: (e) => eventText(e) },
    ],
  });
  const sel = h('select', { attrs: { 'data-testid': 'filter-event-id' } }, EVENT_FILTERS.map(([v, l]) => h('option', { attrs: { value: v } }, l)));
  sel.value = eventId;
  sel.addEventListener('change', () => ctx.navigate(href(['events'], { eventId: sel.value, q })));
  const search = h('input', { attrs: { type: 'search', placeholder: 'Search machine or text', value: q } });
  let t: ReturnType<typeof setTimeout> | null = null;
  search.addEventListener('input', () => {
    if (t) clearTimeout(t);
    t = setTimeout(() => ctx.navigate(href(['events'], { eventId, q: search.value.trim() })), 300);
  });
  d.add(() => {
    if (t) clearTimeout(t);
  });
  const count = h('span', { class: 'count' });
  const wrap = h('div', { class: 'table-wrap' }, grid.el);
  const prev = h('button', { class: 'btn small', on: { click: () => ctx.navigate(href(['events'], { eventId, q, page: String(Math.max(0, page - 1)) })) } }, '‹ Newer');
  const next = h('button', { class: 'btn small', on: { click: () => ctx.navigate(href(['events'], { eventId, q, page: String(page + 1) })) } }, 'Older ›');
  const info = h('span');
  const el = h(
    'div',
    { class: 'view-col' },
    pageHead('Events', 'Security-SPP, Key Management Service and vawatch events, newest first'),
    h('div', { class: 'page-body flush' }, h('div', { class: 'split' }, h('div', { class: 'grid-area' }, h('div', { class: 'filters' }, search, sel, count), wrap, h('div', { class: 'pager' }, info, h('span', { class: 'spacer' }), prev, next)))),
  );

  async function load(): Promise<void> {
    const mine = ++seq;
    try {
      const p = await ctx.api.get('/api/v1/events', EventPage, { eventId, q, offset: page * PAGE_SIZE, limit: PAGE_SIZE });
      if (mine !== seq) return;
      grid.setItems(p.items);
      if (!p.items.length) replaceChildren(wrap, emptyState(eventId || q ? 'No event matches' : 'No events yet', 'Agents send the activation events they read from the Application and Key Management Service logs.', undefined, true));
      else if (wrap.firstChild !== grid.el) replaceChildren(wrap, grid.el);
      setText(count, `${num(p.total)} events`);
      setText(info, p.total ? `${num(page * PAGE_SIZE + 1)}–${num(page * PAGE_SIZE + p.items.length)} of ${num(p.total)}` : '');
      prev.disabled = page === 0;
      next.disabled = (page + 1) * PAGE_SIZE >= p.total;
    } catch (err) {
      if (mine === seq) replaceChildren(wrap, errorState(err));
    }
  }

  function matches(e: EventListItem): boolean {
    if (eventId && !eventId.split(',').includes(String(e.eventId))) return false;
    if (q && !`${e.hostname} ${eventText(e)}`.toLowerCase().includes(q.toLowerCase())) return false;
    return true;
  }

  d.add(
    ctx.live.subscribe('events', {
      snapshot: () => undefined,
      delta: (b) => {
        if (page !== 0) return;
        for (const c of b.changes) if (c.type === 'event' && matches(c.event)) grid.prepend(c.event, PAGE_SIZE);
        if (grid.size && wrap.firstChild !== grid.el) replaceChildren(wrap, grid.el);
      },
    }),
  );
  void load();

  return {
    el,
    crumbs: ['Monitoring', 'Events'],
    update(r: Route) {
      if (r.path[0] !== 'events') return false;
      eventId = r.query.get('eventId') ?? '';
      q = r.query.get('q') ?? '';
      page = Math.max(0, Number(r.query.get('page') ?? 0) || 0);
      sel.value = eventId;
      void load();
      return true;
    },
    tick: (now) => grid.tick(now),
    destroy: () => d.dispose(),
  } satisfies View;
};
