// The fleet's progress line: redrawn in place on a terminal, plain lines every few seconds elsewhere.
import { describe, expect, it } from 'vitest';
import { describeFleetProgress, progressLine } from '../../agent/fleet/progress-line.js';
import type { FleetStats } from '../../agent/fleet/index.js';

function stream(isTTY: boolean) {
  const out = { text: '', isTTY, write: (t: string) => (out.text += t) };
  return out;
}

describe('progress line', () => {
  it('on a terminal, redraws one line in place and prints lasting lines above it', () => {
    const s = stream(true);
    const p = progressLine({ stream: s, now: () => 0 });
    p.update('day 1 of 30');
    p.update('day 2 of 30');
    p.line('fleet: a milestone');
    p.update('day 3 of 30');
    p.end();
    p.line('dashboard: http://127.0.0.1:8080/');
    p.update('ignored after end');
    expect(s.text).toBe(
      '\r\x1b[2Kday 1 of 30' + '\r\x1b[2Kday 2 of 30' + '\r\x1b[2Kfleet: a milestone\nday 2 of 30' + '\r\x1b[2Kday 3 of 30' + '\n' + 'dashboard: http://127.0.0.1:8080/\n',
    );
    // What a person sees once the terminal has applied the carriage returns and clears:
    const screen = s.text.split('\n').map((l) => l.split('\r\x1b[2K').pop());
    expect(screen).toEqual(['fleet: a milestone', 'day 3 of 30', 'dashboard: http://127.0.0.1:8080/', '']);
  });

  it('elsewhere, prints plain lines: an update at most every 5 s, lasting lines at once, the last state at the end', () => {
    const s = stream(false);
    let t = 0;
    const p = progressLine({ stream: s, now: () => t });
    p.update('day 0 of 30');
    t = 1_000;
    p.update('day 1 of 30');
    t = 4_999;
    p.update('day 4 of 30');
    p.line('fleet: a milestone');
    t = 5_000;
    p.update('day 5 of 30');
    t = 6_000;
    p.update('day 6 of 30');
    p.end();
    p.end();
    expect(s.text).toBe('day 0 of 30\nfleet: a milestone\nday 5 of 30\nday 6 of 30\n');
    expect(s.text).not.toContain('\r');
  });

  it('prints nothing more at the end when the last state was already printed', () => {
    const s = stream(false);
    const p = progressLine({ stream: s, now: () => 0 });
    p.update('live');
    p.end();
    expect(s.text).toBe('live\n');
  });
});

describe('fleet progress text', () => {
  const base: FleetStats = {
    machines: 328,
    simulatedNow: '2026-11-20T00:00:00.000Z',
    phase: 'fast-forward',
    historyDaysDone: 12.7,
    historyDaysTotal: 30,
    reportsQueued: 4300,
    reportsAcked: 4210,
    reportsWaiting: 0,
    eventsQueued: 0,
    deadLettered: 0,
  };
  it.each([
    [{}, 'fast-forward: day 12 of 30 · 328 machines · 4,210 reports sent'],
    [{ reportsWaiting: 90, deadLettered: 2 }, "fast-forward: day 12 of 30 · 328 machines · 4,210 reports sent · 90 waiting · 2 refused by the collector (kept in the agents' dead-letter files)"],
    [{ phase: 'live', historyDaysDone: 30 }, 'live · 328 machines · 4,210 reports sent'],
  ] as Array<[Partial<FleetStats>, string]>)('%j → %s', (change, text) => expect(describeFleetProgress({ ...base, ...change })).toBe(text));
});
