/**
 * The KMS count forecast: from the 12290 requests a host's agent reported, which clients are in the host's 30-day
 * window, which of them will age out, and what the count will be on each of the next days if no new client arrives.
 *
 * Telling a client that still renews from one that stopped: an activated client renews every renewal interval (7 d)
 * and an unactivated one retries every 2 h, so a live client is never silent for longer than one renewal interval
 * (plus a slack for machines that were off for a day). A client silent for longer than that has stopped (retired,
 * switched off, re-imaged with a new CMID, or moved to another host) and leaves the count 30 days after its last
 * request; a client heard within it is presumed to keep renewing and keeps its place, unless the fleet knows it is
 * retired or its agent has gone silent, in which case it is treated as stopped at once.
 *
 * Clients the host saw before its agent started are known only as a number (the KeyManagementServiceCurrentCount
 * when the agent started). Those that renew show up by name within one renewal interval; the rest are counted as
 * unnamed clients that age out by 30 days after the agent started (the latest they can, since their last request
 * was no later than that).
 */
import {
  KMS_CLIENT_THRESHOLD,
  KMS_CLIENT_WINDOW_DAYS,
  KMS_COUNT_CAP,
  KMS_COUNT_CAP_SERVERS_ONLY,
  KMS_RENEWAL_INTERVAL_MINUTES,
  KMS_SERVER_THRESHOLD,
  MS,
  OFFICE_KMS_THRESHOLD,
  applicationOf,
} from '../../shared/kms-rules.js';
import { canonicalHostName, sameHostAsAnyOf } from '../alerts/host-names.js';
import type { FleetView, KmsHostView } from '../alerts/model.js';

export const FORECAST_HORIZON_DAYS = 60;
const WINDOW_MS = KMS_CLIENT_WINDOW_DAYS * MS.DAY;
const RENEWAL_MS = KMS_RENEWAL_INTERVAL_MINUTES * MS.MINUTE;

export type ClientStatus = 'renewing' | 'stopped' | 'retired';

export interface WindowClient {
  cmid: string;
  clientFqdn: string;
  firstSeenAt: number;
  lastSeenAt: number;
  requests: number;
  nPolicy: number;
  status: ClientStatus;
  /** When it leaves the count (last request + 30 d), or null while it is presumed to keep renewing. */
  agesOutAt: number | null;
}

export interface CountThresholdCrossing {
  threshold: number;
  /** The count is already below the threshold now. */
  alreadyBelow: boolean;
  /** When the count first falls below the threshold, or null if it does not (while no client stops). */
  at: number | null;
  /** The clients whose ageing-out takes the count below the threshold (up to and including the crossing). */
  causedBy: Array<{ cmid: string; clientFqdn: string; lastSeenAt: number; agesOutAt: number }>;
  /** Unnamed clients (seen before the agent started) that age out by the crossing. */
  unnamedCausing: number;
}

export interface KmsCountForecast {
  hostId: string;
  hostname: string;
  application: 'windows' | 'office';
  /** `clients`: the host runs no agent; its window is what its clients with agents showed (a lower bound). */
  basis: 'host' | 'clients';
  at: number;
  /** The count the model gives now (distinct CMIDs in the window, capped as Windows caps it). */
  modelledCount: number;
  /** KeyManagementServiceCurrentCount as last reported. */
  reportedCount: number | null;
  cap: number;
  clients: WindowClient[];
  /** Clients the host saw before its agent started that have not shown up since. */
  unnamedClients: { count: number; agesOutBy: number | null };
  /** The count at now + i days, i = 0..horizon. */
  days: Array<{ day: number; at: number; count: number }>;
  crossings: CountThresholdCrossing[];
}

export interface ForecastOptions {
  horizonDays?: number;
  /** The application whose count to forecast (each has its own window and threshold on the host). Default Windows. */
  application?: 'windows' | 'office';
  /** Silence beyond the renewal interval before a client counts as stopped. Default 1 day. */
  slackMs?: number;
  /** CMIDs / host names the fleet knows are retired or whose agent went silent. */
  knownStopped?: { cmids: ReadonlySet<string>; hostnames: readonly string[] };
}

