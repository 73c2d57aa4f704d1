import { describe, expect, it } from 'vitest';
import { DeadlineIndex } from '../../dashboard/alerts/deadline-index.js';
import { MS } from '../../shared/kms-rules.js';

const T = Date.UTC(2026, 5, 1, 12, 0, 0);

describe('the deadline index', () => {
  it('hands a machine over by its instant, and not a second before it', () => {
    const d = new DeadlineIndex();
    d.schedule('m', T + 1500);
    expect(d.popDue(T + 500)).toEqual([]);
    expect(d.popDue(T + 1500)).toEqual(['m']);
    expect(d.size).toBe(0);
    expect(d.popDue(T + 1500)).toEqual([]);
  });

  it('takes every machine due in the minutes passed and leaves the later ones of the current minute', () => {
    const d = new DeadlineIndex();
    d.schedule('a', T - 5 * MS.MINUTE);
    d.schedule('b', T + 10_000);
    d.schedule('c', T + 30_000);
    d.schedule('d', T + MS.DAY);
    expect(d.popDue(T + 20_000).sort()).toEqual(['a', 'b']);
    expect(d.popDue(T + 20_000)).toEqual([]);
    expect(d.popDue(T + 59_999)).toEqual(['c']);
    expect(d.size).toBe(1);
    expect(d.popDue(T + MS.DAY)).toEqual(['d']);
  });

  it('moves and drops a machine', () => {
    const d = new DeadlineIndex();
    d.schedule('a', T + MS.MINUTE);
    d.schedule('a', T + 3 * MS.MINUTE);
    d.schedule('b', T + MS.MINUTE);
    d.schedule('b', null);
    expect(d.size).toBe(1);
    expect(d.popDue(T + 2 * MS.MINUTE)).toEqual([]);
    expect(d.popDue(T + 3 * MS.MINUTE)).toEqual(['a']);
  });

  it('moves a machine within its minute, to an earlier minute and back, and hands it over once', () => {
    const d = new DeadlineIndex();
    d.schedule('a', T + 10_000);
    d.schedule('a', T + 40_000);
    expect(d.popDue(T + 20_000)).toEqual([]);
    d.schedule('a', T - MS.MINUTE);
    d.schedule('a', T + 50_000);
    expect(d.popDue(T + 45_000)).toEqual([]);
    expect(d.popDue(T + 50_000)).toEqual(['a']);
    expect(d.popDue(T + 10 * MS.MINUTE)).toEqual([]);
    expect(d.size).toBe(0);
  });

  it('keeps instants before 2020 and long after it', () => {
    const d = new DeadlineIndex();
    d.schedule('old', Date.UTC(1999, 0, 1));
    d.schedule('far', Date.UTC(2100, 0, 1, 0, 0, 0, 500));
    expect(d.popDue(T)).toEqual(['old']);
    expect(d.popDue(Date.UTC(2099, 11, 31, 23, 59, 58))).toEqual([]);
    expect(d.popDue(Date.UTC(2100, 0, 1))).toEqual(['far']);
  });
});
