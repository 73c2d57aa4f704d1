import { describe, expect, it } from 'vitest';
import { CimSource, type PowerShellSession } from '../../agent/sources/cim-source.js';
import {
  eventsCommand,
  eventsXPath,
  newestRecordCommand,
  osCommand,
  powershellArgs,
  productsCommand,
  psQuote,
  serviceCommand,
} from '../../agent/sources/powershell-commands.js';
import { decodePowerShellText, parsePowerShellJsonList, powerShellDateToIso } from '../../agent/sources/powershell-json.js';

describe('PowerShell command lines', () => {
  it('asks WMI only for products with a key, selecting the properties and printing compact JSON', () => {
    const c = productsCommand();
    expect(c).toContain('Get-CimInstance -ClassName SoftwareLicensingProduct -Filter "PartialProductKey IS NOT NULL"');
    expect(c).toMatch(/\| Select-Object ID, Name, Description, ApplicationID, PartialProductKey, LicenseStatus, LicenseStatusReason, GracePeriodRemaining, /);
    expect(c).toContain('KeyManagementServiceCurrentCount');
    expect(c).toMatch(/\| ConvertTo-Json -Depth 4 -Compress$/);
    expect(c).toContain('[Console]::OutputEncoding = [System.Text.Encoding]::UTF8');
    expect(c).not.toMatch(/slmgr/i);
  });

  it('reads the service and the OS the same way', () => {
    expect(serviceCommand()).toMatch(/Get-CimInstance -ClassName SoftwareLicensingService -ErrorAction Stop \| Select-Object Version, ClientMachineID, .*RemainingWindowsReArmCount, @\{n='VawatchServiceRunning';e=\{.*Get-Service -Name sppsvc,slsvc.*\}\}, @\{n='VawatchKmsListening';e=\{.*Get-NetTCPConnection -State Listen.*\}\} \| ConvertTo-Json -Depth 4 -Compress$/);
    expect(productsCommand()).toContain('VLActivationType, VLActivationTypeEnabled, ADActivationObjectName, ADActivationObjectDN');
    expect(osCommand()).toMatch(/Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop \| Select-Object Caption, Version, ProductType, CSName \| ConvertTo-Json -Depth 4 -Compress$/);
  });

  it.each([
    [
      'Application',
      0,
      "*[System[Provider[@Name='Microsoft-Windows-Security-SPP' or @Name='Microsoft-Windows-Security-Licensing-SLC'] and (EventID=12288 or EventID=12289 or EventID=12291 or EventID=12292 or EventID=12293 or EventID=12294 or EventID=12308 or EventID=8198 or EventID=1003) and (EventRecordID > 0)]]",
    ],
    ['Key Management Service', 4711, '*[System[(EventID=12290) and (EventRecordID > 4711)]]'],
  ])('filters %s after record %i with XPath (FilterHashtable has no record id)', (log, after, xpath) => {
    expect(eventsXPath(log, after)).toBe(xpath);
    const c = eventsCommand(log, after);
    expect(c).toContain(`Get-WinEvent -LogName ${psQuote(log)} -FilterXPath "${xpath}" -ErrorAction Stop`);
    expect(c).toContain("| Select-Object Id, RecordId, LogName, ProviderName, @{n='TimeCreated';e={$_.TimeCreated.ToUniversalTime().ToString('o')}}, Properties |");
  });

  it('refuses a bookmark that is not a record id', () => {
    expect(() => eventsXPath('Application', -1)).toThrow(/non-negative integer/);
    expect(() => eventsXPath('Application', 1.5)).toThrow(/non-negative integer/);
  });

  it('quotes log names for PowerShell and runs without profile or prompts', () => {
    expect(psQuote("it's")).toBe("'it''s'");
    expect(newestRecordCommand('Key Management Service')).toContain("Get-WinEvent -LogName 'Key Management Service' -MaxEvents 1 -ErrorAction Stop | Select-Object RecordId");
    expect(powershellArgs('X')).toEqual(['-NoProfile', '-NonInteractive', '-Command', 'X']);
  });
});

