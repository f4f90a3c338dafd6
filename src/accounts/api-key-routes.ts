// GET /api/keys and DELETE /api/keys/:id: an owner lists and revokes their personal API keys
// (docs/RELIABILITY.md "Abuse"). Same authentication as the bots API: a Bearer key, or the dashboard's
// session cookie with the CSRF header on DELETE. The key values themselves are never shown again.
import type { FastifyInstance } from 'fastify';
import { csrfForCookieAuth, requireOwner } from '../http/authenticate.ts';
import { text } from '../http/text-schemas.ts';
import { errorSchema, ownerSecurity, successAnswer } from '../http/schemas.ts';
import { apiKeyToJson, type ApiKeyService } from './api-key-service.ts';
import type { SessionService } from './session-service.ts';
import type { UserService } from './user-service.ts';

const apiKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    prefix: { type: 'string', description: 'The first characters of the key, for recognising it' },
    created_at: { type: 'string', format: 'date-time' },
    last_used_at: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['id', 'prefix', 'created_at', 'last_used_at'],
} as const;

export async function apiKeyRoutes(app: FastifyInstance, deps: { users: UserService; sessions?: SessionService; keys: ApiKeyService }) {
  const { keys } = deps;
  const preValidation = [requireOwner(deps.users, deps.sessions), csrfForCookieAuth];
  const config = { limitAuthFailures: true };

  app.get(
    '/api/keys',
    {
      preValidation,
      config,
      schema: {
        tags: ['keys'],
        summary: 'List your personal API keys (prefixes and dates, never the keys)',
        security: ownerSecurity,
        response: { 200: { type: 'object', properties: { keys: { type: 'array', items: apiKeySchema } }, required: ['keys'] }, 401: errorSchema },
      },
    },
    async (request) => ({ keys: (await keys.list(request.owner!.id)).map(apiKeyToJson) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/keys/:id',
    {
      preValidation,
      config,
      schema: {
        tags: ['keys'],
        summary: 'Revoke one of your API keys: it stops working at once',
        security: ownerSecurity,
        params: { type: 'object', properties: { id: text({ maxLength: 100, description: 'The key id (uuid)' }) }, required: ['id'] },
        response: {
          200: successAnswer,
          401: errorSchema,
          403: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (request) => {
      await keys.revoke(request.owner!.id, request.params.id);
      return { success: true, message: 'API key revoked' };
    },
  );
}
