import type { Cancel, Clock, Scheduler } from '../../shared/scheduling.js';
import type { AlertmanagerClient, PostableAlert } from './alertmanager-client.js';
import { alertPageUrl, subjectLabels, type NotifiableAlert } from './notifiable-alert.js';

export interface NotifyLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface AlertmanagerPusherOptions {
  /** Active alerts are sent again this often, as Prometheus does, so a restarted Alertmanager learns them again. */
  resendSeconds?: number;
  /** A resolved alert is still sent (with its endsAt) for this long, in case a push was lost. */
  resolvedResendSeconds?: number;
}

interface Tracked {
  alert: NotifiableAlert;
  labels: Record<string, string>;
  /** Label sets pushed before under this id that must be ended (severity changed). */
  superseded: Array<{ labels: Record<string, string>; endedAt: number }>;
}

/** The Alertmanager labels of an alert: what identifies it (and what routing and silences match on). */
export function alertmanagerLabels(a: NotifiableAlert): Record<string, string> {
  return {
    alertname: a.rule,
    severity: a.severity,
    source: 'vawatch',
    ...subjectLabels(a),
    vawatch_alert_id: a.id,
  };
}

/** The annotations: the knowledge an admin acts on. */
export function alertmanagerAnnotations(a: NotifiableAlert, publicUrl: string): Record<string, string> {
  const out: Record<string, string> = { summary: a.title, dashboard_url: alertPageUrl(publicUrl, a.id) };
  const k = a.knowledge;
  if (k) {
    out.description = k.meaning;
    out.cause = k.cause;
    out.action = k.action;
    if (k.commands.length) out.commands = k.commands.join('\n');
    if (k.hresult) out.hresult = `${k.hresult.code} ${k.hresult.text}`;
  }
  if (a.machineCount !== undefined) out.machines = String(a.machineCount);
  return out;
}

/**
 * Pushes the collector's own alerts to Alertmanager (`POST /api/v2/alerts`): at once when one changes, then every
 * `resendSeconds` while active, each time with `endsAt` a few resend intervals ahead (so Alertmanager resolves them by
 * itself if the collector dies); on resolve with `endsAt` = the resolution time.
 */
export class AlertmanagerPusher {
  readonly #client: AlertmanagerClient;
  readonly #publicUrl: string;
  readonly #clock: Clock;
  readonly #scheduler: Scheduler | undefined;
  readonly #log: NotifyLog;
  readonly #resendMs: number;
  readonly #resolvedKeepMs: number;
  readonly #tracked = new Map<string, Tracked>();
  #dirty = new Set<string>();
  #flushing: Promise<void> | undefined;
  #flushQueued = false;
  #cancel: Cancel | undefined;
  #failing = false;

  constructor(d: {
    client: AlertmanagerClient;
    publicUrl: string;
    clock: Clock;
    scheduler?: Scheduler;
    log: NotifyLog;
    options?: AlertmanagerPusherOptions;
  }) {
    this.#client = d.client;
    this.#publicUrl = d.publicUrl;
    this.#clock = d.clock;
    this.#scheduler = d.scheduler;
    this.#log = d.log;
    this.#resendMs = (d.options?.resendSeconds ?? 60) * 1000;
    this.#resolvedKeepMs = (d.options?.resolvedResendSeconds ?? 15 * 60) * 1000;
  }

  start(): void {
    if (this.#scheduler && !this.#cancel) this.#cancel = this.#scheduler.every(this.#resendMs, () => this.resendAll());
  }

  close(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  /** The alert changed (raised, updated, acknowledged or resolved); it is pushed on the next turn of the loop. */
  update(alert: NotifiableAlert): void {
    const labels = alertmanagerLabels(alert);
    const t = this.#tracked.get(alert.id);
    if (t) {
      if (!sameLabels(t.labels, labels)) t.superseded.push({ labels: t.labels, endedAt: this.#clock.now() });
      t.alert = alert;
      t.labels = labels;
    } else {
      this.#tracked.set(alert.id, { alert, labels, superseded: [] });
    }
    this.#dirty.add(alert.id);
    this.#queueFlush();
  }

  /** Sends every tracked alert again (active ones, and resolved ones still within their resend window). */
  resendAll(): Promise<void> {
    for (const id of this.#tracked.keys()) this.#dirty.add(id);
    return this.flush();
  }

  /** Pushes what changed now; resolves when Alertmanager answered (errors are logged, retried at the next resend). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#dirty.size === 0) return;
    const ids = this.#dirty;
    this.#dirty = new Set();
    this.#flushing = this.#push(ids).finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** How many alerts it keeps sending (tests, diagnostics). */
  get tracked(): number {
    return this.#tracked.size;
  }

  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      void this.flush();
    });
  }

  async #push(ids: Set<string>): Promise<void> {
    const now = this.#clock.now();
    const payload: PostableAlert[] = [];
    for (const id of ids) {
      const t = this.#tracked.get(id);
      if (!t) continue;
      const a = t.alert;
      const annotations = alertmanagerAnnotations(a, this.#publicUrl);
      const generatorURL = alertPageUrl(this.#publicUrl, a.id);
      const startsAt = new Date(a.raisedAt).toISOString();
      for (const s of t.superseded) {
        payload.push({ labels: s.labels, annotations, startsAt, endsAt: new Date(s.endedAt).toISOString(), generatorURL });
      }
      const endsAt = a.resolvedAt ?? now + 4 * this.#resendMs;
      payload.push({ labels: t.labels, annotations, startsAt, endsAt: new Date(endsAt).toISOString(), generatorURL });
      // Resolved alerts (and superseded label sets) are repeated for a while, then forgotten.
      t.superseded = t.superseded.filter((s) => now - s.endedAt < this.#resolvedKeepMs);
      if (a.resolvedAt !== null && now - a.resolvedAt >= this.#resolvedKeepMs && t.superseded.length === 0) this.#tracked.delete(id);
    }
    try {
      await this.#client.postAlerts(payload);
      if (this.#failing) this.#log.info(`alertmanager: pushes to ${this.#client.baseUrl} work again`);
      this.#failing = false;
    } catch (e) {
      // One line per failure streak; the next resend carries everything again.
      if (!this.#failing) this.#log.warn(`alertmanager: push failed, will resend: ${(e as Error).message}`);
      this.#failing = true;
    }
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
