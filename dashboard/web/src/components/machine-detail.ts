// The machine detail pane: every licensing product, the machine's events and its state timeline. It follows the
// `machine:<id>` room: a snapshot on open, then row / detail / event deltas applied to the parts they touch.
import type { EventListItem, MachineDetail, MachineListItem } from '../../../../shared/api.js';
import { channelLabel } from '../../../../shared/channel.js';
import { describeHresult } from '../../../../shared/hresult.js';
import type { ProductState } from '../../../../shared/protocol.js';
import { h, replaceChildren, type Child } from '../lib/dom.js';
import { eventHealth, eventText } from '../lib/event-text.js';
import { dateTime, duration, hresult, num, plural } from '../lib/format.js';
import { href } from '../lib/router.js';
import type { ViewContext } from '../views/view.js';
import { timeText } from './time-text.js';
import { healthIcon } from './health-icon.js';
import { emptyState, errorState, STATUS_COLORS, statusHealth, statusLabel, tickTimes, timeAgo } from './page.js';
import { MachineDetail as MachineDetailSchema, RetireRequest, roleAtLeast } from '../../../../shared/api.js';
import { z } from 'zod';

type DetailCore = Omit<MachineDetail, 'events' | 'stateHistory'>;

export class MachineDetailPane {
  readonly el = h('div', { attrs: { 'data-testid': 'machine-detail' } });
  readonly #ctx: ViewContext;
  readonly #id: string;
  readonly #head = h('div');
  readonly #props = h('div');
  readonly #products = h('div');
  readonly #timeline = h('div');
  readonly #events = h('div');
  #detail: MachineDetail | null = null;
  #unsub: () => void;

