/** Wires the alert routes to the plug-in context. */
import type { PluginContext } from '../server/plugin.js';
import type { AlertBook, AlertRecord } from './alert-book.js';
import { mountAlertRoutes } from './alert-routes.js';
import type { FleetView, KmsHostView } from './model.js';

export function routesFor(
  ctx: PluginContext,
  book: AlertBook,
  fleet: () => FleetView,
  publish: (changed: AlertRecord[]) => void,
  inferredHost: (id: string, now: number) => KmsHostView | undefined,
): void {
  mountAlertRoutes({
    inferredHost,
    api: ctx.api,
    book,
    clock: ctx.clock,
    requireRole: (r) => ctx.requireRole(r),
    sessionOf: (req) => ctx.sessionOf(req),
    fleet,
    hostIdentity: (id) => {
      const h = ctx.state.kmsHost(id);
      return h ? { hostId: h.id, hostname: h.hostname, machineId: h.machineId } : undefined;
    },
    changed: (a) => publish([a]),
  });
}
