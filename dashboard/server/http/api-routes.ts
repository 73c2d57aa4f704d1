import express, { type Router } from 'express';
import { z } from 'zod';
import {
  AgentListQuery,
  CreateUserRequest,
  EventListQuery,
  KmsHostListQuery,
  MachineListQuery,
  RetireRequest,
  roleAtLeast,
  SignInRequest,
  UpdateUserRequest,
} from '../../../shared/api.js';
import type { Clock } from '../../../shared/scheduling.js';
import { audited, noteAudit, recordChanges } from '../audit/audit-http.js';
import type { AuditLog } from '../audit/audit-log.js';
import { mountAuditRoutes } from '../audit/audit-routes.js';
import type { ApiKeyService } from '../identity/api-keys.js';
import { retireMachine, revokeAgent, setMachineGroup, type FleetAdminDeps } from '../ingest/fleet-admin.js';
import type { AgentRegistry } from '../identity/agent-registry.js';
import type { UserService } from '../identity/user-service.js';
import { queryEvents, queryKmsHosts, queryMachines } from '../read-model/queries.js';
import type { Views } from '../read-model/views.js';
import type { FleetState } from '../state/fleet-state.js';
import { kmsHostIdOf } from '../state/machine-state.js';
import type { FleetStore } from '../store/fleet-store.js';
import { ApiError, notFound } from './api-error.js';
import { mountApiKeyRoutes } from './api-key-routes.js';
import { actorOf, requireRole, requireSession, sessionOf } from './auth.js';
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from './cookies.js';
import { parseOr400 } from './parse.js';

export interface ApiRouteDeps {
  state: FleetState;
  store: FleetStore;
  views: Views;
  users: UserService;
  agents: AgentRegistry;
  apiKeys: ApiKeyService;
  audit: AuditLog;
  admin: FleetAdminDeps;
  clock: Clock;
  sessionIdleMs: number;
  /** True when the session cookie should carry Secure (TLS, or a proxy that terminates it). */
  secureCookies: (req: express.Request) => boolean;
}

const PatchMachine = z.object({ group: z.string().max(100).nullable() });

