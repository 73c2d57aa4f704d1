import { describe, expect, it } from 'vitest';
import { sameForAllGroups } from '../../dashboard/alerts/rule-definition.js';
import * as failing from '../../dashboard/alerts/rules/activation-failing.js';
import * as dup from '../../dashboard/alerts/rules/duplicate-client-machine-id.js';
import {
  DAY,
  HOUR,
  NOW,
  activationFailed,
  activationRequest,
  activationResponse,
  fleet,
  iso,
  kmsHost,
  machine,
  product,
  request,
} from '../support/alerts-fleet.js';

const MIN = 60_000;

describe('ActivationFailing', () => {
  const config = sameForAllGroups(failing.ActivationFailingConfig.parse({ rule: 'ActivationFailing' }));
  // The product last renewed 20 days ago, so events after that decide.
  const stale = [product({ graceExpiresAt: iso(NOW + 160 * DAY) })];
  it.each([
    { name: 'request then successful response', events: [activationRequest(NOW - HOUR), activationResponse(NOW - HOUR)], code: null },
    { name: 'request carrying 0xC004F074', events: [activationRequest(NOW - HOUR, 0xc004f074, null)], code: '0xC004F074' },
    { name: 'request unanswered for 16 min', events: [activationRequest(NOW - 16 * MIN)], code: '0xC004F074' },
    { name: 'request unanswered for 14 min', events: [activationRequest(NOW - 14 * MIN)], code: null },
    { name: 'response refusing: count too low', events: [activationRequest(NOW - HOUR), activationResponse(NOW - HOUR, { activated: false, notEnoughCount: true })], code: '0xC004F038' },
    { name: '8198 alone', events: [activationFailed(NOW - HOUR, 0xc004f06c)], code: '0xC004F06C' },
    { name: 'failure then success', events: [activationFailed(NOW - 3 * HOUR, 0xc004f074), activationRequest(NOW - HOUR), activationResponse(NOW - HOUR)], code: null },
    { name: 'success then failure', events: [activationRequest(NOW - 3 * HOUR), activationResponse(NOW - 3 * HOUR), activationRequest(NOW - HOUR, 0xc004f039)], code: '0xC004F039' },
  ])('$name → $code', ({ events, code }) => {
    const m = machine({ products: stale, recentEvents: events });
    const found = failing.evaluate(fleet([m]), NOW, config);
    expect(found.map((f) => f.knowledge.hresult?.code)).toEqual(code ? [code] : []);
    if (code) expect(found[0]!.kmsHost).toBe('kms01.corp.example');
  });
  it('a renewal visible in the product state outweighs older failure events', () => {
    const renewedAnHourAgo = [product({ graceExpiresAt: iso(NOW - HOUR + 180 * DAY) })];
    const m = machine({ products: renewedAnHourAgo, recentEvents: [activationFailed(NOW - 2 * HOUR, 0xc004f074)] });
    expect(failing.evaluate(fleet([m]), NOW, config)).toEqual([]);
  });
  it('waits for minFailures consecutive failures', () => {
    const two = sameForAllGroups(failing.ActivationFailingConfig.parse({ rule: 'ActivationFailing', minFailures: 2 }));
    const one = machine({ products: stale, recentEvents: [activationRequest(NOW - HOUR, 0xc004f074)] });
    const twice = machine({ products: stale, recentEvents: [activationRequest(NOW - 3 * HOUR, 0xc004f074), activationRequest(NOW - HOUR, 0xc004f074)] });
    expect(failing.evaluate(fleet([one, twice]), NOW, two).map((f) => f.subject.id)).toEqual([twice.machineId]);
  });
});

describe('DuplicateClientMachineId', () => {
  const config = sameForAllGroups(dup.DuplicateClientMachineIdConfig.parse({ rule: 'DuplicateClientMachineId' }));
  it('names every machine reporting the same CMID, once per CMID', () => {
    const a = machine({ hostname: 'clone1.corp.example', cmid: 'AAAA-1' });
    const b = machine({ hostname: 'clone2.corp.example', cmid: 'aaaa-1' });
    const c = machine({ hostname: 'clone3.corp.example', cmid: 'AAAA-1' });
    const d = machine({ hostname: 'fine.corp.example', cmid: 'BBBB-2' });
    const found = dup.evaluate(fleet([a, b, c, d]), NOW, config);
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('critical');
    expect(found[0]!.machines.map((m) => m.hostname)).toEqual(['clone1.corp.example', 'clone2.corp.example', 'clone3.corp.example']);
  });
  it('ignores retired machines and machines without a CMID', () => {
    const a = machine({ cmid: 'X' });
    const b = machine({ cmid: 'X', retired: true });
    const c = machine({ cmid: null });
    const d = machine({ cmid: null });
    expect(dup.evaluate(fleet([a, b, c, d]), NOW, config)).toEqual([]);
  });
  it('finds clones the KMS host sees under one CMID from different names within 30 days', () => {
    const host = kmsHost({
      requests: [
        request('img1.corp.example', NOW - DAY, { cmid: 'C' }),
        request('img2.corp.example', NOW - 2 * DAY, { cmid: 'C' }),
        request('img1.corp.example', NOW - 3 * DAY, { cmid: 'C' }),
        request('old.corp.example', NOW - 31 * DAY, { cmid: 'D' }),
        request('new.corp.example', NOW - DAY, { cmid: 'D' }),
      ],
    });
    const found = dup.evaluate(fleet([], [host]), NOW, config);
    expect(found.map((f) => f.machines.map((m) => m.hostname))).toEqual([['img1.corp.example', 'img2.corp.example']]);
  });
});
