/**
 * Which KMS host a client depends on, and which clients depend on a host. A client's dependency is the host its KMS
 * client product last used: the /skms registry value or the host it discovered through DNS (`ProductState.kmsHost`).
 */
import type { ProductState } from '../../shared/protocol.js';
import { canonicalHostName, sameHost } from './host-names.js';
import type { FleetView, KmsHostView, MachineView } from './model.js';

/** The machine's KMS client products (GVLK installed). */
export function kmsClientProducts(m: MachineView): ProductState[] {
  return m.products.filter((p) => p.channel === 'kms-client');
}

/** The canonical name of the KMS host the machine's primary KMS client product uses, or null. */
export function kmsHostOfMachine(m: MachineView): string | null {
  const products = kmsClientProducts(m);
  const p = products.find((x) => x.primary && x.kmsHost) ?? products.find((x) => x.kmsHost);
  return p?.kmsHost ? canonicalHostName(p.kmsHost.name) : null;
}

/** The canonical name of the KMS host a product uses, or null when it is not a KMS client or has none yet. */
export function kmsHostOfProduct(p: ProductState): string | null {
  return p.channel === 'kms-client' && p.kmsHost ? canonicalHostName(p.kmsHost.name) : null;
}

/** The live (not retired) machines whose KMS client product uses this host. */
export function dependentsOf(fleet: FleetView, host: Pick<KmsHostView, 'hostname'>): MachineView[] {
  return fleet.machines.filter((m) => {
    if (m.retired) return false;
    const h = kmsHostOfMachine(m);
    return h !== null && sameHost(h, host.hostname);
  });
}

/** The view of the host a client names, if that host runs an agent. */
export function findKmsHost(fleet: FleetView, name: string): KmsHostView | undefined {
  return fleet.kmsHosts.find((h) => sameHost(h.hostname, name));
}
