/**
 * One agent: polls a licensing source on schedules, turns what it read into reports, queues them durably, and
 * delivers them to the collector. Composition only; every clock, timer, store and sender is injected.
 *
 * Two clocks on purpose: `scheduler` drives the polls (node-cron in production, the simulation's clock in demos and
 * tests); `timers` drives delivery retries and heartbeats, which concern the real network and the collector's wall
 * clock.
 */
import {
  MAX_EVENTS_PER_REPORT,
  MAX_REPORTS_PER_BATCH,
  MachineSnapshot,
  PROTOCOL_VERSION,
  describeIssues,
  type EventRecord,
  type Report,
} from '../shared/protocol.js';
import type { Cancel, Scheduler } from '../shared/scheduling.js';
import { DEFAULT_EXPIRY_TOLERANCE_MS, meaningfulChanges } from './change-detection.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './delivery/backoff.js';
import type { CollectorAnswer, CollectorClient } from './delivery/collector-client.js';
import { normaliseEvents, normaliseSnapshot } from './normalise.js';
import type { Outbox, OutboxEntry, QueuedReport } from './outbox/outbox.js';
import type { LicensingSource } from './sources/licensing-source.js';
import { WATCHED_LOGS } from './sources/watched-events.js';
import { everyAtPhase, splayFraction, splayedScheduler } from './splay.js';
import type { CredentialStore, Credentials } from './state/credentials.js';
import type { DeadLetterSink } from './state/dead-letter.js';

export interface AgentSchedules {
  /** Cron expression for the licensing poll (default every 15 min). */
  licensing: string;
  /** Cron expression for the event-log poll (default every minute). */
  events: string;
  /**
   * A heartbeat when nothing else was queued for this long (default 60 s), until the collector sets the interval in
   * an ack or its enrolment answer (kept in the credentials file from then on).
   */
  heartbeatMs: number;
}

/** Bounds on the interval a collector may set: Node timers cannot wait longer than about 24.8 days. */
export const MIN_HEARTBEAT_MS = 1_000;
export const MAX_HEARTBEAT_MS = 86_400_000;

export const DEFAULT_SCHEDULES: AgentSchedules = { licensing: '*/15 * * * *', events: '* * * * *', heartbeatMs: 60_000 };

export interface AgentOptions {
  source: LicensingSource;
  scheduler: Scheduler;
  timers: Scheduler;
  outbox: Outbox;
  credentials: CredentialStore;
  /** Absent: the agent queues but never sends. */
  client?: CollectorClient;
  enrolmentSecret?: string;
  group: string;
  /** Overrides the source's stable machine id / hostname. */
  machineId?: string;
  hostname?: string;
  schedules?: AgentSchedules;
  expiryToleranceMs?: number;
  backoff?: BackoffPolicy;
  /** Delay between retries when only a person can fix things (bad secret, revoked token without a secret). */
  slowRetryMs?: number;
  /** Reports per request (default and maximum: the protocol's 500). */
  batchSize?: number;
  /** Bytes of queued reports per request (default 512 KiB; the collector's default body limit is 1 MiB). */
  batchBytes?: number;
  random?: () => number;
  deadLetter: DeadLetterSink;
  log: (line: string) => void;
  /** False: queue only; the owner calls `deliver()` (the fleet batches during fast-forward). Default true. */
  deliverOnQueue?: boolean;
  /**
   * Default true: polls and heartbeats run at this machine's own phase of each interval (splay.ts), derived from its
   * machine id, so a fleet does not poll and report in the same second.
   */
  splay?: boolean;
}

/** Events per report: well under the protocol's 5000, so one report stays far below a collector's body limit. */
export const EVENTS_PER_REPORT = Math.min(1000, MAX_EVENTS_PER_REPORT);
export const DEFAULT_BATCH_BYTES = 512 * 1024;

export interface AgentStats {
  polls: number;
  reportsQueued: number;
  reportsAcked: number;
  eventsQueued: number;
  deadLettered: number;
  lastError?: string;
}

