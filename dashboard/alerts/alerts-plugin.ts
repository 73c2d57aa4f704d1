/**
 * The alert engine as a collector plug-in: follows the fleet's change feed, evaluates the rules each change touches
 * (once per ingest batch), re-checks the time-based rules on a schedule, keeps the alert lifecycle in SQLite, serves
 * the alert and forecast routes, publishes alert changes on the socket and supplies the health rollup.
 */
import { readFileSync } from 'node:fs';
import type { AlertListItem, Health } from '../../shared/api.js';
import { MS } from '../../shared/kms-rules.js';
import type { Room } from '../../shared/socket-events.js';
import type { CollectorPlugin, PluginContext } from '../server/plugin.js';
import type { KmsHostState } from '../server/state/kms-host-state.js';
import { AlertBook, type AlertRecord } from './alert-book.js';
import { ALERT_MIGRATIONS } from './alert-migrations.js';
import { routesFor } from './alerts-plugin-routes.js';
import { AlertSettingsError, defaultAlertSettings, parseAlertSettings, type AlertSettings } from './alert-settings.js';
import { mountAlertSettingsRoutes, type CurrentAlertSettings } from './alert-settings-routes.js';
import { AlertSettingsStore } from './alert-settings-store.js';
import { alertListItem } from './alert-views.js';
import { CollectorFleetView } from './collector-fleet-view.js';
import { DeadlineIndex } from './deadline-index.js';
import { HealthTally } from './health-tally.js';
import { alertKeyOf, groupFindings } from './incident-grouping.js';
import type { FleetView, Finding } from './model.js';
import { RuleEvaluator, type FleetChange } from './rule-evaluator.js';

export interface AlertsPluginOptions {
  settings?: AlertSettings;
  /** How often the time-based rules are re-checked. Default one minute. */
  recheckMs?: number;
  /** Per-machine rooms get an alert's changes only while it lists at most this many machines. */
  maxMachineRooms?: number;
  /** Fleet-scoped rules run at most this often on ingest (default one second of the collector's clock). */
  fleetEvalMs?: number;
  /**
   * An alert grouping more findings than this (a KMS outage's incident of thousands of clients) is rebuilt and saved
   * at most once per `fleetEvalMs`, not on every report that touches one of its clients: rebuilding it costs
   * O(its machines). Default 1,000.
   */
  bigAlertFindings?: number;
}

