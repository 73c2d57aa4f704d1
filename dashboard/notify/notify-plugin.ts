import type { AlertRecord } from '../alerts/alert-book.js';
import type { AlertsEngine } from '../alerts/alerts-plugin.js';
import type { CollectorPlugin } from '../server/plugin.js';
import { AlertNotifications } from './alert-notifications.js';
import type { AlertEventKind, NotifiableAlert } from './notifiable-alert.js';
import type { NotifyOptionsInput } from './notify-options.js';

/** How often the open alerts are compared with what was last sent, besides after each change and each alert action. */
const SYNC_MS = 10_000;

export interface NotifyPlugin extends CollectorPlugin {
  readonly notifications: AlertNotifications | undefined;
  /** Compares the alert book with what was sent and sends the differences (what the schedule does). */
  sync(): Promise<void>;
}

export function notifiableOf(a: AlertRecord): NotifiableAlert {
  return {
    id: a.id,
    rule: a.rule,
    severity: a.severity,
    state: a.state,
    subject: { kind: a.subject.kind, id: a.subject.id, name: a.subject.name },
    group: a.groups.length === 1 ? a.groups[0]! : null,
    kmsHost: a.kmsHost,
    title: a.title,
    knowledge: a.knowledge,
    machineCount: a.machines.length,
    raisedAt: a.raisedAt,
    resolvedAt: a.resolvedAt,
  };
}

/**
 * Sends the alert engine's alerts out (Alertmanager, webhooks). It follows the engine's alert book: after each state
 * change, after each alert action through the API (acknowledge creates the silence) and every 10 s, it compares the
 * open alerts with what it sent before. List it BEFORE the alerts plug-in, so its hook sees the alert actions.
 */
export function notifyPlugin(options: NotifyOptionsInput, engine: () => AlertsEngine | undefined): NotifyPlugin {
  let notifications: AlertNotifications | undefined;
  let known = new Map<string, AlertRecord>();
  let primed = false;
  let queued = false;
  let running: Promise<void> | undefined;
  const cancels: Array<() => void> = [];

  const book = () => {
    try {
      return engine()?.book();
    } catch {
      return undefined; // the alerts plug-in is not set up yet
    }
  };

  const syncOnce = async () => {
    const n = notifications;
    const b = book();
    if (!n || !b) return;
    const open = b.open();
    const next = new Map(open.map((a) => [a.id, a]));
    const work: Array<Promise<void>> = [];
    const send = (event: AlertEventKind, a: AlertRecord, by?: { username: string; comment: string | null }) =>
      work.push(n.alertChanged(event, notifiableOf(a), by));
    for (const a of open) {
      const before = known.get(a.id);
      if (!primed) {
        // Alerts open at start-up: Alertmanager learns them again; webhooks already heard of them.
        n.pusher?.update(notifiableOf(a));
      } else if (!before) {
        send('raised', a);
      } else if (before.state !== 'acknowledged' && a.state === 'acknowledged') {
        const ack = b.history(a.id).filter((h) => h.kind === 'acknowledged').at(-1);
        send('acknowledged', a, { username: a.acknowledgedBy ?? ack?.actor ?? 'unknown', comment: ack?.comment ?? null });
      } else if (before.severity !== a.severity || before.title !== a.title || before.machines.length !== a.machines.length) {
        send('updated', a);
      }
    }
    if (primed) {
      for (const [id] of known) {
        if (next.has(id)) continue;
        const r = b.get(id);
        if (r && r.resolvedAt !== null) send('resolved', r);
      }
    }
    known = next;
    primed = true;
    await Promise.all(work);
  };

  const sync = async () => {
    while (running) await running;
    running = syncOnce().finally(() => {
      running = undefined;
    });
    return running;
  };

  // After the current turn: the alert engine evaluates a batch in a microtask of its own.
  const soon = () => {
    if (queued) return;
    queued = true;
    setImmediate(() => {
      queued = false;
      void sync();
    });
  };

  return {
    name: 'notify',
    get notifications() {
      return notifications;
    },
    sync,
    setup(ctx) {
      const c = ctx.config;
      const fromConfig: NotifyOptionsInput = {
        ...(c.alertmanagerUrl ? { alertmanagerUrl: c.alertmanagerUrl } : {}),
        publicUrl: c.publicUrl ?? `http://${c.host === '0.0.0.0' || c.host === '::' ? '127.0.0.1' : c.host}:${c.port}`,
        silenceOnAck: c.ackSilenceHours > 0,
        ...(c.ackSilenceHours > 0 ? { ackSilenceHours: c.ackSilenceHours } : {}),
        webhooks: (c.webhookUrls ?? '')
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean)
          .map((url) => ({ url, ...(c.webhookSecret ? { secret: c.webhookSecret } : {}) })),
      };
      // The collector's configuration first (flags, environment, file), then what the caller passed.
      const n = new AlertNotifications({ options: { ...fromConfig, ...options }, scheduler: ctx.scheduler, log: ctx.log });
      if (!n.options.alertmanagerUrl && n.options.webhooks.length === 0) return;
      notifications = n;
      ctx.api.use('/alerts', (req, res, next) => {
        if (req.method === 'POST') res.on('finish', soon);
        next();
      });
      cancels.push(ctx.state.onChange(soon), ctx.scheduler.every(SYNC_MS, () => sync()));
      n.start();
      soon();
    },
    async close() {
      for (const c of cancels.splice(0)) c();
      await running;
      await notifications?.close();
    },
  };
}
