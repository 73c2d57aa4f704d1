import type { RequestHandler, Router } from 'express';
import { CreateApiKeyRequest } from '../../../shared/api.js';
import { audited, noteAudit } from '../audit/audit-http.js';
import type { ApiKeyService } from '../identity/api-keys.js';
import { sessionOf } from './auth.js';
import { parseOr400 } from './parse.js';

/** `POST/GET /api/v1/api-keys`, `DELETE /api/v1/api-keys/:id` (admins). The key is in the POST answer only. */
export function mountApiKeyRoutes(api: Router, keys: ApiKeyService, admin: RequestHandler): void {
  api.get('/api-keys', admin, (_req, res) => {
    keys.flushLastUse();
    const items = keys.list();
    res.json({ items, total: items.length });
  });
  api.post('/api-keys', audited('api-key.create', () => null), admin, (req, res) => {
    const body = parseOr400(CreateApiKeyRequest, req.body, 'body');
    noteAudit(req, { target: body.name, detail: { role: body.role, expiresAt: body.expiresAt ?? null } });
    const created = keys.create(body, sessionOf(req).username);
    noteAudit(req, { target: `${created.name} (${created.id})` });
    res.status(201).json(created);
  });
  api.delete('/api-keys/:id', audited('api-key.revoke'), admin, (req, res) => {
    const revoked = keys.revoke(String(req.params.id), sessionOf(req).username);
    noteAudit(req, { target: `${revoked.name} (${revoked.id})` });
    res.json(revoked);
  });
}
