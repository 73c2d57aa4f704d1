// Admin (admins only; the shell hides the entry and refuses the route for others, and the API refuses too): users and
// roles, agent tokens, the enrolment secret, API keys, the audit log, alert thresholds per group.
import { z } from 'zod';
import {
  AgentInfo,
  AgentPage,
  ApiKeyInfo,
  AuditPage,
  CreateApiKeyRequest,
  CreatedApiKey,
  CreateUserRequest,
  EnrolmentSecretRotated,
  ROLES,
  User,
  type AuditEntry,
  type Role,
} from '../../../../shared/api.js';
import { DataGrid } from '../components/data-grid.js';
import { healthIcon } from '../components/health-icon.js';
import { emptyState, errorState, pageHead, panel, timeAgo } from '../components/page.js';
import { withQuery } from '../lib/api-client.js';
import { h, replaceChildren } from '../lib/dom.js';
import { dateTime } from '../lib/format.js';
import { href, type Route } from '../lib/router.js';
import { alertThresholdsTab } from './alert-thresholds-form.js';
import { Disposer, type View, type ViewContext, type ViewFactory } from './view.js';

/** A list as either a bare array or `{items, total}`. */
function listOf<T extends z.ZodType>(item: T) {
  return z.union([z.array(item), z.object({ items: z.array(item) }).transform((p) => p.items)]);
}

/** Agents per page of the Agent tokens tab. */
const AGENT_PAGE = 100;

const TABS: Array<[string, string]> = [
  ['users', 'Users and roles'],
  ['agents', 'Agent tokens'],
  ['enrolment', 'Enrolment secret'],
  ['keys', 'API keys'],
  ['audit', 'Audit log'],
  ['thresholds', 'Alert thresholds'],
];

