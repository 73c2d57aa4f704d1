import { alertsPlugin } from '../alerts/alerts-plugin.js';
import type { CollectorPlugin } from './plugin.js';

/**
 * The plug-ins `npm run collector` and `npm start` load, in order. The alert engine and the metrics each add one
 * line here; tests pass their own list to createCollector.
 */
export function defaultPlugins(): CollectorPlugin[] {
  return [alertsPlugin()];
}
