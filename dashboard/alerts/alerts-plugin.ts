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
import { AlertBook, type AlertRecord } from './alert-book.js';
import { ALERT_MIGRATIONS } from './alert-migrations.js';
import { routesFor } from './alerts-plugin-routes.js';
import { AlertSettingsError, defaultAlertSettings, parseAlertSettings, type AlertSettings } from './alert-settings.js';
import { mountAlertSettingsRoutes, type CurrentAlertSettings } from './alert-settings-routes.js';
import { AlertSettingsStore } from './alert-settings-store.js';
import { alertListItem } from './alert-views.js';
import { CollectorFleetView } from './collector-fleet-view.js';
import { healthRollup, worst, type HealthRollup } from './health-rollup.js';
import { groupFindings } from './incident-grouping.js';
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
  /** Re-evaluates the time-based rules now (what the schedule does). */
  recheck(): void;
  fleet(): FleetView;
  health(): HealthRollup;
  book(): AlertBook;
}

export function alertsPlugin(options: AlertsPluginOptions = {}): CollectorPlugin & { engine(): AlertsEngine } {
  let engine: AlertsEngine | undefined;
  let cancel: (() => void) | undefined;
  let cancelFleet: (() => void) | undefined;
  let unsubscribe: (() => void) | undefined;
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
      const view = new CollectorFleetView(ctx.state, ctx.db, { heartbeatIntervalMs: (ctx.config.staleAfterMinutes * MS.MINUTE) / 3 });
      view.load(ctx.clock.now());
      const evaluator = new RuleEvaluator(settings);
      const book = new AlertBook(ctx.db);
      let fleet = view.view(ctx.clock.now());
      let rollup = healthRollup(fleet, []);

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
      let settledVersion = -1;
      let findings: Finding[] = [];
      const settle = () => {
        const now = ctx.clock.now();
        // The book only changes when a finding did; the health also follows the fleet itself (new, moved, retired
        // machines), so it is rolled up every time.
        const changed = evaluator.version !== settledVersion;
        if (changed) {
          settledVersion = evaluator.version;
          findings = evaluator.findings();
        }
        rollup = healthRollup(fleet, findings);
        if (changed) publish(book.reconcile(groupFindings(findings), now));
      };

      evaluator.evaluateAll(fleet, ctx.clock.now());
      settle();

      // Changes of one committed batch arrive together; evaluate them once, after the batch. Machine-scoped rules
      // run at once on the changed machines only; fleet-scoped ones (KMS hosts, duplicate CMIDs) look at the whole
      // fleet, so they run at most once per fleetEvalMs however many batches arrive (O(1) work per report).
      const fleetEvalMs = options.fleetEvalMs ?? 1000;
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
        fleet = view.view(now);
        evaluator.evaluateChanges(fleet, now, changes, 'fleet');
        settle();
      };
      cancelFleet = () => fleetTimer?.();
      unsubscribe = ctx.state.onChange((change) => {
        const touched = view.apply(change);
        if (!touched) return;
        if (pending.length === 0) {
          queueMicrotask(() => {
            const changes = pending;
            pending = [];
            try {
              const now = ctx.clock.now();
              fleet = view.view(now);
              evaluator.evaluateChanges(fleet, now, changes, 'machine');
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
        fleet = view.view(now);
        evaluator.evaluateTimeBased(fleet, now);
        settle();
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
          const now = ctx.clock.now();
          fleet = view.view(now);
          evaluator.evaluateAll(fleet, now);
          settle();
          ctx.log.info('alert settings changed', { by: next.updatedBy });
        },
      });
      routesFor(ctx, book, () => fleet, publish);
      ctx.live.provideSnapshot('alerts', (room) => ({
        kind: 'alerts',
        room,
        at: new Date(ctx.clock.now()).toISOString(),
        seq: 0,
        alerts: book.open().sort((a, b) => Number(b.id) - Number(a.id)).map(alertListItem),
        counts: book.counts(ctx.clock.now()),
      }));
      ctx.setHealthProvider({
        machine: (m) => (m.retired ? 'unknown' : (rollup.machines[m.machineId] ?? 'unknown')),
        kmsHost: (id) => {
          const h = rollup.kmsHosts[id];
          if (h) return h;
          // A host no agent reports on: as healthy as the clients that use it.
          let health: Health = 'unknown';
          for (const mid of ctx.state.machinesUsingKmsHost(id)) health = worst(health, rollup.machines[mid] ?? 'unknown');
          return health;
        },
        group: (g) => rollup.groups[g] ?? 'unknown',
        fleet: () => rollup.fleet,
        alertCounts: () => book.counts(ctx.clock.now()),
      });
      engine = { recheck, fleet: () => fleet, health: () => rollup, book: () => book };
    },
    close() {
      cancel?.();
      unsubscribe?.();
      cancelFleet?.();
    },
  };
}