function message(el: HTMLElement, kind: 'ok' | 'error' | '', text: string): void {
  el.className = `form-msg ${kind}`;
  el.textContent = text;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const adminView: ViewFactory = (ctx, route) => {
  const d = new Disposer();
  const admin = ctx.session.role === 'admin';
  const tabs = h('nav', { class: 'tabs' });
  const content = h('div');
  const el = h('div', { class: 'view-col' }, pageHead('Administration', 'Accounts, agent identity and alert settings'), h('div', { class: 'page-body' }, tabs, content));
  let tab = '';
  function show(r: Route): void {
    // Operators and viewers may read the alert thresholds (read-only) and nothing else here.
    const visible = admin ? TABS : TABS.filter(([k]) => k === 'thresholds');
    const next = visible.some(([k]) => k === r.path[1]) ? r.path[1]! : visible[0]![0];
    if (next === tab) return;
    tab = next;
    replaceChildren(tabs, visible.map(([k, l]) => h('a', { class: k === tab ? 'active' : '', attrs: { href: href(['admin', k]) } }, l)));
    const builders: Record<string, () => HTMLElement> = {
      users: () => usersTab(ctx),
      agents: () => agentsTab(ctx),
      enrolment: () => enrolmentTab(ctx),
      keys: () => apiKeysTab(ctx),
      audit: () => auditTab(ctx),
    };
    replaceChildren(content, (builders[tab] ?? (() => alertThresholdsTab(ctx)))());
  }
  show(route);
  return {
    el,
    get crumbs() {
      return ['Administration', TABS.find(([k]) => k === tab)?.[1] ?? 'Admin'];
    },
    update(r) {
      if (r.path[0] !== 'admin') return false;
      show(r);
      return true;
    },
    destroy: () => d.dispose(),
  } satisfies View;
};

function usersTab(ctx: ViewContext): HTMLElement {
  const now = () => ctx.clock.now();
  const listEl = h('div');
  const roleSelect = (value: Role, onChange: (r: Role) => void) => {
    const s = h('select', null, ROLES.map((r) => h('option', { attrs: { value: r } }, r)));
    s.value = value;
    s.addEventListener('change', () => onChange(s.value as Role));
    return s;
  };
  const rowMsg = h('div', { class: 'form-msg' });
  const grid = new DataGrid<User>({
    now,
    static: true,
    key: (u) => u.username,
    columns: [
      { label: 'User', class: 'strong', cell: (u) => u.username },
      {
        label: 'Role',
        cell: (u) =>
          u.username === ctx.session.username
            ? h('span', { class: 'role-text' }, `${u.role} (you)`)
            : roleSelect(u.role, (role) =>
                ctx.api.patch(`/api/v1/users/${encodeURIComponent(u.username)}`, { role }, z.unknown()).then(
                  () => message(rowMsg, 'ok', `${u.username} is now ${role}.`),
                  (err: unknown) => message(rowMsg, 'error', errText(err)),
                ),
              ),
      },
      { label: 'Created', cell: (u) => dateTime(u.createdAt) },
      { label: 'Last sign-in', cell: (u, t) => (u.lastSignInAt ? timeAgo(u.lastSignInAt, t) : 'never') },
      {
        label: '',
        cell: (u) =>
          u.username === ctx.session.username
            ? ''
            : dangerButton('Remove', `Remove the account ${u.username}?`, () => ctx.api.delete(`/api/v1/users/${encodeURIComponent(u.username)}`, z.unknown()), {
                msg: rowMsg,
                done: () => void load(),
              }),
      },
    ],
  });
  async function load(): Promise<void> {
    try {
      const users = await ctx.api.get('/api/v1/users', listOf(User));
      grid.setItems(users);
      replaceChildren(listEl, grid.el);
    } catch (err) {
      replaceChildren(listEl, errorState(err));
    }
  }
  const username = h('input', { attrs: { placeholder: 'user name', autocomplete: 'off' } });
  const password = h('input', { attrs: { type: 'password', placeholder: 'at least 8 characters', autocomplete: 'new-password' } });
  const role = roleSelect('viewer', () => undefined);
  const addMsg = h('div', { class: 'form-msg' });
  const add = h('button', { class: 'btn primary' }, 'Add user');
  add.addEventListener('click', () => {
    const body = CreateUserRequest.safeParse({ username: username.value.trim(), password: password.value, role: role.value });
    if (!body.success) return message(addMsg, 'error', body.error.issues[0]?.message ?? 'check the fields');
    add.disabled = true;
    ctx.api.post('/api/v1/users', body.data, z.unknown()).then(
      () => {
        add.disabled = false;
        username.value = '';
        password.value = '';
        message(addMsg, 'ok', `Added ${body.data.username} as ${body.data.role}.`);
        void load();
      },
      (err: unknown) => {
        add.disabled = false;
        message(addMsg, 'error', errText(err));
      },
    );
  });
  void load();
  return h(
    'div',
    { class: 'stack' },
    panel('Users', [listEl, rowMsg], { tight: true, hint: 'viewers read · operators also acknowledge, comment and silence · admins also manage' }),
    panel('Add a user', [h('div', { class: 'form-row' }, field('User name', username), field('Password', password), field('Role', role), h('div', { class: 'field' }, add)), addMsg]),
  );
}

/** A red button that asks first, then runs `act`; a refusal is shown in `msg`. */
function dangerButton(label: string, question: string, act: () => Promise<unknown>, opts: { msg: HTMLElement; done: () => void; testid?: string }): HTMLElement {
  const click = () => {
    if (!confirm(question)) return;
    act().then(opts.done, (err: unknown) => message(opts.msg, 'error', errText(err)));
  };
  return h('button', { class: 'btn small danger', ...(opts.testid ? { data: { testid: opts.testid } } : {}), on: { click } }, label);
}

function agentsTab(ctx: ViewContext): HTMLElement {
  const listEl = h('div');
  const msg = h('div', { class: 'form-msg' });
  const newer = h('button', { class: 'btn small', data: { testid: 'agents-newer' } }, '← Newer');
  const older = h('button', { class: 'btn small', data: { testid: 'agents-older' } }, 'Older →');
  const where = h('span');
  // A million agents are paged by the collector, newest enrolment first: cursors of the pages shown so far.
  const cursors: Array<string | undefined> = [undefined];
  let next: string | null = null;
  const grid = new DataGrid<AgentInfo>({
    now: () => ctx.clock.now(),
    static: true,
    key: (a) => a.agentId,
    columns: [
      { label: '', class: 'icon', cell: (a) => healthIcon(a.revokedAt ? 'unknown' : 'healthy', 14) },
      { label: 'Host name', class: 'strong', cell: (a) => a.hostname },
      { label: 'Machine id', cell: (a) => h('span', { class: 'mono' }, a.machineId) },
      { label: 'Enrolled', cell: (a) => dateTime(a.enrolledAt) },
      { label: 'Last report', cell: (a, t) => (a.lastReportAt ? timeAgo(a.lastReportAt, t) : 'never') },
      {
        label: 'Token',
        cell: (a) =>
          a.revokedAt
            ? h('span', { class: 'pill' }, `revoked ${dateTime(a.revokedAt)}`)
            : dangerButton(
                'Revoke',
                `Revoke the token of ${a.hostname}? Its reports are refused until it enrols again.`,
                () => ctx.api.post(`/api/v1/agents/${encodeURIComponent(a.agentId)}/revoke`, {}, z.unknown()),
                { msg, done: () => (message(msg, 'ok', `Revoked the token of ${a.hostname}.`), void load()) },
              ),
      },
    ],
  });
  async function load(): Promise<void> {
    try {
      const page = await ctx.api.get('/api/v1/agents', AgentPage, { limit: AGENT_PAGE, after: cursors[cursors.length - 1] });
      const agents = page.items;
      next = page.next;
      grid.setItems(agents);
      newer.disabled = cursors.length === 1;
      older.disabled = next === null;
      const first = (cursors.length - 1) * AGENT_PAGE;
      where.textContent = agents.length ? `${first + 1}–${first + agents.length} of ${page.total}` : '';
      replaceChildren(listEl, agents.length ? h('div', { class: 'scroll-box tall' }, grid.el) : emptyState('No agent has enrolled yet', 'Agents enrol with the enrolment secret and receive their own token.', undefined, true));
    } catch (err) {
      replaceChildren(listEl, errorState(err));
    }
  }
  newer.addEventListener('click', () => {
    if (cursors.length > 1) cursors.pop();
    void load();
  });
  older.addEventListener('click', () => {
    if (next === null) return;
    cursors.push(next);
    void load();
  });
  void load();
  return panel('Enrolled agents', [listEl, h('div', { class: 'pager' }, where, h('span', { class: 'spacer' }), newer, older), msg], { tight: true, hint: 'tokens are stored hashed and never shown again' });
}

function enrolmentTab(ctx: ViewContext): HTMLElement {
  const out = h('div');
  const msg = h('div', { class: 'form-msg' });
  const btn = h('button', { class: 'btn primary' }, 'Rotate the enrolment secret');
  btn.addEventListener('click', () => {
    if (!confirm('Rotate the enrolment secret? Enrolled agents keep working; new enrolments need the new secret.')) return;
    btn.disabled = true;
    ctx.api.post('/api/v1/enrolment-secret/rotate', {}, EnrolmentSecretRotated).then(
      (r) => {
        btn.disabled = false;
        message(msg, 'ok', `Rotated at ${dateTime(r.rotatedAt)}. Copy it now: it is not shown again.`);
        replaceChildren(out, h('pre', { class: 'secret' }, r.secret));
      },
      (err: unknown) => {
        btn.disabled = false;
        message(msg, 'error', errText(err));
      },
    );
  });
  return panel('Enrolment secret', [
    h('p', null, 'Agents present this secret once, when they enrol, and receive their own token. Rotating it does not disturb agents already enrolled.'),
    btn,
    msg,
    out,
  ]);
}

function field(label: string, input: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', null, label), input);
}

/** Puts text on the clipboard; plain-HTTP pages have no Clipboard API, so fall back to a selected textarea. */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = h('textarea', { attrs: { readonly: true } });
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('the browser refused to copy; select the key and copy it by hand');
}

