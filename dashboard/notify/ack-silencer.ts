import type { Clock } from '../../shared/scheduling.js';
import type { AlertmanagerClient, SilenceMatcher } from './alertmanager-client.js';
import { subjectIdentityLabels, type NotifiableAlert } from './notifiable-alert.js';
import type { NotifyLog } from './alertmanager-pusher.js';

/**
 * When an operator acknowledges an alert in the dashboard, a silence in Alertmanager keeps the same alert (from the
 * collector's pushes and from the shipped Prometheus rules) from paging anyone else for a while.
 */
export class AckSilencer {
  readonly #client: AlertmanagerClient;
  readonly #clock: Clock;
  readonly #durationMs: number;
  readonly #log: NotifyLog;

  constructor(d: { client: AlertmanagerClient; clock: Clock; durationHours: number; log: NotifyLog }) {
    this.#client = d.client;
    this.#clock = d.clock;
    this.#durationMs = d.durationHours * 3_600_000;
    this.#log = d.log;
  }

  /** Creates the silence; returns its id, or undefined when Alertmanager refused or was unreachable (logged). */
  async silence(alert: NotifiableAlert, by: { username: string; comment?: string | null }): Promise<string | undefined> {
    const now = this.#clock.now();
    const matchers: SilenceMatcher[] = Object.entries({ alertname: alert.rule, ...subjectIdentityLabels(alert) }).map(([name, value]) => ({
      name,
      value,
      isRegex: false,
      isEqual: true,
    }));
    try {
      return await this.#client.postSilence({
        matchers,
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + this.#durationMs).toISOString(),
        createdBy: `${by.username} (vawatch)`,
        comment: `Acknowledged in vawatch: ${alert.title}${by.comment ? ` (${by.comment})` : ''}`,
      });
    } catch (e) {
      this.#log.warn(`alertmanager: could not create the silence for acknowledged alert ${alert.id}: ${(e as Error).message}`);
      return undefined;
    }
  }
}
