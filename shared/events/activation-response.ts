import type { RawEventRecord } from '../wmi-shapes.js';
import { decodeStatusFlags } from '../hresult.js';
import { EVENT_ID } from './event-ids.js';
import { commaFields, countField, flagField, hresultField, runEventParser, type EventParseResult } from './event-fields.js';

/**
 * 12289 (client): the client processed the KMS host's response. One property: `HRESULT, status flags, activated,
 * unused, current count, activation interval, renewal interval, client time`, e.g.
 * `0x0, 0x4000000, 0, 0, 4, 120, 10080, 2006/01/14 02:30` (count too low: NOT_ENOUGH_COUNT set).
 */
export function parseActivationResponseEvent(raw: RawEventRecord): EventParseResult {
  return runEventParser(raw, EVENT_ID.ACTIVATION_RESPONSE, (values) => {
    const f = commaFields(values, 8);
    const statusFlags = hresultField(f[1]!, 'the status flags (field 2)');
    return {
      kind: 'activation-response',
      hresult: hresultField(f[0]!, 'the HRESULT (field 1)'),
      statusFlags,
      activated: flagField(f[2]!, 'the activated flag (field 3)'),
      currentCount: countField(f[4]!, 'the KMS current count (field 5)'),
      activationIntervalMinutes: countField(f[5]!, 'the activation interval (field 6)'),
      renewalIntervalMinutes: countField(f[6]!, 'the renewal interval (field 7)'),
      clientTime: f[7]!,
      notEnoughCount: decodeStatusFlags(statusFlags).notEnoughCount,
    };
  });
}