const EXPIRY_CHOICES: Array<[string, number | null]> = [
  ['never', null],
  ['in 7 days', 7],
  ['in 30 days', 30],
  ['in 90 days', 90],
  ['in a year', 365],
];

function apiKeysTab(ctx: ViewContext): HTMLElement {
  const listEl = h('div');
  const msg = h('div', { class: 'form-msg' });
  const grid = new DataGrid<ApiKeyInfo>({
    now: () => ctx.clock.now(),
    static: true,
    key: (k) => k.id,
    rowClass: (k) => (k.revokedAt ? 'revoked' : ''),
    columns: [
      { label: 'Name', class: 'strong', cell: (k) => h('span', { data: { testid: 'api-key-name' } }, k.name) },
      { label: 'Id', cell: (k) => h('span', { class: 'mono' }, k.id) },
      { label: 'Role', cell: (k) => k.role },
      { label: 'Created', cell: (k) => `${dateTime(k.createdAt)} by ${k.createdBy}` },
      {
        label: 'Expires',
        cell: (k, t) => (k.expiresAt ? (Date.parse(k.expiresAt) <= t ? h('span', { class: 'pill warning' }, `expired ${dateTime(k.expiresAt)}`) : dateTime(k.expiresAt)) : 'never'),
      },
      { label: 'Last use', cell: (k, t) => (k.lastUsedAt ? h('span', null, timeAgo(k.lastUsedAt, t), k.lastUsedFrom ? ` from ${k.lastUsedFrom}` : '') : 'never') },
      {
        label: '',
        cell: (k) =>
          k.revokedAt
            ? h('span', { class: 'pill' }, `revoked ${dateTime(k.revokedAt)}`)
            : dangerButton(
                'Revoke',
                `Revoke the API key ${k.name}? Scripts using it are refused from their next request.`,
                () => ctx.api.delete(`/api/v1/api-keys/${encodeURIComponent(k.id)}`, ApiKeyInfo),
                { msg, done: () => (message(msg, 'ok', `Revoked ${k.name}.`), void load()), testid: 'api-key-revoke' },
              ),
      },
    ],
  });
  async function load(): Promise<void> {
    try {
      const keys = await ctx.api.get('/api/v1/api-keys', listOf(ApiKeyInfo));
      grid.setItems(keys);
      replaceChildren(
        listEl,
        keys.length ? h('div', { class: 'scroll-box' }, grid.el) : emptyState('No API key yet', 'Create one for each script or system that reads or acknowledges through the REST API.', undefined, true),
      );
    } catch (err) {
      replaceChildren(listEl, errorState(err));
    }
  }

  const name = h('input', { attrs: { placeholder: 'e.g. grafana or siem', autocomplete: 'off' }, data: { testid: 'api-key-new-name' } });
  const role = h('select', { data: { testid: 'api-key-new-role' } }, h('option', { attrs: { value: 'viewer' } }, 'viewer'), h('option', { attrs: { value: 'operator' } }, 'operator'));
  const expiry = h('select', { data: { testid: 'api-key-new-expiry' } }, EXPIRY_CHOICES.map(([label, days]) => h('option', { attrs: { value: days === null ? '' : String(days) } }, label)));
  const addMsg = h('div', { class: 'form-msg' });
  const shown = h('div');
  const create = h('button', { class: 'btn primary', data: { testid: 'api-key-create' } }, 'Create key');
  create.addEventListener('click', () => {
    const days = expiry.value ? Number(expiry.value) : null;
    const body = CreateApiKeyRequest.safeParse({
      name: name.value,
      role: role.value,
      ...(days ? { expiresAt: new Date(ctx.clock.now() + days * 86_400_000).toISOString() } : {}),
    });
    if (!body.success) return message(addMsg, 'error', body.error.issues[0]?.message ?? 'check the fields');
    create.disabled = true;
    ctx.api.post('/api/v1/api-keys', body.data, CreatedApiKey).then(
      (k) => {
        create.disabled = false;
        name.value = '';
        message(addMsg, 'ok', `Created ${k.name} (${k.role}). Copy the key now: it is not shown again.`);
        const copyMsg = h('span', { class: 'form-msg' });
        const copy = h('button', { class: 'btn small', data: { testid: 'api-key-copy' } }, 'Copy');
        copy.addEventListener('click', () => {
          copyText(k.key).then(
            () => message(copyMsg, 'ok', 'Copied.'),
            (err: unknown) => message(copyMsg, 'error', errText(err)),
          );
        });
        replaceChildren(
          shown,
          h('pre', { class: 'secret', data: { testid: 'api-key-secret' } }, k.key),
          h('div', { class: 'form-row' }, copy, copyMsg),
          h('p', { class: 'hint' }, 'Use it as ', h('code', null, 'Authorization: Bearer <key>'), ' on the REST API, e.g. ', h('code', null, `curl -H "Authorization: Bearer <key>" ${location.origin}/api/v1/summary`)),
        );
        void load();
      },
      (err: unknown) => {
        create.disabled = false;
        message(addMsg, 'error', errText(err));
      },
    );
  });
  void load();
  return h(
    'div',
    { class: 'stack' },
    panel('API keys', [listEl, msg], { tight: true, hint: 'for scripts on the REST API · stored hashed, shown once · viewer reads, operator also acknowledges, comments and silences' }),
    panel('Create an API key', [h('div', { class: 'form-row' }, field('Name', name), field('Role', role), field('Expires', expiry), h('div', { class: 'field' }, create)), addMsg, shown]),
  );
}

