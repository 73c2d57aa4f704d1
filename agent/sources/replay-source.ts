import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  RawEventRecord,
  RawOperatingSystem,
  RawSoftwareLicensingProduct,
  RawSoftwareLicensingService,
} from '../../shared/wmi-shapes.js';
import type { EventLogRead, LicensingSource } from './licensing-source.js';
import { PowerShellOutputError, decodePowerShellText, parsePowerShellJsonList } from './powershell-json.js';
import { RawEventSchema, RawOsSchema, RawProductSchema, RawServiceSchema, parseRawList } from './raw-schemas.js';
import { isWatchedRecord } from './watched-events.js';

export const REPLAY_FILES = {
  products: 'SoftwareLicensingProduct.json',
  service: 'SoftwareLicensingService.json',
  os: 'Win32_OperatingSystem.json',
  events: 'events',
} as const;

/**
 * A folder of saved PowerShell output (see agent/README.md): what an admin captures on a machine to see what the agent
 * would report, and what the tests feed the agent. Files are re-read on every call, so a test can add events between
 * polls.
 */
export class ReplaySource implements LicensingSource {
  readonly kind = 'replay' as const;
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async readProducts(): Promise<RawSoftwareLicensingProduct[]> {
    const items = await this.#readList(REPLAY_FILES.products);
    // The command asks only for products with a key; a capture of every product is filtered the same way.
    return parseRawList(RawProductSchema, items, this.#where(REPLAY_FILES.products)).filter(
      (p) => typeof p.PartialProductKey === 'string' && p.PartialProductKey !== '',
    );
  }

  async readService(): Promise<RawSoftwareLicensingService> {
    return this.#single(RawServiceSchema, REPLAY_FILES.service);
  }

  async readOs(): Promise<RawOperatingSystem> {
    return this.#single(RawOsSchema, REPLAY_FILES.os);
  }

  async readEvents(log: string, afterRecordId: number): Promise<EventLogRead> {
    const raw = await this.#allEvents();
    const all = raw.filter((r) => isWatchedRecord(log, r));
    if (all.length === 0) {
      const anyOfLog = raw.some((r) => r.LogName.toLowerCase() === log.toLowerCase());
      return { logExists: anyOfLog || log === 'Application', records: [], newestRecordId: null };
    }
    const newest = all.reduce((m, r) => Math.max(m, r.RecordId), 0);
    return { logExists: true, records: all.filter((r) => r.RecordId > afterRecordId), newestRecordId: newest };
  }

  async stableMachineId(): Promise<string> {
    const os = await this.readOs();
    return `replay-${os.CSName.toLowerCase()}`;
  }

  #where(file: string): string {
    return join(this.#dir, file);
  }

  async #single<T>(schema: Parameters<typeof parseRawList<T>>[0], file: string): Promise<T> {
    const items = await this.#readList(file);
    if (items.length !== 1) throw new PowerShellOutputError(this.#where(file), `expected one instance, found ${items.length}`);
    return parseRawList(schema, items, this.#where(file))[0]!;
  }

  async #readList(file: string): Promise<Array<Record<string, unknown>>> {
    const where = this.#where(file);
    let bytes: Buffer;
    try {
      bytes = await readFile(where);
    } catch (e) {
      throw new PowerShellOutputError(where, `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return parsePowerShellJsonList(decodePowerShellText(bytes), where);
  }

  async #allEvents(): Promise<RawEventRecord[]> {
    const dir = this.#where(REPLAY_FILES.events);
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.json')).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new PowerShellOutputError(dir, `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const out: RawEventRecord[] = [];
    for (const name of names) {
      const file = join(REPLAY_FILES.events, name);
      out.push(...parseRawList(RawEventSchema, await this.#readList(file), this.#where(file)));
    }
    return out;
  }
}
