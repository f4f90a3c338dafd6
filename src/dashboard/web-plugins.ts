// The browser-facing plumbing, registered on the root instance before any route: cookies, CSRF,
// security headers, handlebars views, static files and the OpenAPI generator. (Form bodies are
// parsed only in the dashboard's scope: the JSON API keeps answering 415 to forms.)
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import view from '@fastify/view';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { ServerSecret } from './server-secret.ts';
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

declare module 'fastify' {
  interface FastifyInstance {
    serverSecret: ServerSecret;
  }
}

export async function registerWebPlugins(app: FastifyInstance, { config, secret }: { config: Config; secret: ServerSecret }) {
  app.decorate('serverSecret', secret);
  await app.register(cookie, { secret: secret.signer });
  // The CSRF secret lives in a signed, HttpOnly cookie; forms carry the token in `_csrf`, htmx
  // and API calls in the `x-csrf-token` header. Checked as a preHandler, once the body is parsed.
  await app.register(csrf, { cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, signed: true } });
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

  // Only routes tagged in their schema (the JSON API) appear in /docs/openapi.json.
  await app.register(swagger, {
    hideUntagged: true,
    openapi: {
      openapi: '3.1.0',
      info: { title: 'AgentDesk API', version: '1.0.0', description: 'Owner bots API and the WordPress plugin endpoints.' },
      components: {
        securitySchemes: {
          bearerKey: { type: 'http', scheme: 'bearer', description: 'Personal API key (adk_…)' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'adk_session', description: 'Dashboard session; mutating calls also need the x-csrf-token header' },
        },
      },
    },
  });
}
