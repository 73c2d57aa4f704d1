import type { RawEventRecord } from '../wmi-shapes.js';
import { EVENT_ID } from './event-ids.js';
import { at, hresultField, runEventParser, type EventParseResult } from './event-fields.js';

/**
 * 12291 (KMS host): the Key Management Service failed to initialize. [0] the HRESULT (reference 2.2; the message text
 * is **unverified**). An `hr=0x…` or a bare hex value are both read.
 */
export function parseKmsInitFailureEvent(raw: RawEventRecord): EventParseResult {
  return runEventParser(raw, EVENT_ID.KMS_INIT_FAILURE, (values) => ({
    kind: 'kms-init-failure',
    hresult: hresultField(at(values, 0, 'the HRESULT'), 'the HRESULT (Properties[0])'),
  }));
}

/** 12292 (KMS host): `Key Management Service (KMS) failed to initialize renewal timer.` [0] the HRESULT. */
export function parseKmsRenewalTimerFailureEvent(raw: RawEventRecord): EventParseResult {
  return runEventParser(raw, EVENT_ID.KMS_RENEWAL_TIMER_FAILURE, (values) => ({
    kind: 'kms-renewal-timer-failure',
    hresult: hresultField(at(values, 0, 'the HRESULT'), 'the HRESULT (Properties[0])'),
  }));
}
