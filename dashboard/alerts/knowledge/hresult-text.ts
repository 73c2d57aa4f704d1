/**
 * The one place alert knowledge turns an HRESULT into words. It defers to the shared catalogue; this file exists so
 * the rules do not each depend on how that catalogue spells its answer.
 */

// Until shared/hresult.ts lands these are the activation codes of the reference; replaced by the shared catalogue.
const KNOWN: Record<number, string> = {
  0xc004f074: 'No KMS host could be contacted (every host errored)',
  0xc004f038: 'The KMS count is too low (25 client OS / 5 server OS needed)',
  0xc004f039: 'The KMS host did not answer (KMS not enabled, or TCP 1688 blocked)',
  0xc004f041: 'The KMS host is not activated',
  0xc004f042: 'This KMS host cannot activate this product (host key or host version)',
  0xc004f06c: 'Request timestamp invalid: client and host clocks differ by more than 4 hours',
  0xc004f009: 'Grace period expired',
  0xc004f00f: 'Hardware out of tolerance (for a KMS client: the KMS activation expired)',
  0xc004f200: 'Non-genuine',
  0xc004f064: 'Non-genuine grace period expired',
  0xc004d307: 'Rearm limit exceeded',
  0xc004f014: 'No product key installed',
  0x8007232b: 'DNS name does not exist (no _vlmcs._tcp SRV record)',
  0x8007232a: 'DNS server failure',
  0x8007251d: 'No records found for the DNS query',
  0x800706ba: 'RPC server unavailable (firewall, or a stale SRV record)',
  0x80072338: 'DNS_ERROR_RCODE_BADSIG: no rights on the existing _VLMCS record',
  0xc0020017: 'The KMS host is unreachable',
  0x8007139f: 'The KMS host is unreachable',
};

/** `0xC004F074`. */
export function hresultCode(n: number): string {
  return `0x${(n >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

/** The code and its meaning, for a finding's knowledge. */
export function decodeHresult(n: number): { code: string; text: string } {
  return { code: hresultCode(n), text: KNOWN[n >>> 0] ?? 'Not in the catalogue of activation errors' };
}
