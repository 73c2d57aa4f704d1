/** The alert thresholds an admin saved, in the `alert_settings` table (one row); they win over the file at start. */
import type { Database } from 'better-sqlite3';
import { parseAlertSettings, type AlertSettings } from './alert-settings.js';

export interface SavedAlertSettings {
  settings: AlertSettings;
  updatedAt: number;
  updatedBy: string;
}

export class AlertSettingsStore {
  #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The saved settings, or undefined when no admin saved any. A saved row that no longer parses throws. */
  load(): SavedAlertSettings | undefined {
    const row = this.#db.prepare('SELECT document, updated_at, updated_by FROM alert_settings WHERE id = 1').get() as
      | { document: string; updated_at: number; updated_by: string }
      | undefined;
    if (!row) return undefined;
    return { settings: parseAlertSettings(JSON.parse(row.document)), updatedAt: row.updated_at, updatedBy: row.updated_by };
  }

  /** Keeps the body as the admin sent it (not the filled-in defaults), so a later release's new defaults still apply. */
  save(document: unknown, by: string, at: number): void {
    this.#db
      .prepare(
        `INSERT INTO alert_settings (id, document, updated_at, updated_by) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      )
      .run(JSON.stringify(document), at, by);
  }
}
