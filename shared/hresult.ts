/**
 * HRESULTs of Windows volume activation: the LicenseStatusReason values and activation error codes of
 * `volume-activation.md` (sections 1.4, 2.3 and 3), each with what it means, its likely cause and what an admin does
 * about it. On the wire an HRESULT is its unsigned 32-bit number (0xC004F00F = 3221549071); screens show `0xC004F00F`.
 */

/** Which side of an activation reports (and usually has to fix) the code. */
export type HresultSide = 'client' | 'host' | 'mak' | 'any';

/** One catalogued HRESULT. */
export interface HresultInfo {
  /** The code as an unsigned 32-bit number. */
  code: number;
  /** The code as screens show it: `0xC004F00F`. */
  hex: string;
  /** A short name, e.g. `KMS count too low`. */
  name: string;
  /** Windows' symbolic name (`SL_E_VL_NOT_ENOUGH_COUNT`) where known. */
  symbol?: string;
  /** What the code means. */
  meaning: string;
  /** The likely cause in a fleet. */
  cause: string;
  /** What an admin does about it: concrete slmgr / PowerShell / DNS steps. */
  action: string;
  side: HresultSide;
  /** False for the generic entry `describeHresult` returns for a code outside the catalogue. */
  known: boolean;
}

const UINT32_MAX = 0xffffffff;

/** `0xC004F00F`: uppercase, 8 hex digits (0 → `0x00000000`). Negative int32 input is read as its unsigned twin. */
export function formatHresult(n: number): string {
  const u = toUint32(n);
  return `0x${(u ?? 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** `formatHresult`, or null for a missing code: the `…Hex` fields of the read API. */
export function hresultHex(n: number | null | undefined): string | null {
  return n === null || n === undefined ? null : formatHresult(n);
}

function toUint32(n: number): number | null {
  if (!Number.isInteger(n)) return null;
  if (n >= 0 && n <= UINT32_MAX) return n;
  if (n < 0 && n >= -0x80000000) return n >>> 0;
  return null;
}

/**
 * Reads an HRESULT from what Windows prints: `0x0`, `0xC004F06C`, `hr=0xC004F074`, a decimal string, or a number
 * (negative int32 such as -1073418225 becomes its unsigned value). Returns the unsigned 32-bit number, or null.
 */
export function parseHresult(input: string | number | null | undefined): number | null {
  if (typeof input === 'number') return toUint32(input);
  if (typeof input !== 'string') return null;
  let s = input.trim();
  const hr = /^hr\s*=\s*/i.exec(s);
  if (hr) s = s.slice(hr[0].length);
  s = s.replace(/\.$/, ''); // slmgr ends `Notification Reason: 0xC004F00F.` with a full stop
  if (/^0x[0-9a-f]{1,8}$/i.test(s)) return Number.parseInt(s.slice(2), 16);
  if (/^-?\d{1,10}$/.test(s)) return toUint32(Number(s));
  return null;
}

/** The first `0x…` HRESULT inside a longer text (an 8198 message, an slmgr `Error: 0x… …` line), or null. */
export function findHresultIn(text: string | null | undefined): number | null {
  const m = /0x[0-9a-f]{1,8}(?![0-9a-z])/i.exec(text ?? '');
  return m ? parseHresult(m[0]) : null;
}

type Entry = Omit<HresultInfo, 'code' | 'hex' | 'known'>;

const SRV_MISSING: Entry = {
  name: 'No KMS SRV record in DNS',
  meaning: 'DNS name does not exist: the client found no `_vlmcs._tcp` SRV record in its DNS domain.',
  cause:
    'No KMS host has published itself in the client\'s DNS suffix (DNS publishing disabled, 12293 on the host, a different domain), or the client uses the wrong DNS suffix.',
  action:
    'Run `nslookup -type=srv _vlmcs._tcp.<domain>` on the client; on the KMS host check the 12294 / 12293 events and `slmgr /dlv` ("DNS publishing enabled"). Publish the host (`slmgr /sdns`, or add the SRV record by hand: port 1688, target the host FQDN), or point clients at it with `slmgr /skms <host>:1688` or `slmgr /skms-domain <domain>`.',
  side: 'client',
};

const ACCESS_DENIED: Entry = {
  name: 'Access denied',
  meaning: 'The licensing operation needs administrator rights.',
  cause: 'slmgr or the licensing WMI method was run without elevation, or remotely without admin rights on the target.',
  action:
    'Run the command from an elevated prompt (`Start-Process powershell -Verb RunAs`, then `cscript //nologo slmgr.vbs /ato`); for remote calls use an account that is a local administrator of the target.',
  side: 'any',
};