describe('cim source answers', () => {
  const fake = (answers: Array<{ match: RegExp; ok: boolean; stdout?: string; stderr?: string }>, calls: string[] = []): PowerShellSession => ({
    async run(cmd) {
      calls.push(cmd);
      const a = answers.find((x) => x.match.test(cmd));
      if (!a) throw new Error(`unexpected command ${cmd}`);
      return { ok: a.ok, stdout: a.stdout ?? '', stderr: a.stderr ?? '' };
    },
    close: async () => {},
  });

  it('takes "No events were found" as nothing new, and probes the newest record to notice a cleared log', async () => {
    const calls: string[] = [];
    const src = new CimSource({
      session: fake(
        [
          { match: /FilterXPath/, ok: false, stderr: 'Get-WinEvent : No events were found that match the specified selection criteria.\r\n    + FullyQualifiedErrorId : NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand' },
          { match: /MaxEvents 1/, ok: true, stdout: '{"RecordId":12}' },
        ],
        calls,
      ),
    });
    expect(await src.readEvents('Application', 500)).toEqual({ logExists: true, records: [], newestRecordId: 12 });
    expect(calls).toHaveLength(2);
    // Not at every idle poll: each probe is one more command.
    for (let i = 0; i < 14; i++) expect((await src.readEvents('Application', 500)).newestRecordId).toBeUndefined();
    expect(calls).toHaveLength(16);
    expect((await src.readEvents('Application', 500)).newestRecordId).toBe(12);
    expect(calls).toHaveLength(18);
  });

  it('takes a missing log (not a KMS host) as an absent log, in any OS language', async () => {
    const src = new CimSource({
      session: fake([{ match: /FilterXPath/, ok: false, stderr: 'Get-WinEvent : Il n’existe aucun journal…\r\n    + FullyQualifiedErrorId : NoMatchingLogsFound,Microsoft.PowerShell.Commands.GetWinEventCommand' }]),
    });
    expect(await src.readEvents('Key Management Service', 0)).toEqual({ logExists: false, records: [] });
  });

  it('reports any other failure with its first line', async () => {
    const src = new CimSource({ session: fake([{ match: /SoftwareLicensingService/, ok: false, stderr: '\r\nGet-CimInstance : Access denied \r\nAt line:1' }]) });
    await expect(src.readService()).rejects.toThrow('SoftwareLicensingService: Get-CimInstance : Access denied');
  });

  it('parses a single event printed as an object, with its ISO time', async () => {
    const one = '{"Id":8198,"RecordId":77,"LogName":"Application","ProviderName":"Microsoft-Windows-Security-SPP","TimeCreated":"2026-11-29T06:30:00.0000000Z","Properties":[{"Value":"hr=0xC004F074"}]}';
    const src = new CimSource({ session: fake([{ match: /FilterXPath/, ok: true, stdout: one }]) });
    const read = await src.readEvents('Application', 0);
    expect(read.records).toEqual([
      { Id: 8198, RecordId: 77, LogName: 'Application', ProviderName: 'Microsoft-Windows-Security-SPP', TimeCreated: '2026-11-29T06:30:00.000Z', Properties: [{ Value: 'hr=0xC004F074' }] },
    ]);
  });
});

describe('PowerShell output decoding', () => {
  const text = '[{"a":"Å"}]';
  it.each<[string, Uint8Array]>([
    ['UTF-16 LE with BOM (5.1 > and Out-File)', new Uint8Array([0xff, 0xfe, ...Buffer.from(text, 'utf16le')])],
    ['UTF-16 LE without BOM', new Uint8Array(Buffer.from(text, 'utf16le'))],
    ['UTF-8 with BOM', new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(text, 'utf8')])],
    ['UTF-8 without BOM (PowerShell 7)', new Uint8Array(Buffer.from(text, 'utf8'))],
  ])('%s', (_what, bytes) => {
    expect(decodePowerShellText(bytes)).toBe(text);
  });

  it.each<[unknown, string | undefined]>([
    ['/Date(1795939205000)/', '2026-11-29T08:00:05.000Z'],
    ['/Date(1795939205000+0100)/', '2026-11-29T08:00:05.000Z'],
    [{ value: '/Date(1795939205000)/', DisplayHint: 2, DateTime: 'Sunday, November 29, 2026 8:00:05 AM' }, '2026-11-29T08:00:05.000Z'],
    ['2026-11-29T09:00:05.1234567+01:00', '2026-11-29T08:00:05.123Z'],
    ['Sunday, November 29, 2026', undefined],
    [42, undefined],
  ])('date %j → %s', (input, iso) => {
    expect(powerShellDateToIso(input)).toBe(iso);
  });

  it('takes nothing as an empty list and one object as a list of one', () => {
    expect(parsePowerShellJsonList('  \r\n', 'x')).toEqual([]);
    expect(parsePowerShellJsonList('{"a":1}', 'x')).toEqual([{ a: 1 }]);
  });

  it('names the file when the text is not what ConvertTo-Json prints', () => {
    expect(() => parsePowerShellJsonList('License Status: Licensed', 'C/x.json')).toThrow(/^C\/x\.json: not JSON as ConvertTo-Json prints it/);
    expect(() => parsePowerShellJsonList('[1]', 'C/x.json')).toThrow('C/x.json: item 0 is 1, expected an object');
  });
});
