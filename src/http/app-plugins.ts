// The app-wide plugins, registered once on the root instance by buildApp before any route: the
// server secret (app.serverSecret), signed cookies, CSRF protection and the OpenAPI generator.
// Features use them; none registers them.
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import type { ServerSecret } from './server-secret.ts';

declare module 'fastify' {
  interface FastifyInstance {
    serverSecret: ServerSecret;
  }
}

export async function registerAppPlugins(app: FastifyInstance, { secret }: { secret: ServerSecret }) {
  app.decorate('serverSecret', secret);
  await app.register(cookie, { secret: secret.signer });
  // The CSRF secret lives in a signed, HttpOnly cookie; forms carry the token in `_csrf`, htmx
  // and API calls in the `x-csrf-token` header. Checked as a preHandler, once the body is parsed.
  await app.register(csrf, { cookieOpts: { path: '/', sameSite: 'lax', httpOnly: true, signed: true } });

  // Only routes tagged in their schema (the JSON API) appear in /docs/openapi.json.
  await app.register(swagger, {
    hideUntagged: true,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'AgentDesk API',
        version: '1.0.0',
        description: 'The owner bots and alert channels API, the WordPress plugin endpoints (heartbeat, token check, widget configuration, updates) and the service endpoints (health, metrics).',
      },
      components: {
        securitySchemes: {
          bearerKey: { type: 'http', scheme: 'bearer', description: 'Personal API key (adk_…)' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'adk_session', description: 'Dashboard session; mutating calls also need the x-csrf-token header' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when the server sets one' },
        },
      },
    },
  });
}
