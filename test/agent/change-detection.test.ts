import { describe, expect, it } from 'vitest';
import { meaningfulChanges } from '../../agent/change-detection.js';
import type { MachineSnapshot, ProductState } from '../../shared/protocol.js';

const product: ProductState = {
  activationId: 'ae2ee509-1b34-41c0-acb7-6d4650168915',
  name: 'Windows(R) 7, Enterprise edition',
  channel: 'kms-client',
  primary: true,
  licenseStatus: 1,
  licenseStatusReason: 0,
  graceExpiresAt: '2027-05-28T10:00:00.000Z',
  partialProductKey: 'RHTBY',
  kmsHost: { name: 'kms01.contoso.com', port: 1688, source: 'dns' },
  rearmsRemaining: 3,
};
const base: MachineSnapshot = {
  machineId: 'm',
  hostname: 'WS-0042',
  group: 'hq',
  os: { caption: 'Windows 7', version: '6.1.7601', kind: 'client' },
  cmid: '5d1c1a7f-19e2-4a0c-9c53-6c3a0e1f7b22',
  products: [product],
  collectedAt: '2026-11-29T10:00:00.000Z',
  kmsService: {
    currentCount: 30,
    requiredClientCount: 25,
    listeningPort: 1688,
    dnsPublishing: true,
    lowPriority: false,
    requests: { total: 100, failed: 0, unlicensed: 0, licensed: 100, oobGrace: 0, ootGrace: 0, nonGenuineGrace: 0, notification: 0 },
  },
};
const withProduct = (p: Partial<ProductState>): MachineSnapshot => ({ ...base, products: [{ ...product, ...p }] });

describe('meaningful changes', () => {
  it.each<[string, MachineSnapshot, boolean]>([
    ['nothing but the collection time', { ...base, collectedAt: '2026-11-29T10:15:00.000Z' }, false],
    ['expiry drifting 59 minutes', withProduct({ graceExpiresAt: '2027-05-28T10:59:00.000Z' }), false],
    ['expiry moving 61 minutes', withProduct({ graceExpiresAt: '2027-05-28T11:01:00.000Z' }), true],
    ['a 7-day renewal', withProduct({ graceExpiresAt: '2027-06-04T10:00:00.000Z' }), true],
    ['expiry gone (permanent, or Notification)', withProduct({ graceExpiresAt: null }), true],
    ['status', withProduct({ licenseStatus: 3 }), true],
    ['reason', withProduct({ licenseStatusReason: 0xc004f00f }), true],
    ['channel', withProduct({ channel: 'mak' }), true],
    ['key', withProduct({ partialProductKey: 'ABCDE' }), true],
    ['KMS host name', withProduct({ kmsHost: { name: 'kms02.contoso.com', port: 1688, source: 'dns' } }), true],
    ['KMS host source', withProduct({ kmsHost: { name: 'kms01.contoso.com', port: 1688, source: 'registry' } }), true],
    ['rearms', withProduct({ rearmsRemaining: 2 }), true],
    ['a product installed', { ...base, products: [product, { ...product, activationId: 'other', primary: false }] }, true],
    ['a product removed', { ...base, products: [] }, true],
    ['KMS count', { ...base, kmsService: { ...base.kmsService!, currentCount: 31 } }, true],
    ['KMS request counters only (the 12290 events carry those)', { ...base, kmsService: { ...base.kmsService!, requests: { ...base.kmsService!.requests, total: 101, licensed: 101 } } }, false],
    ['CMID (rearm or sysprep)', { ...base, cmid: 'new' }, true],
  ])('%s → %s', (_what, next, changed) => {
    expect(meaningfulChanges(base, next).length > 0).toBe(changed);
  });

  it('always reports the first snapshot', () => {
    expect(meaningfulChanges(undefined, base)).toEqual(['first snapshot']);
  });

  it('takes the expiry tolerance as a setting', () => {
    expect(meaningfulChanges(base, withProduct({ graceExpiresAt: '2027-05-28T10:10:00.000Z' }), 5 * 60_000)).toEqual([
      'Windows(R) 7, Enterprise edition: expiry',
    ]);
  });
});
