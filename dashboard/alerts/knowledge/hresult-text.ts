/**
 * The one place alert knowledge turns an HRESULT into words, from the shared catalogue, so the rules do not each
 * depend on how that catalogue spells its answer.
 */
import { describeHresult, formatHresult } from '../../../shared/hresult.js';

/** `0xC004F074`. */
export function hresultCode(n: number): string {
  return formatHresult(n);
}

/** The code and its meaning (with the catalogue's cause and action), for a finding's knowledge. */
export function decodeHresult(n: number): { code: string; text: string } {
  const info = describeHresult(n);
  return { code: info.hex, text: info.known ? `${info.name}: ${info.meaning} Likely cause: ${info.cause} What to do: ${info.action}` : info.meaning };
}

/** The catalogue's short name of a code (`KMS count too low`). */
export function hresultName(n: number): string {
  return describeHresult(n).name;
}
