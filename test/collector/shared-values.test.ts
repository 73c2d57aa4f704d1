import { describe, expect, it } from 'vitest';
import { keyPart, SharedValues } from '../../dashboard/server/state/interned.js';

describe('SharedValues: one instance per distinct key, in a capped table', () => {
  it('hands out the first instance made for a key, and starts over once full', () => {
    const t = new SharedValues<{ v: number }>(2);
    const a = { v: 1 };
    expect(t.share('a', a)).toBe(a);
    expect(t.share('a', { v: 1 })).toBe(a);
    const b = t.share('b', { v: 2 });
    // Full: the next new key empties the table; instances handed out before stay as they were.
    const c = { v: 3 };
    expect(t.share('c', c)).toBe(c);
    expect(t.share('c', { v: 3 })).toBe(c);
    const a2 = { v: 1 };
    expect(t.share('a', a2)).toBe(a2);
    expect(b).toEqual({ v: 2 });
  });

  it('builds keys from free text that two different field sequences cannot share', () => {
    const key = (...parts: Array<string | null>) => parts.map(keyPart).join('/');
    // Host names may hold the separator, a digit and a colon: the length prefix still tells the fields apart.
    expect(key('a/1:b', null)).not.toBe(key('a', 'b'));
    expect(key('a', '3:b/c')).not.toBe(key('a/1:3', 'b/c'));
    expect(key(null)).not.toBe(key('-'));
    expect(key('kms01', null)).toBe(key('kms01', null));
  });
});
