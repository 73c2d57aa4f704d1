// Expiry Forecast: machines reaching Notification on each of the next 60 days if nothing is activated or renewed,
// and, for the chosen day (click a bar), the machines behind it.
import { expiryWaveChart } from '../components/charts.js';
import { DataGrid } from '../components/data-grid.js';
import { emptyState, errorState, pageHead, panel, timeAgo } from '../components/page.js';
import { h, replaceChildren, setText } from '../lib/dom.js';
import { date, num, plural } from '../lib/format.js';
import { timeText } from '../components/time-text.js';
import { ExpiryWave, type ExpiryWaveMachine } from '../lib/forecast-schemas.js';
import { href, type Route } from '../lib/router.js';
import { Disposer, type View, type ViewFactory } from './view.js';

export const expiryView: ViewFactory = (ctx, route) => {
  const d = new Disposer();
  let wave: ExpiryWave | null = null;
  let selectedDay: string | null = route.query.get('day');
  const sub = h('span', null, 'Loading the forecast…');
  const chart = expiryWaveChart({
    tall: true,
    onClick: (i) => {
      const dayStr = wave?.days[i]?.date;
      if (dayStr) ctx.navigate(href(['expiry'], { day: dayStr }));
    },
    selected: () => (wave && selectedDay ? wave.days.findIndex((x) => x.date === selectedDay) : null),
  });
  d.add(() => chart.destroy());
  const listTitle = h('span');
  const list = h('div');
  const grid = new DataGrid<ExpiryWaveMachine>({
    now: () => ctx.clock.now(),
    key: (m) => `${m.machineId}`,
    onSelect: (m) => ctx.navigate(href(['machines', m.machineId])),
    columns: [
      { label: 'Machine', class: 'strong', cell: (m) => m.hostname },
      { label: 'Group', cell: (m) => m.group || '—' },
      { label: 'Product', cell: (m) => m.product || '—' },
      { label: 'Reaches Notification', cell: (m, now) => h('span', null, timeText(m.notificationAt), h('span', { class: 'muted' }, ' · '), timeAgo(new Date(m.notificationAt).toISOString(), now, 'left')) },
      { label: 'KMS host', cell: (m) => (m.kmsHost ? h('a', { attrs: { href: href(['kms-hosts', m.kmsHost]) } }, m.kmsHost) : '—') },
    ],
  });
  const chartPanel = panel('Machines reaching Notification per day', chart.el, { hint: 'click a bar for its machines' });
  const body = h('div', { class: 'page-body' }, h('div', { class: 'stack' }, chartPanel, panel('Machines', list, { hint: listTitle, tight: true })));
  const el = h('div', { class: 'view-col' }, pageHead('Expiry Forecast', sub), body);

  function renderList(): void {
    if (!wave) return;
    const days = selectedDay ? wave.days.filter((x) => x.date === selectedDay) : wave.days;
    const machines = days.flatMap((x) => x.machines).sort((a, b) => a.notificationAt - b.notificationAt);
    setText(listTitle, selectedDay ? `${plural(machines.length, 'machine')} on ${date(selectedDay)} · ` : `${plural(machines.length, 'machine')} in the next ${wave.days.length - 1} days`);
    if (selectedDay) listTitle.appendChild(h('a', { attrs: { href: '#/expiry' } }, 'show all days'));
    if (!machines.length) return replaceChildren(list, emptyState(selectedDay ? 'No machine reaches Notification that day' : 'No machine reaches Notification in the next 60 days', 'Every KMS client renews before its 180 days run out, and no grace period ends.', undefined, true));
    grid.setItems(machines.slice(0, 1000));
    replaceChildren(list, h('div', { class: 'scroll-box tall' }, grid.el), machines.length > 1000 ? h('div', { class: 'pager' }, `first 1,000 of ${num(machines.length)}`) : null);
  }

  async function load(): Promise<void> {
    try {
      wave = await ctx.api.get('/api/v1/forecast/expiry', ExpiryWave);
      const total = wave.days.reduce((n, x) => n + x.count, 0);
      const peak = wave.days.reduce((m, x) => (x.count > (m?.count ?? 0) ? x : m), wave.days[0]);
      setText(sub, `${plural(total, 'machine')} ${total === 1 ? 'reaches' : 'reach'} Notification in the next ${wave.days.length - 1} days${peak && peak.count ? ` · peak ${num(peak.count)} on ${date(peak.date)}` : ''}${wave.alreadyInNotification ? ` · ${num(wave.alreadyInNotification)} already in Notification` : ''}`);
      chart.update(wave.days.map((x) => ({ date: x.date, count: x.count })));
      renderList();
    } catch (err) {
      replaceChildren(body, errorState(err));
    }
  }
  void load();
  const timer = setInterval(() => void load(), 5 * 60_000);
  d.add(() => clearInterval(timer));

  return {
    el,
    crumbs: ['Monitoring', 'Expiry Forecast'],
    update(r: Route) {
      if (r.path[0] !== 'expiry') return false;
      selectedDay = r.query.get('day');
      if (wave) {
        chart.update(wave.days.map((x) => ({ date: x.date, count: x.count })));
        renderList();
      }
      return true;
    },
    tick: (now) => grid.tick(now),
    destroy: () => d.dispose(),
  } satisfies View;
};