/** Reads a JSON alert settings file; a bad file throws AlertSettingsError with a one-line reason. */
export function loadAlertSettingsFile(path: string): AlertSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AlertSettingsError(`alert settings: cannot read ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new AlertSettingsError(`alert settings: ${path} is not JSON: ${(e as Error).message}`);
  }
  try {
    return parseAlertSettings(json);
  } catch (e) {
    if (!(e instanceof AlertSettingsError)) throw e;
    throw new AlertSettingsError(e.message.replace(/^alert settings: /, `alert settings ${path}: `));
  }
}

export interface AlertsEngine {
  /** Re-evaluates what is due now (what the schedule does): machines whose deadline came, and the KMS hosts. */
  recheck(): void;
  /** The rules' view: the KMS hosts and the index (no machine list: ask the index). */
  fleet(): FleetView;
  /** Per-machine health, host/group/fleet rollup, from the maintained tally. */
  health(): HealthTally;
  book(): AlertBook;
  /** True once the start-up evaluation of the whole fleet (in slices) is done and the alert book follows the rules. */
  readonly settled: boolean;
  /** Work counters, for tests that prove a change or a tick costs O(what it touched). */
  visits(): { evaluated: number; indexed: number };
  /** Machines waiting in the deadline index. */
  scheduled(): number;
}

/** Machines evaluated per slice of a whole-fleet pass (start-up, settings change, a burst of due deadlines). */
const SLICE = 1000;
/** Up to this many machines, the start-up pass runs at once (tests and small fleets see their alerts immediately). */
const SYNC_START_LIMIT = 20_000;

export function alertsPlugin(options: AlertsPluginOptions = {}): CollectorPlugin & { engine(): AlertsEngine } {
  let engine: AlertsEngine | undefined;
  let cancel: (() => void) | undefined;
  let cancelFleet: (() => void) | undefined;
  let unsubscribe: (() => void) | undefined;
  let bigTimer: (() => void) | undefined;
  let closed = false;
  return {
    name: 'alerts',
    migrations: ALERT_MIGRATIONS,
    engine() {
      if (!engine) throw new Error('the alerts plug-in has not been set up');
      return engine;
    },
    setup(ctx: PluginContext) {
      // What an admin saved through the API wins over the file: it is the later, deliberate choice.
      const store = new AlertSettingsStore(ctx.db);
      const saved = store.load();
      let current: CurrentAlertSettings = saved
        ? { settings: saved.settings, source: 'admin', updatedAt: saved.updatedAt, updatedBy: saved.updatedBy }
        : { settings: options.settings ?? defaultAlertSettings(), source: options.settings ? 'file' : 'defaults', updatedAt: null, updatedBy: null };
      if (saved && options.settings) ctx.log.info('alert settings saved by an admin override the --alerts-config file', { by: saved.updatedBy });
      const settings = current.settings;
      const maxRooms = options.maxMachineRooms ?? 200;
      // The collector calls an agent stale after staleAfterMinutes; AgentStale fires after 3 heartbeats, so one
      // heartbeat is a third of it and both agree.
      const view = new CollectorFleetView(ctx.state, ctx.db, {
        heartbeatIntervalMs: (ctx.config.staleAfterMinutes * MS.MINUTE) / 3,
        listeningSince: ctx.clock.now(),
      });
      // A big fleet is filed in slices once the collector listens (~6 s at a million machines); the start-up
      // evaluation below waits for it.
      const startedSync = ctx.state.machineCount <= SYNC_START_LIMIT;
      const indexed = startedSync ? (view.load(ctx.clock.now()), Promise.resolve()) : view.loadInSlices(ctx.clock.now(), { stopped: () => closed });
      const evaluator = new RuleEvaluator(settings);
      const book = new AlertBook(ctx.db);
      const tally = new HealthTally();
      const deadlines = new DeadlineIndex();

      // Findings by the alert they belong to; the alerts whose findings moved; the machines whose health or
      // deadline must be looked at again; the machines AgentStale currently names.
      const byAlert = new Map<string, Map<string, Finding>>();
      const dirtyAlerts = new Set<string>();
      const dirtyMachines = new Set<string>();
      const stale = new Set<string>();
      view.setStaleSource(() => stale);
      evaluator.onFindingChange((before, after) => {
        if (before) {
          const k = alertKeyOf(before);
          const fs = byAlert.get(k);
          fs?.delete(before.key);
          if (fs?.size === 0) byAlert.delete(k);
          dirtyAlerts.add(k);
          if (before.rule === 'AgentStale') {
            stale.delete(before.subject.id);
            view.staleChanged();
          }
        }
        if (after) {
          const k = alertKeyOf(after);
          let fs = byAlert.get(k);
          if (!fs) byAlert.set(k, (fs = new Map()));
          fs.set(after.key, after);
          dirtyAlerts.add(k);
          if (after.rule === 'AgentStale') {
            stale.add(after.subject.id);
            view.staleChanged();
          }
        }
        for (const id of tally.finding(before, after)) dirtyMachines.add(id);
      });

      const publish = (changed: readonly AlertRecord[]) => {
        if (changed.length === 0) return;
        for (const a of changed) {
          const alert: AlertListItem = alertListItem(a);
          ctx.live.publish('alerts', { type: 'alert', alert });
          if (a.kmsHost) ctx.live.publish(`kms-host:${a.kmsHost}` as Room, { type: 'alert', alert });
          if (a.subject.kind === 'kms-host' && a.subject.id !== a.kmsHost) ctx.live.publish(`kms-host:${a.subject.id}` as Room, { type: 'alert', alert });
          if (a.machines.length <= maxRooms) for (const m of a.machines) ctx.live.publish(`machine:${m.machineId}` as Room, { type: 'alert', alert });
        }
        const counts = book.counts(ctx.clock.now());
        ctx.live.publish('alerts', { type: 'alert-counts', counts });
        ctx.live.publish('overview', { type: 'alert-counts', counts });
      };

      // The book follows the rules only once the whole fleet has been evaluated since start: before that, an open
      // alert whose machines were not looked at yet would be resolved and raised again.
      let settled = false;
      const fleetEvalMs = options.fleetEvalMs ?? 1000;
      const bigAlertFindings = options.bigAlertFindings ?? 1000;
      /** When each big alert was last rebuilt; a big alert's changes wait for the next slot after it. */
      const lastBuilt = new Map<string, number>();
      const settle = () => {
        const now = ctx.clock.now();
        for (const id of view.drainTouched()) dirtyMachines.add(id);
        for (const id of dirtyMachines) {
          const m = view.machine(id);
          tally.update(id, m, view.dependencyOf(id));
          deadlines.schedule(id, m && !m.retired ? evaluator.nextDueAt(m, now) : null);
        }
        dirtyMachines.clear();
        if (!settled || dirtyAlerts.size === 0) return;
        const keys: string[] = [];
        let wait = Infinity;
        for (const k of dirtyAlerts) {
          const big = (byAlert.get(k)?.size ?? 0) > bigAlertFindings;
          const last = lastBuilt.get(k);
          if (big && last !== undefined && now - last < fleetEvalMs) {
            wait = Math.min(wait, last + fleetEvalMs);
            continue;
          }
          if (big) lastBuilt.set(k, now);
          else lastBuilt.delete(k);
          keys.push(k);
        }
        for (const k of keys) dirtyAlerts.delete(k);
        if (wait < Infinity) {
          bigTimer ??= ctx.scheduler.at(wait, () => {
            bigTimer = undefined;
            try {
              settle();
            } catch (e) {
              ctx.log.error('alert evaluation failed', { error: String(e) });
            }
          });
        }
        if (keys.length === 0) return;
        keys.sort();
        const conditionOf = (key: string) => {
          const fs = byAlert.get(key);
          return fs && fs.size > 0 ? groupFindings(fs.values())[0] : undefined;
        };
        publish(book.reconcileKeys(keys, conditionOf, now));
      };

      // Machine-scoped rules over many machines (start-up, a settings change, a burst of deadlines) run in slices of
      // SLICE machines, one per turn of the event loop, so reports and page reads go on in between.
      let pass: { ids: string[]; at: number; which: 'all' | 'time-based'; done?: () => void } | undefined;
      const queue: NonNullable<typeof pass>[] = [];
      const runSlice = () => {
        if (closed) return;
        const p = pass ?? queue.shift();
        pass = p;
        if (!p) return;
        const chunk = p.ids.splice(0, SLICE);
        try {
          const now = ctx.clock.now();
          evaluator.evaluateMachines(view.view(now, chunk, { hosts: false }), now, chunk, p.which);
          for (const id of chunk) dirtyMachines.add(id);
          if (p.ids.length === 0) {
            pass = undefined;
            p.done?.();
          }
          settle();
        } catch (e) {
          ctx.log.error('alert evaluation failed', { error: String(e) });
        }
        if (pass || queue.length) setImmediate(runSlice);
      };
      const evaluateMachinesSliced = (ids: string[], which: 'all' | 'time-based', sync: boolean, done?: () => void) => {
        if (ids.length === 0) {
          done?.();
          return;
        }
        const job = { ids, at: ctx.clock.now(), which, ...(done ? { done } : {}) };
        if (sync) {
          while (job.ids.length) {
            const chunk = job.ids.splice(0, SLICE);
            const now = ctx.clock.now();
            evaluator.evaluateMachines(view.view(now, chunk, { hosts: false }), now, chunk, which);
            for (const id of chunk) dirtyMachines.add(id);
          }
          done?.();
          return;
        }
        const idle = !pass && queue.length === 0;
        queue.push(job);
        if (idle) setImmediate(runSlice);
      };

      const fleetView = (now: number) => {
        const hosts = view.hostViews(now);
        return view.view(now, view.duplicateCandidates(hosts), { hosts });
      };
      const evaluateEverything = (sync: boolean, done?: () => void) => {
        const now = ctx.clock.now();
        evaluator.evaluateFleetRules(fleetView(now), now, 'all');
        evaluateMachinesSliced([...view.machineIds()], 'all', sync, done);
      };
      const startedAt = Date.now();
      const evaluatedAtStart = () => {
        settled = true;
        for (const k of book.openKeys()) dirtyAlerts.add(k);
        if (!startedSync) ctx.log.info('alerts evaluated the whole fleet', { machines: ctx.state.machineCount, ms: Date.now() - startedAt });
      };
      if (startedSync) evaluateEverything(true, evaluatedAtStart);
      else {
        void indexed.then(() => {
          if (closed) return;
          try {
            evaluateEverything(false, evaluatedAtStart);
            settle();
          } catch (e) {
            ctx.log.error('alert evaluation failed', { error: String(e) });
          }
        });
      }
      settle();

      // Changes of one committed batch arrive together; evaluate them once, after the batch. Machine-scoped rules
      // run at once on the changed machines only; fleet-scoped ones (KMS hosts, duplicate CMIDs) look at the hosts
      // and the index, at most once per fleetEvalMs however many batches arrive.
      let pending: FleetChange[] = [];
      let fleetPending: FleetChange[] = [];
      let fleetTimer: (() => void) | undefined;
      let lastFleetEval = -Infinity;
      const evaluateFleet = () => {
        fleetTimer = undefined;
        const changes = fleetPending;
        fleetPending = [];
        const now = ctx.clock.now();
        lastFleetEval = now;
        evaluator.evaluateChanges(fleetView(now), now, changes, 'fleet');
        settle();
      };
      cancelFleet = () => {
        fleetTimer?.();
        bigTimer?.();
      };
      unsubscribe = ctx.state.onChange((change) => {
        const touched = view.apply(change);
        if (!touched) return;
        if (pending.length === 0) {
          queueMicrotask(() => {
            const changes = pending;
            pending = [];
            try {
              const now = ctx.clock.now();
              const ids = new Set(changes.map((c) => c.machineId));
              evaluator.evaluateChanges(view.view(now, ids, { hosts: false }), now, changes, 'machine');
              for (const id of ids) if (id) dirtyMachines.add(id);
              if (evaluator.touchesFleetRules(changes)) {
                fleetPending.push(...changes);
                if (now - lastFleetEval >= fleetEvalMs) evaluateFleet();
                else fleetTimer ??= ctx.scheduler.at(lastFleetEval + fleetEvalMs, () => {
                  try {
                    evaluateFleet();
                  } catch (e) {
                    ctx.log.error('alert evaluation failed', { error: String(e) });
                  }
                });
              }
              settle();
            } catch (e) {
              ctx.log.error('alert evaluation failed', { error: String(e) });
            }
          });
        }
        pending.push(touched);
      });
      const recheck = () => {
        const now = ctx.clock.now();
        // Only the machines whose deadline has come; a burst (a network outage made thousands stale at once) runs
        // in slices after the first.
        const due = deadlines.popDue(now);
        const first = due.splice(0, SLICE);
        evaluator.evaluateMachines(view.view(now, first, { hosts: false }), now, first, 'time-based');
        for (const id of first) dirtyMachines.add(id);
        evaluator.evaluateFleetRules(fleetView(now), now, 'time-based');
        settle();
        evaluateMachinesSliced(due, 'time-based', false);
      };
      cancel = ctx.scheduler.every(options.recheckMs ?? MS.MINUTE, () => {
        try {
          recheck();
        } catch (e) {
          ctx.log.error('alert re-check failed', { error: String(e) });
        }
      });

      // Before the alert routes: /alerts/:id would take /alerts/settings otherwise.
      mountAlertSettingsRoutes({
        api: ctx.api,
        clock: ctx.clock,
        requireRole: (r) => ctx.requireRole(r),
        sessionOf: (req) => ctx.sessionOf(req),
        store,
        current: () => current,
        apply: (next) => {
          current = next;
          evaluator.reconfigure(next.settings);
          // A settings change is an admin's rare act: every machine is evaluated again (at once for small fleets).
          evaluateEverything(ctx.state.machineCount <= SYNC_START_LIMIT);
          settle();
          ctx.log.info('alert settings changed', { by: next.updatedBy });
        },
      });
      routesFor(ctx, book, () => view.view(ctx.clock.now()), publish, (id, now) => view.inferredHostView(id, now));
      ctx.live.provideSnapshot('alerts', (room) => ({
        kind: 'alerts',
        room,
        at: new Date(ctx.clock.now()).toISOString(),
        seq: 0,
        alerts: book.open().sort((a, b) => Number(b.id) - Number(a.id)).map(alertListItem),
        counts: book.counts(ctx.clock.now()),
      }));

      // Host health: a host an agent reports on from its own view; any other from the clients that name it.
      // The host machine's state is read as it is: building its rule view for a flag and a group name made the summary
      // cost ~8 ms at 200 groups × 10 hosts.
      const hostHealth = (h: KmsHostState): Health | undefined => {
        if (!h.kmsService || !h.machineId) return undefined;
        if (ctx.state.machine(h.machineId)?.retired) return undefined;
        return tally.kmsHost({ hostId: h.id, hostname: h.hostname, machineId: h.machineId, kmsService: h.kmsService });
      };
      const reportedHosts = function* (group?: string): Iterable<Health> {
        for (const h of ctx.state.kmsHosts()) {
          // The group first: a group's rollup judges only its own hosts.
          if (group !== undefined && (h.machineId === null || (ctx.state.machine(h.machineId)?.group ?? '') !== group)) continue;
          const health = hostHealth(h);
          if (health !== undefined) yield health;
        }
      };
      ctx.setHealthProvider({
        machine: (m) => (m.retired ? 'unknown' : tally.machine(m.machineId)),
        kmsHost: (id) => {
          const h = ctx.state.kmsHost(id);
          return (h && hostHealth(h)) ?? tally.dependents(id);
        },
        group: (g) => tally.group(g, reportedHosts(g)),
        fleet: () => tally.fleet(reportedHosts()),
        alertCounts: () => book.counts(ctx.clock.now()),
      });
      engine = {
        recheck,
        fleet: () => view.view(ctx.clock.now()),
        health: () => tally,
        book: () => book,
        get settled() {
          return settled;
        },
        visits: () => ({ evaluated: evaluator.visits, indexed: view.visits }),
        scheduled: () => deadlines.size,
      };
    },
    close() {
      closed = true;
      cancel?.();
      unsubscribe?.();
      cancelFleet?.();
    },
  };
}
