/**
 * Volume Activation rules as named constants. Each value comes from `volume-activation.md` (sections 5 and 7);
 * the simulator, the agent and the collector all use these, so a figure is stated once.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Milliseconds in one minute / hour / day, for converting the licensing figures below. */
export const MS = { MINUTE: MINUTE_MS, HOUR: HOUR_MS, DAY: DAY_MS } as const;

/** A client OS (Vista, Windows 7…11) activates only when the host's count is at least this ("N-policy" 25). */
export const KMS_CLIENT_THRESHOLD = 25;
/** A server OS (and volume Office) activates when the host's count is at least this ("N-policy" 5). */
export const KMS_SERVER_THRESHOLD = 5;
/** The count is the number of unique CMIDs the host saw in this many days. */
export const KMS_CLIENT_WINDOW_DAYS = 30;
/** The count is capped at twice the largest N-policy any client reported: 50 once a client OS asked… */
export const KMS_COUNT_CAP = 2 * KMS_CLIENT_THRESHOLD;
/** …and 10 while only servers have asked. */
export const KMS_COUNT_CAP_SERVERS_ONLY = 2 * KMS_SERVER_THRESHOLD;
/** An activated KMS client renews every 7 days (VLRenewalInterval = 10080 minutes). */
export const KMS_RENEWAL_INTERVAL_MINUTES = 7 * 24 * 60;
/** An unactivated KMS client retries every 2 hours (VLActivationInterval = 120 minutes). */
export const KMS_RETRY_INTERVAL_MINUTES = 120;
/** A KMS activation is valid for 180 days; a successful renewal restarts them (GracePeriodRemaining 259200 min). */
export const KMS_ACTIVATION_VALIDITY_DAYS = 180;
/** Initial (out-of-box) grace of a client OS (Vista-class): 30 days. */
export const OOB_GRACE_CLIENT_DAYS = 30;
/** Initial (out-of-box) grace of a server OS (Server 2008-class): 60 days. */
export const OOB_GRACE_SERVER_DAYS = 60;
/** Out-of-tolerance grace (KMS activation expired, or hardware changed): 30 days, then Notification. */
export const OOT_GRACE_DAYS = 30;
/** Non-genuine grace: 30 days. */
export const NON_GENUINE_GRACE_DAYS = 30;
/** Client and host clocks may differ by at most 4 hours (UTC) or the request fails with 0xC004F06C. */
export const KMS_MAX_CLOCK_SKEW_HOURS = 4;
/** KMS listens on TCP 1688 unless configured otherwise (a listening port of 0 means 1688). */
export const KMS_DEFAULT_PORT = 1688;
/** Clients discover hosts through this DNS SRV record in their domain. */
export const KMS_SRV_RECORD = '_vlmcs._tcp';
/** A KMS host re-registers its SRV record every 24 hours. */
export const KMS_DNS_REPUBLISH_HOURS = 24;
/** Rearms a Vista Business / Server 2008 install starts with. */
export const REARMS_DEFAULT = 3;
/** Rearms a Vista Enterprise SP1 install starts with. */
export const REARMS_ENTERPRISE_SP1 = 5;
/** A KMS activation restores the rearm count to at least this. */
export const REARMS_AFTER_KMS_ACTIVATION = 1;
/** One CSVLK activates up to 6 KMS hosts… */
export const CSVLK_MAX_HOSTS = 6;
/** …each up to 10 times. */
export const CSVLK_ACTIVATIONS_PER_HOST = 10;
/** uint32 "-1": Windows' sentinel for "no data" in counters (KeyManagementServiceCurrentCount, rearm counts…). */
export const UINT32_SENTINEL = 4294967295;
/** ApplicationID of the Windows licensing application: the primary Windows product has this. */
export const WINDOWS_APPLICATION_ID = '55c92734-d682-4d71-983e-d6ec3f16059f';
/** ApplicationID of Office 2010+ volume products (for display; not used to pick the primary product). */
export const OFFICE_APPLICATION_ID = '59a52881-a989-479d-af46-f275c6370663';

/** The N-policy (threshold) that applies to an OS kind. */
export function thresholdFor(kind: 'client' | 'server'): number {
  return kind === 'client' ? KMS_CLIENT_THRESHOLD : KMS_SERVER_THRESHOLD;
}
