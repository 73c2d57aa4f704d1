import type { RawEventRecord } from '../wmi-shapes.js';
import { EVENT_ID } from './event-ids.js';
import {
  EventFieldError,
  countField,
  flagField,
  hresultField,
  licenseStatusField,
  requiredText,
  runEventParser,
  type EventParseResult,
} from './event-fields.js';

/**
 * The nine data items of a 12290. Windows gives ten properties with an unverified leading one, so [1..9] are read;
 * nine properties are read as [0..8]; a single comma-separated string (as the KB example prints it) is split.
 */
function kmsRequestFields(values: readonly string[]): string[] {
  if (values.length === 10) return values.slice(1).map((s) => s.trim());
  if (values.length === 9) return values.map((s) => s.trim());
  if (values.length === 1 && values[0]!.includes(',')) {
    const f = values[0]!.split(',').map((s) => s.trim());
    if (f.length === 9) return f;
    if (f.length === 10) return f.slice(1);
    throw new EventFieldError(`expected 9 comma-separated fields in Properties[0], got ${f.length}`);
  }
  throw new EventFieldError(`expected 10 properties (or 9 without the leading item), got ${values.length}`);
}

/**
 * 12290 (KMS host, "Key Management Service" log): an activation request was processed. Data items 1..9: HRESULT,
 * N-policy, client FQDN, CMID, client time, VM flag (1 = VM), LicenseStatus, minutes to state expiration, Activation ID.
 */
export function parseKmsRequestEvent(raw: RawEventRecord): EventParseResult {
  return runEventParser(raw, EVENT_ID.KMS_REQUEST, (values) => {
    const f = kmsRequestFields(values);
    return {
      kind: 'kms-request',
      hresult: hresultField(f[0]!, 'the HRESULT (item 1)'),
      nPolicy: countField(f[1]!, 'the N-policy (item 2)'),
      clientFqdn: requiredText(f[2]!, 'the client FQDN (item 3)'),
      cmid: requiredText(f[3]!, 'the CMID (item 4)'),
      clientTime: f[4]!,
      isVm: flagField(f[5]!, 'the VM flag (item 6)'),
      licenseStatus: licenseStatusField(f[6]!, 'the client LicenseStatus (item 7)'),
      minutesToExpiry: countField(f[7]!, 'the minutes to state expiration (item 8)'),
      activationId: requiredText(f[8]!, 'the Activation ID (item 9)'),
    };
  });
}
