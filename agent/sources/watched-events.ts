import {
  APPLICATION_EVENT_IDS,
  KMS_LOG_EVENT_IDS,
  LOG_APPLICATION,
  LOG_KMS,
  PROVIDER_SLC,
  PROVIDER_SPP,
  type RawEventRecord,
} from '../../shared/wmi-shapes.js';

/** The logs the agent reads, in the order it reads them. */
export const WATCHED_LOGS = [LOG_APPLICATION, LOG_KMS] as const;
export type WatchedLog = (typeof WATCHED_LOGS)[number];

/** Application-log providers whose licensing events the agent keeps (Win7+ and Vista/2008 spellings). */
export const LICENSING_PROVIDERS = [PROVIDER_SPP, PROVIDER_SLC] as const;

/** The event ids read from a log. */
export function watchedIdsOf(log: string): readonly number[] {
  return log.toLowerCase() === LOG_KMS.toLowerCase() ? KMS_LOG_EVENT_IDS : APPLICATION_EVENT_IDS;
}

/**
 * True for a record the `cim` query would have returned: a replay capture may hold the whole Application log, and the
 * agent must read the same thing from every source.
 */
export function isWatchedRecord(log: string, r: RawEventRecord): boolean {
  if (r.LogName.toLowerCase() !== log.toLowerCase()) return false;
  if (!watchedIdsOf(log).includes(r.Id)) return false;
  if (log.toLowerCase() === LOG_KMS.toLowerCase()) return true;
  const provider = r.ProviderName.toLowerCase();
  return LICENSING_PROVIDERS.some((p) => p.toLowerCase() === provider);
}
