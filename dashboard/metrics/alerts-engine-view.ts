import { canonicalHostName } from '../alerts/host-names.js';
import type { AlertsEngine } from '../alerts/alerts-plugin.js';
import { forecastKmsCount, hasOffice, knownStoppedOf } from '../forecast/kms-count-forecast.js';
import { KMS_CLIENT_THRESHOLD, KMS_SERVER_THRESHOLD, OFFICE_KMS_THRESHOLD } from '../../shared/kms-rules.js';
import type { AlertEngineView } from './fleet-state-source.js';
import type { AlertTally } from './metrics-source.js';

/**
 * The alert engine as the metrics read it: open alerts counted by rule × severity × state (silenced while
 * `silencedUntil` is ahead), and the KMS count forecast per host, recomputed on the background refresh.
 */
export function alertsEngineView(engine: () => AlertsEngine | undefined, clock: { now(): number }): AlertEngineView {
  let forecasts = new Map<string, { below25At: number | null; below5At: number | null; officeBelow5At: number | null }>();
  return {
    *alertTallies(): Iterable<AlertTally> {
      const e = engine();
      if (!e) return;
      // The book keeps these counts as alerts come and go: a scrape does not walk the open alerts.
      yield* e.book().tallies(clock.now());
    },
    kmsForecast(kmsHostId) {
      return forecasts.get(kmsHostId);
    },
    refresh(now) {
      const e = engine();
      if (!e) return;
      const fleet = e.fleet();
      const knownStopped = knownStoppedOf(fleet, now);
      const next = new Map<string, { below25At: number | null; below5At: number | null; officeBelow5At: number | null }>();
      for (const h of fleet.kmsHosts) {
        if (h.retired) continue;
        const f = forecastKmsCount(h, now, { knownStopped });
        // A date only while the count is still at or above the threshold: once below, the count rule speaks.
        const at = (g: typeof f, threshold: number) => {
          const c = g.crossings.find((x) => x.threshold === threshold);
          return c && !c.alreadyBelow ? c.at : null;
        };
        const office = hasOffice(h) ? forecastKmsCount(h, now, { knownStopped, application: 'office' }) : null;
        next.set(canonicalHostName(h.hostname), {
          below25At: at(f, KMS_CLIENT_THRESHOLD),
          below5At: at(f, KMS_SERVER_THRESHOLD),
          officeBelow5At: office ? at(office, OFFICE_KMS_THRESHOLD) : null,
        });
      }
      forecasts = next;
    },
  };
}