/** Audit log rows per page on the Admin page. */
const AUDIT_PAGE = 50;

function auditTab(ctx: ViewContext): HTMLElement {
  const listEl = h('div');
  const actor = h('input', { attrs: { type: 'search', placeholder: 'actor, e.g. api-key:grafana', autocomplete: 'off' }, data: { testid: 'audit-actor' } });
  const action = h('input', { attrs: { type: 'search', placeholder: 'action, e.g. alert.ack', autocomplete: 'off' }, data: { testid: 'audit-action' } });
  const newer = h('button', { class: 'btn small', data: { testid: 'audit-newer' } }, '← Newer');
  const older = h('button', { class: 'btn small', data: { testid: 'audit-older' } }, 'Older →');
  const csv = h('a', { class: 'btn small', attrs: { download: 'vawatch-audit.csv' }, data: { testid: 'audit-csv' } }, 'Download CSV');
  const where = h('span');
  // Cursors of the pages shown so far: [undefined (newest), before₁, before₂, …].
  let cursors: Array<number | undefined> = [undefined];
  let next: number | null = null;
  const grid = new DataGrid<AuditEntry>({
    now: () => ctx.clock.now(),
    static: true,
    key: (e) => String(e.id),
    columns: [
      { label: 'Time', cell: (e) => dateTime(e.at) },
      { label: 'Actor', class: 'strong', cell: (e) => e.actor },
      { label: 'Address', cell: (e) => h('span', { class: 'mono' }, e.address) },
      { label: 'Action', cell: (e) => h('span', { data: { testid: 'audit-action-cell' } }, e.action) },
      { label: 'Target', cell: (e) => e.target ?? '' },
      { label: 'Outcome', cell: (e) => h('span', { class: e.outcome === 'ok' ? 'pill healthy' : 'pill critical' }, e.outcome === 'ok' ? 'ok' : `refused ${e.status}`) },
      { label: 'What changed', cell: (e) => (e.detail ? h('span', { class: 'mono' }, JSON.stringify(e.detail)) : '') },
    ],
  });
  const filter = () => ({ actor: actor.value.trim() || undefined, action: action.value.trim() || undefined });
  async function load(): Promise<void> {
    const before = cursors[cursors.length - 1];
    csv.setAttribute('href', withQuery('/api/v1/audit', { ...filter(), format: 'csv' }));
    try {
      const page = await ctx.api.get('/api/v1/audit', AuditPage, { ...filter(), before, limit: AUDIT_PAGE });
      next = page.nextBefore;
      grid.setItems(page.items);
      newer.disabled = cursors.length === 1;
      older.disabled = next === null;
      where.textContent = `page ${cursors.length}`;
      replaceChildren(listEl, page.items.length ? h('div', { class: 'scroll-box tall' }, grid.el) : emptyState('Nothing recorded', 'Sign-ins, acknowledgements and every change made through the API land here.', undefined, true));
    } catch (err) {
      replaceChildren(listEl, errorState(err));
    }
  }
  newer.addEventListener('click', () => {
    if (cursors.length > 1) cursors.pop();
    void load();
  });
  older.addEventListener('click', () => {
    if (next === null) return;
    cursors.push(next);
    void load();
  });
  const refilter = () => {
    cursors = [undefined];
    void load();
  };
  for (const input of [actor, action]) input.addEventListener('change', refilter);
  const refresh = h('button', { class: 'btn small', data: { testid: 'audit-refresh' } }, 'Refresh');
  refresh.addEventListener('click', refilter);
  void load();
  return panel('Audit log', [h('div', { class: 'filters' }, actor, action, refresh, csv), listEl, h('div', { class: 'pager' }, where, h('span', { class: 'spacer' }), newer, older)], {
    tight: true,
    hint: 'newest first · who, when, from where, what changed and how it ended',
  });
}
