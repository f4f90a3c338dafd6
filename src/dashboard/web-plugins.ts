// The browser-facing plumbing, registered on the root instance before any route: security headers,
// handlebars views and static files. (Cookies, CSRF and the OpenAPI generator are app-wide, in
// src/http/app-plugins.ts. Form bodies are parsed only in the dashboard's scope: the JSON API
// keeps answering 415 to forms.)
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import view from '@fastify/view';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { createHandlebars } from './view-helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const VIEWS_DIR = path.join(ROOT, 'views');
const PUBLIC_DIR = path.join(ROOT, 'public');
const HTMX_FILE = path.join(path.dirname(createRequire(import.meta.url).resolve('htmx.org/package.json')), 'dist', 'htmx.min.js');

/**
 * True when the browser reached us over HTTPS: directly, through a trusted proxy (TRUST_PROXY and
 * X-Forwarded-Proto), or because PUBLIC_URL says the service is served over https.
 */
export function isHttps(request: FastifyRequest, config: Config): boolean {
  return request.protocol === 'https' || config.publicUrl.startsWith('https:');
}

function partials(): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(path.join(VIEWS_DIR, 'partials'))
      .filter((name) => name.endsWith('.hbs'))
      .map((name) => [name.replace(/\.hbs$/, ''), `partials/${name}`]),
  );
}

export async function registerWebPlugins(app: FastifyInstance, { config }: { config: Config }) {
  // Helmet's default CSP: scripts only from our origin (htmx and public/app.js), no inline script.
  // Its upgrade-insecure-requests would send a plain-http deployment's redirects to https: only
  // over HTTPS.
  const https = config.publicUrl.startsWith('https:');
  await app.register(helmet, {
    hsts: https,
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: https ? [] : null } },
  });
  await app.register(view, {
    engine: { handlebars: createHandlebars() },
    root: VIEWS_DIR,
    options: { partials: partials() },
  });
  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/static/', maxAge: '1h' });
  const htmx = fs.readFileSync(HTMX_FILE);
  app.get('/static/htmx.min.js', { schema: { hide: true } }, (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(htmx),
  );
}
