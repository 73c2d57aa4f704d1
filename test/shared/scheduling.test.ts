import { describe, expect, it } from 'vitest';
import { VirtualClock, nextCronTime, parseCron } from '../../shared/scheduling.js';

const T0 = Date.parse('2026-11-29T10:00:00Z'); // a Sunday
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

describe('VirtualClock', () => {
  it('runs tasks in time order, ties in the order they were scheduled, each at its own now()', () => {
    const clock = new VirtualClock(T0);
    const log: string[] = [];
    const note = (name: string) => () => log.push(`${name}@${(clock.now() - T0) / MIN}`);
    clock.at(T0 + 30 * MIN, note('c'));
    clock.at(T0 + 10 * MIN, note('a'));
    clock.at(T0 + 30 * MIN, note('d'));
    clock.at(T0 + 20 * MIN, note('b'));
    clock.at(T0 + 90 * MIN, note('late'));
    expect(clock.pending).toBe(5);
    expect(clock.nextDue()).toBe(T0 + 10 * MIN);
    expect(clock.advanceTo(T0 + HOUR)).toBe(4);
    expect(log).toEqual(['a@10', 'b@20', 'c@30', 'd@30']);
    expect(clock.now()).toBe(T0 + HOUR);
    expect(clock.pending).toBe(1);
  });

  it('runs a task scheduled in the past at the next step, and one scheduled for now within the same advance', () => {
    const clock = new VirtualClock(T0);
    const ran: number[] = [];
    clock.at(T0 - DAY, () => ran.push(clock.now()));
    clock.at(T0 + MIN, () => clock.at(clock.now(), () => ran.push(clock.now())));
    clock.advanceBy(MIN);
    expect(ran.map(iso)).toEqual([iso(T0), iso(T0 + MIN)]);
  });

  it('every(): first run after one interval (or the given delay), then every interval', () => {
    const clock = new VirtualClock(T0);
    const a: number[] = [];
    const b: number[] = [];
    clock.every(2 * HOUR, () => a.push((clock.now() - T0) / HOUR));
    clock.every(7 * DAY, () => b.push((clock.now() - T0) / DAY), 0);
    clock.advanceBy(15 * DAY);
    expect(a).toHaveLength(180);
    expect(a.slice(0, 3)).toEqual([2, 4, 6]);
    expect(b).toEqual([0, 7, 14]);
  });

  it('every() refuses a zero interval', () => {
    expect(() => new VirtualClock(T0).every(0, () => {})).toThrow('interval must be positive, got 0');
  });

  it('cancel stops a repeating task, also from inside its own run, and twice is harmless', () => {
    const clock = new VirtualClock(T0);
    let runs = 0;
    const cancel = clock.every(HOUR, () => {
      runs++;
      if (runs === 3) cancel();
    });
    clock.advanceBy(10 * HOUR);
    expect(runs).toBe(3);
    cancel();
    expect(clock.pending).toBe(0);

    let other = 0;
    const stop = clock.every(HOUR, () => other++);
    clock.advanceBy(2 * HOUR);
    stop();
    stop();
    clock.advanceBy(5 * HOUR);
    expect(other).toBe(2);
  });

  it('cancel of a one-shot task before it is due keeps it from running', () => {
    const clock = new VirtualClock(T0);
    let ran = false;
    const cancel = clock.at(T0 + HOUR, () => (ran = true));
    cancel();
    clock.advanceBy(DAY);
    expect(ran).toBe(false);
    expect(clock.nextDue()).toBeUndefined();
  });

  it('cron(): `*/15 * * * *` fires at :00, :15, :30, :45 (UTC)', () => {
    const clock = new VirtualClock(T0 + 7 * MIN);
    const at: string[] = [];
    clock.cron('*/15 * * * *', () => at.push(iso(clock.now()).slice(11, 16)));
    clock.advanceTo(T0 + HOUR + 1);
    expect(at).toEqual(['10:15', '10:30', '10:45', '11:00']);
  });

  it('cron() refuses a bad expression with the reason', () => {
    expect(() => new VirtualClock(T0).cron('* * *', () => {})).toThrow('cron expression "* * *" needs 5 or 6 fields, has 3');
  });

  it('advanceToAsync awaits each task before running the next', async () => {
    const clock = new VirtualClock(T0);
    const log: string[] = [];
    clock.at(T0 + MIN, async () => {
      log.push('a starts');
      await new Promise((r) => setImmediate(r));
      log.push('a ends');
    });
    clock.at(T0 + MIN, () => log.push('b'));
    const ran = await clock.advanceToAsync(T0 + HOUR);
    expect(ran).toBe(2);
    expect(log).toEqual(['a starts', 'a ends', 'b']);
    expect(clock.now()).toBe(T0 + HOUR);
  });

  it('advanceTo does not wait for a task\'s promise (advanceToAsync is for that)', () => {
    const clock = new VirtualClock(T0);
    const log: string[] = [];
    clock.at(T0 + MIN, async () => {
      await Promise.resolve();
      log.push('a ends');
    });
    clock.at(T0 + MIN, () => log.push('b'));
    clock.advanceTo(T0 + HOUR);
    expect(log).toEqual(['b']);
  });

  it('never moves backwards', () => {
    const clock = new VirtualClock(T0);
    clock.advanceTo(T0 - DAY);
    expect(clock.now()).toBe(T0);
  });
});

