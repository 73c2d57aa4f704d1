/** The licensing event parsers: one pure parser per event id, a dispatcher, and the never-lose-a-record wrapper. */
export { EVENT_ID, type EventId } from './event-ids.js';
export { type EventParseResult, type EventEnvelope, readEnvelope, propertyValues, valueText } from './event-fields.js';
export { parseActivationRequestEvent } from './activation-request.js';
export { parseActivationResponseEvent } from './activation-response.js';
export { parseKmsRequestEvent } from './kms-request.js';
export { parseDnsPublishFailedEvent } from './dns-publish-failed.js';
export { parseDnsPublishSucceededEvent } from './dns-publish-succeeded.js';
export { parseActivationFailedEvent } from './activation-failed.js';
export { parseKmsInitFailureEvent, parseKmsRenewalTimerFailureEvent } from './kms-failure.js';
export { parseAdActivationEvent } from './ad-activation.js';
export { parseStatusCheckEvent, statusCheckProducts } from './status-check.js';
export { EVENT_PARSERS, type EventParser, parseEventRecord, toEventRecordOrUnparsed } from './parse-event-record.js';
export { parseClientTime, formatClientTime } from './client-time.js';