export class Agent {
  readonly #o: AgentOptions;
  readonly #schedules: AgentSchedules;
  #lastSent: MachineSnapshot | undefined;
  #identity: { machineId: string; hostname: string } | undefined;
  #creds: Credentials | undefined;
  #previousToken: string | undefined;
  #cancels: Cancel[] = [];
  #pollChain: Promise<unknown> = Promise.resolve();
  #draining: Promise<void> | undefined;
  #retry: Cancel | undefined;
  #attempt = 0;
  #unauthorisedInARow = 0;
  #tokenRefused = false;
  #batchSize: number;
  #byteBudget: number;
  #lastQueuedRealMs = -Infinity;
  #stopped = false;
  #lastLogged = new Map<string, string>();
  #heartbeatMs: number;
  #heartbeatCancel: Cancel | undefined;
  #splayFraction: number | undefined;
  #heartbeatOn = false;
  #heartbeatKnown = false;
  readonly stats: AgentStats = { polls: 0, reportsQueued: 0, reportsAcked: 0, eventsQueued: 0, deadLettered: 0 };

  constructor(opts: AgentOptions) {
    this.#o = opts;
    this.#schedules = opts.schedules ?? DEFAULT_SCHEDULES;
    this.#heartbeatMs = this.#schedules.heartbeatMs;
    opts.source.useLog?.(opts.log);
    this.#batchSize = Math.min(MAX_REPORTS_PER_BATCH, opts.batchSize ?? MAX_REPORTS_PER_BATCH);
    this.#byteBudget = opts.batchBytes ?? DEFAULT_BATCH_BYTES;
  }

