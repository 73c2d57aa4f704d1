import { describe, expect, it } from 'vitest';
import { withKmsRequest, withSnapshot, type MachineState } from '../../dashboard/server/state/index.js';
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
});