/** Machines the fleet knows will not renew: retired, or agent silent for more than 3 heartbeats. */
export function knownStoppedOf(fleet: FleetView, now: number): { cmids: Set<string>; hostnames: string[] } {
  if (fleet.index) return fleet.index.knownStopped(now);
  const cmids = new Set<string>();
  const hostnames: string[] = [];
  for (const m of fleet.machines) {
    const silent = now - m.lastReportAt > 3 * m.heartbeatIntervalMs;
    if (!m.retired && !silent) continue;
    if (m.cmid) cmids.add(m.cmid.toLowerCase());
    hostnames.push(m.hostname);
  }
  return { cmids, hostnames };
}

export function forecastKmsCount(host: KmsHostView, now: number, options: ForecastOptions = {}): KmsCountForecast {
  const horizonDays = options.horizonDays ?? FORECAST_HORIZON_DAYS;
  const slackMs = options.slackMs ?? MS.DAY;
  const stopped = options.knownStopped ?? { cmids: new Set<string>(), hostnames: [] };

  // One entry per CMID seen in the window (successful or not: the host counts every request it receives).
  const application = options.application ?? 'windows';
  const byCmid = new Map<string, WindowClient>();
  let clientPolicySeen = false;
  let anyRequest = false;
  for (const r of host.requests) {
    if (r.time > now || (r.application ?? 'windows') !== application) continue;
    anyRequest = true;
    if (r.nPolicy >= KMS_CLIENT_THRESHOLD) clientPolicySeen = true;
    const cmid = r.cmid.toLowerCase();
    const c = byCmid.get(cmid);
    if (!c) {
      byCmid.set(cmid, {
        cmid,
        clientFqdn: canonicalHostName(r.clientFqdn),
        firstSeenAt: r.time,
        lastSeenAt: r.time,
        requests: 1,
        nPolicy: r.nPolicy,
        status: 'renewing',
        agesOutAt: null,
      });
    } else {
      c.requests++;
      c.firstSeenAt = Math.min(c.firstSeenAt, r.time);
      if (r.time >= c.lastSeenAt) {
        c.lastSeenAt = r.time;
        c.clientFqdn = canonicalHostName(r.clientFqdn);
      }
      c.nPolicy = Math.max(c.nPolicy, r.nPolicy);
    }
  }
  const clients: WindowClient[] = [];
  const stoppedHost = matcherOf(stopped.hostnames);
  for (const c of byCmid.values()) {
    if (c.lastSeenAt + WINDOW_MS <= now) continue; // already aged out
    const retired = stopped.cmids.has(c.cmid) || stoppedHost(c.clientFqdn);
    if (retired) c.status = 'retired';
    else if (now - c.lastSeenAt > RENEWAL_MS + slackMs) c.status = 'stopped';
    c.agesOutAt = c.status === 'renewing' ? null : c.lastSeenAt + WINDOW_MS;
    clients.push(c);
  }
  clients.sort((a, b) => (a.agesOutAt ?? Infinity) - (b.agesOutAt ?? Infinity) || a.clientFqdn.localeCompare(b.clientFqdn));

  // Clients seen before the agent started: the seed count less those that have shown up by name since.
  const t0 = host.observedSince;
  let unnamed = 0;
  let unnamedAgesOutBy: number | null = null;
  // The seed is the host's Windows count when its agent started.
  if (application === 'windows' && host.seedCount !== null && now < t0 + WINDOW_MS) {
    const showUpBy = Math.min(now, t0 + RENEWAL_MS + slackMs);
    const named = [...byCmid.values()].filter((c) => c.firstSeenAt > t0 - 1 && c.firstSeenAt <= showUpBy).length;
    unnamed = Math.max(0, host.seedCount - named);
    // Before one renewal interval has passed an unnamed client may still be a renewing one: it keeps its place.
    unnamedAgesOutBy = now > t0 + RENEWAL_MS + slackMs ? t0 + WINDOW_MS : null;
  }
  const office = application === 'office';
  // Office is judged against 5 alone and capped at 10.
  const cap = !office && (clientPolicySeen || !anyRequest) ? KMS_COUNT_CAP : KMS_COUNT_CAP_SERVERS_ONLY;
  const reported = office ? officeCountOf(host) : host.kmsService.currentCount;
  // The host's own count is the truth for now: never model more unnamed clients than it leaves room for.
  if (reported !== null && reported < cap) unnamed = Math.max(0, Math.min(unnamed, reported - clients.length));
  if (unnamed === 0) unnamedAgesOutBy = null;

  const countAt = (t: number): number =>
    clients.filter((c) => c.agesOutAt === null || c.agesOutAt > t).length +
    (unnamedAgesOutBy === null || unnamedAgesOutBy > t ? unnamed : 0);

  const days: KmsCountForecast['days'] = [];
  for (let i = 0; i <= horizonDays; i++) {
    const at = now + i * MS.DAY;
    days.push({ day: i, at, count: Math.min(cap, countAt(at)) });
  }

  const thresholds = office ? [OFFICE_KMS_THRESHOLD] : clientPolicySeen || !anyRequest ? [KMS_CLIENT_THRESHOLD, KMS_SERVER_THRESHOLD] : [KMS_SERVER_THRESHOLD];
  const crossings = thresholds.map((threshold) => crossingOf(threshold, now, clients, unnamed, unnamedAgesOutBy, countAt));

  return {
    hostId: host.hostId,
    hostname: host.hostname,
    application,
    basis: host.basis ?? 'host',
    at: now,
    modelledCount: Math.min(cap, countAt(now)),
    reportedCount: reported,
    cap,
    clients,
    unnamedClients: { count: unnamed, agesOutBy: unnamedAgesOutBy },
    days,
    crossings,
  };
}

