// One line per event for grids and timelines, in an admin's words. Returned as plain strings: callers render text.
import type { EventListItem } from '../../../../shared/api.js';
import { describeHresult, formatHresult, isFailureHresult } from '../../../../shared/hresult.js';
import { licenseStatusInfo } from '../../../../shared/license-status.js';
import type { Health } from '../components/health-icon.js';

function hr(n: number): string {
  if (n === 0) return 'OK';
  const info = describeHresult(n);
  return info.known ? `${info.hex} ${info.name}` : info.hex;
}

export function eventText(e: EventListItem): string {
  const p = e.payload;
  switch (p.kind) {
    case 'activation-request':
      return `Activation request to ${p.kmsHost ?? 'a KMS host'}${p.kmsPort ? `:${p.kmsPort}` : ''} — ${hr(p.hresult)}`;
    case 'activation-response':
      return p.activated
        ? `Activated by KMS (count ${p.currentCount})`
        : `KMS answered, not activated (count ${p.currentCount}${p.notEnoughCount ? ', not enough clients' : ''}) — ${hr(p.hresult)}`;
    case 'kms-request':
      return `Request from ${p.clientFqdn} (${licenseStatusInfo(p.licenseStatus)?.label ?? `status ${p.licenseStatus}`}, N=${p.nPolicy}) — ${hr(p.hresult)}`;
    case 'dns-publish-failed':
      return `Publishing to DNS in ${p.domain} failed — ${hr(p.hresult)}`;
    case 'dns-publish-succeeded':
      return `Published to DNS in ${p.domain}`;
    case 'kms-init-failure':
      return `KMS failed to initialize — ${hr(p.hresult)}`;
    case 'kms-renewal-timer-failure':
      return `KMS failed to initialize its renewal timer — ${hr(p.hresult)}`;
    case 'ad-activation':
      return `Activated by Active Directory object ${p.objectName}`;
    case 'activation-failed':
      return `Activation failed — ${hr(p.hresult)}`;
    case 'status-check':
      return `Licensing status check (${p.products.length} products)`;
    case 'unparsed':
      return `Unparsed record: ${p.reason}`;
    case 'collector':
      return p.message;
  }
}

export function eventHealth(e: EventListItem): Health {
  const p = e.payload;
  if ('hresult' in p && typeof p.hresult === 'number' && isFailureHresult(p.hresult)) return 'warning';
  if (p.kind === 'activation-response' && !p.activated) return 'warning';
  if (p.kind === 'unparsed') return 'unknown';
  return 'healthy';
}

export { formatHresult };