const HOST_UNREACHABLE_8198: Entry = {
  name: 'KMS host unreachable',
  meaning: 'License activation (slui.exe) could not reach the KMS host (event 8198).',
  cause: 'The KMS host is down, TCP 1688 is blocked on the way, or the SRV record names a host that no longer exists.',
  action:
    'Check the host with `Test-NetConnection <kms-host> -Port 1688`; on the host confirm the Software Protection service runs (`Get-Service sppsvc`) and the firewall rule "Key Management Service (TCP-In)" is enabled; then `slmgr /ato` on the client.',
  side: 'client',
};

const CATALOGUE: ReadonlyArray<readonly [number, Entry]> = [
  [
    0x00000000,
    {
      name: 'Success',
      meaning: 'The operation succeeded (S_OK).',
      cause: 'Nothing is wrong.',
      action: 'None.',
      side: 'any',
    },
  ],
  // ---- LicenseStatusReason values (section 1.4) ----
  [
    0xc004f009,
    {
      symbol: 'SL_E_GRACE_TIME_EXPIRED',
      name: 'Grace period expired',
      meaning: 'The grace period ran out without activation; the product is in Notification.',
      cause: 'The machine was never activated during its initial (OOB) or additional (OOT) grace: no KMS host reached, or a MAK never applied.',
      action:
        'Activate now: KMS clients `slmgr /ato` once a host is reachable (see `slmgr /dlv` for the host used); MAK machines `slmgr /ipk <MAK>` then `slmgr /ato` (or phone activation with `slui 4`).',
      side: 'any',
    },
  ],
  [
    0xc004f00f,
    {
      symbol: 'SL_E_OUT_OF_TOLERANCE',
      name: 'Hardware out of tolerance / KMS activation expired',
      meaning:
        'Hardware ID binding beyond tolerance. For a KMS client (VOLUME_KMSCLIENT) in Notification it means its 180-day KMS activation expired and the OOT grace ran out.',
      cause:
        'A KMS client that could not renew with any KMS host for 180 days plus 30 days of OOT grace, or a MAK / retail machine whose hardware changed significantly.',
      action:
        'KMS client: restore contact with a KMS host (`Test-NetConnection <kms-host> -Port 1688`, `slmgr /skms <host>:1688` if DNS discovery fails) and run `slmgr /ato`. MAK / retail after a hardware change: `slmgr /ato`, or phone activation with `slui 4`.',
      side: 'any',
    },
  ],
  [
    0xc004f200,
    {
      symbol: 'SL_E_NOT_GENUINE',
      name: 'Non-genuine',
      meaning: 'Windows is not genuine; the product is in Notification (slmgr adds "(non-genuine)").',
      cause: 'Failed genuine validation: a tampered licence store or a key that is not valid for this installation.',
      action:
        'Install a valid key for the edition (`slmgr /ipk <key>`), activate (`slmgr /ato`), and if it persists rebuild the licence store (`slmgr /rilc`) or reimage the machine.',
      side: 'any',
    },
  ],
  [
    0xc004f064,
    {
      symbol: 'SL_E_NONGENUINE_GRACE_TIME_EXPIRED',
      name: 'Non-genuine grace expired',
      meaning: 'The non-genuine grace period expired.',
      cause: 'A machine found non-genuine was not fixed within its 30-day non-genuine grace.',
      action: 'Install a valid key (`slmgr /ipk <key>`) and activate (`slmgr /ato`); reimage if validation keeps failing.',
      side: 'any',
    },
  ],
  [
    0xc004f065,
    {
      name: 'Inside the non-genuine period',
      meaning: 'The product is running within its valid non-genuine grace period.',
      cause: 'Genuine validation failed recently; the 30-day non-genuine grace is counting down.',
      action: 'Install a valid key (`slmgr /ipk <key>`) and activate (`slmgr /ato`) before the grace ends.',
      side: 'any',
    },
  ],
  [
    0xc004f056,
    {
      symbol: 'SL_E_VL_MACHINE_NOT_BOUND',
      name: 'KMS activation failed (Notification reason)',
      meaning:
        'The product could not be activated using the Key Management Service (Windows\' SL error table; the reference saw it as the Notification reason of a Windows 11 KMS client).',
      cause: 'The KMS client could not activate or renew with a KMS host before its grace ran out.',
      action:
        'Check which host the client uses (`slmgr /dlv`), that it answers (`Test-NetConnection <kms-host> -Port 1688`) and its count (`slmgr /dlv` on the host), then `slmgr /ato` on the client.',
      side: 'client',
    },
  ],
  // ---- informational reasons while a grace runs (not in the reference; Windows' SL_I_* codes, which the simulator uses) ----
  [
    0x4004f00c,
    {
      symbol: 'SL_I_OOB_GRACE_PERIOD',
      name: 'In initial grace',
      meaning: 'The product is running within its valid initial (out-of-box) grace period: not activated yet.',
      cause: 'A fresh install or a rearm; a KMS client that has not reached a host with enough count yet.',
      action:
        'Activate before the grace ends: KMS clients `slmgr /ato` (check `slmgr /dlv` for the host and the host\'s count); MAK machines `slmgr /ipk <MAK>` and `slmgr /ato`.',
      side: 'any',
    },
  ],
  [
    0x4004f00d,
    {
      symbol: 'SL_I_OOT_GRACE_PERIOD',
      name: 'In out-of-tolerance grace',
      meaning: 'The product is running within its valid out-of-tolerance grace period (30 days, then Notification).',
      cause: 'A KMS client whose 180-day activation lapsed without renewal, or a hardware change on a MAK / retail machine.',
      action:
        'KMS client: restore contact with a KMS host (`Test-NetConnection <kms-host> -Port 1688`) and run `slmgr /ato`. MAK after a hardware change: `slmgr /ato` or phone activation (`slui 4`).',
      side: 'any',
    },
  ],
  [
    0x4004f040,
    {
      symbol: 'SL_E_VL_INFO_PRODUCT_USER_RIGHT',
      name: 'Activated; verify Product Use Rights',
      meaning: 'The product was activated, but the owner should verify the Product Use Rights.',
      cause: 'Informational: the activation succeeded.',
      action: 'Nothing to fix; confirm with `slmgr /dli` that the product shows "License Status: Licensed".',
      side: 'client',
    },
  ],
  [
    0x4004f065,
    {
      symbol: 'SL_I_NONGENUINE_GRACE_PERIOD',
      name: 'In non-genuine grace',
      meaning: 'The product is running within its valid non-genuine grace period.',
      cause: 'Genuine validation failed recently; the 30-day non-genuine grace is counting down.',
      action: 'Install a valid key (`slmgr /ipk <key>`) and activate (`slmgr /ato`) before the grace ends.',
      side: 'any',
    },
  ],
  // ---- activation error codes (section 3) ----
  [
    0xc004f074,
    {
      symbol: 'SL_E_VL_BINDING_SERVICE_UNAVAILABLE',
      name: 'No KMS host could be contacted',
      meaning: 'The client could not activate: every KMS host it tried returned an error (see its 12288 events).',
      cause: 'No `_vlmcs._tcp` SRV record, the host down, TCP 1688 blocked, or client and host clocks more than 4 hours apart.',
      action:
        'Read the client\'s 12288 events for the per-host error; `nslookup -type=srv _vlmcs._tcp.<domain>`; `Test-NetConnection <kms-host> -Port 1688`; `w32tm /query /status` for the clock; set the host by hand with `slmgr /skms <host>:1688`, then `slmgr /ato`.',
      side: 'client',
    },
  ],
  [
    0xc004f038,
    {
      symbol: 'SL_E_VL_NOT_ENOUGH_COUNT',
      name: 'KMS count too low',
      meaning: 'The KMS host answered, but its count is below this client\'s policy (25 for a client OS, 5 for a server OS).',
      cause:
        'Too few machines have asked this host in the last 30 days: a small site, machines retired, or clones sharing one CMID (un-generalised image).',
      action:
        'On the host, `slmgr /dlv` shows "Current count"; bring more machines to the host, fix cloned images (`sysprep /generalize`), or use MAK for a site below the threshold. Clients retry every 2 hours on their own.',
      side: 'client',
    },
  ],
  [
    0xc004f039,
    {
      symbol: 'SL_E_VL_BINDING_SERVICE_NOT_ENABLED',
      name: 'KMS host did not answer',
      meaning: 'The KMS host did not respond: KMS is not enabled on it, or TCP 1688 is blocked.',
      cause: 'The KMS host key is not installed or the service stopped, or a firewall blocks TCP 1688 between client and host.',
      action:
        'From the client, `Test-NetConnection <kms-host> -Port 1688`; on the host, `slmgr /dlv` must show "Key Management Service is enabled", `Get-Service sppsvc` running, and the firewall rule "Key Management Service (TCP-In)" enabled (`Enable-NetFirewallRule -DisplayGroup "Key Management Service"`).',
      side: 'client',
    },
  ],
  [
    0xc004f041,
    {
      symbol: 'SL_E_VL_KEY_MANAGEMENT_SERVICE_NOT_ACTIVATED',
      name: 'KMS host not activated',
      meaning: 'The KMS host itself is not activated, so it will not activate clients.',
      cause: 'The CSVLK was installed on the host but the host was never activated with Microsoft.',
      action: 'On the KMS host run `slmgr /ato` (or phone activation with `slui 4`) and confirm `slmgr /dlv` shows "License Status: Licensed".',
      side: 'client',
    },
  ],
  [
    0xc004f042,
    {
      symbol: 'SL_E_VL_KEY_MANAGEMENT_SERVICE_ID_MISMATCH',
      name: 'KMS host cannot activate this product',
      meaning: 'The KMS host\'s key does not cover this client\'s product (key group or Windows version).',
      cause: 'The host has an older or lower-group CSVLK (a client-OS host asked by a server, an old host asked by a newer Windows).',
      action:
        'Install a CSVLK that covers the client on the host (`slmgr /ipk <CSVLK>`, `slmgr /ato`, plus any servicing update the newer key needs), or point the client at a suitable host with `slmgr /skms <host>:1688`.',
      side: 'client',
    },
  ],
  [
    0xc004f06c,
    {
      symbol: 'SL_E_VL_INVALID_TIMESTAMP',
      name: 'Clock skew over 4 hours',
      meaning: 'The request timestamp is invalid: client and KMS host clocks differ by more than 4 hours (UTC).',
      cause: 'A client or host with a wrong clock or a broken time sync (a VM without time sync, a dead CMOS battery).',
      action:
        'Fix the time: `w32tm /stripchart /computer:<kms-host> /samples:1` to see the offset, `w32tm /resync` (or fix the domain time hierarchy), then `slmgr /ato`.',
      side: 'client',
    },
  ],
  [
    0xc004f035,
    {
      symbol: 'SL_E_VL_NOT_WINDOWS_SLP',
      name: 'Volume key not usable here',
      meaning: 'The machine cannot be activated with a volume licence key: no qualifying operating system / BIOS marker.',
      cause: 'A volume licence key on hardware without the qualifying OEM licence (e.g. an upgrade licence without a qualifying OS).',
      action: 'Install a MAK or retail key instead (`slmgr /ipk <key>`, `slmgr /ato`), or license the machine with a qualifying OS.',
      side: 'any',
    },
  ],
  [
    0xc004f06b,
    {
      symbol: 'SL_E_VL_KEY_MANAGEMENT_SERVICE_VM_NOT_SUPPORTED',
      name: 'KMS not supported in a virtual machine',
      meaning: 'The Software Licensing Service found it runs in a virtual machine, where KMS is not supported in this mode.',
      cause: 'A KMS host of an older Windows generation installed in a VM.',
      action: 'Run the KMS host on a physical machine or a Windows version that supports KMS in a VM, and point clients at it (`slmgr /skms <host>:1688`).',
      side: 'host',
    },
  ],
  [
    0xc004c008,
    {
      name: 'CSVLK out of activations',
      meaning: 'The KMS host key cannot be used to activate another host (6 hosts, 10 activations each).',
      cause: 'The CSVLK was used on too many hosts or reinstalled too often.',
      action: 'Ask the Microsoft Licensing Activation Center for more activations, or activate the host by phone (`slui 4`).',
      side: 'host',
    },
  ],
  [
    0xc004c001,
    {
      name: 'MAK invalid',
      meaning: 'The activation server says the Multiple Activation Key is invalid.',
      cause: 'A mistyped MAK or a key for another product.',
      action: 'Check the key in the Volume Licensing Service Center and reinstall it (`slmgr /ipk <MAK>`, `slmgr /ato`).',
      side: 'mak',
    },
  ],
  [
    0xc004c003,
    {
      name: 'MAK blocked',
      meaning: 'The activation server says the Multiple Activation Key is blocked.',
      cause: 'Microsoft blocked the key (leaked or misused).',
      action: 'Get a new MAK from the Volume Licensing Service Center, then `slmgr /ipk <MAK>` and `slmgr /ato`.',
      side: 'mak',
    },
  ],
  [
    0xc004b100,
    {
      name: 'MAK activation refused',
      meaning: 'The activation server determined the computer could not be activated.',
      cause: 'The MAK is not valid for this product or this machine.',
      action: 'Check the key matches the edition; activate by phone (`slui 4`) or contact the Microsoft Licensing Activation Center.',
      side: 'mak',
    },
  ],
  [
    0xc004c020,
    {
      name: 'MAK limit exceeded',
      meaning: 'The Multiple Activation Key has used all of its activations.',
      cause: 'More machines activated with the MAK than it allows (reimaged machines count again).',
      action: 'Request more activations for the MAK in the Volume Licensing Service Center, or use KMS for machines that can reach a host.',
      side: 'mak',
    },
  ],
  [
    0xc004c021,
    {
      name: 'MAK extension limit exceeded',
      meaning: 'The Multiple Activation Key extension limit was exceeded.',
      cause: 'The MAK\'s activation count cannot be extended further.',
      action: 'Contact the Microsoft Licensing Activation Center for a new MAK.',
      side: 'mak',
    },
  ],
  [
    0xc004f050,
    {
      symbol: 'SL_E_INVALID_PRODUCT_KEY',
      name: 'Product key invalid',
      meaning: 'The Software Licensing Service reported that the product key is invalid.',
      cause: 'A mistyped key, or a key for another edition (a GVLK of another edition, a CSVLK on the wrong OS).',
      action: 'Install the right key for the edition (`slmgr /ipk <key>`; GVLKs are listed in Microsoft\'s "KMS client activation keys" table), then `slmgr /ato`.',
      side: 'any',
    },
  ],
  [
    0xc004f051,
    {
      symbol: 'SL_E_BLOCKED_PRODUCT_KEY',
      name: 'Product key blocked',
      meaning: 'The Software Licensing Service reported that the product key is blocked.',
      cause: 'Microsoft blocked the key.',
      action: 'Install a valid key (`slmgr /ipk <key>`) and activate (`slmgr /ato`).',
      side: 'any',
    },
  ],
  [
    0xc004f014,
    {
      symbol: 'SL_E_PKEY_NOT_INSTALLED',
      name: 'No product key installed',
      meaning: 'The Software Licensing Service reported that the product key is not available.',
      cause: 'The key was uninstalled (`slmgr /upk`) or never installed.',
      action: 'Install a key: the edition\'s GVLK for KMS (`slmgr /ipk <GVLK>`), or a MAK, then `slmgr /ato`.',
      side: 'any',
    },
  ],
  [
    0xc004d307,
    {
      name: 'Rearm limit exceeded',
      meaning: 'The maximum allowed number of rearms has been used.',
      cause: 'The image was rearmed (or sysprepped with /generalize) more often than its rearm count allows.',
      action: 'Activate instead of rearming (`slmgr /ato`; a KMS activation restores the rearm count to 1), or rebuild the image from fresh media.',
      side: 'any',
    },
  ],
  [0x8007232b, SRV_MISSING],
  [
    0x8007007b,
    {
      ...SRV_MISSING,
      meaning:
        'Seen on KMS clients as "DNS name does not exist": the KMS host name or `_vlmcs._tcp` SRV lookup failed (Win32: invalid name syntax).',
      cause: 'No SRV record in the client\'s DNS domain, or a mistyped name set with `slmgr /skms`.',
    },
  ],
  [0x80092328, SRV_MISSING],
  [
    0x8007232a,
    {
      name: 'DNS server failure',
      meaning: 'The DNS server failed while the KMS host published (or looked up) its SRV record.',
      cause: 'The DNS server is unreachable or refuses dynamic updates from the KMS host.',
      action:
        'On the KMS host check its DNS servers (`Get-DnsClientServerAddress`, `Resolve-DnsName _vlmcs._tcp.<domain> -Type SRV`), allow secure dynamic updates on the zone, then restart the service (`Restart-Service sppsvc`) and look for a 12294.',
      side: 'host',
    },
  ],
  [
    0x8007251d,
    {
      ...SRV_MISSING,
      name: 'No DNS records found',
      meaning: 'No records were found for the DNS query of `_vlmcs._tcp`.',
    },
  ],
  [
    0x800706ba,
    {
      name: 'RPC server unavailable',
      meaning: 'The RPC server is unavailable: the client reached no KMS service at the address it used.',
      cause: 'A firewall blocks TCP 1688, or a stale SRV record names a host that is gone or no longer a KMS host.',
      action:
        'Check `nslookup -type=srv _vlmcs._tcp.<domain>` for stale records and delete them in DNS Manager; `Test-NetConnection <kms-host> -Port 1688`; set a working host with `slmgr /skms <host>:1688`; then `slmgr /ato`.',
      side: 'client',
    },
  ],
  [0x80070005, ACCESS_DENIED],
  [0xc004f025, ACCESS_DENIED],
  [
    0x80072338,
    {
      name: 'DNS publishing refused (BADSIG)',
      meaning: 'In a 12293: DNS_ERROR_RCODE_BADSIG: the KMS host has no rights to update an existing `_VLMCS` SRV record.',
      cause: 'The `_vlmcs._tcp` record was created by another account (an old host, an admin by hand) and the new host may not change it.',
      action:
        'In DNS Manager give the KMS host\'s computer account Full Control on the `_VLMCS` record (or delete the stale record), then `Restart-Service sppsvc` on the host and look for a 12294.',
      side: 'host',
    },
  ],
  // ---- event 8198 / 8208 (section 2.3) ----
  [0xc0020017, HOST_UNREACHABLE_8198],
  [0x8007139f, HOST_UNREACHABLE_8198],
  [
    0x80072ee7,
    {
      name: 'No internet (genuine ticket)',
      meaning: 'Acquisition of the genuine ticket failed (event 8208): the server name could not be resolved.',
      cause: 'The machine has no internet access; harmless on KMS clients.',
      action: 'Nothing for KMS clients. MAK machines need internet (or a proxy) to activate, or phone activation (`slui 4`).',
      side: 'any',
    },
  ],
];

