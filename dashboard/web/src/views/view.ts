// What every screen receives and what it gives back to the shell.
import type { SessionInfo } from '../../../../shared/api.js';
import type { Clock } from '../../../../shared/scheduling.js';
import type { ApiClient } from '../lib/api-client.js';
import type { LiveConnection } from '../lib/live.js';
import type { Route } from '../lib/router.js';

export interface ViewContext {
  api: ApiClient;
  live: LiveConnection;
  clock: Clock;
  session: SessionInfo;
  navigate(hash: string, replace?: boolean): void;
  /** Lets the shell's navigation badge follow the active alert count. */
  setAlertBadge(active: number, critical: number): void;
}

export interface View {
  el: HTMLElement;
  /** Breadcrumbs for the top bar. */
  crumbs: string[];
  /** Called on a route change that stays in this view (selecting a row); return false to be rebuilt instead. */
  update?(route: Route): boolean;
  /** Every second: keep relative times current. */
  tick?(now: number): void;
  destroy(): void;
}

export type ViewFactory = (ctx: ViewContext, route: Route) => View;

/** Collects teardown steps so a view cannot forget one (a leak in the NOC shows after days, not minutes). */
export class Disposer {
  readonly #fns: Array<() => void> = [];
  add(fn: () => void): void {
    this.#fns.push(fn);
  }
  dispose(): void {
    for (const fn of this.#fns.splice(0).reverse()) {
      try {
        fn();
      } catch (err) {
        console.warn('vawatch: teardown failed', err);
      }
    }
  }
}