describe('parseCron errors', () => {
  it.each([
    ['* * * *', 'cron expression "* * * *" needs 5 or 6 fields, has 4'],
    ['* * * * * * *', 'needs 5 or 6 fields, has 7'],
    ['60 * * * *', 'cron minute field "60" is outside 0-59'],
    ['* 24 * * *', 'cron hour field "24" is outside 0-23'],
    ['* * 0 * *', 'cron day field "0" is outside 1-31'],
    ['* * * 13 *', 'cron month field "13" is outside 1-12'],
    ['* * * * 8', 'cron weekday field "8" is outside 0-7'],
    ['*/0 * * * *', 'cron minute step must be at least 1'],
    ['5-1 * * * *', 'cron minute field "5-1" is outside 0-59'],
    ['a * * * *', 'cron minute field "a" is not understood'],
    ['1, * * * *', 'cron minute field "1," is not understood'],
  ])('%j → %s', (expr, message) => {
    expect(() => parseCron(expr)).toThrow(message);
  });
});

describe('nextCronTime (UTC, strictly after)', () => {
  it.each([
    ['*/15 * * * *', '2026-11-29T10:07:30Z', '2026-11-29T10:15:00.000Z'],
    ['*/15 * * * *', '2026-11-29T10:15:00Z', '2026-11-29T10:30:00.000Z'],
    ['*/15 * * * *', '2026-11-29T23:59:00Z', '2026-11-30T00:00:00.000Z'],
    ['0 3 * * *', '2026-11-29T02:59:59Z', '2026-11-29T03:00:00.000Z'],
    ['0 3 * * *', '2026-11-29T03:00:00Z', '2026-11-30T03:00:00.000Z'],
    ['0 3 * * *', '2026-12-31T10:00:00Z', '2027-01-01T03:00:00.000Z'],
    ['0 0 1 * *', '2026-11-29T10:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['0 0 1 * *', '2026-12-15T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['0 0 1 * *', '2026-12-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['0 0 29 2 *', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['0 9 * * 1', '2026-11-29T10:00:00Z', '2026-11-30T09:00:00.000Z'],
    ['0 9 * * 7', '2026-11-28T10:00:00Z', '2026-11-29T09:00:00.000Z'],
    ['0 0 13 * 5', '2026-11-01T00:00:00Z', '2026-11-06T00:00:00.000Z'],
    ['*/10 * * * * *', '2026-11-29T10:00:05Z', '2026-11-29T10:00:10.000Z'],
    ['30 0 12 * * *', '2026-11-29T10:00:00Z', '2026-11-29T12:00:30.000Z'],
  ])('%s after %s → %s', (expr, after, next) => {
    expect(iso(nextCronTime(parseCron(expr), Date.parse(after)))).toBe(next);
  });

  it('refuses an expression that never matches', () => {
    expect(() => nextCronTime(parseCron('0 0 31 2 *'), T0)).toThrow('cron expression never matches');
  });
});
