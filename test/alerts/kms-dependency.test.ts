import { describe, expect, it } from 'vitest';
import { dependentsOf, kmsHostOfMachine } from '../../dashboard/alerts/kms-dependency.js';
import { activationRequest, fleet, HOUR, kmsHost, machine, NOW, product, request } from '../support/alerts-fleet.js';

describe('which KMS host a client depends on', () => {
  const vista = () => product({ kmsHost: null }); // Vista-class products do not carry the host
  it.each([
    { name: 'the product says', m: () => machine({ products: [product({ kmsHost: { name: 'KMS01.corp.example.', port: 1688, source: 'dns' } })] }), expected: 'kms01.corp.example' },
    { name: 'the newest 12288 says', m: () => machine({ products: [vista()], recentEvents: [activationRequest(NOW - 3 * HOUR, 0, 'kms02.corp.example'), activationRequest(NOW - HOUR, 0xc004f074, 'kms03.corp.example')] }), expected: 'kms03.corp.example' },
    { name: 'a host logged its CMID', m: () => machine({ hostname: 'v.corp.example', cmid: 'cmid-v.corp.example', products: [vista()] }), expected: 'kms09.corp.example' },
    { name: 'nothing knows', m: () => machine({ cmid: 'unknown', products: [vista()] }), expected: null },
    { name: 'a MAK machine', m: () => machine({ products: [product({ channel: 'mak', kmsHost: null })] }), expected: null },
  ])('$name → $expected', ({ m, expected }) => {
    const host = kmsHost({ hostname: 'kms09.corp.example', requests: [request('v.corp.example', NOW - HOUR)] });
    expect(kmsHostOfMachine(m(), fleet([], [host]))).toBe(expected);
  });
  it('lists a host’s dependents whatever the way they are known', () => {
    const host = kmsHost({ hostname: 'kms09.corp.example', requests: [request('v.corp.example', NOW - HOUR)] });
    const a = machine({ hostname: 'v.corp.example', cmid: 'cmid-v.corp.example', products: [vista()] });
    const b = machine({ products: [product({ kmsHost: { name: 'kms09', port: 1688, source: 'registry' } })] });
    const c = machine({ products: [product()] });
    expect(dependentsOf(fleet([a, b, c], [host]), host).map((m) => m.machineId)).toEqual([a.machineId, b.machineId]);
  });
});