function crossingOf(
  threshold: number,
  now: number,
  clients: WindowClient[],
  unnamed: number,
  unnamedAgesOutBy: number | null,
  countAt: (t: number) => number,
): CountThresholdCrossing {
  if (countAt(now) < threshold) return { threshold, alreadyBelow: true, at: now, causedBy: [], unnamedCausing: 0 };
  // Walk the departures in time order; the count only falls at those instants.
  const departures = clients.filter((c) => c.agesOutAt !== null).map((c) => c.agesOutAt as number);
  if (unnamedAgesOutBy !== null && unnamed > 0) departures.push(unnamedAgesOutBy);
  const instants = [...new Set(departures)].sort((a, b) => a - b);
  for (const t of instants) {
    if (countAt(t) < threshold) {
      return {
        threshold,
        alreadyBelow: false,
        at: t,
        causedBy: clients
          .filter((c) => c.agesOutAt !== null && c.agesOutAt <= t)
          .map((c) => ({ cmid: c.cmid, clientFqdn: c.clientFqdn, lastSeenAt: c.lastSeenAt, agesOutAt: c.agesOutAt as number })),
        unnamedCausing: unnamedAgesOutBy !== null && unnamedAgesOutBy <= t ? unnamed : 0,
      };
    }
  }
  return { threshold, alreadyBelow: false, at: null, causedBy: [], unnamedCausing: 0 };
}

/** The Office count the host reports (its Office KMS host product), or null. */
export function officeCountOf(host: Pick<KmsHostView, 'kmsService'>): number | null {
  return host.kmsService.applications?.find((a) => applicationOf(a.applicationId) === 'office')?.currentCount ?? null;
}

/** True when the host has an Office count or Office requests to forecast. */
export function hasOffice(host: Pick<KmsHostView, 'kmsService' | 'requests'>): boolean {
  return officeCountOf(host) !== null || host.requests.some((r) => r.application === 'office');
}

/** The forecast of one host, with the fleet telling which clients are known to have stopped. */
export function forecastForHost(fleet: FleetView, host: KmsHostView, now: number, options: Omit<ForecastOptions, 'knownStopped'> = {}): KmsCountForecast {
  return forecastKmsCount(host, now, { ...options, knownStopped: knownStoppedOf(fleet, now) });
}

// The same list of stopped host names serves every host of one evaluation: build its matcher once.
const matchers = new WeakMap<readonly string[], (name: string) => boolean>();
function matcherOf(hostnames: readonly string[]): (name: string) => boolean {
  let m = matchers.get(hostnames);
  if (!m) matchers.set(hostnames, (m = sameHostAsAnyOf(hostnames)));
  return m;
}
