// NOC wall mode (`?kiosk=1` or #/noc): dark, large type, no chrome, worst first. Built to run for days: one socket,
// a fixed set of DOM nodes redrawn at most twice a second, a fresh snapshot every 15 minutes as a safety net, and
// socket.io's own reconnection with the banner showing while it is away.
import type { Summary } from '../../../../shared/api.js';
import { expiryWaveChart } from '../components/charts.js';
import { ExpiryWave } from '../lib/forecast-schemas.js';
import { healthIcon, HEALTH_LABEL, HEALTH_RANK, type Health } from '../components/health-icon.js';
import { kmsTile } from '../components/kms-tile.js';
import { emptyState, STATUS_COLORS, STATUS_ORDER, statusLabel, tickTimes } from '../components/page.js';
import { h, replaceChildren, setText } from '../lib/dom.js';
import { clock as clockText, duration, num, plural, relative } from '../lib/format.js';
import { renderAge, renderConnection } from '../shell.js';
import { AlertsModel } from '../lib/alert-model.js';
import { byStatusTotals, emptyFleetCommands } from '../lib/fleet-figures.js';
import { Disposer, type View, type ViewFactory } from './view.js';

const RESYNC_MS = 15 * 60_000;
const WAVE_REFRESH_MS = 10 * 60_000;
const MAX_ALERTS = 9;
const MAX_TILES = 12;

