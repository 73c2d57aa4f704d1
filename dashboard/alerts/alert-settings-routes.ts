/**
 * The alert thresholds over HTTP: `GET /api/v1/alerts/settings` (any signed-in user) and `PUT` (admins), which
 * saves them and applies them at once.
 */
import type { Router } from 'express';
import { AlertSettingsBody, type AlertSettingsSource, type AlertSettingsView } from '../../shared/api.js';
import { describeIssues } from '../../shared/protocol.js';
import type { Clock } from '../../shared/scheduling.js';
import { audited, noteAudit } from '../server/audit/audit-http.js';
import { ApiError } from '../server/http/api-error.js';
import type { PluginContext } from '../server/plugin.js';
import { AlertSettingsError, defaultAlertSettings, parseAlertSettings, type AlertSettings } from './alert-settings.js';
import type { AlertSettingsStore } from './alert-settings-store.js';

export interface CurrentAlertSettings {
  settings: AlertSettings;
  source: AlertSettingsSource;
  updatedAt: number | null;
  updatedBy: string | null;
}

export interface AlertSettingsRouteDeps {
  api: Router;
  clock: Clock;
  requireRole: PluginContext['requireRole'];
  sessionOf: PluginContext['sessionOf'];
  store: AlertSettingsStore;
  current: () => CurrentAlertSettings;
  /** Puts new settings in force (re-evaluates every rule and publishes what changed). */
  apply: (next: CurrentAlertSettings) => void;
}

export function alertSettingsView(c: CurrentAlertSettings): AlertSettingsView {
  const doc = c.settings.document();
  return {
    source: c.source,
    updatedAt: c.updatedAt === null ? null : new Date(c.updatedAt).toISOString(),
    updatedBy: c.updatedBy,
    rules: doc.rules,
    defaults: defaultAlertSettings().document().rules,
    groups: doc.groups,
  };
}

export function mountAlertSettingsRoutes(d: AlertSettingsRouteDeps): void {
  d.api.get('/alerts/settings', (_req, res) => {
    res.json(alertSettingsView(d.current()));
  });
  d.api.put('/alerts/settings', audited('alert-settings.update', () => null), d.requireRole('admin'), (req, res) => {
    const shape = AlertSettingsBody.safeParse(req.body ?? {});
    if (!shape.success) {
      const x = describeIssues(shape.error);
      throw new ApiError(400, 'invalid-request', x.summary, { issues: x.issues });
    }
    noteAudit(req, { detail: { rules: shape.data.rules, groups: shape.data.groups } });
    let settings: AlertSettings;
    try {
      settings = parseAlertSettings(shape.data);
    } catch (e) {
      if (!(e instanceof AlertSettingsError)) throw e;
      throw new ApiError(400, 'invalid-request', e.message.replace(/^alert settings: /, ''), e.issues.length > 0 ? { issues: e.issues } : {});
    }
    const now = d.clock.now();
    const by = d.sessionOf(req).username;
    d.store.save(shape.data, by, now);
    const next: CurrentAlertSettings = { settings, source: 'admin', updatedAt: now, updatedBy: by };
    d.apply(next);
    res.json(alertSettingsView(next));
  });
}
