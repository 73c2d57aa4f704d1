/** The alert engine's tables, applied through the collector's migration mechanism (owner `alerts`). */
import type { Migration } from '../server/plugin.js';

export const ALERT_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'alerts and their history',
    up: `
      CREATE TABLE alerts (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL,
        subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL, subject_name TEXT NOT NULL,
        groups TEXT NOT NULL, kms_host TEXT, title TEXT NOT NULL, machines TEXT NOT NULL, knowledge TEXT NOT NULL,
        raised_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, resolved_at INTEGER,
        acknowledged_by TEXT, acknowledged_at INTEGER,
        silenced_until INTEGER, silenced_by TEXT, silence_reason TEXT,
        previous_id INTEGER, occurrence INTEGER NOT NULL);
      CREATE INDEX alerts_by_key ON alerts (key, id);
      CREATE INDEX alerts_by_state ON alerts (state, raised_at);
      CREATE TABLE alert_history (
        id INTEGER PRIMARY KEY, alert_id INTEGER NOT NULL, at INTEGER NOT NULL, kind TEXT NOT NULL,
        actor TEXT, comment TEXT, detail TEXT);
      CREATE INDEX alert_history_by_alert ON alert_history (alert_id, id);
    `,
  },
  {
    version: 2,
    description: 'alert thresholds saved by an admin (one row; wins over the --alerts-config file)',
    up: `
      CREATE TABLE alert_settings (
        id INTEGER PRIMARY KEY CHECK (id = 1), document TEXT NOT NULL, updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL);
    `,
  },
];
