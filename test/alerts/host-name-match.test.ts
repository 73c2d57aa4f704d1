import { describe, expect, it } from 'vitest';
import { sameHost, sameHostAsAnyOf } from '../../dashboard/alerts/host-names.js';

const NAMES = ['ws-01.contoso.com', 'WS-02.contoso.com.', 'ws-03', 'lab-1.fabrikam.com', 'kms01', 'ws-01.fabrikam.com'];
const QUERIES = ['ws-01.contoso.com', 'WS-01', 'ws-02.contoso.com', 'ws-02', 'ws-03.contoso.com', 'ws-03', 'ws-04.contoso.com', 'lab-1', 'lab-1.contoso.com', 'kms01.contoso.com', 'ws-01.other.org', 'ws-02.fabrikam.com'];

describe('sameHostAsAnyOf', () => {
  it('answers what comparing with every name by sameHost answers', () => {
    const matches = sameHostAsAnyOf(NAMES);
    for (const q of QUERIES) expect([q, matches(q)]).toEqual([q, NAMES.some((n) => sameHost(n, q))]);
    // The table holds both answers.
    expect(QUERIES.filter(matches).length).toBeGreaterThan(0);
    expect(QUERIES.filter((q) => !matches(q)).length).toBeGreaterThan(0);
  });
});
