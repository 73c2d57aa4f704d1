// Composition root of the browser app: the clock, the API client and the live connection are made here and handed
// to the shell; nothing below reads globals for time or I/O.
import { z } from 'zod';
import { SessionInfo } from '../../../shared/api.js';
import { systemClock } from '../../../shared/scheduling.js';
import { ApiClient, ApiError } from './lib/api-client.js';
import { h, replaceChildren } from './lib/dom.js';
import { LiveConnection } from './lib/live.js';
import { Shell } from './shell.js';
import { alertsView } from './views/alerts.js';
import { adminView } from './views/admin.js';
import { eventsView } from './views/events.js';
import { expiryView } from './views/expiry.js';
import { kmsHostsView } from './views/kms-hosts.js';
import { machinesView } from './views/machines.js';
import { nocView } from './views/noc.js';
import { overviewView } from './views/overview.js';
import { signInPage } from './views/sign-in.js';

const root = document.getElementById('app')!;
root.classList.remove('boot');
const clock = systemClock;
const api = new ApiClient();
const kiosk = new URLSearchParams(location.search).get('kiosk') === '1';
let shell: Shell | null = null;
let live: LiveConnection | null = null;

function showSignIn(notice?: string): void {
  shell?.stop();
  shell = null;
  live?.close();
  live = null;
  document.body.classList.remove('theme-dark');
  replaceChildren(root, signInPage(api, start, notice));
}

function start(session: SessionInfo): void {
  live = new LiveConnection(clock);
  live.onSessionEnded = (message) => showSignIn(message);
  // A refused socket may mean the session is gone; the REST check turns that into the sign-in page (onUnauthorized).
  live.onRefused = () => void api.get('/api/v1/session', SessionInfo).catch(() => undefined);
  shell = new Shell({
    root,
    api,
    live,
    clock,
    session,
    kiosk,
    views: {
      overview: overviewView,
      alerts: alertsView,
      machines: machinesView,
      'kms-hosts': kmsHostsView,
      expiry: expiryView,
      events: eventsView,
      admin: adminView,
    },
    noc: nocView,
    onSignOut: () => {
      api.delete('/api/v1/session', z.unknown()).catch(() => undefined).finally(() => showSignIn('You signed out.'));
    },
  });
  shell.start();
}

api.onUnauthorized = () => {
  if (shell) showSignIn('Your session has ended. Sign in again.');
};

async function boot(attempt = 0): Promise<void> {
  try {
    start(await api.get('/api/v1/session', SessionInfo));
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return showSignIn();
    // The collector may be restarting (a wall screen must come back by itself): retry with a capped backoff.
    const wait = Math.min(30_000, 1000 * 2 ** attempt);
    replaceChildren(
      root,
      h('div', { class: 'signin-page' }, h('div', { class: 'signin' }, h('h2', null, 'Waiting for the collector…'), h('p', { class: 'lead' }, err instanceof Error ? err.message : String(err), ` Retrying in ${Math.round(wait / 1000)} s.`))),
    );
    setTimeout(() => void boot(attempt + 1), wait);
  }
}

void boot();
