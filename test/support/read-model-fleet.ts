/**
 * A synthetic fleet committed straight into a FleetState (no store, no HTTP), for the read-model tests and timing
 * scripts: N machines over 10 groups and 3 KMS hosts, mostly Licensed KMS clients, some in Notification, grace or MAK,
 * reports spread over the last 15 minutes. Deterministic for a given N and `now`.
 */
import type { ProductState } from '../../shared/protocol.js';
import { newMachine } from '../../dashboard/server/ingest/apply-report.js';
import { FleetState } from '../../dashboard/server/state/fleet-state.js';
import { withSnapshot, type MachineState } from '../../dashboard/server/state/machine-state.js';
import type { StateChange } from '../../dashboard/server/state/state-change.js';

const DAY = 86_400_000;
export const KMS_HOSTS = ['kms01.contoso.com', 'kms02.contoso.com', 'kms03.contoso.com'] as const;

function windows(licenseStatus: number, channel: 'kms-client' | 'mak', kms: string | null, graceExpiresAt: string | null): ProductState {
  return {
    activationId: 'a1b2c3d4-0000-4000-8000-000000000001',
    applicationId: '55c92734-d682-4d71-983e-d6ec3f16059f',
    name: 'Windows(R), Enterprise edition',
    description: `Windows(R) Operating System, ${channel === 'mak' ? 'VOLUME_MAK' : 'VOLUME_KMSCLIENT'} channel`,
    channel,
    primary: true,
    licenseStatus,
    licenseStatusReason: 0,
    graceExpiresAt,
    partialProductKey: 'ABCDE',
    kmsHost: kms ? { name: kms, port: 1688, source: 'dns' } : null,
    rearmsRemaining: 1000,
  };
}

/** Machine `i` of a synthetic fleet (status, channel, group and KMS host follow from `i`). */
export function syntheticMachine(i: number, now: number): MachineState {
  const id = `m-${String(i).padStart(7, '0')}`;
  const hostname = `ws-${((i * 7919) % 1_000_003).toString(36)}-${i}.contoso.com`;
  const kms = KMS_HOSTS[i % 3]!;
  const r = i % 100;
  // 85 Licensed KMS clients, 5 Notification, 3 OOB grace, 7 Licensed MAK in every 100.
  const product =
    r < 85
      ? windows(1, 'kms-client', kms, new Date(now + ((i % 180) + 1) * DAY).toISOString())
      : r < 90
        ? windows(5, 'kms-client', kms, null)
        : r < 93
          ? windows(2, 'kms-client', kms, new Date(now + ((i % 30) + 1) * DAY).toISOString())
          : windows(1, 'mak', null, null);
  const at = now - ((i * 9) % 900_000);
  const base = newMachine({ agentId: `a-${i}`, machineId: id, hostname }, now - 30 * DAY);
  const m = withSnapshot(base, {
    machineId: id,
    hostname,
    group: `G${i % 10}`,
    os: { caption: 'Microsoft Windows 11 Enterprise', version: '10.0.22631', kind: 'client' },
    cmid: `cmid-${i}`,
    products: [product],
    collectedAt: new Date(at).toISOString(),
  });
  return { ...m, lastReportAt: at, lastReceivedAt: at };
}

/** A FleetState holding `n` synthetic machines (committed without notifying, as the collector's start does). */
export function syntheticFleet(n: number, now: number): FleetState {
  const state = new FleetState();
  const batch: StateChange[] = [];
  for (let i = 0; i < n; i++) {
    const m = syntheticMachine(i, now);
    batch.push({ kind: 'machine', id: m.machineId, before: null, after: m });
    if (batch.length === 10_000) state.commit(batch.splice(0), { notify: false });
  }
  state.commit(batch, { notify: false });
  state.markReady();
  return state;
}
