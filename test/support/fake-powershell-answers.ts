/**
 * What a fake PowerShell answers to the `cim` source's commands (agent/sources/powershell-commands.ts), from a replay
 * folder: the same data the replay source reads, printed as ConvertTo-Json would, and Get-WinEvent's errors for "no
 * events" and "no such log". Shared by the fake PowerShell process (fake-powershell.ts) and the benchmark's
 * one-process-per-command stand-in.
 */
import { ReplaySource } from '../../agent/sources/replay-source.js';

export interface FakeAnswer {
  ok: boolean;
  stdout: string;
  stderr: string;
}

export const FAKE_MACHINE_GUID = '6f1c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

const NO_EVENTS = 'No events were found that match the specified selection criteria.\r\n    + FullyQualifiedErrorId : NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand';
const NO_LOG = (log: string) =>
  `There is not an event log on the localhost computer that matches "${log}".\r\n    + FullyQualifiedErrorId : NoMatchingLogsFound,Microsoft.PowerShell.Commands.GetWinEventCommand`;

const ok = (value: unknown): FakeAnswer => ({ ok: true, stdout: JSON.stringify(value), stderr: '' });
const fail = (stderr: string): FakeAnswer => ({ ok: false, stdout: '', stderr });

export async function answerCommand(command: string, replayDir: string, machineGuid = FAKE_MACHINE_GUID): Promise<FakeAnswer> {
  const src = new ReplaySource(replayDir);
  try {
    if (command.includes('MachineGuid')) return ok(machineGuid);
    if (command.includes('SoftwareLicensingProduct')) return ok(await src.readProducts());
    if (command.includes('SoftwareLicensingService')) return ok(await src.readService());
    if (command.includes('Win32_OperatingSystem')) return ok(await src.readOs());
    const log = /Get-WinEvent -LogName '((?:[^']|'')*)'/.exec(command)?.[1]?.replace(/''/g, "'");
    if (log !== undefined) {
      const after = Number(/EventRecordID > (\d+)/.exec(command)?.[1] ?? 0);
      const read = await src.readEvents(log, after);
      if (!read.logExists) return fail(NO_LOG(log));
      if (command.includes('-MaxEvents 1')) {
        return read.newestRecordId ? ok({ RecordId: read.newestRecordId }) : fail(NO_EVENTS);
      }
      return read.records.length > 0 ? ok([...read.records].sort((a, b) => b.RecordId - a.RecordId)) : fail(NO_EVENTS);
    }
    return fail(`The term '${command.slice(0, 40)}' is not recognized.\r\n    + FullyQualifiedErrorId : CommandNotFoundException`);
  } catch (e) {
    return fail(`${(e as Error).message}\r\n    + FullyQualifiedErrorId : FakeReplayError`);
  }
}
