/** Helpers for the simulator tests: read a simulated machine's events through the shared parsers. */
import { parseEventRecord } from '../../shared/events/index.js';
import type { EventPayload, EventRecord } from '../../shared/protocol.js';
import type { SimulatedMachine } from '../../agent/sim/index.js';

/** Every record of one log, oldest first, parsed; a record the shared parsers reject fails the test. */
export function parsedEvents(m: SimulatedMachine, logName: string): EventRecord[] {
  return m
    .readEvents(logName, 0)
    .reverse()
    .map((raw) => {
      const r = parseEventRecord(raw);
      if (!r.ok) throw new Error(`${m.hostname}: simulator wrote a record the shared parsers reject: ${r.error}`);
      return r.event;
    });
}

/** The payloads of one kind, oldest first, each with its record time in ms. */
export function payloadsOf<K extends EventPayload['kind']>(
  m: SimulatedMachine,
  logName: string,
  kind: K,
): Array<Extract<EventPayload, { kind: K }> & { atMs: number }> {
  return parsedEvents(m, logName)
    .filter((e) => e.payload.kind === kind)
    .map((e) => ({ ...(e.payload as Extract<EventPayload, { kind: K }>), atMs: Date.parse(e.time) }));
}
