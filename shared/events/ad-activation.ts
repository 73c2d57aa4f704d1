import type { RawEventRecord } from '../wmi-shapes.js';
import { EVENT_ID } from './event-ids.js';
import { at, requiredText, runEventParser, type EventParseResult } from './event-fields.js';

const NAME_MAX = 300;
const DN_MAX = 1000;

/**
 * 12308 (client): a product was activated by an Active Directory activation object. [0] the SKU's Activation ID,
 * [1] the activation object's name, [2] its distinguished name (reference 2.2, from a third-party capture; the record
 * may lack [2]).
 */
export function parseAdActivationEvent(raw: RawEventRecord): EventParseResult {
  return runEventParser(raw, EVENT_ID.AD_ACTIVATION, (values) => {
    const dn = (values[2] ?? '').trim();
    return {
      kind: 'ad-activation',
      activationId: requiredText(at(values, 0, 'the Activation ID'), 'the Activation ID (Properties[0])').replace(/^\{|\}$/g, '').toLowerCase(),
      objectName: requiredText(at(values, 1, 'the activation object name'), 'the activation object name (Properties[1])').slice(0, NAME_MAX),
      objectDn: dn === '' ? null : dn.slice(0, DN_MAX),
    };
  });
}
