import type { RawEventRecord } from '../wmi-shapes.js';
import { EVENT_ID } from './event-ids.js';
import { at, requiredText, runEventParser, type EventParseResult } from './event-fields.js';

/** 12294 (KMS host): publishing the SRV record in DNS succeeded. [0] the domain. */
export function parseDnsPublishSucceededEvent(raw: RawEventRecord): EventParseResult {
  return runEventParser(raw, EVENT_ID.DNS_PUBLISH_SUCCEEDED, (values) => ({
    kind: 'dns-publish-succeeded',
    domain: requiredText(at(values, 0, 'the domain'), 'the domain (Properties[0])'),
  }));
}
