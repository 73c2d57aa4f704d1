import express, { type RequestHandler, type Router } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Content-Security-Policy of every page: scripts only from the collector itself, no inline script, no plug-ins, no
 * framing. A string an agent managed to slip into the DOM as markup could still not run.
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * Serves the built web UI: hashed assets cached for a year, index.html never cached, and index.html for any other
 * GET that is not an API path (client-side routes). Without a build, a plain page says what is running.
 */
export function staticWeb(webDir: string | undefined, describe: () => { version: string; machines: number }): Router {
  const router = express.Router();
  const index = webDir ? join(webDir, 'index.html') : undefined;
  if (webDir && index && existsSync(index)) {
    router.use(
      express.static(webDir, {
        index: false,
        setHeaders(res, path) {
          res.setHeader('X-Content-Type-Options', 'nosniff');
          if (path.endsWith('.html')) {
            res.setHeader('Cache-Control', 'no-cache');
            res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
          }
          else if (/[.-][A-Za-z0-9_-]{8,}\.(js|css|woff2?|png|svg)$/.test(path)) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
          else res.setHeader('Cache-Control', 'public, max-age=300');
        },
      }),
    );
    const sendIndex: RequestHandler = (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.sendFile(index);
    };
    router.get(/^\/(?!api\/|socket\.io\/|metrics$|healthz$|readyz$).*/, sendIndex);
    return router;
  }
  router.get('/', (_req, res) => {
    const { version, machines } = describe();
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
    res.type('html').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vawatch collector</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:3em;max-width:46em;color:#222}code{background:#f3f3f3;padding:0 .3em}</style></head>
<body><h1>vawatch collector ${version}</h1>
<p>The collector is running and holds ${machines} machine(s). The web dashboard has not been built
(<code>npm run build:web</code>); the API answers meanwhile.</p>
<ul>
<li><code>POST /api/v1/session</code> with <code>{"username","password"}</code> signs in (cookie session)</li>
<li><a href="/api/v1/summary">/api/v1/summary</a>, <a href="/api/v1/machines">/api/v1/machines</a>,
<a href="/api/v1/kms-hosts">/api/v1/kms-hosts</a>, <a href="/api/v1/events">/api/v1/events</a></li>
<li><a href="/api/v1/info">/api/v1/info</a>, <a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a>, <a href="/metrics">/metrics</a></li>
</ul></body></html>`);
  });
  return router;
}
