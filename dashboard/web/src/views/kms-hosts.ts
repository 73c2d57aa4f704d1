// KMS Hosts: the list (live from the overview room's summary) and one host's page — count over time with the 25 / 5
// thresholds and the forecast dashed, the client window with each client's age-out date, request results and the
// blast radius if the host stopped answering now.
import { KmsHostDetail, KmsHostListItem, Page, type KmsClientWindowEntry } from '../../../../shared/api.js';
import { describeHresult } from '../../../../shared/hresult.js';
import { KMS_CLIENT_THRESHOLD, KMS_SERVER_THRESHOLD } from '../../../../shared/kms-rules.js';
import { licenseStatusInfo } from '../../../../shared/license-status.js';
import { countChart } from '../components/charts.js';
import { DataGrid } from '../components/data-grid.js';
import { healthIcon, HEALTH_RANK } from '../components/health-icon.js';
import { countGauge, countLevel, countOf, inferredMarker, officeOf, thresholdOf } from '../components/kms-tile.js';
import { timeText } from '../components/time-text.js';
import { emptyState, errorState, pageHead, panel, tickTimes, timeAgo } from '../components/page.js';
import { ApiError } from '../lib/api-client.js';
import { h, replaceChildren, setText, type Child } from '../lib/dom.js';
import { eventHealth, eventText } from '../lib/event-text.js';
import { date, dateTime, hresult, num, plural, relative } from '../lib/format.js';
import { BlastRadius, KmsCountForecast, type KmsCountForecastOne } from '../lib/forecast-schemas.js';
import { href, type Route } from '../lib/router.js';
import { Disposer, type View, type ViewContext, type ViewFactory } from './view.js';

const KmsHostPage = Page(KmsHostListItem);

export const kmsHostsView: ViewFactory = (ctx, route) => (route.path[1] ? kmsHostPage(ctx, route.path[1]) : kmsHostList(ctx));

