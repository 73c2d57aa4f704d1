/**
 * The licensing channel of a product, derived from `Description` and (Win8+) `ProductKeyChannel`; `ad-based` is a GVLK
 * product activated by an Active Directory activation object (VLActivationType 1), which the agent decides, not
 * `channelOf`.
 */
export const CHANNELS = ['kms-client', 'ad-based', 'kms-host', 'mak', 'retail', 'oem', 'unknown'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/**
 * Derives the channel. `ProductKeyChannel` (Win8+: `Volume:GVLK`, `Volume:CSVLK`, `Volume:MAK`, `Retail`, `OEM:DM`…) wins
 * when present; otherwise the channel token in `Description`, in its Vista, Win7 and Win8+ spellings
 * (`VOLUME_KMSCLIENT channel`, `VOLUME_KMS_C channel`, `VOLUME_KMS_2012-R2_WIN10 channel`, `VOLUME_MAK channel`,
 * `RETAIL channel`, `OEM_DM channel`, `OEM_SLP channel`, `OEM_COA_NSLP channel`).
 */
export function channelOf(description: string | null | undefined, productKeyChannel?: string | null): ChannelName {
  const pkc = (productKeyChannel ?? '').trim().toUpperCase();
  if (pkc) {
    if (pkc.includes('GVLK')) return 'kms-client';
    if (pkc.includes('CSVLK')) return 'kms-host';
    if (pkc.includes('MAK')) return 'mak';
    if (pkc.startsWith('OEM')) return 'oem';
    if (pkc.startsWith('RETAIL')) return 'retail';
  }
  const d = (description ?? '').toUpperCase();
  // Order matters: KMSCLIENT contains "KMS"; a host token is VOLUME_KMS without CLIENT.
  if (/VOLUME_KMSCLIENT|KMSCLIENT/.test(d)) return 'kms-client';
  if (/VOLUME_KMS/.test(d)) return 'kms-host';
  if (/MAK/.test(d)) return 'mak';
  if (/\bOEM/.test(d) || /_OEM|OEM_/.test(d)) return 'oem';
  if (/RETAIL/.test(d)) return 'retail';
  return 'unknown';
}

/** Human label for a channel. */
export function channelLabel(c: ChannelName): string {
  switch (c) {
    case 'kms-client':
      return 'KMS client (GVLK)';
    case 'ad-based':
      return 'AD-based';
    case 'kms-host':
      return 'KMS host (CSVLK)';
    case 'mak':
      return 'MAK';
    case 'retail':
      return 'Retail';
    case 'oem':
      return 'OEM';
    case 'unknown':
      return 'Unknown';
  }
}