  /**
   * Schedules the polls and the heartbeat, at this machine's splay phase once its id is known; the first poll of both
   * kinds runs now.
   */
  start(opts: { heartbeat?: boolean } = {}): void {
    const begin = (fraction: number) => {
      if (this.#stopped) return;
      this.#splayFraction = fraction;
      const s = splayedScheduler(this.#o.scheduler, fraction);
      this.#cancels.push(s.cron(this.#schedules.licensing, this.#safely('licensing poll', () => this.poll({ licensing: true, events: false }))));
      this.#cancels.push(s.cron(this.#schedules.events, this.#safely('event poll', () => this.poll({ licensing: false, events: true }))));
      this.#heartbeatOn = opts.heartbeat !== false;
      this.#scheduleHeartbeat();
    };
    if (this.#o.splay === false) begin(0);
    else if (this.#o.machineId !== undefined) begin(splayFraction(this.#o.machineId));
    else void this.#splayKey().then((id) => begin(id === undefined ? (this.#o.random ?? Math.random)() : splayFraction(id)));
    // The interval the collector set last time, until it says otherwise again (the heartbeat waits for it).
    void this.#o.credentials
      .load()
      .catch(() => undefined)
      .then((c) => {
        this.#heartbeatKnown = true;
        return this.#setHeartbeat(c?.heartbeatSeconds, false);
      })
      .then(() => this.#scheduleHeartbeat());
    void this.#safely('first poll', () => this.poll({ licensing: true, events: true }))();
    void this.deliver();
  }

  /** The heartbeat interval in force: the collector's, else the configured one. */
  get heartbeatMs(): number {
    return this.#heartbeatMs;
  }

  /** Scheduled work must never throw into the scheduler: a failure (a full disk, say) is logged and tried next time. */
  #safely(what: string, fn: () => Promise<unknown>): () => Promise<unknown> {
    return () => fn().catch((e: unknown) => this.#logOnce(what, `${what} failed: ${(e as Error).message}`));
  }

  /** The machine id the phase comes from: configured, enrolled, else the source's; undefined when none can be read. */
  async #splayKey(): Promise<string | undefined> {
    const stored = await this.#o.credentials.load().catch(() => undefined);
    if (stored) return stored.machineId;
    try {
      return (await this.identity()).machineId;
    } catch (e) {
      this.#o.log(`schedules run at a random phase this time: the machine id could not be read (${(e as Error).message})`);
      return undefined;
    }
  }

  #scheduleHeartbeat(): void {
    this.#heartbeatCancel?.();
    this.#heartbeatCancel = undefined;
    if (!this.#heartbeatOn || !this.#heartbeatKnown || this.#stopped || this.#splayFraction === undefined) return;
    this.#heartbeatCancel = everyAtPhase(this.#o.timers, this.#heartbeatMs, this.#splayFraction, this.#safely('heartbeat', () => this.heartbeat()));
  }

  /** Takes the interval the collector set (absent: older collector, keep what is in force); persists a change. */
  async #setHeartbeat(seconds: number | undefined, persist: boolean): Promise<void> {
    if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return;
    const ms = Math.min(MAX_HEARTBEAT_MS, Math.max(MIN_HEARTBEAT_MS, Math.round(seconds * 1000)));
    if (ms === this.#heartbeatMs) return;
    const was = this.#heartbeatMs;
    this.#heartbeatMs = ms;
    this.#scheduleHeartbeat();
    if (!persist) return;
    this.#o.log(`the collector sets the heartbeat interval to ${ms / 1000} s (was ${was / 1000} s)`);
    if (this.#creds && this.#creds.heartbeatSeconds !== ms / 1000) {
      this.#creds = { ...this.#creds, heartbeatSeconds: ms / 1000 };
      // Only what a restart starts from: a failed write must not hold up the acknowledgement being handled.
      await this.#o.credentials.save(this.#creds).catch((e: unknown) => this.#o.log(`could not keep the heartbeat interval in the state folder: ${(e as Error).message}`));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const c of this.#cancels) c();
    this.#cancels = [];
    this.#heartbeatCancel?.();
    this.#heartbeatCancel = undefined;
    this.#retry?.();
    this.#retry = undefined;
    await this.#pollChain.catch(() => undefined);
    await this.#draining;
    await this.#o.source.close?.();
  }

  /** The machine's id and host name: from configuration, else from the source (read once). */
  async identity(): Promise<{ machineId: string; hostname: string }> {
    if (!this.#identity) {
      const machineId = this.#o.machineId ?? (await this.#o.source.stableMachineId());
      const hostname = (this.#o.hostname ?? (await this.#o.source.readOs()).CSName).slice(0, 255);
      this.#identity = { machineId, hostname };
    }
    return this.#identity;
  }

  /** Reads the source and queues what changed. Polls never overlap. Resolves to the number of reports queued. */
  poll(what: { licensing: boolean; events: boolean } = { licensing: true, events: true }): Promise<number> {
    const run = this.#pollChain.then(() => this.#poll(what));
    this.#pollChain = run.catch(() => undefined);
    return run;
  }

  /** Queues a heartbeat unless a report went out within the interval; `force` skips that check (not the outbox one). */
  async heartbeat(opts: { force?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    if (!opts.force && this.#o.timers.now() - this.#lastQueuedRealMs < this.#heartbeatMs * 0.9) return;
    if (this.#o.outbox.size > 0) return; // the queued reports say "alive" when they go through
    await this.#pollChain;
    await this.#queue({ heartbeat: true });
    this.#afterQueue();
  }

  /** Starts delivering the outbox unless a delivery runs or a retry waits. Returns when this round ends. */
  deliver(): Promise<void> {
    if (this.#draining) return this.#draining;
    if (this.#retry || this.#stopped || !this.#o.client) return Promise.resolve();
    this.#draining = this.#drain()
      .catch((e: unknown) => this.#backoff(`delivery failed (${(e as Error).message})`))
      .finally(() => {
        this.#draining = undefined;
      });
    return this.#draining;
  }

  /** True while a retry is scheduled (the collector is unreachable or refused for now). */
  get waitingToRetry(): boolean {
    return this.#retry !== undefined;
  }

  #logOnce(key: string, line: string): void {
    if (this.#lastLogged.get(key) === line) return;
    this.#lastLogged.set(key, line);
    this.#o.log(line);
  }

  async #poll(what: { licensing: boolean; events: boolean }): Promise<number> {
    if (this.#stopped) return 0;
    this.stats.polls++;
    const now = this.#o.scheduler.now();
    let snapshot: MachineSnapshot | undefined;
    if (what.licensing) {
      try {
        const [products, service, os] = await Promise.all([
          this.#o.source.readProducts(),
          this.#o.source.readService(),
          this.#o.source.readOs(),
        ]);
        const id = await this.identity();
        const snap = normaliseSnapshot({ products, service, os }, { ...id, group: this.#o.group }, now);
        // Checked here, at the edge, so a value the collector would refuse is a line in this log, not a dead letter.
        const valid = MachineSnapshot.safeParse(snap);
        if (!valid.success) throw new Error(`the snapshot is not valid protocol: ${describeIssues(valid.error).summary}`);
        const changes = meaningfulChanges(this.#lastSent, snap, this.#o.expiryToleranceMs ?? DEFAULT_EXPIRY_TOLERANCE_MS);
        if (changes.length > 0) snapshot = snap;
        this.#lastLogged.delete('licensing');
      } catch (e) {
        this.#logOnce('licensing', `licensing poll failed: ${(e as Error).message}`);
        this.stats.lastError = (e as Error).message;
      }
    }
    const batches: Array<{ events: EventRecord[]; bookmarks: Record<string, number> }> = [];
    if (what.events) {
      for (const log of WATCHED_LOGS) {
        try {
          batches.push(...(await this.#readLog(log)));
          this.#lastLogged.delete(`events:${log}`);
        } catch (e) {
          this.#logOnce(`events:${log}`, `reading the ${log} log failed: ${(e as Error).message}`);
          this.stats.lastError = (e as Error).message;
        }
      }
    }
    let queued = 0;
    if (snapshot && batches.length === 0) {
      await this.#queue({ snapshot });
      queued++;
    }
    for (const [i, b] of batches.entries()) {
      await this.#queue(i === 0 && snapshot ? { snapshot, events: b.events } : { events: b.events }, b.bookmarks);
      this.stats.eventsQueued += b.events.length;
      queued++;
    }
    if (snapshot) this.#lastSent = snapshot;
    if (queued > 0) this.#afterQueue();
    return queued;
  }

  /** New records of one log after its bookmark, in report-sized chunks each with the bookmark it reaches. */
  async #readLog(log: string): Promise<Array<{ events: EventRecord[]; bookmarks: Record<string, number> }>> {
    const bookmark = this.#o.outbox.progress().bookmarks[log] ?? 0;
    let read = await this.#o.source.readEvents(log, bookmark);
    if (!read.logExists) return [];
    let records = read.records.filter((r) => r.RecordId > bookmark);
    if (records.length === 0 && bookmark > 0 && read.newestRecordId !== undefined && (read.newestRecordId ?? 0) < bookmark) {
      // Record ids went backwards: someone cleared the log. Start again from its beginning.
      this.#o.log(`the ${log} log was cleared (newest record ${read.newestRecordId ?? 'none'} is below the bookmark ${bookmark}): reading it from the start`);
      await this.#o.outbox.resetBookmark(log, 0);
      read = await this.#o.source.readEvents(log, 0);
      records = read.records;
    }
    if (records.length === 0) return [];
    const events = normaliseEvents(records);
    const out: Array<{ events: EventRecord[]; bookmarks: Record<string, number> }> = [];
    // The bookmark comes from the raw ids (sorted like the events), so an unparsed record still moves it.
    const sorted = records.map((r) => r.RecordId).sort((a, b) => a - b);
    for (let i = 0; i < events.length; i += EVENTS_PER_REPORT) {
      const chunk = events.slice(i, i + EVENTS_PER_REPORT);
      out.push({ events: chunk, bookmarks: { [log]: sorted[Math.min(sorted.length, i + EVENTS_PER_REPORT) - 1]! } });
    }
    return out;
  }

  async #queue(body: Pick<QueuedReport, 'snapshot' | 'events' | 'heartbeat'>, bookmarks?: Record<string, number>): Promise<OutboxEntry> {
    const sentAt = new Date(this.#o.scheduler.now()).toISOString();
    const entry = await this.#o.outbox.append(
      (epoch, seq) => {
        const r: QueuedReport = { protocol: PROTOCOL_VERSION, epoch, seq, sentAt };
        if (body.snapshot) r.snapshot = body.snapshot;
        if (body.events && body.events.length > 0) r.events = body.events;
        if (body.heartbeat) r.heartbeat = true;
        return r;
      },
      bookmarks,
    );
    this.stats.reportsQueued++;
    this.#lastQueuedRealMs = this.#o.timers.now();
    return entry;
  }

  #afterQueue(): void {
    if (this.#o.deliverOnQueue !== false) void this.deliver();
  }

  #scheduleRetry(delayMs: number, why: string): void {
    if (this.#stopped) return;
    this.#retry?.();
    this.#logOnce('delivery', `${why}; ${this.#o.outbox.size} report(s) kept, retrying in ${Math.round(delayMs / 1000)} s`);
    this.#retry = this.#o.timers.at(this.#o.timers.now() + delayMs, () => {
      this.#retry = undefined;
      void this.deliver();
    });
  }

  #backoff(why: string, retryAfterMs?: number): void {
    this.#attempt++;
    const delay = backoffDelay(this.#attempt, this.#o.backoff ?? DEFAULT_BACKOFF, this.#o.random ?? Math.random, retryAfterMs);
    this.#scheduleRetry(delay, why);
  }

  #slow(why: string): void {
    this.#scheduleRetry(this.#o.slowRetryMs ?? 10 * 60_000, why);
  }

  async #ensureEnrolled(): Promise<Credentials | undefined> {
    if (this.#creds) return this.#creds;
    const stored = this.#tokenRefused ? undefined : await this.#o.credentials.load();
    if (stored) {
      this.#creds = stored;
      await this.#setHeartbeat(stored.heartbeatSeconds, false);
      return stored;
    }
    const client = this.#o.client!;
    if (!this.#o.enrolmentSecret) {
      this.#slow('no token and no enrolment secret: cannot enrol');
      return undefined;
    }
    const id = await this.identity();
    const req = { protocol: PROTOCOL_VERSION, secret: this.#o.enrolmentSecret, machineId: id.machineId, hostname: id.hostname } as const;
    const answer = await client.enrol(this.#previousToken ? { ...req, previousToken: this.#previousToken } : req);
    if (answer.kind === 'ok') {
      const creds: Credentials = { agentId: answer.body.agentId, token: answer.body.token, machineId: id.machineId };
      // Absent (an older collector): the interval in force stays, and is what a restart starts from.
      const told = answer.body.heartbeatSeconds;
      if (told !== undefined) creds.heartbeatSeconds = told;
      else if (this.#heartbeatMs !== this.#schedules.heartbeatMs) creds.heartbeatSeconds = this.#heartbeatMs / 1000;
      await this.#o.credentials.save(creds);
      this.#creds = creds;
      await this.#setHeartbeat(told, false);
      if (told !== undefined) this.#o.log(`the collector sets the heartbeat interval to ${this.#heartbeatMs / 1000} s`);
      this.#tokenRefused = false;
      this.#o.log(`enrolled as agent ${creds.agentId}`);
      this.#lastLogged.delete('delivery');
      return creds;
    }
    if (answer.kind === 'http' && answer.status === 409) {
      this.#slow(`enrolment refused (409 ${answer.code}): machine id ${id.machineId} is enrolled by another agent and this one has no previous token to prove it is the same; an admin must revoke the other agent: ${answer.message}`);
    } else if (answer.kind === 'http' && answer.status >= 400 && answer.status < 500 && answer.status !== 429 && answer.status !== 408) {
      this.#slow(`enrolment refused (${answer.status} ${answer.code}: ${answer.message})`);
    } else {
      this.#backoff(`enrolment failed (${describe(answer)})`, answer.kind === 'http' ? answer.retryAfterMs : undefined);
    }
    return undefined;
  }

  async #drain(): Promise<void> {
    const client = this.#o.client!;
    while (!this.#stopped) {
      const batch = this.#withinBytes(this.#o.outbox.peek(this.#batchSize));
      if (batch.length === 0) return;
      const creds = await this.#ensureEnrolled();
      if (!creds) return;
      const reports: Report[] = batch.map((e) => ({ ...e.report, agentId: creds.agentId }));
      const answer = await client.sendBatch(creds.token, { protocol: PROTOCOL_VERSION, reports });
      const epoch = batch[0]!.epoch;
      if (answer.kind === 'ok') {
        const ack = answer.body;
        const last = batch[batch.length - 1]!.seq;
        for (const refused of ack.refused ?? []) {
          const report = reports.find((r) => r.seq === refused.seq) ?? reports[refused.index];
          if (report) await this.#deadLetter(report, 200, refused.code, refused.message);
        }
        if (ack.epoch !== epoch || ack.ackedThrough < batch[0]!.seq) {
          this.#backoff(`the collector acknowledged nothing of seq ${batch[0]!.seq}..${last} (ack epoch ${ack.epoch} through ${ack.ackedThrough})`);
          return;
        }
        await this.#setHeartbeat(ack.heartbeatSeconds, true);
        const removed = await this.#o.outbox.ack(epoch, Math.min(ack.ackedThrough, last));
        this.stats.reportsAcked += removed;
        this.#attempt = 0;
        this.#unauthorisedInARow = 0;
        this.#batchSize = Math.min(MAX_REPORTS_PER_BATCH, this.#o.batchSize ?? MAX_REPORTS_PER_BATCH);
        this.#lastLogged.delete('delivery');
        continue;
      }
      if (answer.kind === 'network' || answer.status === 429 || answer.status === 408 || answer.status >= 500) {
        this.#backoff(`sending failed (${describe(answer)})`, answer.kind === 'http' ? answer.retryAfterMs : undefined);
        return;
      }
      if (answer.status === 401) {
        if (!this.#o.enrolmentSecret) {
          // Only a person can fix this (re-enable the token or give a secret); keep every report meanwhile.
          this.#slow(`the collector refused this agent's token (401 ${answer.code}: ${answer.message}) and no enrolment secret is configured to enrol again`);
          return;
        }
        this.#unauthorisedInARow++;
        this.#previousToken = creds.token;
        this.#creds = undefined;
        this.#tokenRefused = true;
        if (this.#unauthorisedInARow > 2) {
          this.#slow(`the collector keeps refusing this agent's tokens (401 ${answer.code}: ${answer.message})`);
          return;
        }
        this.#o.log(`the collector refused the token (401 ${answer.code}: ${answer.message}); enrolling again`);
        continue;
      }
      if (answer.status === 413 && batch.length > 1) {
        // Too large for the collector: halve the requests from now on (its limit does not change between requests).
        this.#byteBudget = Math.max(1, Math.floor(batch.reduce((n, e) => n + e.size, 0) / 2));
        continue;
      }
      // Any other 4xx: the collector will never take this report as it is. Find which one, set it aside, carry on.
      if (batch.length > 1) {
        this.#batchSize = 1;
        continue;
      }
      await this.#deadLetter(reports[0]!, answer.status, answer.code, answer.message);
      this.stats.reportsAcked += await this.#o.outbox.ack(epoch, batch[0]!.seq);
    }
  }

  /** The longest prefix within the byte budget (at least one report: a lone big one is the collector's to judge). */
  #withinBytes(entries: OutboxEntry[]): OutboxEntry[] {
    const budget = this.#byteBudget;
    let bytes = 0;
    let n = 0;
    for (const e of entries) {
      if (n > 0 && bytes + e.size > budget) break;
      bytes += e.size;
      n++;
    }
    return entries.slice(0, n);
  }

  async #deadLetter(report: Report, status: number, code: string, message: string): Promise<void> {
    await this.#o.deadLetter({ at: new Date(this.#o.timers.now()).toISOString(), status, code, message, report });
    this.stats.deadLettered++;
    this.#o.log(`the collector refused report seq ${report.seq} (${status} ${code}: ${message}); kept in the dead-letter file`);
  }
}

function describe(a: CollectorAnswer<unknown>): string {
  if (a.kind === 'network') return `network: ${a.message}`;
  if (a.kind === 'http') return `${a.status} ${a.code}: ${a.message}`;
  return 'ok';
}
