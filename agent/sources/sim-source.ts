import type { SimulatedMachine } from '../sim/index.js';
import type { EventLogRead, LicensingSource } from './licensing-source.js';

/** A machine of the simulator, seen through the same raw shapes as a real one. */
export class SimSource implements LicensingSource {
  readonly kind = 'sim' as const;
  readonly #m: SimulatedMachine;

  constructor(machine: SimulatedMachine) {
    this.#m = machine;
  }

  get machine(): SimulatedMachine {
    return this.#m;
  }

  async readProducts() {
    return this.#m.readProducts();
  }

  async readService() {
    return this.#m.readService();
  }

  async readOs() {
    return this.#m.readOs();
  }

  async readEvents(log: string, afterRecordId: number): Promise<EventLogRead> {
    if (!this.#m.hasLog(log)) return { logExists: false, records: [] };
    const newest = this.#m.lastRecordId(log);
    return { logExists: true, records: this.#m.readEvents(log, afterRecordId), newestRecordId: newest === 0 ? null : newest };
  }

  async stableMachineId(): Promise<string> {
    return this.#m.machineId;
  }
}
