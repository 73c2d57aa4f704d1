// A date or time on screen: read in the zone the person chose (local by default), the exact UTC instant on hover.
import { h } from '../lib/dom.js';
import { date, dateTime, timeTitle } from '../lib/format.js';

export function timeText(v: string | number | null | undefined, style: 'dateTime' | 'date' = 'dateTime'): HTMLElement {
  const t = v === null || v === undefined ? NaN : typeof v === 'number' ? v : Date.parse(v);
  if (Number.isNaN(t)) return h('span', null, '—');
  return h('time', { title: timeTitle(t), attrs: { datetime: new Date(t).toISOString() } }, style === 'date' ? date(v!) : dateTime(t));
}
