/**
 * The instant a machine's state is judged at. Its expiry instants and events were stamped on its agent's clock, and
 * an agent replaying history (the demo fast-forwards a scenario up to now) reports from the past: judging those
 * against the collector's clock would raise alerts about a past that has since been fixed. So a machine is judged at
 * its own clock's "now": the collector's now plus the offset its last report showed (sentAt − received at). For a
 * live agent with a sane clock that is the collector's now; for a silent one it keeps moving with real time.
 */
export function agentNow(x: { agentClockOffsetMs?: number }, now: number): number {
  return now + (x.agentClockOffsetMs ?? 0);
}
