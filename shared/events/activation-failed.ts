import type { RawEventRecord } from '../wmi-shapes.js';
import { findHresultIn, parseHresult } from '../hresult.js';
import { EVENT_ID } from './event-ids.js';
import { EventFieldError, at, runEventParser, type EventParseResult } from './event-fields.js';

const COMMAND_LINE_MAX = 1000;

/** 8198: license activation (slui.exe) failed. [0] `hr=0xC004F074` (or the bare hex), [1] the command line (may be absent). */
export function parseActivationFailedEvent(raw: RawEventRecord): EventParseResult {
  return runEventParser(raw, EVENT_ID.ACTIVATION_FAILED, (values) => {
    const hrText = at(values, 0, 'the error code');
    const hresult = parseHresult(hrText) ?? findHresultIn(hrText);
    if (hresult === null) throw new EventFieldError(`the error code (Properties[0]) holds no HRESULT: ${JSON.stringify(hrText.slice(0, 60))}`);
    const line = (values[1] ?? '').trim();
    return {
      kind: 'activation-failed',
      hresult,
      // Free text: keep what fits rather than lose the record.
      commandLine: line === '' ? null : line.slice(0, COMMAND_LINE_MAX),
    };
  });
}
