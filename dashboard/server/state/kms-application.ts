import { applicationOf, officeKmsClientSku, type LicensingApplication } from '../../../shared/kms-rules.js';
import type { MachineSnapshot } from '../../../shared/protocol.js';

/**
 * Which licensing application (Windows or Office: each has its own count and threshold on a KMS host) a request was
 * for, from the activation ID it carries: Office's known KMS client SKUs, else the pairs clients' own snapshots taught
 * (a product's activation ID and application ID). Unknown activation IDs are Windows': before volume Office was
 * modelled every request was, and the host's Windows count is the one older agents report.
 */
export class ApplicationByActivation {
  /** Activation IDs are a few dozen SKUs fleet-wide; the cap keeps hostile input from growing the table. */
  static readonly MAX_ENTRIES = 10_000;
  readonly #learned = new Map<string, LicensingApplication>();

  /** Learns the activation ID → application pairs of a snapshot's products. O(products). */
  learn(snapshot: MachineSnapshot | null | undefined): void {
    if (!snapshot) return;
    for (const p of snapshot.products) {
      if (p.applicationId === undefined) continue;
      const id = p.activationId.toLowerCase();
      if (this.#learned.has(id) || this.#learned.size >= ApplicationByActivation.MAX_ENTRIES) continue;
      this.#learned.set(id, applicationOf(p.applicationId));
    }
  }

  /** Windows or Office (anything else counts as Windows, see above). */
  of(activationId: string | null | undefined): 'windows' | 'office' {
    if (officeKmsClientSku(activationId)) return 'office';
    return this.#learned.get((activationId ?? '').toLowerCase()) === 'office' ? 'office' : 'windows';
  }
}