function kmsHostList(ctx: ViewContext): View {
  const d = new Disposer();
  const grid = new DataGrid<KmsHostListItem>({
    now: () => ctx.clock.now(),
    key: (k) => k.id,
    onSelect: (k) => ctx.navigate(href(['kms-hosts', k.id])),
    columns: [
      { label: '', class: 'icon', cell: (k) => healthIcon(k.health, 15) },
      { label: 'KMS host', class: 'strong', cell: (k) => h('span', null, k.hostname, inferredMarker(k)) },
      { label: 'Windows count', class: 'num', cell: (k) => num(countOf(k)) },
      { label: 'Needs', class: 'num', cell: (k) => String(thresholdOf(k)) },
      { label: 'Against 5 and 25', cell: (k) => h('div', { style: { width: '180px' } }, countGauge(k)) },
      {
        label: 'Office count',
        class: 'num',
        cell: (k) => {
          const o = officeOf(k);
          return o ? h('span', { class: o.belowThreshold ? 'sev critical' : '', title: `Office needs ${o.threshold}` }, `${num(o.currentCount)} / ${o.threshold}`) : '—';
        },
      },
      { label: 'Machines using it', class: 'num', cell: (k) => `${num(k.clientsUsing)} (${num(k.clientOsUsing)} client OS)` },
      { label: 'Clients in window', class: 'num', cell: (k) => num(k.windowCount) },
      { label: 'Last request', cell: (k, now) => (k.lastRequestAt ? timeAgo(k.lastRequestAt, now) : 'none seen') },
      { label: 'DNS', cell: (k) => (k.dnsPublishFailedAt ? h('span', { class: 'sev warning' }, `failed ${hresult(k.dnsPublishFailedHresult)}`) : k.dnsPublishing === false ? 'not publishing' : k.dnsPublishing ? 'publishing' : '—') },
      { label: 'Reported by', cell: (k) => (k.basis === 'host' ? 'its own agent' : h('span', { class: 'muted' }, 'inferred from clients')) },
      { label: 'Group', cell: (k) => k.group ?? '—' },
    ],
  });
  const wrap = h('div', { class: 'table-wrap' }, grid.el);
  const sub = h('span', null, 'Loading…');
  const el = h('div', { class: 'view-col' }, pageHead('KMS Hosts', sub), h('div', { class: 'page-body flush' }, h('div', { class: 'split' }, h('div', { class: 'grid-area' }, wrap))));
  const sortHosts = (items: KmsHostListItem[]) => [...items].sort((a, b) => HEALTH_RANK[b.health] - HEALTH_RANK[a.health] || a.hostname.localeCompare(b.hostname));
  function show(items: KmsHostListItem[]): void {
    setText(sub, items.length ? `${plural(items.length, 'host')} · ${num(items.filter((k) => k.health === 'critical').length)} critical · ${num(items.filter((k) => k.health === 'warning').length)} warning` : 'No KMS hosts known');
    if (!items.length) return replaceChildren(wrap, emptyState('No KMS hosts known yet', 'A KMS host appears when its own agent reports its Key Management Service, or when a client names it as the host it activates against.'));
    if (grid.size !== items.length || items.some((k) => !grid.has(k.id))) {
      grid.setItems(sortHosts(items));
      if (wrap.firstChild !== grid.el) replaceChildren(wrap, grid.el);
    } else for (const k of items) grid.update(k, JSON.stringify(grid.get(k.id)) !== JSON.stringify(k));
  }
  ctx.api.get('/api/v1/kms-hosts', KmsHostPage, { limit: 1000 }).then(
    (p) => show(p.items),
    (err: unknown) => replaceChildren(wrap, errorState(err)),
  );
  d.add(
    ctx.live.subscribe('overview', {
      snapshot: (s) => {
        if (s.kind === 'overview') show(s.summary.kmsHosts);
      },
      delta: (b) => {
        for (const c of b.changes) if (c.type === 'summary') show(c.summary.kmsHosts);
      },
    }),
  );
  return { el, crumbs: ['Monitoring', 'KMS Hosts'], tick: (now) => grid.tick(now), destroy: () => d.dispose() };
}

