// The console frame: top bar (where you are, live state, data age, who you are), left navigation, the connection
// banner, and the current view. Views come and go with the hash; the frame and the socket stay.
import { roleAtLeast, type SessionInfo } from '../../../shared/api.js';
import type { Clock } from '../../../shared/scheduling.js';
import { brandMark, icon } from './components/icons.js';
import type { ApiClient } from './lib/api-client.js';
import { h, replaceChildren, setText } from './lib/dom.js';
import { clock as clockText, duration, localZoneName, parseTimeZoneChoice, setTimeZone, timeZoneChoice, type TimeZoneChoice } from './lib/format.js';
import type { LiveConnection, LiveStatus } from './lib/live.js';
import { parseHash, type Route } from './lib/router.js';
import type { View, ViewContext, ViewFactory } from './views/view.js';

export interface ShellDeps {
  root: HTMLElement;
  api: ApiClient;
  live: LiveConnection;
  clock: Clock;
  session: SessionInfo;
  views: Record<string, ViewFactory>;
  /** The wall view, shown without chrome. */
  noc: ViewFactory;
  kiosk: boolean;
  onSignOut(): void;
}

const NAV: Array<{ key: string; label: string; icon: string; admin?: boolean }> = [
  { key: 'overview', label: 'Overview', icon: 'overview' },
  { key: 'alerts', label: 'Active Alerts', icon: 'alerts' },
  { key: 'machines', label: 'Machines', icon: 'machines' },
  { key: 'kms-hosts', label: 'KMS Hosts', icon: 'kms' },
  { key: 'expiry', label: 'Expiry Forecast', icon: 'expiry' },
  { key: 'events', label: 'Events', icon: 'events' },
  { key: 'admin', label: 'Admin', icon: 'admin', admin: true },
];

/** Where the browser remembers the person's choice of local time or UTC. */
const TIME_ZONE_KEY = 'vawatch.timeZone';

/** `?tz=utc` (a wall screen's URL) wins over the remembered choice; local time by default. */
function initialTimeZone(): TimeZoneChoice {
  const fromUrl = parseTimeZoneChoice(new URLSearchParams(location.search).get('tz'));
  if (fromUrl) return fromUrl;
  try {
    return parseTimeZoneChoice(localStorage.getItem(TIME_ZONE_KEY)) ?? 'local';
  } catch {
    return 'local'; // storage refused (private mode, policy): the default, every time
  }
}

