import type { RawEventRecord } from '../wmi-shapes.js';
import { EVENT_ID } from './event-ids.js';
import { at, hresultField, requiredText, runEventParser, type EventParseResult } from './event-fields.js';

/** 12293 (KMS host): publishing the SRV record in DNS failed. [0] HRESULT, [1] the domain. */
export function parseDnsPublishFailedEvent(raw: RawEventRecord): EventParseResult {
  return runEventParser(raw, EVENT_ID.DNS_PUBLISH_FAILED, (values) => ({
    kind: 'dns-publish-failed',
    hresult: hresultField(at(values, 0, 'the HRESULT'), 'the HRESULT (Properties[0])'),
    domain: requiredText(at(values, 1, 'the domain'), 'the domain (Properties[1])'),
  }));
}
