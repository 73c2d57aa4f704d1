// A KMS host as a tile: health, current count against the 25 (client OS) and 5 (server OS) thresholds, and who
// depends on it. The gauge marks both thresholds so "23 of 25" reads at a glance.
import type { KmsApplicationCountItem, KmsHostListItem } from '../../../../shared/api.js';
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

/** The Office count against its own threshold (5), when the host has one or Office clients were seen asking it. */
export function officeOf(host: KmsHostListItem): KmsApplicationCountItem | undefined {
  return host.applications?.find((a) => a.application === 'office');
}

/** The marker of a host nobody runs an agent on: its figures are inferred from its clients. */
export function inferredMarker(host: KmsHostListItem, opts: { short?: boolean } = {}): HTMLElement | null {
  if (host.basis !== 'clients') return null;
  const title = 'Inferred from clients: no agent runs on this host; its count and window are what its clients with agents saw (12288 / 12289), a lower bound.';
  return h('span', { class: 'pill inferred', attrs: { 'data-testid': 'inferred-marker', title } }, opts.short ? 'inferred' : 'inferred from clients');
}

/** The count to show: the host's own figure when its agent reports, else the collector's view of its window. */
export function countOf(host: KmsHostListItem): number | null {
  return host.currentCount ?? (host.machineId ? null : host.windowCount);
}

/** What a count bar's colour says: the count against its threshold, not the host's rollup (the icon carries that). */
export type CountLevel = 'healthy' | 'warning' | 'critical' | 'unknown';

/** How far above its threshold a count still reads as close: a fifth of the threshold, at least one (25 → 25–29, 5 → 5). */
export function nearThresholdMargin(threshold: number): number {
  return Math.max(1, Math.ceil(threshold / 5));
}

/**
 * The colour of a count bar: red below the threshold (activations are refused), amber at or just above it or while
 * it is forecast to fall below it, green otherwise; grey without a count.
 */
export function countLevel(count: number | null, threshold: number, opts: { falling?: boolean } = {}): CountLevel {
  if (count === null) return 'unknown';
  if (count < threshold) return 'critical';
  if (opts.falling || count < threshold + nearThresholdMargin(threshold)) return 'warning';
  return 'healthy';
}

/**
 * A count against a threshold as a bar, coloured by `countLevel`. `marks` are the thresholds drawn on it; the scale
 * runs to `max` (the KMS count cap) or the count if larger. Used for a host's count and for per-application counts.
 */
export function countBar(
  count: number | null,
  threshold: number,
  opts: { falling?: boolean; marks?: readonly number[]; max?: number; what?: string } = {},
): HTMLElement {
  const level = countLevel(count, threshold, opts);
  const max = Math.max(opts.max ?? KMS_COUNT_CAP, count ?? 0, threshold);
  const pct = (v: number) => `${Math.min(100, (v / max) * 100).toFixed(1)}%`;
  const marks = opts.marks ?? [threshold];
  return h(
    'div',
    {
      class: `gauge ${level}`,
      title: `${opts.what ?? 'count'} ${count ?? '—'}, needs ${threshold}${opts.falling ? ', falling' : ''}`,
      data: { level, count: count ?? undefined, threshold },
    },
    h('div', { class: 'fill', style: { width: pct(count ?? 0) } }),
    marks.map((m) => h('div', { class: m === threshold ? 'mark need' : 'mark', style: { left: pct(m) } })),
  );
}

/** A host's count against the threshold it is judged by, with both KMS thresholds marked. */
export function countGauge(host: KmsHostListItem): HTMLElement {
  return countBar(countOf(host), thresholdOf(host), { marks: [KMS_SERVER_THRESHOLD, KMS_CLIENT_THRESHOLD] });
}

export function kmsTile(host: KmsHostListItem, now: number, opts: { shortName?: boolean; iconSize?: number } = {}): HTMLAnchorElement {
  const count = countOf(host);
  const need = thresholdOf(host);
  const office = officeOf(host);
  return h(
    'a',
    { class: `tile ${host.health}`, attrs: { href: href(['kms-hosts', host.id]), 'data-kms-host': host.id, 'data-basis': host.basis } },
    h('div', { class: 't-name' }, healthIcon(host.health, opts.iconSize ?? 16), h('span', { title: host.hostname }, opts.shortName ? host.hostname.split('.')[0] || host.hostname : host.hostname), inferredMarker(host, { short: true })),
    h('div', { class: 't-count' }, count === null ? '—' : num(count), h('small', null, `Windows count · needs ${need}`)),
    countGauge(host),
    office
      ? h(
          'div',
          { class: 't-office', attrs: { 'data-testid': 'office-count' } },
          h('small', null, `Office count ${office.currentCount === null ? '—' : num(office.currentCount)} · needs ${office.threshold}`),
          countBar(office.currentCount, office.threshold, { max: 10, what: 'Office count' }),
        )
      : null,
    h(
      'div',
      { class: 't-meta' },
      h('span', null, `${plural(host.clientsUsing, 'machine')} ${host.clientsUsing === 1 ? 'depends' : 'depend'} on it`),
      h('span', null, host.lastRequestAt ? timeAgo(host.lastRequestAt, now) : 'no requests seen'),
    ),
    host.dnsPublishFailedAt ? h('div', { class: 't-meta' }, h('span', { class: 'soon' }, 'DNS publishing failed')) : null,
  );
}
