import type { Scheduler } from '../../shared/scheduling.js';
import { AckSilencer } from './ack-silencer.js';
import { AlertmanagerClient, type FetchLike } from './alertmanager-client.js';
import { AlertmanagerPusher, type NotifyLog } from './alertmanager-pusher.js';
import type { AlertEventKind, NotifiableAlert } from './notifiable-alert.js';
import { parseNotifyOptions, type NotifyOptions, type NotifyOptionsInput } from './notify-options.js';
import { WebhookNotifier } from './webhook-notifier.js';

/**
 * Everything the collector sends out about its alerts, behind one call: the alert engine reports each change to
 * `alertChanged` and this fans it out to Alertmanager (push, silence on ack) and the webhooks.
 */
export class AlertNotifications {
  readonly options: NotifyOptions;
  readonly pusher: AlertmanagerPusher | undefined;
  readonly #silencer: AckSilencer | undefined;
  readonly #webhooks: WebhookNotifier;
  readonly #log: NotifyLog;

  constructor(d: { options?: NotifyOptionsInput; scheduler: Scheduler; log: NotifyLog; fetch?: FetchLike }) {
    this.options = parseNotifyOptions(d.options);
    this.#log = d.log;
    const o = this.options;
    if (o.alertmanagerUrl) {
      const client = new AlertmanagerClient(o.alertmanagerUrl, d.fetch ? { fetch: d.fetch } : {});
      this.pusher = new AlertmanagerPusher({
        client,
        publicUrl: o.publicUrl,
        clock: d.scheduler,
        scheduler: d.scheduler,
        log: d.log,
        options: { resendSeconds: o.resendSeconds },
      });
      if (o.silenceOnAck) this.#silencer = new AckSilencer({ client, clock: d.scheduler, durationHours: o.ackSilenceHours, log: d.log });
    }
    this.#webhooks = new WebhookNotifier({
      targets: o.webhooks,
      clock: d.scheduler,
      scheduler: d.scheduler,
      log: d.log,
      publicUrl: o.publicUrl,
      retry: { maxAttempts: o.webhookMaxAttempts },
    });
  }

  start(): void {
    this.pusher?.start();
    if (this.options.alertmanagerUrl) this.#log.info(`notify: pushing alerts to Alertmanager at ${this.options.alertmanagerUrl}`);
  }

  async close(): Promise<void> {
    this.pusher?.close();
    await this.#webhooks.close();
  }

  /** One alert changed. `by` names the operator for acknowledgements. Never throws; failures are logged. */
  async alertChanged(event: AlertEventKind, alert: NotifiableAlert, by?: { username: string; comment?: string | null }): Promise<void> {
    this.pusher?.update(alert);
    const work: Array<Promise<unknown>> = [this.#webhooks.notify(event, alert, by)];
    if (event === 'acknowledged' && by && this.#silencer) work.push(this.#silencer.silence(alert, by));
    await Promise.all(work);
  }
}
