/**
 * A real Windows machine, read through PowerShell (the command lines are in powershell-commands.ts), by default one
 * long-lived process for the whole agent (powershell-session.ts).
 */
import type { EventLogRead, LicensingSource } from './licensing-source.js';
import {
  eventsCommand,
  isMissingLogError,
  isNoEventsError,
  machineIdCommand,
  newestRecordCommand,
  osCommand,
  productsCommand,
  serviceCommand,
} from './powershell-commands.js';
import { PowerShellOutputError, parsePowerShellJsonList } from './powershell-json.js';
import { PersistentPowerShell, type PersistentPowerShellOptions, type PowerShellSession } from './powershell-session.js';
import { RawEventSchema, RawOsSchema, RawProductSchema, RawServiceSchema, parseRawList } from './raw-schemas.js';

export type { PowerShellResult, PowerShellSession } from './powershell-session.js';

export class CimSource implements LicensingSource {
  readonly kind = 'cim' as const;
  readonly session: PowerShellSession;
  #log: (line: string) => void;
  readonly #probeEvery: number;
  readonly #emptyReads = new Map<string, number>();

  /**
   * `probeEvery`: ask for a log's newest record (to notice it was cleared) on every n-th read that found nothing new
   * (default 15: with the default event poll, within a quarter of an hour). Each probe is one more PowerShell start,
   * one more command for the PowerShell process.
   */
  constructor(
    opts: {
      powershell?: string;
      /** Options of the persistent PowerShell (timeouts, limits; a fake PowerShell in tests). */
      persistent?: Omit<PersistentPowerShellOptions, 'powershell' | 'log'>;
      /** Another session altogether (the per-command way; a stub in tests). */
      session?: PowerShellSession;
      probeEvery?: number;
      log?: (line: string) => void;
    } = {},
  ) {
    this.#log = opts.log ?? (() => {});
    this.session = opts.session ?? new PersistentPowerShell({ ...opts.persistent, powershell: opts.powershell, log: (line) => this.#log(line) });
    this.#probeEvery = Math.max(1, opts.probeEvery ?? 15);
  }

  async #json(command: string, what: string): Promise<Array<Record<string, unknown>>> {
    const r = await this.session.run(command);
    if (!r.ok) throw new PowerShellOutputError(what, firstLine(r.stderr));
    return parsePowerShellJsonList(r.stdout, what);
  }

  async readProducts() {
    return parseRawList(RawProductSchema, await this.#json(productsCommand(), 'SoftwareLicensingProduct'), 'SoftwareLicensingProduct');
  }

  async readService() {
    const list = parseRawList(RawServiceSchema, await this.#json(serviceCommand(), 'SoftwareLicensingService'), 'SoftwareLicensingService');
    if (list.length !== 1) throw new PowerShellOutputError('SoftwareLicensingService', `expected one instance, got ${list.length}`);
    return list[0]!;
  }

  async readOs() {
    const list = parseRawList(RawOsSchema, await this.#json(osCommand(), 'Win32_OperatingSystem'), 'Win32_OperatingSystem');
    if (list.length !== 1) throw new PowerShellOutputError('Win32_OperatingSystem', `expected one instance, got ${list.length}`);
    return list[0]!;
  }

  async readEvents(log: string, afterRecordId: number): Promise<EventLogRead> {
    const where = `Get-WinEvent ${log}`;
    const r = await this.session.run(eventsCommand(log, afterRecordId));
    if (!r.ok) {
      if (isMissingLogError(r.stderr)) return { logExists: false, records: [] };
      if (!isNoEventsError(r.stderr)) throw new PowerShellOutputError(where, firstLine(r.stderr));
      // Nothing new. Only now is it worth asking, now and then, whether the log went backwards (was cleared).
      const empty = (this.#emptyReads.get(log) ?? 0) + 1;
      this.#emptyReads.set(log, empty);
      const probe = afterRecordId > 0 && empty % this.#probeEvery === 1 % this.#probeEvery;
      return { logExists: true, records: [], newestRecordId: probe ? await this.#newest(log) : undefined };
    }
    this.#emptyReads.set(log, 0);
    return { logExists: true, records: parseRawList(RawEventSchema, parsePowerShellJsonList(r.stdout, where), where) };
  }

  async #newest(log: string): Promise<number | null | undefined> {
    const r = await this.session.run(newestRecordCommand(log));
    if (!r.ok) return isNoEventsError(r.stderr) ? null : undefined;
    const first = parsePowerShellJsonList(r.stdout, `newest record of ${log}`)[0];
    return typeof first?.RecordId === 'number' ? first.RecordId : undefined;
  }

  async stableMachineId(): Promise<string> {
    const r = await this.session.run(machineIdCommand());
    const id = r.ok ? (JSON.parse(r.stdout.trim() || 'null') as unknown) : null;
    if (typeof id !== 'string' || id === '') throw new PowerShellOutputError('MachineGuid', r.ok ? 'empty' : firstLine(r.stderr));
    return id.toLowerCase();
  }

  close(): Promise<void> {
    return this.session.close();
  }

  useLog(log: (line: string) => void): void {
    this.#log = log;
  }
}

function firstLine(s: string): string {
  return (s.split(/\r?\n/).find((l) => l.trim() !== '') ?? 'PowerShell failed').trim().slice(0, 300);
}
