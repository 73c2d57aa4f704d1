/**
 * The expiry wave: how many machines reach Notification on each of the next days if nothing is activated or renewed,
 * and which. A machine counts once, on the day its first product gets there.
 */
import { MS } from '../../shared/kms-rules.js';
import { kmsHostOfProduct } from '../alerts/kms-dependency.js';
import type { FleetView } from '../alerts/model.js';
import { FORECAST_HORIZON_DAYS } from './kms-count-forecast.js';
import { expiryPathOf, startOfUtcDay, utcDate } from './notification-date.js';

export interface ExpiryWaveMachine {
  machineId: string;
  hostname: string;
  group: string;
  product: string;
  notificationAt: number;
  kmsHost: string | null;
}

export interface ExpiryWave {
  at: number;
  /** One entry per UTC day from today, `horizonDays + 1` entries. */
  days: Array<{ date: string; from: number; count: number; machines: ExpiryWaveMachine[] }>;
  alreadyInNotification: number;
}

export function expiryWave(fleet: FleetView, now: number, horizonDays = FORECAST_HORIZON_DAYS): ExpiryWave {
  const today = startOfUtcDay(now);
  const days: ExpiryWave['days'] = [];
  for (let i = 0; i <= horizonDays; i++) {
    const from = today + i * MS.DAY;
    days.push({ date: utcDate(from), from, count: 0, machines: [] });
  }
  let already = 0;
  // The collector's index hands over only the machines whose Notification falls inside the horizon (or has come).
  const candidates = fleet.index ? fleet.index.expiringBefore(today + (horizonDays + 1) * MS.DAY) : fleet.machines;
  for (const m of candidates) {
    if (m.retired) continue;
    let first: ExpiryWaveMachine | null = null;
    let inNotification = false;
    for (const p of m.products) {
      const path = expiryPathOf(p);
      if (path.alreadyInNotification) inNotification = true;
      if (path.notificationAt === null) continue;
      if (!first || path.notificationAt < first.notificationAt) {
        first = { machineId: m.machineId, hostname: m.hostname, group: m.group, product: p.name, notificationAt: path.notificationAt, kmsHost: kmsHostOfProduct(p, m, fleet) };
      }
    }
    if (inNotification) {
      already++;
      continue;
    }
    if (!first) continue;
    // A grace end already past (the machine has not reported since) belongs to today.
    const index = Math.floor((Math.max(first.notificationAt, today) - today) / MS.DAY);
    const day = days[index];
    if (!day) continue;
    day.count++;
    day.machines.push(first);
  }
  return { at: now, days, alreadyInNotification: already };
}
