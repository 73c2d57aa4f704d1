// A KMS host as a tile: health, current count against the 25 (client OS) and 5 (server OS) thresholds, and who
// depends on it. The gauge marks both thresholds so "23 of 25" reads at a glance.
import type { KmsHostListItem } from '../../../../shared/api.js';
import { KMS_CLIENT_THRESHOLD, KMS_COUNT_CAP, KMS_SERVER_THRESHOLD } from '../../../../shared/kms-rules.js';
import { h } from '../lib/dom.js';
import { num, plural } from '../lib/format.js';
import { href } from '../lib/router.js';
import { healthIcon } from './health-icon.js';
import { timeAgo } from './page.js';

/** The threshold a host is judged against: 25 while client-OS machines depend on it, else 5. */
export function thresholdOf(host: KmsHostListItem): number {
  return host.clientOsUsing > 0 ? KMS_CLIENT_THRESHOLD : KMS_SERVER_THRESHOLD;
}

/** The count to show: the host's own figure when its agent reports, else the collector's view of its window. */
export function countOf(host: KmsHostListItem): number | null {
  return host.currentCount ?? (host.machineId ? null : host.windowCount);
}

export function countGauge(host: KmsHostListItem): HTMLElement {
  const count = countOf(host) ?? 0;
  const max = Math.max(KMS_COUNT_CAP, count);
  const pct = (v: number) => `${Math.min(100, (v / max) * 100).toFixed(1)}%`;
  const level = host.health === 'critical' ? 'critical' : host.health === 'warning' ? 'warning' : '';
  return h(
    'div',
    { class: `gauge ${level}`, title: `count ${count}; thresholds ${KMS_SERVER_THRESHOLD} (server OS) and ${KMS_CLIENT_THRESHOLD} (client OS)` },
    h('div', { class: 'fill', style: { width: pct(count) } }),
    h('div', { class: 'mark', style: { left: pct(KMS_SERVER_THRESHOLD) } }),
    h('div', { class: 'mark', style: { left: pct(KMS_CLIENT_THRESHOLD) } }),
  );
}

export function kmsTile(host: KmsHostListItem, now: number, opts: { shortName?: boolean; iconSize?: number } = {}): HTMLAnchorElement {
  const count = countOf(host);
  const need = thresholdOf(host);
  return h(
    'a',
    { class: `tile ${host.health}`, attrs: { href: href(['kms-hosts', host.id]), 'data-kms-host': host.id } },
    h('div', { class: 't-name' }, healthIcon(host.health, opts.iconSize ?? 16), h('span', { title: host.hostname }, opts.shortName ? host.hostname.split('.')[0] || host.hostname : host.hostname)),
    h('div', { class: 't-count' }, count === null ? '—' : num(count), h('small', null, `count · needs ${need}`)),
    countGauge(host),
    h(
      'div',
      { class: 't-meta' },
      h('span', null, `${plural(host.clientsUsing, 'machine')} ${host.clientsUsing === 1 ? 'depends' : 'depend'} on it`),
      h('span', null, host.lastRequestAt ? timeAgo(host.lastRequestAt, now) : 'no requests seen'),
    ),
    host.dnsPublishFailedAt ? h('div', { class: 't-meta' }, h('span', { class: 'soon' }, 'DNS publishing failed')) : null,
  );
}
