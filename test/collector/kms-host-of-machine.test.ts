import { describe, expect, it } from 'vitest';
import { withKmsRequest, withSnapshot, type MachineState } from '../../dashboard/server/state/index.js';
import { storedMachine } from '../../dashboard/server/state/machine-state.js';
import { newMachine } from '../../dashboard/server/ingest/apply-report.js';
import { product, snapshot, T0 } from '../support/collector-harness.js';

const base: MachineState = newMachine({ machineId: 'm-1', agentId: 'a-1', hostname: 'ws-1' }, T0);
const H = 3_600_000;

describe('which KMS host a machine uses', () => {
  it.each([
    { name: 'the first request, even a failed one', seen: [{ hostId: 'kms01', at: T0, ok: false }], host: 'kms01' },
    { name: 'a later failure does not replace a success', seen: [{ hostId: 'kms01', at: T0, ok: true }, { hostId: 'kms02', at: T0 + H, ok: false }], host: 'kms01' },
    { name: 'a success replaces an earlier failure', seen: [{ hostId: 'kms02', at: T0, ok: false }, { hostId: 'kms01', at: T0 + H, ok: true }], host: 'kms01' },
    { name: 'a newer success replaces an older one', seen: [{ hostId: 'kms01', at: T0, ok: true }, { hostId: 'kms02', at: T0 + H, ok: true }], host: 'kms02' },
    { name: 'an older success arriving late does not replace a newer one', seen: [{ hostId: 'kms02', at: T0 + H, ok: true }, { hostId: 'kms01', at: T0, ok: true }], host: 'kms02' },
    { name: 'among failures, the newest tried', seen: [{ hostId: 'kms01', at: T0, ok: false }, { hostId: 'kms02', at: T0 + H, ok: false }], host: 'kms02' },
  ])('from 12288 events: $name', ({ seen, host }) => {
    const m = seen.reduce((acc, s) => withKmsRequest(acc, s), base);
    expect(m.kmsHostId).toBe(host);
  });

  it("the product's own KMS host (registry / DNS discovery) wins over requests", () => {
    const withReq = withKmsRequest(base, { hostId: 'kms02.contoso.com', at: T0, ok: true });
    const m = withSnapshot(withReq, snapshot('m-1', 'ws-1', T0, { products: [product({ kmsHost: { name: 'KMS01.contoso.com.', port: 1688, source: 'registry' } })] }));
    expect(m.kmsHostId).toBe('kms01.contoso.com');
    const vista = withSnapshot(withReq, snapshot('m-1', 'ws-1', T0, { products: [product({ kmsHost: null })] }));
    expect(vista.kmsHostId).toBe('kms02.contoso.com');
  });

  it.each([
    { name: 'a snapshot naming its host, and a request', kmsHost: { name: 'KMS01.contoso.com.', port: 1688, source: 'registry' as const }, request: true, override: null },
    { name: 'a snapshot naming none, and a request', kmsHost: null, request: true, override: 'Lab' },
    { name: 'a snapshot, no request', kmsHost: null, request: false, override: null },
  ])('a machine made from its stored row is the one the changes make: $name', ({ kmsHost, request, override }) => {
    const seen = { hostId: 'kms02.contoso.com', at: T0, ok: true };
    const bare: MachineState = { ...base, groupOverride: override, group: override ?? '', lastReportAt: T0 + H, lastReceivedAt: T0 + H };
    const snap = () => snapshot('m-1', 'WS-1.contoso.com', T0, { products: [product({ kmsHost })] });
    const viaChanges = withSnapshot(request ? withKmsRequest(bare, seen) : bare, snap());
    const { snapshot: _s, primary: _p, kmsHostId: _k, group: _g, ...fields } = { ...bare, lastKmsRequest: request ? seen : null };
    const stored = storedMachine(fields, snap());
    expect(stored).toEqual(viaChanges);
    // Same fields in the same order: one object shape for both (V8 keeps the hot paths monomorphic).
    expect(Object.keys(stored)).toEqual(Object.keys(viaChanges));
    expect(storedMachine(fields, null)).toEqual(request ? withKmsRequest(bare, seen) : bare);
  });
});
