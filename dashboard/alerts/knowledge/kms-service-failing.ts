/**
 * Knowledge for KmsServiceFailing: what each way a KMS host's service can fail means and what an admin does about it.
 * Event facts from volume-activation.md §2.2 (12291's message text is unverified; 12292's is Microsoft's) and the
 * OpsMgr KMS management pack's monitors of the same names (§6).
 */
import type { Knowledge } from '../model.js';
import { decodeHresult } from './hresult-text.js';

export type KmsServiceProblem =
  | { kind: 'init-failure'; hresult: number }
  | { kind: 'renewal-timer-failure'; hresult: number }
  | { kind: 'stopped' }
  | { kind: 'not-listening'; port: number };

/** One line for the alert title. */
export function problemText(p: KmsServiceProblem): string {
  switch (p.kind) {
    case 'init-failure':
      return `the Key Management Service failed to initialise (12291, ${decodeHresult(p.hresult).code})`;
    case 'renewal-timer-failure':
      return `the Key Management Service failed to initialise its renewal timer (12292, ${decodeHresult(p.hresult).code})`;
    case 'stopped':
      return 'the Software Protection service (sppsvc) is not running';
    case 'not-listening':
      return `nothing accepts connections on the KMS port ${p.port}`;
  }
}

/** The knowledge for the problems found on one host (the first one decides the HRESULT shown). */
export function kmsServiceFailingKnowledge(problems: readonly KmsServiceProblem[]): Knowledge {
  const event = problems.find((p) => p.kind === 'init-failure' || p.kind === 'renewal-timer-failure');
  const down = problems.some((p) => p.kind === 'stopped' || p.kind === 'not-listening');
  return {
    meaning:
      'The KMS host cannot answer activation requests: clients that ask it are refused or time out (0xC004F074 on the client), new machines stay in their initial grace and activated ones stop renewing. Nothing shows on the clients for days; their 180-day activations run down quietly.',
    cause: [
      event?.kind === 'init-failure'
        ? '12291: the service could not start the KMS role, typically because the KMS host key (CSVLK) is missing, not activated or corrupted, the licensing store (tokens.dat) is damaged, or the service lacks rights on its registry keys.'
        : null,
      event?.kind === 'renewal-timer-failure'
        ? '12292: the service could not set up the timer it renews its own activation and DNS publishing with; usually a damaged licensing store or a service stopped during start-up.'
        : null,
      down
        ? 'The Software Protection service is stopped (it is demand-start and stops when idle on recent Windows, but a KMS host keeps it running), or the firewall / another process holds the KMS port, or the listening port was changed without clients being told.'
        : null,
    ]
      .filter((x): x is string => x !== null)
      .join(' '),
    action:
      'On the host: start the service and look at its own log; check the KMS host key is installed and activated (slmgr /dlv shows "Key Management Service is enabled"); open TCP 1688 (or the configured port) in the firewall; if the licensing store is damaged, rebuild it and reinstall the CSVLK. The alert clears with the next report showing the service running and listening.',
    ...(event && 'hresult' in event ? { hresult: decodeHresult(event.hresult) } : {}),
    commands: [
      'Get-Service sppsvc; Start-Service sppsvc',
      'cscript //nologo %windir%\\system32\\slmgr.vbs /dlv',
      "Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='Microsoft-Windows-Security-SPP'; Id=12291,12292} -MaxEvents 10",
      'Test-NetConnection -ComputerName localhost -Port 1688',
      'netsh advfirewall firewall show rule name=all | findstr /i "1688 Key Management"',
    ],
  };
}
