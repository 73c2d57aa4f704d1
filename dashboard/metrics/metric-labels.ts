/**
 * The bounded label values vawatch exports. Every aggregate is exported for every value here (0 where empty), so a
 * dashboard or rule never has to tell "no machine in that state" from "no data".
 */
import { CHANNELS } from '../../shared/channel.js';
import { LICENSE_STATUSES } from '../../shared/license-status.js';
import { RULE_NAMES } from '../alerts/model.js';

/** `license_status` values: the WMI enumeration names (what slmgr and VAMT users know), plus `None`. */
export const LICENSE_STATUS_LABELS = [...LICENSE_STATUSES.map((s) => s.wmiName), 'None'] as const;

/** The label of a LicenseStatus; `None` for a machine without a primary Windows product (or none reported yet). */
export function licenseStatusLabel(status: number | null | undefined): string {
  if (status === null || status === undefined) return 'None';
  return LICENSE_STATUSES[status]?.wmiName ?? 'None';
}

/** `channel` values: the shared channel names plus `none` (no primary product). */
export const CHANNEL_LABELS: readonly string[] = [...CHANNELS, 'none'];

export function channelLabel(channel: string | null | undefined): string {
  return channel && (CHANNELS as readonly string[]).includes(channel) ? channel : 'none';
}

export const ALERT_RULE_LABELS: readonly string[] = RULE_NAMES;
export const ALERT_SEVERITY_LABELS = ['warning', 'critical'] as const;
/** Open alerts only: resolved ones are history, and counting them would grow without bound. */
export const ALERT_STATE_LABELS = ['new', 'acknowledged', 'silenced'] as const;

export const AGENT_STATE_LABELS = ['up', 'stale'] as const;

/** The horizons of the expiry wave, in days. */
export const EXPIRY_WAVE_DAYS = [7, 14, 30, 60] as const;

/** The thresholds a KMS host's count is judged against (client OS / server OS N-policy). */
export const KMS_THRESHOLD_LABELS = ['25', '5'] as const;

/**
 * Why the collector refused an ingest or enrolment request: its ErrorBody codes (dashboard/server). A code not listed
 * here is counted as `other`, keeping the label bounded.
 */
export const INGEST_REJECT_REASONS = [
  'invalid-batch',
  'expected-json',
  'body-too-large',
  'missing-token',
  'bad-token',
  'wrong-agent',
  'wrong-machine',
  'too-many-requests',
  'bad-enrolment-secret',
  'too-many-enrolment-failures',
  'machine-enrolled',
  'other',
] as const;
export type IngestRejectReason = (typeof INGEST_REJECT_REASONS)[number];

/** What became of a report in a batch. */
export const INGEST_REPORT_RESULTS = ['accepted', 'duplicate', 'refused'] as const;
export type IngestReportResult = (typeof INGEST_REPORT_RESULTS)[number];