function kmsHostPage(ctx: ViewContext, id: string): View {
  const d = new Disposer();
  const now = () => ctx.clock.now();
  const title = h('span', null, id);
  const sub = h('span', null, 'Loading…');
  const headIcon = h('span');
  const kpis = h('div', { class: 'kpis', attrs: { 'data-testid': 'kms-kpis' } });
  const chart = countChart();
  d.add(() => chart.destroy());
  const forecastText = h('div', { class: 'forecast-text', attrs: { 'data-testid': 'forecast-text' } }, 'Computing the forecast…');
  const windowBody = h('div');
  const windowHint = h('span');
  const requests = h('div');
  const blast = h('div', { attrs: { 'data-testid': 'blast-radius' } }, 'Computing…');
  const events = h('div');
  const body = h(
    'div',
    { class: 'page-body' },
    h(
      'div',
      { class: 'stack' },
      kpis,
      h('div', { class: 'kms-grid' }, panel('Count over time', [chart.el], { hint: 'reported count · forecast dashed · thresholds 25 and 5' }), panel('Forecast', forecastText)),
      h('div', { class: 'kms-grid-3' }, panel('Client window', windowBody, { hint: windowHint, tight: true }), panel('Request results', requests), panel('Blast radius', blast, { hint: 'if this host stopped answering now' })),
      panel('Host events', events, { tight: true }),
    ),
  );
  const head = pageHead('', sub, h('a', { class: 'btn small', attrs: { href: '#/kms-hosts' } }, '‹ All KMS hosts'));
  head.querySelector('h1')!.replaceChildren(h('span', { class: 'status' }, headIcon, title));
  const el = h('div', { class: 'view-col', attrs: { 'data-testid': 'kms-host-page' } }, head, body);

  let detail: KmsHostDetail | null = null;
  let forecast: KmsCountForecast | null = null;
  const windowMap = new Map<string, KmsClientWindowEntry>();
  const windowGrid = new DataGrid<KmsClientWindowEntry>({
    now,
    static: true,
    key: (c) => `${c.application}:${c.cmid}`,
    columns: [
      { label: 'Client', class: 'strong', cell: (c) => h('span', { class: 'status' }, healthIcon(c.hresult === 0 ? 'healthy' : 'warning', 14), c.clientFqdn) },
      { label: 'For', cell: (c) => (c.application === 'office' ? 'Office' : 'Windows') },
      { label: 'Last request', cell: (c, t) => timeAgo(c.lastRequestAt, t) },
      { label: 'Ages out', cell: (c, t) => h('span', { class: Date.parse(c.agesOutAt) - t < 7 * 86_400_000 ? 'soon' : '' }, timeText(c.agesOutAt, 'date'), h('span', { class: 'muted' }, ` (${relative(c.agesOutAt, t)})`)) },
      { label: 'Status', cell: (c) => h('span', { title: `N-policy ${c.nPolicy}${c.isVm ? ' · virtual machine' : ''}` }, licenseStatusInfo(c.licenseStatus)?.label ?? String(c.licenseStatus)) },
      { label: 'Requests', class: 'num', cell: (c) => num(c.requests) },
    ],
  });

  function renderHost(k: KmsHostListItem): void {
    replaceChildren(headIcon, healthIcon(k.health, 20));
    setText(title, k.hostname);
    const need = thresholdOf(k);
    const count = countOf(k);
    const inferred = k.basis === 'clients';
    replaceChildren(
      sub,
      `${k.group ?? 'no group'} · `,
      k.machineId ? h('a', { attrs: { href: href(['machines', k.machineId]) } }, 'host machine') : 'no agent runs on this host',
      ` · Windows judged against ${need} (${k.clientOsUsing > 0 ? 'client OS machines depend on it' : 'only servers use it'})`,
      inferred ? h('span', { attrs: { 'data-testid': 'inferred-note' } }, ' · ', inferredMarker(k), ' its count is the one it last answered a client with, its window the clients seen asking it (a lower bound)') : null,
    );
    const office = officeOf(k);
    replaceChildren(
      kpis,
      // The count's own colour (against the threshold it is judged by); the head icon carries the host's rollup.
      kpi(
        inferred ? 'Windows count (last answered)' : 'Windows count',
        count === null ? '—' : num(count),
        inferred && k.countAt ? `needs ${need} · told ${k.countSeenBy?.hostname ?? 'a client'} ${relative(k.countAt, now())}` : `needs ${need}`,
        countLevel(count, need, { falling: fallsBelow(need) }),
        'kms-count',
      ),
      office
        ? kpi(
            inferred ? 'Office count (last answered)' : 'Office count',
            office.currentCount === null ? '—' : num(office.currentCount),
            `needs ${office.threshold} · ${plural(office.windowCount, 'Office client')} in window`,
            countLevel(office.currentCount, office.threshold, { falling: fallsBelow(office.threshold, 'office') }),
            'kms-office-count',
          )
        : null,
      kpi('Machines using it', num(k.clientsUsing), `${num(k.clientOsUsing)} client OS`, 'unknown', 'kms-clients'),
      kpi('Clients in window', num(k.windowCount), inferred ? "30-day window, from its clients' 12288 (lower bound)" : '30-day window, from 12290 events', 'unknown', 'kms-window'),
      kpi('Last request', k.lastRequestAt ? relative(k.lastRequestAt, now()) : 'none seen', k.lastRequestAt ? dateTime(k.lastRequestAt) : 'no 12290 yet', k.lastRequestAt ? 'healthy' : 'warning', 'kms-last'),
      kpi('DNS publishing', k.dnsPublishFailedAt ? 'failing' : k.dnsPublishing === false ? 'off' : k.dnsPublishing ? 'on' : '—', k.dnsPublishFailedAt ? `${hresult(k.dnsPublishFailedHresult)} since ${dateTime(k.dnsPublishFailedAt)}` : '_vlmcs._tcp SRV record', k.dnsPublishFailedAt ? 'warning' : 'healthy', 'kms-dns'),
      kpi('Last report', k.lastReportAt ? relative(k.lastReportAt, now()) : 'never', k.machineId ? 'from its agent' : 'no agent on this host', k.lastReportAt ? 'healthy' : 'unknown', 'kms-report'),
      serviceKpi(k),
    );
  }

  /** The forecast sees the application's count dropping below `threshold` within its horizon. */
  function fallsBelow(threshold: number, application: 'windows' | 'office' = 'windows'): boolean {
    const f = application === 'windows' ? forecast : forecast?.applications.find((a) => a.application === application);
    return f?.crossings.some((c) => c.threshold === threshold && !c.alreadyBelow && c.at !== null) ?? false;
  }

  function renderChart(): void {
    if (!detail) return;
    const history = detail.countHistory.map((p) => ({ t: Date.parse(p.at), count: p.currentCount }));
    const t = now();
    // Carry the last reported count to now, so the line ends where the forecast starts.
    const last = history[history.length - 1];
    if (last && last.t < t) history.push({ t, count: last.count });
    const fc = (forecast?.days ?? []).map((p) => ({ t: p.at, count: p.count }));
    chart.update({
      history,
      forecast: fc,
      now: t,
      thresholds: [
        { value: KMS_CLIENT_THRESHOLD, label: `Client OS threshold (${KMS_CLIENT_THRESHOLD})`, color: '#e0a100' },
        { value: KMS_SERVER_THRESHOLD, label: `Server OS threshold (${KMS_SERVER_THRESHOLD})`, color: '#d43d3d' },
      ],
    });
  }

  function renderWindow(): void {
    const entries = [...windowMap.values()].sort((a, b) => Date.parse(a.agesOutAt) - Date.parse(b.agesOutAt));
    setText(windowHint, `${plural(entries.length, 'client')} · soonest to age out first`);
    if (!entries.length) return replaceChildren(windowBody, emptyState('No clients seen', detail?.basis === 'clients' ? 'Clients appear as clients with an agent report their requests to this host (12288) and its answers (12289).' : 'Clients appear as the host logs activation requests (event 12290).', undefined, true));
    windowGrid.setItems(entries.slice(0, 200));
    replaceChildren(windowBody, h('div', { class: 'scroll-box' }, windowGrid.el));
  }

  function renderRequests(): void {
    if (!detail) return;
    const byResult = new Map<number, number>();
    let n = 0;
    for (const e of detail.events) {
      if (e.payload.kind !== 'kms-request') continue;
      n++;
      byResult.set(e.payload.hresult, (byResult.get(e.payload.hresult) ?? 0) + 1);
    }
    const rq = detail.kmsService?.requests;
    const rows: Child[] = [...byResult.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([code, count]) => [
        h('span', { class: 'status' }, healthIcon(code === 0 ? 'healthy' : 'warning', 14), code === 0 ? 'Succeeded' : `${describeHresult(code).hex} ${describeHresult(code).known ? describeHresult(code).name : ''}`),
        h('span', { class: 'n' }, num(count)),
      ]);
    replaceChildren(
      requests,
      n ? [h('div', { class: 'muted' }, `Last ${plural(n, 'request')} the host logged (12290)`), h('div', { class: 'legend' }, rows)] : emptyState('No requests logged', 'No 12290 events from this host yet.', undefined, true),
      rq
        ? [
            h('div', { class: 'subhead' }, 'Host counters (since install)'),
            h(
              'div',
              { class: 'legend' },
              ([
                ['Total', rq.total],
                ['Failed', rq.failed],
                ['From licensed clients', rq.licensed],
                ['From clients in grace', (rq.oobGrace ?? 0) + (rq.ootGrace ?? 0) + (rq.nonGenuineGrace ?? 0)],
                ['From clients in Notification', rq.notification],
                ['From unlicensed clients', rq.unlicensed],
              ] as Array<[string, number | null]>).map(([l, v]) => [h('span', null, l), h('span', { class: 'n' }, num(v))]),
            ),
          ]
        : null,
    );
  }

  function renderEvents(): void {
    if (!detail) return;
    if (!detail.events.length) {
      const why = detail.basis === 'clients' ? 'No agent runs on this host, so its own logs are not read; its clients’ requests and its answers are in the client window and on each client’s page.' : undefined;
      return replaceChildren(events, emptyState('No events from this host', why, undefined, true));
    }
    replaceChildren(
      events,
      h(
        'table',
        { class: 'grid static' },
        h('thead', null, h('tr', null, h('th', null, ''), h('th', null, 'Time'), h('th', null, 'Event'), h('th', null, 'What happened'))),
        h('tbody', null, detail.events.slice(0, 30).map((e) => h('tr', null, h('td', { class: 'icon' }, healthIcon(eventHealth(e), 14)), h('td', null, timeText(e.time)), h('td', null, String(e.eventId)), h('td', null, eventText(e))))),
      ),
    );
  }

  function renderForecast(): void {
    if (!forecast) return;
    const t = now();
    const parts: Child[] = [];
    if (forecast.basis === 'clients') {
      parts.push(h('p', { class: 'muted', attrs: { 'data-testid': 'forecast-basis' } }, 'Inferred from clients: no agent runs on this host, so this is the window its clients with agents showed; clients without an agent are not seen, and the real count is at least this.'));
    }
    const office = forecast.applications.find((a) => a.application === 'office');
    parts.push(...crossingLines(forecast, t, office ? 'Windows: ' : ''));
    if (office) parts.push(...crossingLines(office, t, 'Office: '));
    renderForecastTail(parts);
  }

  /** One line per threshold the forecast judges the application's count by, with the clients whose ageing-out crosses it. */
  function crossingLines(f: KmsCountForecastOne, t: number, prefix: string): Child[] {
    const parts: Child[] = [];
    const crossings = f.crossings.filter((c) => c.threshold === KMS_CLIENT_THRESHOLD || c.threshold === KMS_SERVER_THRESHOLD);
    if (!crossings.length) parts.push(h('p', null, `${prefix}No threshold crossing is forecast.`));
    for (const c of crossings) {
      const level = c.threshold === KMS_SERVER_THRESHOLD ? 'critical' : 'warning';
      // Inferred from clients, the window is a lower bound: say what is known, not more.
      const what = f.basis === 'clients' ? `${prefix}The known window` : `${prefix}The count`;
      const said = f.basis === 'clients' && f.reportedCount !== null && f.reportedCount !== undefined ? ` (the host last answered ${num(f.reportedCount)})` : '';
      const line = c.alreadyBelow
        ? `${what} is already below ${c.threshold}${said}.`
        : c.at !== null
          ? `${what} falls below ${c.threshold} on ${date(c.at)} (${relative(c.at, t)}) unless new clients ask.`
          : `${what} stays at or above ${c.threshold} for the next 60 days while its clients keep renewing.`;
      parts.push(h('div', { class: 'fc-line', attrs: { 'data-application': f.application } }, healthIcon(c.alreadyBelow || c.at !== null ? level : 'healthy', 16), h('span', null, line)));
      if (!c.alreadyBelow && c.at !== null && (c.causedBy.length || c.unnamedCausing)) {
        parts.push(
          h(
            'ul',
            { class: 'fc-causes' },
            c.causedBy.slice(0, 8).map((x) => h('li', null, h('strong', null, x.clientFqdn), h('span', { class: 'muted' }, ` last asked ${x.lastSeenAt ? date(x.lastSeenAt) : '—'}, ages out ${x.agesOutAt ? date(x.agesOutAt) : '—'}`))),
            c.causedBy.length > 8 ? h('li', { class: 'muted' }, `and ${c.causedBy.length - 8} more`) : null,
            c.unnamedCausing ? h('li', { class: 'muted' }, `${plural(c.unnamedCausing, 'client')} seen before the agent started`) : null,
          ),
        );
      }
    }
    return parts;
  }

  function renderForecastTail(parts: Child[]): void {
    if (!forecast) return;
    const stopped = forecast.clients.filter((c) => c.status !== 'renewing').sort((a, b) => (a.agesOutAt ?? Infinity) - (b.agesOutAt ?? Infinity));
    parts.push(h('p', { class: 'muted' }, `Modelled count now ${num(forecast.modelledCount ?? null)}; ${plural(stopped.length, 'client')} no longer renewing.`));
    if (stopped.length) {
      parts.push(
        h('div', { class: 'subhead' }, 'Clients about to age out'),
        h(
          'table',
          { class: 'grid static mini' },
          h(
            'tbody',
            null,
            stopped.slice(0, 6).map((c) => h('tr', null, h('td', null, c.clientFqdn), h('td', { class: 'muted' }, c.status === 'retired' ? 'retired' : 'stopped'), h('td', null, c.agesOutAt ? `ages out ${date(c.agesOutAt)}` : '—'))),
          ),
        ),
        stopped.length > 6 ? h('div', { class: 'muted' }, `and ${stopped.length - 6} more`) : null,
      );
    }
    replaceChildren(forecastText, parts);
  }

  async function loadForecasts(): Promise<void> {
    const base = `/api/v1/kms-hosts/${encodeURIComponent(id)}`;
    const [f, b] = await Promise.allSettled([ctx.api.get(`${base}/forecast`, KmsCountForecast), ctx.api.get(`${base}/blast-radius`, BlastRadius)]);
    if (f.status === 'fulfilled') {
      forecast = f.value;
      if (detail) renderHost(detail);
      renderForecast();
      renderChart();
    } else if (f.reason instanceof ApiError && f.reason.status === 404 && !/no such API path/i.test(f.reason.message)) {
      replaceChildren(forecastText, emptyState('No forecast for this host', 'The collector does not know this host (any more).', undefined, true));
    } else replaceChildren(forecastText, errorState(f.reason));
    if (b.status === 'fulfilled') renderBlast(b.value);
    else replaceChildren(blast, errorState(b.reason));
  }

  function renderBlast(br: BlastRadius): void {
    const t = now();
    if (!br.affected.length) {
      replaceChildren(blast, h('div', { class: 'fc-line' }, healthIcon('healthy', 16), h('span', null, br.coveredByFailover.length ? `No machine would lose activation: ${plural(br.coveredByFailover.length, 'client')} can fail over to another published host.` : 'No machine depends on this host alone.')));
      return;
    }
    const first = br.firstNotificationAt;
    replaceChildren(
      blast,
      h('div', { class: 'blast-big' }, h('span', { class: 'v' }, num(br.affected.length)), h('span', null, ` machine${br.affected.length === 1 ? '' : 's'} would reach Notification`)),
      h('p', null, first !== null ? `The first on ${date(first)} (${relative(first, t)}).` : ''),
      br.coveredByFailover.length ? h('p', { class: 'muted' }, `${plural(br.coveredByFailover.length, 'other client')} can fail over to another published host.`) : null,
      h(
        'table',
        { class: 'grid static mini' },
        h('thead', null, h('tr', null, h('th', null, 'Machine'), h('th', null, 'OOT grace'), h('th', null, 'Notification'))),
        h(
          'tbody',
          null,
          br.affected.slice(0, 8).map((m) => h('tr', null, h('td', null, h('a', { attrs: { href: href(['machines', m.machineId]) } }, m.hostname)), h('td', null, m.ootGraceAt ? date(m.ootGraceAt) : '—'), h('td', null, m.alreadyInNotification ? 'already' : m.notificationAt ? date(m.notificationAt) : '—'))),
        ),
      ),
      br.affected.length > 8 ? h('div', { class: 'muted' }, `and ${br.affected.length - 8} more`) : null,
    );
  }

  let fcTimer: ReturnType<typeof setTimeout> | null = null;
  function scheduleForecasts(delay: number): void {
    if (fcTimer) return;
    fcTimer = setTimeout(() => {
      fcTimer = null;
      void loadForecasts();
    }, delay);
  }
  d.add(() => {
    if (fcTimer) clearTimeout(fcTimer);
  });

  function setDetail(k: KmsHostDetail): void {
    detail = k;
    windowMap.clear();
    for (const c of k.clientWindow) windowMap.set(`${c.application}:${c.cmid}`, c);
    renderHost(k);
    renderChart();
    renderWindow();
    renderRequests();
    renderEvents();
  }

  d.add(
    ctx.live.subscribe(`kms-host:${id}`, {
      snapshot: (s) => {
        if (s.kind === 'kms-host') setDetail(s.kmsHost);
      },
      delta: (b) => {
        if (!detail) return;
        let touched = false;
        for (const c of b.changes) {
          if (c.type === 'kms-host' && c.kmsHost.id === id) {
            const before = detail.currentCount;
            detail = { ...detail, ...c.kmsHost };
            if (c.kmsHost.currentCount !== before) detail.countHistory = [...detail.countHistory, { at: b.at, currentCount: c.kmsHost.currentCount }];
            renderHost(detail);
            touched = true;
          } else if (c.type === 'kms-client' && c.kmsHost === id) {
            windowMap.set(`${c.client.application}:${c.client.cmid}`, c.client);
            touched = true;
          } else if (c.type === 'event') {
            detail = { ...detail, events: [c.event, ...detail.events].slice(0, 100) };
            touched = true;
          }
        }
        if (touched) {
          renderChart();
          renderWindow();
          renderRequests();
          renderEvents();
          scheduleForecasts(10_000);
        }
      },
    }),
  );
  ctx.api.get(`/api/v1/kms-hosts/${encodeURIComponent(id)}`, KmsHostDetail).then(
    (k) => {
      if (!detail) setDetail(k);
    },
    (err: unknown) => {
      if (!detail) replaceChildren(body, errorState(err));
    },
  );
  void loadForecasts();

  return {
    el,
    crumbs: ['Monitoring', 'KMS Hosts', id],
    update: (r: Route) => r.path[0] === 'kms-hosts' && r.path[1] === id,
    tick: (t) => tickTimes(el, t),
    destroy: () => d.dispose(),
  };
}