const BY_CODE: ReadonlyMap<number, HresultInfo> = new Map(
  CATALOGUE.map(([code, e]) => [code, Object.freeze({ ...e, code, hex: formatHresult(code), known: true })]),
);

/** Every catalogued HRESULT, in catalogue order. */
export const HRESULT_CATALOGUE: readonly HresultInfo[] = [...BY_CODE.values()];

/** The catalogue entry of a code, or a generic "unknown code" entry (known: false) naming the code. */
export function describeHresult(n: number): HresultInfo {
  const code = toUint32(n);
  const hit = code === null ? undefined : BY_CODE.get(code);
  if (hit) return hit;
  const hex = code === null ? String(n) : formatHresult(code);
  return {
    code: code ?? 0,
    hex,
    name: `Unknown code ${hex}`,
    meaning: `vawatch has no description of ${hex}.`,
    cause: 'Unknown.',
    action: `Look the code up in Microsoft's "Troubleshoot Windows activation error codes" article and the machine's Application log (events 12288, 12289, 8198).`,
    side: 'any',
    known: false,
  };
}

/** True when the code is a failure (the severity bit is set). */
export function isFailureHresult(n: number): boolean {
  const u = toUint32(n);
  return u !== null && (u & 0x80000000) !== 0;
}

// ---- status flags of 12288 / 12289 ----

