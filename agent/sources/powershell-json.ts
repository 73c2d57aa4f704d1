/**
 * Reading what PowerShell's ConvertTo-Json prints, in every shape it really prints it: UTF-16 LE with a BOM (Windows
 * PowerShell 5.1's `>` and Out-File), UTF-8 with or without a BOM (PowerShell 7, `-Encoding utf8`), one object instead
 * of an array when there was one instance, nothing at all when there were none, and dates as `"\/Date(ms)\/"` (5.1)
 * or ISO strings (7).
 */

/** A file or command output that is not what PowerShell prints; the message names where it came from. */
export class PowerShellOutputError extends Error {
  constructor(
    readonly where: string,
    reason: string,
  ) {
    super(`${where}: ${reason}`);
    this.name = 'PowerShellOutputError';
  }
}

/** Bytes to text, honouring the BOM PowerShell wrote (or guessing UTF-16 LE from its zero bytes when it wrote none). */
export function decodePowerShellText(bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  }
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return new TextDecoder('utf-8').decode(bytes.subarray(3));
  }
  // JSON starts with ASCII; in UTF-16 LE without a BOM every second byte of it is zero.
  if (bytes.length >= 4 && bytes[0] !== 0 && bytes[1] === 0 && bytes[3] === 0) {
    return new TextDecoder('utf-16le').decode(bytes);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

const MS_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;

/**
 * A PowerShell date as an ISO instant: `/Date(ms)/` (5.1; the offset suffix does not move the instant), the
 * `{value, DisplayHint, DateTime}` object 5.1 prints for some dates, or an ISO string (7). Anything else: undefined.
 */
export function powerShellDateToIso(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const m = MS_DATE.exec(v);
    if (m) return new Date(Number(m[1])).toISOString();
    const t = Date.parse(v);
    if (!Number.isNaN(t) && /^\d{4}-\d{2}-\d{2}T/.test(v)) return new Date(t).toISOString();
    return undefined;
  }
  if (v && typeof v === 'object' && 'value' in v) return powerShellDateToIso((v as { value: unknown }).value);
  return undefined;
}

/**
 * Parses ConvertTo-Json output into a list of objects: empty output is an empty list, a single object a list of one.
 * Throws PowerShellOutputError naming `where` when it is not JSON or not objects.
 */
export function parsePowerShellJsonList(text: string, where: string): Array<Record<string, unknown>> {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (e) {
    throw new PowerShellOutputError(where, `not JSON as ConvertTo-Json prints it (${(e as Error).message})`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  list.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new PowerShellOutputError(where, `item ${i} is ${Array.isArray(item) ? 'an array' : JSON.stringify(item)}, expected an object`);
    }
  });
  return list as Array<Record<string, unknown>>;
}