/** The KMS service as the host's agent saw it: running and listening, stopped, not listening, or a 12291 / 12292 failure. */
function serviceKpi(k: KmsHostListItem): HTMLElement | null {
  if (k.basis === 'clients') return null;
  const s = k.service;
  const failure = s.failure ? `${s.failure.eventId === 12291 ? 'failed to initialise' : 'renewal timer failed'} (${s.failure.eventId}, ${hresult(s.failure.hresult)}) ${dateTime(s.failure.at)}` : null;
  if (s.running === false) return kpi('KMS service', 'stopped', failure ?? 'sppsvc is not running', 'critical', 'kms-service');
  if (s.listening === false) return kpi('KMS service', 'not listening', failure ?? 'nothing accepts connections on the KMS port', 'critical', 'kms-service');
  if (failure) return kpi('KMS service', 'failing', failure, 'critical', 'kms-service');
  if (s.running === null && s.listening === null) return kpi('KMS service', '—', 'not reported by this agent', 'unknown', 'kms-service');
  return kpi('KMS service', 'running', 'service running, port listening', 'healthy', 'kms-service');
}

function kpi(label: string, value: string, note: string, level: string, testid: string): HTMLElement {
  return h('div', { class: `kpi ${level}` }, h('div', null, h('div', { class: 'v', attrs: { 'data-testid': testid } }, value), h('div', { class: 'l' }, label), h('div', { class: 'l note' }, note)));
}