export const nocView: ViewFactory = (ctx) => {
  const d = new Disposer();
  const kiosk = new URLSearchParams(location.search).get('kiosk') === '1';
  const now = () => ctx.clock.now();
  const fleetIcon = h('span');
  const clockEl = h('div', { class: 'clock' });
  const conn = h('span', { class: 'conn' });
  const age = h('span', { class: 'age' });
  const banner = h('div', { class: 'banner', attrs: { role: 'alert', 'data-testid': 'connection-banner' } });
  const kpis = h('div', { class: 'noc-kpis', attrs: { 'data-testid': 'noc-kpis' } });
  const tiles = h('div', { class: 'tiles' });
  const stack = h('div', { class: 'stackbar', attrs: { 'data-testid': 'noc-states' } });
  const stackLegend = h('div', { class: 'stackbar-legend' });
  const groupsEl = h('div', { class: 'noc-groups' });
  const wave = expiryWaveChart({ short: true });
  d.add(() => wave.destroy());
  const waveTitle = h('h2', null, 'Reaching Notification · next 60 days');
  const waveBox = h('div', { class: 'noc-wave' }, waveTitle, wave.el);
  waveBox.hidden = true;
  const alertsEl = h('div', { class: 'stack', attrs: { 'data-testid': 'noc-alerts' } });
  const alertsTitle = h('h2', null, 'Active alerts');
  const exit = kiosk ? null : h('a', { class: 'top-btn exit', attrs: { href: '#/overview', 'data-testid': 'noc-exit' } }, 'Exit wall mode');
  const full =
    kiosk || !document.fullscreenEnabled
      ? null
      : h('button', { class: 'top-btn exit', on: { click: () => void (document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen()).catch(() => undefined) } }, 'Full screen');
  const el = h(
    'div',
    { class: 'noc', attrs: { 'data-testid': 'noc' } },
    h('div', { class: 'noc-head' }, h('div', { class: 'title' }, fleetIcon, 'Volume activation'), conn, age, h('div', { class: 'clock-wrap', style: { flex: '1' } }), clockEl, full, exit),
    h('div', null, banner, kpis),
    h('div', { class: 'noc-body' }, h('div', { class: 'noc-col' }, h('h2', null, 'KMS hosts'), tiles, h('h2', null, 'Licence states'), h('div', null, stack, stackLegend), h('h2', null, 'Groups'), groupsEl, waveBox), h('div', { class: 'noc-col' }, alertsTitle, alertsEl)),
  );

  let summary: Summary | null = null;
  const alerts = new AlertsModel();
  let pending: ReturnType<typeof setTimeout> | null = null;
  function schedule(): void {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      render();
    }, 250);
  }
  d.add(() => {
    if (pending) clearTimeout(pending);
  });

  function render(): void {
    const t = now();
    if (summary && summary.machines.total === 0) {
      replaceChildren(kpis, emptyState('No agents have reported yet', 'Machines appear within seconds of their first report.', emptyFleetCommands(location.origin)));
      replaceChildren(tiles);
    } else if (summary) {
      const s = summary;
      const tot = byStatusTotals(s);
      replaceChildren(fleetIcon, healthIcon(s.health.fleet, 36));
      fleetIcon.title = `Fleet ${HEALTH_LABEL[s.health.fleet]}`;
      const active = alerts.active();
      const critical = active.filter((a) => a.severity === 'critical').length;
      replaceChildren(
        kpis,
        kpi('Machines', s.machines.total, s.machines.stale ? 'warning' : 'healthy', s.machines.stale ? `${num(s.machines.stale)} not reporting` : 'all reporting'),
        kpi('Notification', tot.notification, tot.notification ? 'critical' : 'healthy', 'reduced functionality'),
        kpi('Unlicensed', tot.unlicensed, tot.unlicensed ? 'critical' : 'healthy', 'not activated'),
        kpi('In grace', tot.grace, tot.grace ? 'warning' : 'healthy', 'counting down'),
        kpi('Active alerts', active.length, critical ? 'critical' : active.length ? 'warning' : 'healthy', `${num(critical)} critical`),
      );
      const hosts = [...s.kmsHosts].sort((a, b) => HEALTH_RANK[b.health] - HEALTH_RANK[a.health] || a.hostname.localeCompare(b.hostname));
      replaceChildren(
        tiles,
        hosts.length ? hosts.slice(0, MAX_TILES).map((k) => kmsTile(k, t, { shortName: true, iconSize: 26 })) : emptyState('No KMS hosts known', undefined, undefined, true),
        hosts.length > MAX_TILES ? h('div', { class: 'noc-more' }, `and ${hosts.length - MAX_TILES} more hosts`) : null,
      );
      const keys = STATUS_ORDER.filter((k) => (s.byStatus[k] ?? 0) > 0);
      replaceChildren(stack, keys.map((k) => h('div', { title: statusLabel(k === 'none' ? null : Number(k)), style: { width: `${((s.byStatus[k] ?? 0) / s.machines.total) * 100}%`, background: STATUS_COLORS[k]! } })));
      replaceChildren(stackLegend, keys.map((k) => h('span', null, h('span', { class: 'sw', style: { background: STATUS_COLORS[k]! } }), statusLabel(k === 'none' ? null : Number(k)), h('b', null, num(s.byStatus[k] ?? 0)))));
      const groups = [...s.byGroup].sort((a, b) => HEALTH_RANK[b.health] - HEALTH_RANK[a.health] || b.total - a.total).slice(0, 8);
      replaceChildren(
        groupsEl,
        groups.map((g) => h('div', { class: 'noc-group' }, healthIcon(g.health, 22), h('div', { style: { minWidth: '0' } }, h('div', { class: 'g' }, g.group || '(no group)'), h('div', { class: 'n' }, `${num(g.total)} · ${num(g.total - (g.byStatus['1'] ?? 0))} not licensed`)))),
      );
    }
    const list = alerts.active();
    setText(alertsTitle, list.length ? `Active alerts · ${num(list.length)}` : 'Active alerts');
    replaceChildren(
      alertsEl,
      list.length
        ? [
            ...list.slice(0, MAX_ALERTS).map((a) =>
              h(
                'div',
                { class: `noc-alert ${a.severity} ${a.state}` },
                healthIcon(a.severity === 'critical' ? 'critical' : 'warning', 30),
                h('div', { style: { flex: '1' } }, h('div', { class: 'r' }, a.title), h('div', { class: 'd' }, `${a.rule} · ${a.kmsHost ? `via ${a.kmsHost}` : a.subject.name}`)),
                h('div', { class: 'a' }, relative(a.raisedAt, t), a.state === 'acknowledged' ? h('div', null, 'acknowledged') : null),
              ),
            ),
            list.length > MAX_ALERTS ? h('div', { class: 'noc-more' }, `and ${list.length - MAX_ALERTS} more`) : null,
          ]
        : h('div', { class: 'noc-quiet' }, healthIcon('healthy', 44), h('div', null, h('div', { class: 'r' }, 'All quiet'), h('div', { class: 'd' }, 'No active alerts'))),
    );
    ctx.setAlertBadge(alerts.counts.active, alerts.counts.critical);
  }

  function kpi(label: string, value: number, level: Health, note: string): HTMLElement {
    return h('div', { class: `noc-kpi ${level}` }, h('div', { class: 'v', attrs: { 'data-testid': `noc-${label.toLowerCase().replace(/\s+/g, '-')}` } }, num(value)), h('div', { class: 'l' }, label, h('span', { class: 'muted' }, ` · ${note}`)));
  }

  function tickStatus(): void {
    const t = now();
    setText(clockEl, clockText(t));
    const s = ctx.live.status;
    renderConnection(conn, s);
    renderAge(age, s, t);
    const lost = s.state === 'reconnecting' || s.state === 'offline';
    banner.classList.toggle('show', lost);
    banner.classList.toggle('offline', s.state === 'offline');
    if (lost) setText(banner, `Connection to the collector lost${s.lostAt ? ` ${duration(t - s.lostAt)} ago` : ''} — reconnecting by itself. Figures below may be out of date.`);
  }

  d.add(
    ctx.live.subscribe('overview', {
      snapshot: (s) => {
        if (s.kind !== 'overview') return;
        summary = s.summary;
        schedule();
      },
      delta: (b) => {
        for (const c of b.changes) if (c.type === 'summary') summary = c.summary;
        schedule();
      },
    }),
  );
  d.add(
    ctx.live.subscribe('alerts', {
      snapshot: (s) => {
        if (s.kind !== 'alerts') return;
        alerts.reset(s.alerts, s.counts);
        schedule();
      },
      delta: (b) => {
        for (const c of b.changes) {
          if (c.type === 'alert') alerts.apply(c.alert);
          else if (c.type === 'alert-counts') alerts.counts = c.counts;
        }
        schedule();
      },
    }),
  );
  d.add(ctx.live.onStatus(() => tickStatus()));
  async function loadWave(): Promise<void> {
    try {
      const w = await ctx.api.get('/api/v1/forecast/expiry', ExpiryWave);
      const total = w.days.reduce((n, x) => n + x.count, 0);
      setText(waveTitle, `Reaching Notification · next ${w.days.length - 1} days · ${num(total)}`);
      wave.update(w.days.map((x) => ({ date: x.date, count: x.count })));
      waveBox.hidden = false;
    } catch {
      waveBox.hidden = true; // no alert engine on this collector: the wall simply leaves the wave out
    }
  }
  void loadWave();
  const waveTimer = setInterval(() => void loadWave(), WAVE_REFRESH_MS);
  d.add(() => clearInterval(waveTimer));
  const resync = setInterval(() => ctx.live.resync(), RESYNC_MS);
  d.add(() => clearInterval(resync));
  tickStatus();
  render();

  return {
    el,
    crumbs: ['NOC'],
    tick: (t) => {
      tickStatus();
      tickTimes(el, t);
    },
    destroy: () => d.dispose(),
  } satisfies View;
};
