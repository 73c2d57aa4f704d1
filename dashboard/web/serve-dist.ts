// How the collector serves the built dashboard: hashed assets cached for a year (their name changes with their
// content), index.html revalidated on every load (it names the current assets), and index.html for every other
// browser path so deep links like /machines work. API paths are never answered here.
import express from 'express';
import type { NextFunction, Request, Response, RequestHandler } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';

const NOT_OURS = /^\/(api|socket\.io|metrics|healthz|readyz)(\/|$)/;

/** Cache-Control for a path below dist/ (exported so tests and other servers agree). */
export function cacheControlFor(relPath: string): string {
  if (/^\/?assets\//.test(relPath)) return 'public, max-age=31536000, immutable';
  if (/favicon\.svg$/.test(relPath)) return 'public, max-age=86400';
  return 'no-cache';
}

/** True when a built dashboard exists in `distDir`. */
export function hasBuiltDashboard(distDir: string): boolean {
  return existsSync(path.join(distDir, 'index.html'));
}

/** Express middleware serving dist/; mount it after the API routes. */
export function serveDashboard(distDir: string): RequestHandler {
  const files = express.static(distDir, {
    index: false,
    fallthrough: true,
    setHeaders: (res, filePath) => {
      res.setHeader('Cache-Control', cacheControlFor(path.relative(distDir, filePath).split(path.sep).join('/')));
      res.setHeader('X-Content-Type-Options', 'nosniff');
    },
  });
  const indexFile = path.join(distDir, 'index.html');
  return (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_OURS.test(req.path)) return next();
    files(req, res, () => {
      // A missing hashed asset is a 404, not the app: a stale page must not get HTML as its script.
      if (req.path.startsWith('/assets/') || !hasBuiltDashboard(distDir)) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      res.sendFile(indexFile);
    });
  };
}

/** The page loads only its own script and styles; nothing inline runs, so an injected string cannot either. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
