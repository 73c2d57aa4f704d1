import { alertsPlugin, loadAlertSettingsFile } from '../alerts/alerts-plugin.js';
import { metricsPlugin } from '../metrics/metrics-plugin.js';
import { notifyPlugin } from '../notify/notify-plugin.js';
import type { CollectorPlugin } from './plugin.js';

/**
 * The plug-ins `npm run collector` and `npm start` load, in order. The alert engine and the metrics each add one
 * line here; tests pass their own list to createCollector.
 */
export function defaultPlugins(options: { alertsConfig?: string | undefined } = {}): CollectorPlugin[] {
  // A bad settings file throws AlertSettingsError with a one-line reason naming the file and the field.
  const settings = options.alertsConfig ? loadAlertSettingsFile(options.alertsConfig) : undefined;
  const alerts = alertsPlugin(settings ? { settings } : {});
  const engine = () => alerts.engine();
  // notify first: its hook must see the alert actions (acknowledge → silence) before the alert routes answer them.
  return [notifyPlugin({}, engine), alerts, metricsPlugin({}, engine)];
}
