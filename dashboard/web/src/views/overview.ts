// Overview: fleet health at a glance. The Summary arrives on the `overview` room (snapshot, then whole-summary
// deltas), alerts on the `alerts` room; the expiry wave is fetched and refreshed when the summary moves.
import type { Summary } from '../../../../shared/api.js';
import { AlertsModel } from '../lib/alert-model.js';
import { byStatusTotals, emptyFleetCommands, percent } from '../lib/fleet-figures.js';
import { channelLabel, CHANNELS } from '../../../../shared/channel.js';
import { doughnutChart, expiryWaveChart } from '../components/charts.js';
import { healthIcon, HEALTH_LABEL, HEALTH_RANK } from '../components/health-icon.js';
import { kmsTile } from '../components/kms-tile.js';
import { emptyState, errorState, panel, pageHead, STATUS_COLORS, STATUS_ORDER, statusLabel, tickTimes, timeAgo } from '../components/page.js';
import { h, replaceChildren, setText } from '../lib/dom.js';
import { num, plural } from '../lib/format.js';
import { ExpiryWave } from '../lib/forecast-schemas.js';
import { href } from '../lib/router.js';
import { Disposer, type View, type ViewFactory } from './view.js';

export const overviewView: ViewFactory = (ctx) => {
  const d = new Disposer();
  const now = () => ctx.clock.now();
  const sub = h('span', null, 'Waiting for the collector…');
  const fleetHealth = h('span', { class: 'status', attrs: { 'data-testid': 'fleet-health' } });
  const kpis = h('div', { class: 'kpis', attrs: { 'data-testid': 'kpis' } });
  const donut = doughnutChart({
    onClick: (i) => {
      const key = donutKeys[i];
      if (key !== undefined) ctx.navigate(href(['machines'], { status: key }));
    },
  });
  d.add(() => donut.destroy());
  let donutKeys: string[] = [];
  const legend = h('div', { class: 'legend', attrs: { 'data-testid': 'status-legend' } });
  const tiles = h('div', { class: 'tiles', attrs: { 'data-testid': 'kms-tiles' } });
  const groups = h('div');
  const channels = h('div', { class: 'legend' });
  const windowsProducts = h('div', { class: 'legend', attrs: { 'data-testid': 'windows-products' } });
  const officeProducts = h('div', { class: 'legend', attrs: { 'data-testid': 'office-products' } });
  const waveEl = h('div', { class: 'fill' });
  const waveHint = h('span');
  let waveDays: ExpiryWave['days'] = [];
  const wave = expiryWaveChart({ onClick: (i) => ctx.navigate(href(['expiry'], { day: waveDays[i]?.date })) });
  d.add(() => wave.destroy());
  const alertsList = h('div', { attrs: { 'data-testid': 'newest-alerts' } });
  const body = h('div', { class: 'page-body' });
  const el = h('div', { class: 'view-col' }, pageHead('Overview', sub, fleetHealth), body);

  const content = h(
    'div',
    { class: 'stack' },
    kpis,
    h(
      'div',
      { class: 'ov-grid' },
      // Three columns stacked independently, the last panel of each stretching, so no column leaves a hole.
      h('div', { class: 'ov-col' }, panel('Licence states', [donut.el, legend], { hint: 'primary Windows product' }), panel('Groups', [groups, h('div', { class: 'subhead' }, 'Channels'), channels])),
      h('div', { class: 'ov-col' }, panel('KMS hosts', tiles, { hint: 'count against 25 (client OS) and 5 (server OS)' }), panel('Expiry wave', waveEl, { hint: waveHint })),
      h(
        'div',
        { class: 'ov-col' },
        panel('Newest alerts', alertsList, { hint: h('a', { attrs: { href: '#/alerts' } }, 'All active alerts →'), tight: true }),
        panel('What the fleet runs', [h('div', { class: 'subhead' }, 'Windows'), windowsProducts, h('div', { class: 'subhead' }, 'Volume Office'), officeProducts]),
      ),
    ),
  );
  waveEl.appendChild(wave.el);
  replaceChildren(body, emptyState('Loading the fleet…', undefined, undefined, true));

  const alerts = new AlertsModel();

  function renderSummary(s: Summary): void {
    if (s.machines.total === 0) {
      replaceChildren(
        body,
        emptyState('No agents have reported yet', 'Start an agent on a Windows machine (or a simulated fleet) and point it at this collector; machines appear here within seconds of their first report.', emptyFleetCommands(location.origin)),
      );
      setText(sub, 'No machines yet');
      replaceChildren(fleetHealth, healthIcon('unknown', 16), 'Unknown');
      return;
    }
    if (body.firstChild !== content) replaceChildren(body, content);
    const t = byStatusTotals(s);
    setText(sub, `${plural(s.machines.total, 'machine')} in ${plural(s.byGroup.length, 'group')} · ${plural(s.kmsHosts.length, 'KMS host')}${s.machines.stale ? ` · ${num(s.machines.stale)} not reporting` : ''}`);
    replaceChildren(fleetHealth, healthIcon(s.health.fleet, 18), h('strong', null, `Fleet ${HEALTH_LABEL[s.health.fleet].toLowerCase()}`));
    const kmsAtRisk = s.kmsHosts.filter((k) => k.health === 'critical' || k.health === 'warning').length;
    replaceChildren(
      kpis,
      kpi('Machines', s.machines.total, s.machines.stale ? `${num(s.machines.stale)} not reporting` : 'all reporting', s.machines.stale ? 'warning' : 'healthy', 'machines'),
      kpi('Licensed', t.licensed, percent(t.licensed, s.machines.total), 'healthy', 'licensed', href(['machines'], { status: '1' })),
      kpi('In grace', t.grace, 'initial, additional, extended', t.grace ? 'warning' : 'healthy', 'grace', href(['machines'], { status: '2,3,4,6' })),
      kpi('Notification', t.notification, 'reduced functionality', t.notification ? 'critical' : 'healthy', 'notification', href(['machines'], { status: '5' })),
      kpi('Unlicensed', t.unlicensed, t.none ? `${num(t.none)} without Windows product` : 'key installed, not activated', t.unlicensed ? 'critical' : 'healthy', 'unlicensed', href(['machines'], { status: '0' })),
      kpi('KMS hosts at risk', kmsAtRisk, `of ${num(s.kmsHosts.length)}`, s.kmsHosts.some((k) => k.health === 'critical') ? 'critical' : kmsAtRisk ? 'warning' : 'healthy', 'kms-at-risk', '#/kms-hosts'),
    );
    const keys = STATUS_ORDER.filter((k) => (s.byStatus[k] ?? 0) > 0);
    donutKeys = keys.slice();
    donut.update({
      labels: keys.map((k) => statusLabel(k === 'none' ? null : Number(k))),
      values: keys.map((k) => s.byStatus[k] ?? 0),
      colors: keys.map((k) => STATUS_COLORS[k]!),
      center: percent(t.licensed, s.machines.total),
      centerLabel: 'licensed',
    });
    replaceChildren(
      legend,
      // Only the states someone is in: a legend of zeros hides the ones that matter.
      STATUS_ORDER.filter((k) => (s.byStatus[k] ?? 0) > 0).map((k) => [
        h('a', { attrs: { href: href(['machines'], { status: k }) }, style: { color: 'inherit' } }, h('span', { class: 'sw', style: { background: STATUS_COLORS[k]! } }), statusLabel(k === 'none' ? null : Number(k))),
        h('span', { class: 'n', data: { status: k } }, num(s.byStatus[k] ?? 0)),
      ]),
    );
    const hosts = [...s.kmsHosts].sort((a, b) => HEALTH_RANK[b.health] - HEALTH_RANK[a.health] || a.hostname.localeCompare(b.hostname));
    replaceChildren(tiles, hosts.length ? hosts.map((k) => kmsTile(k, now())) : emptyState('No KMS hosts known', 'A KMS host appears when its own agent reports, or when clients name it.', undefined, true));
    const gs = [...s.byGroup].sort((a, b) => HEALTH_RANK[b.health] - HEALTH_RANK[a.health] || b.total - a.total).slice(0, 5);
    replaceChildren(
      groups,
      h(
        'table',
        { class: 'grid static mini' },
        h('thead', null, h('tr', null, h('th', null, 'Group'), h('th', { class: 'num' }, 'Machines'), h('th', { class: 'num' }, 'Not licensed'))),
        h(
          'tbody',
          null,
          gs.map((g) => {
            const notLicensed = g.total - (g.byStatus['1'] ?? 0);
            return h(
              'tr',
              { on: { click: () => ctx.navigate(href(['machines'], { group: g.group })) } },
              h('td', null, h('span', { class: 'status' }, healthIcon(g.health, 14), g.group || '(no group)')),
              h('td', { class: 'num' }, num(g.total)),
              h('td', { class: 'num' }, notLicensed ? num(notLicensed) : '—'),
            );
          }),
        ),
      ),
      s.byGroup.length > gs.length ? h('a', { class: 'more', attrs: { href: '#/machines' } }, `and ${plural(s.byGroup.length - gs.length, 'more group')}`) : null,
    );
    replaceChildren(
      channels,
      [...CHANNELS, 'none' as const]
        .filter((c) => (s.byChannel[c] ?? 0) > 0)
        .map((c) => [h('span', null, c === 'none' ? 'No Windows product' : channelLabel(c)), h('span', { class: 'n' }, num(s.byChannel[c] ?? 0))]),
    );
    const products = (list: Array<{ name: string; count: number }> | undefined, none: string) =>
      list?.length ? list.map((p) => [h('span', null, p.name.replace(/^Microsoft /, '')), h('span', { class: 'n' }, num(p.count))]) : h('span', { class: 'muted' }, none);
    replaceChildren(windowsProducts, products(s.byProduct?.windows, 'No snapshot yet'));
    replaceChildren(officeProducts, products(s.byProduct?.office, 'No volume Office seen'));
    scheduleWave();
  }

  function kpi(label: string, value: number, note: string, level: 'healthy' | 'warning' | 'critical' | 'unknown', testid: string, link?: string): HTMLElement {
    const inner = [healthIcon(level, 26), h('div', null, h('div', { class: 'v', attrs: { 'data-testid': `kpi-${testid}` } }, num(value)), h('div', { class: 'l' }, label), h('div', { class: 'l note' }, note))];
    return link ? h('a', { class: `kpi ${level}`, attrs: { href: link } }, inner) : h('div', { class: `kpi ${level}` }, inner);
  }

  function renderAlerts(): void {
    const list = alerts.active().slice(0, 8);
    ctx.setAlertBadge(alerts.counts.active, alerts.counts.critical);
    if (!list.length) {
      replaceChildren(alertsList, emptyState(alerts.loaded ? 'No active alerts' : 'Alerts not available yet', alerts.loaded ? 'Every rule is quiet.' : 'The alert engine has not reported.', undefined, true));
      return;
    }
    replaceChildren(
      alertsList,
      list.map((a) =>
        h(
          'a',
          { class: `mini-alert ${a.severity} ${a.state}`, attrs: { href: href(['alerts', a.id]) } },
          healthIcon(a.severity === 'critical' ? 'critical' : 'warning', 16),
          h('div', { class: 'ma-main' }, h('div', { class: 'ma-title' }, a.title), h('div', { class: 'ma-sub' }, a.rule, ' · ', a.subject.name)),
          h('div', { class: 'ma-age' }, timeAgo(a.raisedAt, now()), a.state === 'acknowledged' ? h('div', { class: 'pill acked' }, 'acknowledged') : null),
        ),
      ),
    );
  }

  let waveTimer: ReturnType<typeof setTimeout> | null = null;
  let waveLoadedAt = 0;
  function scheduleWave(): void {
    // The wave needs a computation on the server; refresh at most every 30 s while the fleet changes.
    if (waveTimer) return;
    const wait = Math.max(0, waveLoadedAt + 30_000 - now());
    waveTimer = setTimeout(() => {
      waveTimer = null;
      void loadWave();
    }, wait);
  }
  d.add(() => {
    if (waveTimer) clearTimeout(waveTimer);
  });
  async function loadWave(): Promise<void> {
    waveLoadedAt = now();
    try {
      const w = await ctx.api.get('/api/v1/forecast/expiry', ExpiryWave);
      waveDays = w.days;
      const total = w.days.reduce((n, x) => n + x.count, 0);
      setText(waveHint, `${plural(total, 'machine')} ${total === 1 ? 'reaches' : 'reach'} Notification in the next ${w.days.length - 1} days`);
      if (waveEl.firstChild !== wave.el) replaceChildren(waveEl, wave.el);
      wave.update(w.days.map((x) => ({ date: x.date, count: x.count })));
    } catch (err) {
      replaceChildren(waveEl, errorState(err));
    }
  }

  d.add(
    ctx.live.subscribe('overview', {
      snapshot: (s) => {
        if (s.kind === 'overview') renderSummary(s.summary);
      },
      delta: (b) => {
        for (const c of b.changes) if (c.type === 'summary') renderSummary(c.summary);
      },
    }),
  );
  d.add(
    ctx.live.subscribe('alerts', {
      snapshot: (s) => {
        if (s.kind !== 'alerts') return;
        alerts.reset(s.alerts, s.counts);
        renderAlerts();
      },
      delta: (b) => {
        for (const c of b.changes) {
          if (c.type === 'alert') alerts.apply(c.alert);
          else if (c.type === 'alert-counts') alerts.counts = c.counts;
        }
        renderAlerts();
      },
    }),
  );
  renderAlerts();

  const view: View = {
    el,
    crumbs: ['Monitoring', 'Overview'],
    tick: (t) => tickTimes(el, t),
    destroy: () => d.dispose(),
  };
  return view;
};
