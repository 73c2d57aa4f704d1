import type { RawEventRecord } from '../wmi-shapes.js';
import { EVENT_ID } from './event-ids.js';
import {
  commaFields,
  countField,
  hostPortField,
  hresultField,
  licenseStatusField,
  requiredText,
  runEventParser,
  type EventParseResult,
} from './event-fields.js';

/**
 * 12288 (client): the client sent an activation request. One property: `HRESULT, status flags, host:port, CMID,
 * client time, VM flag, LicenseStatus, minutes to expiry, Activation ID, N-policy`, e.g.
 * `0xC004F06C, 0x00000000, kms01.contoso.com:1688, 36f27b39-…, 2010/09/29 17:52, 0, 2, 41760, 68531fb9-…, 5`.
 */
export function parseActivationRequestEvent(raw: RawEventRecord): EventParseResult {
  return runEventParser(raw, EVENT_ID.ACTIVATION_REQUEST, (values) => {
    const f = commaFields(values, 10);
    const { host, port } = hostPortField(f[2]!, 'the KMS host (field 3)');
    return {
      kind: 'activation-request',
      hresult: hresultField(f[0]!, 'the HRESULT (field 1)'),
      statusFlags: hresultField(f[1]!, 'the status flags (field 2)'),
      kmsHost: host,
      kmsPort: port,
      cmid: requiredText(f[3]!, 'the CMID (field 4)'),
      clientTime: f[4]!,
      vmFlag: countField(f[5]!, 'the VM flag (field 6)'),
      licenseStatus: licenseStatusField(f[6]!, 'the client LicenseStatus (field 7)'),
      minutesToExpiry: countField(f[7]!, 'the minutes to expiry (field 8)'),
      activationId: requiredText(f[8]!, 'the Activation ID (field 9)'),
      nPolicy: countField(f[9]!, 'the N-policy (field 10)'),
    };
  });
}