/** The session, read API and admin API; the returned `authed` router is where plug-ins add theirs. */
export function apiRoutes(deps: ApiRouteDeps): { open: Router; authed: Router } {
  const open = express.Router();
  const json = express.json({ limit: 64 * 1024 });
  const { users, state, views } = deps;
  // Every changing request from here on (not the agents' routes, mounted before) lands in the audit log.
  open.use(recordChanges(deps.audit, actorOf));

  open.post('/session', json, async (req, res) => {
    const tried: unknown = (req.body as { username?: unknown } | undefined)?.username;
    noteAudit(req, { action: 'sign-in', actor: typeof tried === 'string' && tried.length > 0 ? tried.slice(0, 64) : '(no name)' });
    const body = parseOr400(SignInRequest, req.body, 'body');
    const { cookie, session } = await users.signIn(body.username, body.password, req.ip ?? '');
    res.setHeader('Set-Cookie', sessionCookie(cookie, { secure: deps.secureCookies(req), maxAgeSeconds: deps.sessionIdleMs / 1000 }));
    res.json(session);
  });
  open.delete('/session', (req, res) => {
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    const who = cookie ? users.session(cookie)?.username : undefined;
    noteAudit(req, who ? { action: 'sign-out', actor: who } : { skip: true });
    if (cookie) users.signOut(cookie);
    res.setHeader('Set-Cookie', clearedSessionCookie(deps.secureCookies(req)));
    res.status(204).end();
  });

  const authed = express.Router();
  authed.use(requireSession(users, deps.apiKeys));
  authed.use(json);
  authed.get('/session', (req, res) => void res.json(sessionOf(req)));

  authed.get('/summary', (_req, res) => void res.json(views.summary()));
  authed.get('/machines', async (req, res) => {
    const q = parseOr400(MachineListQuery, req.query, 'query');
    // Just after start an order may still be derived in the background: wait for it, never sort on the event loop.
    await views.machineList.whenSorted(q.sort);
    res.json(queryMachines(state, views, q));
  });
  authed.get('/machines/:id', (req, res) => {
    const m = state.machine(String(req.params.id));
    if (!m) throw notFound(`machine ${String(req.params.id)}`);
    res.json(views.machineDetail(m));
  });
  authed.get('/kms-hosts', (req, res) => {
    res.json(queryKmsHosts(state, views, parseOr400(KmsHostListQuery, req.query, 'query')));
  });
  authed.get('/kms-hosts/:id', (req, res) => {
    const h = state.kmsHost(kmsHostIdOf(String(req.params.id)));
    if (!h) throw notFound(`KMS host ${String(req.params.id)}`);
    res.json(views.kmsHostDetail(h));
  });
  authed.get('/events', (req, res) => {
    res.json(queryEvents(deps.store, state, views, parseOr400(EventListQuery, req.query, 'query')));
  });

  // ---- admin ----
  const admin = requireRole('admin');
  authed.post('/machines/:id/retire', audited('machine.retire'), admin, (req, res) => {
    const body = parseOr400(RetireRequest, req.body ?? {}, 'body');
    noteAudit(req, { detail: { reason: body.reason ?? null } });
    const who = sessionOf(req).username;
    retireMachine(deps.admin, String(req.params.id), body.reason ? `retired by ${who}: ${body.reason}` : `retired by ${who}`, true);
    res.json(views.machineDetail(state.machine(String(req.params.id))!));
  });
  authed.patch('/machines/:id', audited('machine.group'), admin, (req, res) => {
    const body = parseOr400(PatchMachine, req.body, 'body');
    noteAudit(req, { detail: { group: body.group, was: state.machine(String(req.params.id))?.group ?? null } });
    setMachineGroup(deps.admin, String(req.params.id), body.group);
    res.json(views.machineDetail(state.machine(String(req.params.id))!));
  });

  authed.get('/users', admin, (_req, res) => void res.json({ items: users.list(), total: users.list().length }));
  authed.post('/users', audited('user.create', () => null), admin, async (req, res) => {
    const body = parseOr400(CreateUserRequest, req.body, 'body');
    noteAudit(req, { target: body.username, detail: { role: body.role } });
    res.status(201).json(await users.add(body.username, body.password, body.role));
  });
  authed.patch('/users/:username', audited('user.update'), async (req, res) => {
    const me = sessionOf(req);
    const target = String(req.params.username);
    const body = parseOr400(UpdateUserRequest, req.body, 'body');
    noteAudit(req, { detail: { ...(body.role ? { role: body.role } : {}), ...(body.password ? { password: 'changed' } : {}) } });
    const self = target.toLowerCase() === me.username.toLowerCase();
    if (!roleAtLeast(me.role, 'admin') && !(self && body.role === undefined)) {
      throw new ApiError(403, 'forbidden', 'only admins change other users or roles; you may change your own password');
    }
    res.json(await users.update(target, body));
  });
  authed.delete('/users/:username', audited('user.remove'), admin, (req, res) => {
    users.remove(String(req.params.username));
    res.status(204).end();
  });

  authed.get('/agents', admin, (req, res) => {
    const q = parseOr400(AgentListQuery, req.query, 'query');
    const cut = q.after?.indexOf('_') ?? -1;
    const after = q.after && cut > 0 ? { enrolledAt: Number(q.after.slice(0, cut)), agentId: q.after.slice(cut + 1) } : undefined;
    const page = deps.agents.page({ limit: q.limit, ...(after ? { after } : {}) });
    res.json({ items: page.items, total: deps.agents.size, next: page.next && `${page.next.enrolledAt}_${page.next.agentId}` });
  });
  authed.post('/agents/:id/revoke', audited('agent.revoke'), admin, (req, res) => {
    revokeAgent(deps.admin, String(req.params.id), sessionOf(req).username);
    res.json(deps.agents.info(String(req.params.id)));
  });
  authed.post('/enrolment-secret/rotate', audited('enrolment-secret.rotate', () => null), admin, (_req, res) => {
    const secret = deps.agents.rotateSecret();
    res.json({ secret, rotatedAt: new Date(deps.clock.now()).toISOString() });
  });
  mountApiKeyRoutes(authed, deps.apiKeys, admin);
  mountAuditRoutes(authed, deps.audit, admin);
  return { open, authed };
}