export class Shell {
  readonly #d: ShellDeps;
  readonly #ctx: ViewContext;
  #view: View | null = null;
  #viewKey = '';
  #frame: HTMLElement | null = null;
  readonly #navLinks = new Map<string, HTMLAnchorElement>();
  readonly #alertBadge = h('span', { class: 'count', attrs: { hidden: true } });
  readonly #crumbs = h('div', { class: 'crumbs' });
  readonly #conn = h('span', { class: 'conn connecting', attrs: { 'data-testid': 'connection', role: 'status' } });
  readonly #age = h('span', { class: 'age', attrs: { 'data-testid': 'data-age' } });
  readonly #banner = h('div', { class: 'banner', attrs: { role: 'alert', 'data-testid': 'connection-banner' } });
  readonly #main = h('main', { class: 'main' });
  #status: LiveStatus;
  #timer: ReturnType<typeof setInterval> | null = null;
  readonly #onHash = () => this.#route();
  // Escape closes an open detail pane (its close button knows where to go).
  readonly #onKey = (e: KeyboardEvent) => {
    if (e.key !== 'Escape' || (e.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName))) return;
    document.querySelector<HTMLButtonElement>('.detail-pane.open .close')?.click();
  };
  #unsubStatus: () => void = () => {};

  constructor(deps: ShellDeps) {
    this.#d = deps;
    this.#status = deps.live.status;
    setTimeZone(initialTimeZone());
    this.#ctx = {
      api: deps.api,
      live: deps.live,
      clock: deps.clock,
      session: deps.session,
      navigate: (hash, replace) => {
        if (!replace) {
          location.hash = hash; // fires hashchange, which routes
          return;
        }
        history.replaceState(null, '', hash);
        this.#route();
      },
      setAlertBadge: (active, critical) => {
        this.#alertBadge.hidden = active === 0;
        setText(this.#alertBadge, String(active));
        this.#alertBadge.className = `count ${critical > 0 ? 'critical' : active > 0 ? 'warning' : ''}`;
      },
    };
  }

  start(): void {
    window.addEventListener('hashchange', this.#onHash);
    window.addEventListener('keydown', this.#onKey);
    this.#unsubStatus = this.#d.live.onStatus((s) => {
      this.#status = s;
      this.#renderStatus();
    });
    this.#timer = setInterval(() => {
      const now = this.#d.clock.now();
      this.#renderStatus();
      this.#view?.tick?.(now);
    }, 1000);
    this.#route();
  }

  stop(): void {
    window.removeEventListener('hashchange', this.#onHash);
    window.removeEventListener('keydown', this.#onKey);
    this.#unsubStatus();
    if (this.#timer) clearInterval(this.#timer);
    this.#view?.destroy();
    this.#view = null;
  }

  #isWall(route: Route): boolean {
    return this.#d.kiosk || route.path[0] === 'noc';
  }

  #route(): void {
    const route = parseHash(location.hash);
    const wall = this.#isWall(route);
    let key = wall ? 'noc' : route.path[0] ?? 'overview';
    if (!wall && !this.#d.views[key]) key = 'overview';
    // The alert thresholds tab is readable by everyone (read-only); the rest of Admin is for admins.
    if (key === 'admin' && !roleAtLeast(this.#d.session.role, 'admin') && route.path[1] !== 'thresholds') key = 'overview';
    if (this.#view && key === this.#viewKey && this.#view.update?.(route)) {
      this.#renderCrumbs();
      return;
    }
    this.#view?.destroy();
    this.#view = null;
    this.#viewKey = key;
    document.body.classList.toggle('theme-dark', wall);
    if (wall) {
      this.#frame = null;
      this.#view = this.#d.noc(this.#ctx, route);
      replaceChildren(this.#d.root, this.#view.el);
      return;
    }
    if (!this.#frame) this.#frame = this.#buildFrame();
    if (this.#d.root.firstChild !== this.#frame) replaceChildren(this.#d.root, this.#frame);
    for (const [k, a] of this.#navLinks) a.classList.toggle('active', k === key);
    const view = this.#d.views[key]!(this.#ctx, route);
    this.#view = view;
    replaceChildren(this.#main, this.#banner, view.el);
    this.#renderCrumbs();
    this.#renderStatus();
  }

  /** Shows times in local time or UTC from now on, remembers it, and redraws the current view in it. */
  #chooseTimeZone(choice: TimeZoneChoice): void {
    setTimeZone(choice);
    try {
      localStorage.setItem(TIME_ZONE_KEY, choice);
    } catch {
      // not remembered; this page still shows the choice
    }
    this.#view?.destroy();
    this.#view = null;
    this.#viewKey = '';
    this.#route();
  }

  #timeZoneSelect(): HTMLSelectElement {
    const now = this.#d.clock.now();
    const local = localZoneName(now);
    const select = h(
      'select',
      { class: 'top-btn', title: 'Show times in', attrs: { 'data-testid': 'time-zone', 'aria-label': 'Show times in' }, on: { change: () => this.#chooseTimeZone(parseTimeZoneChoice(select.value) ?? 'local') } },
      h('option', { attrs: { value: 'local' } }, 'Local time'),
      h('option', { attrs: { value: 'utc' } }, 'UTC'),
    );
    select.value = timeZoneChoice();
    // The local zone's name only when it is not UTC already (then the two choices read the same).
    if (local !== 'UTC') select.options[0]!.textContent = `Local time (${local})`;
    return select;
  }

  #renderCrumbs(): void {
    const parts = this.#view?.crumbs ?? [];
    replaceChildren(
      this.#crumbs,
      parts.flatMap((p, i) => (i ? [h('span', { class: 'sep' }, '/'), h('span', null, p)] : [h('span', null, p)])),
    );
    document.title = parts.length ? `${parts[parts.length - 1]} · vawatch` : 'vawatch';
  }

  #buildFrame(): HTMLElement {
    const nav = h('nav', { class: 'nav', attrs: { 'aria-label': 'Main' } }, h('div', { class: 'nav-section' }, 'Monitoring'));
    const isAdmin = roleAtLeast(this.#d.session.role, 'admin');
    for (const item of NAV) {
      if (item.key === 'admin') nav.appendChild(h('div', { class: 'nav-section' }, 'Administration'));
      // Operators and viewers see the one admin page they may read: the alert thresholds, read-only.
      const readOnly = item.admin === true && !isAdmin;
      const href = readOnly ? '#/admin/thresholds' : `#/${item.key}`;
      const label = readOnly ? 'Alert thresholds' : item.label;
      const a = h('a', { attrs: { href, 'data-nav': item.key } }, icon(item.icon), h('span', null, label), item.key === 'alerts' ? this.#alertBadge : null);
      this.#navLinks.set(item.key, a);
      nav.appendChild(a);
    }
    nav.appendChild(h('div', { class: 'foot' }, 'vawatch · volume activation monitor'));
    const signOut = h('button', { class: 'top-btn', on: { click: () => this.#d.onSignOut() } }, 'Sign out');
    const wall = h('a', { class: 'top-btn', attrs: { href: '#/noc', title: 'Wall display for the NOC (dark, large type)', 'data-testid': 'noc-toggle' } }, 'NOC mode');
    const top = h(
      'header',
      { class: 'topbar' },
      h('div', { class: 'brand' }, h('span', { class: 'brand-mark' }, brandMark()), 'vawatch'),
      this.#crumbs,
      h('div', { class: 'spacer' }),
      this.#conn,
      this.#age,
      this.#timeZoneSelect(),
      wall,
      h('span', { class: 'user-chip' }, h('span', { attrs: { 'data-testid': 'username' } }, this.#d.session.username), h('span', { class: 'role', attrs: { 'data-testid': 'role' } }, this.#d.session.role)),
      signOut,
    );
    return h('div', { class: 'shell' }, top, nav, this.#main);
  }

  #renderStatus(): void {
    const now = this.#d.clock.now();
    const s = this.#status;
    renderConnection(this.#conn, s);
    renderAge(this.#age, s, now);
    const lost = s.state === 'reconnecting' || s.state === 'offline';
    this.#banner.classList.toggle('show', lost);
    this.#banner.classList.toggle('offline', s.state === 'offline');
    if (lost) {
      const since = s.lostAt ? duration(now - s.lostAt) : '';
      setText(
        this.#banner,
        `Connection to the collector lost ${since ? `${since} ago` : ''} — reconnecting by itself. ` +
          (s.lastDataAt ? `What you see is as of ${clockText(s.lastDataAt)}.` : ''),
      );
    }
  }
}

export function renderConnection(el: HTMLElement, s: LiveStatus): void {
  const label = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' }[s.state];
  el.className = `conn ${s.state}`;
  el.dataset['state'] = s.state;
  if (el.childNodes.length !== 2) replaceChildren(el, h('span', { class: 'dot' }), h('span', null, label));
  else setText(el.lastChild as Element, label);
  el.title = s.reason ? `${label}: ${s.reason}` : label;
}

export function renderAge(el: HTMLElement, s: LiveStatus, now: number): void {
  if (s.lastDataAt === null) {
    setText(el, 'no data yet');
    return;
  }
  const age = now - s.lastDataAt;
  // While live, the server pushes every change: the data is current even if nothing changed for a while.
  if (s.state === 'live') setText(el, `Data current · last change ${age < 5000 ? 'just now' : `${duration(age)} ago`}`);
  else setText(el, `Data ${duration(age)} old`);
  el.classList.toggle('stale', s.state !== 'live');
  el.title = `Last snapshot or change received at ${clockText(s.lastDataAt)}`;
}
