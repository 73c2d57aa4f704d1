// Building blocks every view uses: the page header, panels, empty states, live relative times and status labels.
import { ApiError } from '../lib/api-client.js';
import { h, type Child } from '../lib/dom.js';
import { relative, timeLeft, timeTitle } from '../lib/format.js';
import { healthIcon, type Health } from './health-icon.js';
import { licenseStatusInfo } from '../../../../shared/license-status.js';

export function pageHead(title: string, sub?: Child, ...actions: Child[]): HTMLElement {
  return h('header', { class: 'page-head' }, h('div', null, h('h1', null, title), sub ? h('div', { class: 'sub' }, sub) : null), h('div', { class: 'actions' }, actions));
}

export function panel(title: string, body: Child, opts: { hint?: Child; tight?: boolean; class?: string } = {}): HTMLElement {
  return h(
    'section',
    { class: `panel ${opts.class ?? ''}` },
    h('div', { class: 'panel-h' }, h('h2', null, title), opts.hint ? h('span', { class: 'hint' }, opts.hint) : null),
    h('div', { class: opts.tight ? 'panel-b tight' : 'panel-b' }, body),
  );
}

export function emptyState(title: string, text?: Child, command?: string, small = false): HTMLElement {
  const icon = h('div', { class: 'e-icon' });
  icon.appendChild(healthIcon('unknown', 22));
  return h('div', { class: small ? 'empty small' : 'empty' }, icon, h('h3', null, title), text ? h('p', null, text) : null, command ? h('code', null, command) : null);
}

export function errorState(err: unknown): HTMLElement {
  const msg = err instanceof Error ? err.message : String(err);
  // A collector started without the alert engine has no forecast or alert routes: say so instead of "error".
  if (err instanceof ApiError && err.status === 404 && /no such API path/i.test(err.message)) {
    return emptyState('Not available on this collector', 'This part comes from the alert engine, which this collector is not running.', undefined, true);
  }
  return emptyState('Could not load this view', msg, undefined, true);
}

/** A relative time that the page's one-second tick keeps current (see tickTimes). */
export function timeAgo(iso: string | null | undefined, now: number, mode: 'ago' | 'left' = 'ago'): HTMLElement {
  const el = h('span', { class: 'rel' });
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isNaN(t)) {
    el.dataset['at'] = String(t);
    el.dataset['mode'] = mode;
    el.title = timeTitle(t);
  }
  el.textContent = mode === 'left' ? timeLeft(iso, now) : relative(iso, now);
  return el;
}

export function tickTimes(root: ParentNode, now: number): void {
  for (const el of root.querySelectorAll<HTMLElement>('span.rel[data-at]')) {
    const t = Number(el.dataset['at']);
    const text = el.dataset['mode'] === 'left' ? timeLeft(new Date(t).toISOString(), now) : relative(t, now);
    if (el.textContent !== text) el.textContent = text;
  }
}

/** Health implied by a LicenseStatus: Licensed is healthy, grace states warn, Unlicensed / Notification are critical. */
export function statusHealth(status: number | null | undefined): Health {
  if (status === null || status === undefined) return 'unknown';
  if (status === 1) return 'healthy';
  if (status === 0 || status === 5) return 'critical';
  if (status >= 2 && status <= 6) return 'warning';
  return 'unknown';
}

export function statusLabel(status: number | null | undefined): string {
  if (status === null || status === undefined) return 'No Windows product';
  return licenseStatusInfo(status)?.label ?? `Unknown (${status})`;
}

export function statusCell(status: number | null | undefined): HTMLElement {
  return h('span', { class: 'status' }, healthIcon(statusHealth(status), 14), statusLabel(status));
}

export function healthCell(health: Health, label?: string): HTMLElement {
  return h('span', { class: 'status' }, healthIcon(health, 14), label ?? null);
}

/** Colours of the licence states, shared by the doughnut, the legend and the state timeline. */
export const STATUS_COLORS: Record<string, string> = {
  '1': '#2f9e5d',
  '2': '#7fb3f5',
  '3': '#e0a100',
  '4': '#b07cd8',
  '6': '#4fb7b3',
  '5': '#d43d3d',
  '0': '#8c2f39',
  none: '#a5afbd',
};
export const STATUS_ORDER = ['1', '2', '6', '3', '4', '5', '0', 'none'] as const;
