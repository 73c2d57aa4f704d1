/**
 * The client time of 12288 / 12289 / 12290 (`2010/09/29 17:52`, UTC; documentation also shows `1/14/2006 2:30` and
 * `2010/9/29 21:46`) as milliseconds since the epoch, or null when it is not in one of those shapes.
 */
export function parseClientTime(text: string): number | null {
  const s = text.trim();
  let y: number, mo: number, d: number, h: number, mi: number;
  const ymd = /^(\d{4})\/(\d{1,2})\/(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  const mdy = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (ymd) [y, mo, d, h, mi] = [Number(ymd[1]), Number(ymd[2]), Number(ymd[3]), Number(ymd[4]), Number(ymd[5])];
  else if (mdy) [mo, d, y, h, mi] = [Number(mdy[1]), Number(mdy[2]), Number(mdy[3]), Number(mdy[4]), Number(mdy[5])];
  else return null;
  const sec = Number((ymd ?? mdy)![6] ?? 0);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return null;
  const t = Date.UTC(y, mo - 1, d, h, mi, sec);
  // Date.UTC rolls 2010/02/31 over into March; such a date is not a real one.
  return new Date(t).getUTCDate() === d ? t : null;
}

/** Formats an instant as Windows writes the client time of 12288 / 12289: `yyyy/mm/dd hh:mm` in UTC. */
export function formatClientTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}