/** Only a warning, from the OEM SLIC check. */
export const SL_VL_BINDING_STATUS_OTHER_PC = 0x00000008;
/** No binding server registration. */
export const SL_VL_BINDING_STATUS_NO_BINDING_SERVER_REGISTRATION = 0x01000000;
/** Invalid registration data type. */
export const SL_VL_BINDING_STATUS_INVALID_REGISTRATION_DATA_TYPE = 0x02000000;
/** The count the KMS host returned is below the client's policy: it did not activate. */
export const SL_VL_BINDING_STATUS_NOT_ENOUGH_COUNT = 0x04000000;
/** Not a Windows SLP. */
export const SL_VL_BINDING_STATUS_NOT_WINDOWS_SLP = 0x08000000;

/** One status flag with its name. */
export interface StatusFlagInfo {
  value: number;
  name: string;
  meaning: string;
}

/** The known status flags, lowest bit first. */
export const STATUS_FLAGS: readonly StatusFlagInfo[] = [
  { value: SL_VL_BINDING_STATUS_OTHER_PC, name: 'SL_VL_BINDING_STATUS_OTHER_PC', meaning: 'warning from the OEM SLIC check (harmless)' },
  {
    value: SL_VL_BINDING_STATUS_NO_BINDING_SERVER_REGISTRATION,
    name: 'SL_VL_BINDING_STATUS_NO_BINDING_SERVER_REGISTRATION',
    meaning: 'no binding server registration',
  },
  {
    value: SL_VL_BINDING_STATUS_INVALID_REGISTRATION_DATA_TYPE,
    name: 'SL_VL_BINDING_STATUS_INVALID_REGISTRATION_DATA_TYPE',
    meaning: 'invalid registration data type',
  },
  {
    value: SL_VL_BINDING_STATUS_NOT_ENOUGH_COUNT,
    name: 'SL_VL_BINDING_STATUS_NOT_ENOUGH_COUNT',
    meaning: 'the KMS count is below the client\'s policy',
  },
  { value: SL_VL_BINDING_STATUS_NOT_WINDOWS_SLP, name: 'SL_VL_BINDING_STATUS_NOT_WINDOWS_SLP', meaning: 'not a Windows SLP' },
];

/** The status flags decoded: the known ones set, and any bits left over. */
export interface DecodedStatusFlags {
  flags: StatusFlagInfo[];
  /** Bits set that no known flag names (0 when none). */
  unknownBits: number;
  notEnoughCount: boolean;
}

/** Decodes the status flags of a 12288 / 12289 (e.g. 0x04000008 → OTHER_PC and NOT_ENOUGH_COUNT). */
export function decodeStatusFlags(n: number): DecodedStatusFlags {
  const u = toUint32(n) ?? 0;
  const flags = STATUS_FLAGS.filter((f) => (u & f.value) !== 0);
  const known = STATUS_FLAGS.reduce((acc, f) => acc | f.value, 0);
  return { flags, unknownBits: (u & ~known) >>> 0, notEnoughCount: (u & SL_VL_BINDING_STATUS_NOT_ENOUGH_COUNT) !== 0 };
}
