// Admin (admins only; the shell hides the entry and refuses the route for others, and the API refuses too): users and
// roles, agent tokens, the enrolment secret, alert thresholds per group.
import { z } from 'zod';
import { AgentInfo, CreateUserRequest, EnrolmentSecretRotated, ROLES, User, type Role } from '../../../../shared/api.js';
import { DataGrid } from '../components/data-grid.js';
import { healthIcon } from '../components/health-icon.js';
import { emptyState, errorState, pageHead, panel, timeAgo } from '../components/page.js';
import { h, replaceChildren } from '../lib/dom.js';
import { dateTime } from '../lib/format.js';
import { href, type Route } from '../lib/router.js';
import { alertThresholdsTab } from './alert-thresholds-form.js';
import { Disposer, type View, type ViewContext, type ViewFactory } from './view.js';

/** A list as either a bare array or `{items, total}`. */
function listOf<T extends z.ZodType>(item: T) {
  return z.union([z.array(item), z.object({ items: z.array(item) }).transform((p) => p.items)]);
}

const TABS: Array<[string, string]> = [
  ['users', 'Users and roles'],
  ['agents', 'Agent tokens'],
  ['enrolment', 'Enrolment secret'],
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
    replaceChildren(content, tab === 'users' ? usersTab(ctx) : tab === 'agents' ? agentsTab(ctx) : tab === 'enrolment' ? enrolmentTab(ctx) : alertThresholdsTab(ctx));
  }
  show(route);
  return {
    el,
    crumbs: ['Administration', TABS.find(([k]) => k === tab)?.[1] ?? 'Admin'],
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
            : h(
                'button',
                {
                  class: 'btn small danger',
                  on: {
                    click: () => {
                      if (!confirm(`Remove the account ${u.username}?`)) return;
                      ctx.api.delete(`/api/v1/users/${encodeURIComponent(u.username)}`, z.unknown()).then(
                        () => load(),
                        (err: unknown) => message(rowMsg, 'error', errText(err)),
                      );
                    },
                  },
                },
                'Remove',
              ),
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

function agentsTab(ctx: ViewContext): HTMLElement {
  const listEl = h('div');
  const msg = h('div', { class: 'form-msg' });
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
            : h(
                'button',
                {
                  class: 'btn small danger',
                  on: {
                    click: () => {
                      if (!confirm(`Revoke the token of ${a.hostname}? Its reports are refused until it enrols again.`)) return;
                      ctx.api.post(`/api/v1/agents/${encodeURIComponent(a.agentId)}/revoke`, {}, z.unknown()).then(
                        () => {
                          message(msg, 'ok', `Revoked the token of ${a.hostname}.`);
                          void load();
                        },
                        (err: unknown) => message(msg, 'error', errText(err)),
                      );
                    },
                  },
                },
                'Revoke',
              ),
      },
    ],
  });
  async function load(): Promise<void> {
    try {
      const agents = await ctx.api.get('/api/v1/agents', listOf(AgentInfo));
      grid.setItems(agents);
      replaceChildren(listEl, agents.length ? h('div', { class: 'scroll-box tall' }, grid.el) : emptyState('No agent has enrolled yet', 'Agents enrol with the enrolment secret and receive their own token.', undefined, true));
    } catch (err) {
      replaceChildren(listEl, errorState(err));
    }
  }
  void load();
  return panel('Enrolled agents', [listEl, msg], { tight: true, hint: 'tokens are stored hashed and never shown again' });
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
