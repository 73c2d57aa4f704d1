// Formatting for screens. Every function takes `now` explicitly: the page's clock is injected, never read here.
import { MS } from '../../../../shared/kms-rules.js';

const nf = new Intl.NumberFormat('en-US');
export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : nf.format(n);
}

/** `4 d 3 h`, `2 h 10 min`, `45 s` — the two largest units, for ages and time left. */
export function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < MS.MINUTE) return `${Math.max(0, Math.floor(abs / 1000))} s`;
  if (abs < MS.HOUR) return `${Math.floor(abs / MS.MINUTE)} min`;
  if (abs < MS.DAY) {
    const h = Math.floor(abs / MS.HOUR);
    const m = Math.floor((abs % MS.HOUR) / MS.MINUTE);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(abs / MS.DAY);
  const hh = Math.floor((abs % MS.DAY) / MS.HOUR);
  return d >= 10 || !hh ? `${d} d` : `${d} d ${hh} h`;
}

/** `3 min ago` / `in 12 d`. */
export function relative(iso: string | number | null | undefined, now: number): string {
  if (iso === null || iso === undefined) return '—';
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const d = t - now;
  if (Math.abs(d) < 5000) return 'just now';
  return d < 0 ? `${duration(d)} ago` : `in ${duration(d)}`;
}

/** Time left until an instant, or `expired` / `permanent`. */
export function timeLeft(iso: string | null | undefined, now: number): string {
  if (!iso) return 'permanent';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  return t <= now ? 'expired' : duration(t - now);
}

const dateFmt = new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: 'short', year: 'numeric', timeZone: 'UTC' });
const dateTimeFmt = new Intl.DateTimeFormat('en-GB', {
  day: '2-digit',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
  timeZone: 'UTC',
});
const shortDay = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const clockFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone: 'UTC' });

function toMs(v: string | number): number {
  return typeof v === 'number' ? v : Date.parse(v);
}
export function date(v: string | number | null | undefined): string {
  return v === null || v === undefined || Number.isNaN(toMs(v)) ? '—' : dateFmt.format(toMs(v));
}
export function dateTime(v: string | number | null | undefined): string {
  return v === null || v === undefined || Number.isNaN(toMs(v)) ? '—' : `${dateTimeFmt.format(toMs(v))} UTC`;
}
export function day(v: string | number): string {
  return shortDay.format(toMs(v));
}
export function clock(v: number): string {
  return `${clockFmt.format(v)} UTC`;
}

/** An HRESULT as Windows prints it: `0xC004F074`. */
export function hresult(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${nf.format(n)} ${n === 1 ? one : many}`;
}
