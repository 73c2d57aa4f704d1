// Formatting for screens. Every function takes `now` explicitly: the page's clock is injected, never read here.
import { hresultHex } from '../../../../shared/hresult.js';
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

/**
 * Which clock times are shown in: the browser's own time zone (the default) or UTC. The shell sets it from the
 * person's choice; every date and time on screen is formatted here, so one switch changes them all.
 */
export type TimeZoneChoice = 'local' | 'utc';
export const TIME_ZONE_CHOICES: readonly TimeZoneChoice[] = ['local', 'utc'];

interface TimeFormats {
  choice: TimeZoneChoice;
  date: Intl.DateTimeFormat;
  dateTime: Intl.DateTimeFormat;
  day: Intl.DateTimeFormat;
  clock: Intl.DateTimeFormat;
  full: Intl.DateTimeFormat;
  zoneName: Intl.DateTimeFormat;
}

function timeFormats(choice: TimeZoneChoice, localZone: string | undefined): TimeFormats {
  // undefined is the browser's (or the process's) own zone.
  const timeZone = choice === 'utc' ? 'UTC' : localZone;
  const hm = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } as const;
  return {
    choice,
    date: new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: 'short', year: 'numeric', timeZone }),
    dateTime: new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: 'short', ...hm, timeZone }),
    day: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone }),
    clock: new Intl.DateTimeFormat('en-GB', { ...hm, second: '2-digit', timeZone }),
    full: new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: 'short', year: 'numeric', ...hm, second: '2-digit', timeZone }),
    zoneName: new Intl.DateTimeFormat('en-GB', { timeZoneName: 'short', timeZone }),
  };
}

let formats = timeFormats('local', undefined);
let localFormats = formats;
// A calendar day the collector sends as `2026-11-29` (the expiry wave's buckets) is a UTC day, not an instant:
// shown as the same day in any zone.
const calendarFormats = timeFormats('utc', undefined);
const CALENDAR_DAY = /^\d{4}-\d{2}-\d{2}$/;
function formatsFor(v: string | number): TimeFormats {
  return typeof v === 'string' && CALENDAR_DAY.test(v) ? calendarFormats : formats;
}

/**
 * Shows times in the browser's zone or in UTC from now on. `localZone` (an IANA name) stands in for the browser's
 * zone: tests pass one so they read the same on any machine.
 */
export function setTimeZone(choice: TimeZoneChoice, opts: { localZone?: string } = {}): void {
  localFormats = timeFormats('local', opts.localZone);
  formats = choice === 'local' ? localFormats : timeFormats('utc', undefined);
}

export function timeZoneChoice(): TimeZoneChoice {
  return formats.choice;
}

/** A stored or typed choice, or null when it names neither (an old or hand-edited value falls back to the default). */
export function parseTimeZoneChoice(v: string | null | undefined): TimeZoneChoice | null {
  const t = v?.trim().toLowerCase();
  return t === 'local' || t === 'utc' ? t : null;
}

function toMs(v: string | number): number {
  return typeof v === 'number' ? v : Date.parse(v);
}
function valid(v: string | number | null | undefined): v is string | number {
  return v !== null && v !== undefined && !Number.isNaN(toMs(v));
}

/** The short name of the zone times are shown in at instant `t` (`UTC`, `CET`, `GMT+5:30`…): it changes with DST. */
export function zoneName(t: number): string {
  return nameOfZone(formats, t);
}
/** The short name of the browser's own zone at `t`, whichever is chosen (to label the choice). */
export function localZoneName(t: number): string {
  return nameOfZone(localFormats, t);
}
function nameOfZone(f: TimeFormats, t: number): string {
  return f.zoneName.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value ?? '';
}

/** `29 Nov 2026` (an instant in the chosen zone; a `2026-11-29` calendar day as that day). */
export function date(v: string | number | null | undefined): string {
  return valid(v) ? formatsFor(v).date.format(toMs(v)) : '—';
}
/** `29 Nov, 11:00` in local time, `29 Nov, 10:00 UTC` in UTC (said, so a UTC time is never taken for a local one). */
export function dateTime(v: string | number | null | undefined): string {
  if (!valid(v)) return '—';
  const text = formats.dateTime.format(toMs(v));
  return formats.choice === 'utc' ? `${text} UTC` : text;
}
/** `29 Nov`: chart axes and day buckets. */
export function day(v: string | number): string {
  return formatsFor(v).day.format(toMs(v));
}
/** `11:00:05 CET`: a clock reading, with its zone because it stands alone (NOC wall, "as of"). */
export function clock(v: number): string {
  return `${formats.clock.format(v)} ${zoneName(v)}`;
}
/** `2026-11-29 10:00:00 UTC`: the exact instant, whatever the setting. */
export function utcText(v: string | number | null | undefined): string {
  return valid(v) ? new Date(toMs(v)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : '—';
}
/** What hovering a time shows: the instant in UTC, after the local reading when times are shown in local time. */
export function timeTitle(v: string | number | null | undefined): string {
  if (!valid(v)) return '';
  return formats.choice === 'utc' ? utcText(v) : `${formats.full.format(toMs(v))} ${zoneName(toMs(v))} · ${utcText(v)}`;
}

/** An HRESULT as Windows prints it: `0xC004F074` (the one formatter of shared/hresult.ts), or a dash for none. */
export function hresult(n: number | null | undefined): string {
  return hresultHex(n) ?? '—';
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${nf.format(n)} ${n === 1 ? one : many}`;
}