  constructor(ctx: ViewContext, machineId: string, onClose: () => void) {
    this.#ctx = ctx;
    this.#id = machineId;
    const close = h('button', { class: 'close', title: 'Close', attrs: { 'aria-label': 'Close detail' }, on: { click: onClose } }, '×');
    this.#head.appendChild(h('div', { class: 'detail-h' }, h('div', null, h('h2', null, machineId), h('div', { class: 'sub' }, 'Loading…')), close));
    this.el.append(this.#head, this.#props, this.#products, this.#timeline, this.#events);
    this.#closeButton = close;
    this.#unsub = ctx.live.subscribe(`machine:${machineId}`, {
      snapshot: (s) => {
        if (s.kind === 'machine') this.#render(s.machine);
      },
      delta: (b) => {
        if (!this.#detail) return;
        let core: DetailCore | null = null;
        const newEvents: EventListItem[] = [];
        for (const c of b.changes) {
          if (c.type === 'machine-detail') core = { ...this.#detail, ...c.machine };
          else if (c.type === 'machine' && c.machine.machineId === this.#id) core = { ...(core ?? this.#detail), ...c.machine };
          else if (c.type === 'event' && c.event.machineId === this.#id) newEvents.push(c.event);
        }
        if (core || newEvents.length) {
          const events = [...newEvents.reverse(), ...this.#detail.events].slice(0, 100);
          this.#render({ ...this.#detail, ...(core ?? {}), events });
        }
      },
    });
    // A REST read covers a collector that is slow to answer the join (and shows errors such as an unknown id).
    ctx.api.get(`/api/v1/machines/${encodeURIComponent(machineId)}`, MachineDetailSchema).then(
      (m) => {
        if (!this.#detail) this.#render(m);
      },
      (err: unknown) => {
        if (!this.#detail) replaceChildren(this.#props, errorState(err));
      },
    );
  }

  readonly #closeButton: HTMLElement;

  tick(now: number): void {
    tickTimes(this.el, now);
  }

  destroy(): void {
    this.#unsub();
  }

  #render(m: MachineDetail): void {
    this.#detail = m;
    const now = this.#ctx.clock.now();
    replaceChildren(
      this.#head,
      h(
        'div',
        { class: 'detail-h' },
        healthIcon(m.health, 22),
        h(
          'div',
          { style: { flex: '1' } },
          h('h2', { attrs: { 'data-testid': 'detail-hostname' } }, m.hostname),
          h('div', { class: 'sub' }, [m.group || '(no group)', m.os?.caption || m.osCaption || null].filter(Boolean).join(' · ')),
          m.retired ? h('div', { class: 'pill' }, 'retired ', m.retiredAt ? timeText(m.retiredAt) : null, m.retiredReason ? ` — ${m.retiredReason}` : '') : null,
        ),
        this.#closeButton,
      ),
    );
    replaceChildren(
      this.#props,
      section(
        'Machine',
        props([
          ['Status', h('span', { class: 'status', attrs: { 'data-testid': 'detail-status' } }, healthIcon(statusHealth(m.status), 14), statusLabel(m.status))],
          ['Time left', m.status === null ? '—' : m.status === 1 && !m.graceExpiresAt ? 'permanent' : timeAgo(m.graceExpiresAt, now, 'left')],
          ['Channel', m.channel ? channelLabel(m.channel) : '—'],
          m.channel === 'ad-based'
            ? ['Activated by', h('span', { attrs: { 'data-testid': 'detail-ad-object' }, title: adObjectOf(m)?.objectDn ?? '' }, adObjectOf(m) ? `AD activation object ${adObjectOf(m)!.objectName}` : 'an AD activation object')]
            : ['KMS host', m.kmsHost ? h('a', { attrs: { href: href(['kms-hosts', m.kmsHost]) } }, m.kmsHost) : '—'],
          m.office ? ['Office', m.office] : null,
          ['CMID', m.cmid ? h('span', { class: 'mono' }, m.cmid) : '—'],
          ['Machine id', h('span', { class: 'mono' }, m.machineId)],
          ['Last report', m.lastReceivedAt ? h('span', null, timeAgo(m.lastReceivedAt, now), h('span', { class: 'muted' }, ' · ', timeText(m.lastReceivedAt))) : 'never'],
          ['Collected', timeText(m.collectedAt)],
          m.kmsService ? ['KMS service', `count ${num(m.kmsService.currentCount)} · port ${m.kmsService.listeningPort} · DNS publishing ${m.kmsService.dnsPublishing ? 'on' : 'off'}`] : null,
        ]),
        roleAtLeast(this.#ctx.session.role, 'admin') && !m.retired ? this.#retireButton(m) : null,
      ),
    );
    replaceChildren(
      this.#products,
      section(
        `Licensing products (${m.products.length})`,
        m.products.length ? [...m.products].sort((a, b) => Number(b.primary) - Number(a.primary)).map((p) => productCard(p, now)) : emptyState('No products reported', 'The agent has not sent a snapshot yet.', undefined, true),
      ),
    );
    replaceChildren(this.#timeline, section('State timeline', timeline(m, now)));
    replaceChildren(
      this.#events,
      section(
        `Events (${m.events.length})`,
        m.events.length
          ? h(
              'ul',
              { class: 'timeline' },
              m.events.slice(0, 40).map((e) =>
                h('li', null, healthIcon(eventHealth(e), 14), h('div', null, h('div', null, e.payload.kind === 'collector' ? null : h('strong', null, `${e.eventId} `), eventText(e)), h('div', { class: 'when' }, timeText(e.time), ` · ${e.log}`))),
              ),
            )
          : emptyState('No events', 'Activation events appear here as the agent reads them.', undefined, true),
      ),
    );
  }

  #retireButton(m: MachineListItem): HTMLElement {
    const msg = h('div', { class: 'form-msg' });
    const btn = h('button', { class: 'btn small danger' }, 'Retire machine');
    btn.addEventListener('click', () => {
      if (!confirm(`Retire ${m.hostname}? Its history stays; nothing alerts on it any more.`)) return;
      btn.disabled = true;
      this.#ctx.api.post(`/api/v1/machines/${encodeURIComponent(m.machineId)}/retire`, RetireRequest.parse({ reason: 'retired from the dashboard' }), z.unknown()).then(
        () => {
          msg.className = 'form-msg ok';
          msg.textContent = 'Retired.';
        },
        (err: unknown) => {
          btn.disabled = false;
          msg.className = 'form-msg error';
          msg.textContent = err instanceof Error ? err.message : String(err);
        },
      );
    });
    return h('div', { class: 'actions-row' }, h('div', { class: 'form-row' }, btn), msg);
  }
}

function section(title: string, ...body: Child[]): HTMLElement {
  return h('div', { class: 'section' }, h('h3', null, title), body);
}

function props(rows: Array<[string, Child] | null>): HTMLElement {
  return h(
    'dl',
    { class: 'props' },
    rows.filter((r): r is [string, Child] => r !== null).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
  );
}

export function productCard(p: ProductState, now: number): HTMLElement {
  const reason = p.licenseStatusReason && p.licenseStatusReason !== 0 ? describeHresult(p.licenseStatusReason) : null;
  return h(
    'div',
    { class: 'product', data: { activationId: p.activationId } },
    h('div', { class: 'p-head' }, healthIcon(statusHealth(p.licenseStatus), 14), h('span', null, p.name || p.activationId), p.primary ? h('span', { class: 'pill' }, 'primary') : null),
    props([
      ['Status', statusLabel(p.licenseStatus)],
      ['Time left', p.graceExpiresAt ? h('span', null, timeAgo(p.graceExpiresAt, now, 'left'), h('span', { class: 'muted' }, ' · until ', timeText(p.graceExpiresAt))) : p.licenseStatus === 1 ? 'permanent' : '—'],
      ['Channel', channelLabel(p.channel)],
      ['Key', p.partialProductKey ? h('span', { class: 'mono' }, `XXXXX-XXXXX-XXXXX-XXXXX-${p.partialProductKey}`) : 'no key'],
      p.channel === 'ad-based'
        ? ['Activation object', p.adActivation ? h('span', { title: p.adActivation.objectDn ?? '' }, p.adActivation.objectName) : '—']
        : ['KMS host', p.kmsHost ? `${p.kmsHost.name}:${p.kmsHost.port} (${p.kmsHost.source === 'dns' ? 'found in DNS' : 'set with /skms'})` : '—'],
      p.adActivation?.objectDn && p.channel === 'ad-based' ? ['Object DN', h('span', { class: 'mono' }, p.adActivation.objectDn)] : null,
      ['Rearms left', p.rearmsRemaining === null ? '—' : String(p.rearmsRemaining)],
      p.renewalIntervalMinutes ? ['Renewal', `every ${duration(p.renewalIntervalMinutes * 60_000)}`] : null,
      reason ? ['Reason', h('span', { title: reason.meaning }, `${hresult(p.licenseStatusReason)} ${reason.known ? reason.name : ''}`)] : null,
    ]),
  );
}

/** The Active Directory activation object of the machine's primary product (AD-based activation), if reported. */
function adObjectOf(m: MachineDetail): { objectName: string; objectDn: string | null } | null {
  return m.products.find((p) => p.primary)?.adActivation ?? m.products.find((p) => p.adActivation)?.adActivation ?? null;
}

/** The primary product's status over time as a coloured strip, then every change as a list (newest first). */
function timeline(m: MachineDetail, now: number): Child {
  const points = m.stateHistory;
  if (!points.length) return emptyState('No history yet', 'Status changes are recorded from the first snapshot on.', undefined, true);
  const primary = points.filter((p) => p.primary);
  const strip = h('div', { class: 'state-strip', title: 'Primary Windows product, oldest on the left' });
  if (primary.length) {
    const start = Date.parse(primary[0]!.at);
    const span = Math.max(1, now - start);
    primary.forEach((p, i) => {
      const from = Date.parse(p.at);
      const to = i + 1 < primary.length ? Date.parse(primary[i + 1]!.at) : now;
      strip.appendChild(h('div', { title: `${statusLabel(p.status)} from ${dateTime(p.at)}`, style: { width: `${(((to - from) / span) * 100).toFixed(2)}%`, background: STATUS_COLORS[String(p.status)] ?? '#999' } }));
    });
  }
  const list = [...points].reverse().slice(0, 30);
  return [
    strip,
    primary.length ? h('div', { class: 'muted' }, 'since ', timeText(primary[0]!.at), ` · ${plural(points.length, 'change')}`) : null,
    h(
      'ul',
      { class: 'timeline' },
      list.map((p) =>
        h('li', null, healthIcon(statusHealth(p.status), 14), h('div', null, h('div', null, h('strong', null, statusLabel(p.status)), ' — ', p.productName), h('div', { class: 'when' }, timeText(p.at)))),
      ),
    ),
  ];
}
