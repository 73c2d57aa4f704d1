import type { RawEventRecord } from '../wmi-shapes.js';
import type { StatusCheckPayload } from '../protocol.js';
import { EVENT_ID } from './event-ids.js';
import { EventFieldError, at, requiredText, runEventParser, type EventParseResult } from './event-fields.js';

const RAW_LINE_MAX = 500;
const MAX_PRODUCTS = 200;
const PRODUCT_LINE = /^\s*\d+\s*:\s*([^,\s]+)\s*,\s*(\d+)\s*(?:,|$)/;

/** The product lines of a 1003's status text: `n: <ActivationID>, <a>, <b> [(…)]`; <a> is the LicenseStatus when 0..6. */
export function statusCheckProducts(text: string): StatusCheckPayload['products'] {
  const out: StatusCheckPayload['products'] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = PRODUCT_LINE.exec(line);
    if (!m) continue;
    const a = Number(m[2]);
    out.push({ activationId: m[1]!.slice(0, 64), licenseStatus: a <= 6 ? a : null, raw: line.trim().slice(0, RAW_LINE_MAX) });
    if (out.length === MAX_PRODUCTS) break;
  }
  return out;
}

/** 1003: the Software Protection service completed a licensing status check. [0] Application Id, [1] the status text. */
export function parseStatusCheckEvent(raw: RawEventRecord): EventParseResult {
  return runEventParser(raw, EVENT_ID.STATUS_CHECK, (values) => {
    const applicationId = requiredText(at(values, 0, 'the Application Id').replace(/^\s*Application Id\s*=/i, ''), 'the Application Id (Properties[0])');
    const text = at(values, 1, 'the licensing status text');
    const products = statusCheckProducts(text);
    if (products.length === 0) {
      throw new EventFieldError(`the licensing status text (Properties[1]) has no product line "n: <ActivationID>, a, b": ${JSON.stringify(text.slice(0, 60))}`);
    }
    return { kind: 'status-check', applicationId, products };
  });
}
