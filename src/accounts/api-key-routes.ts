// GET /api/keys, POST /api/keys and DELETE /api/keys/:id: the account's API keys (docs/dashboard.md
// "Accounts, members and roles"; docs/RELIABILITY.md "Abuse"). Same authentication as the bots API:
// a Bearer key, or the dashboard's session cookie with the CSRF header on POST and DELETE. A key's
// value is shown once, in the answer to POST.
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
    name: { type: ['string', 'null'] },
    role: { type: 'string', enum: ['owner', 'manager', 'member', 'viewer'], description: 'What the key may do (never more than its maker may)' },
    created_by: { type: 'string', description: 'The address of the member who made the key' },
    created_at: { type: 'string', format: 'date-time' },
    last_used_at: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['id', 'prefix', 'name', 'role', 'created_by', 'created_at', 'last_used_at'],
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
        summary: "List the account's API keys (prefixes, roles, who made each, dates; never the keys)",
        security: ownerSecurity,
        response: { 200: { type: 'object', properties: { keys: { type: 'array', items: apiKeySchema } }, required: ['keys'] }, 401: errorSchema, 403: errorSchema },
      },
    },
    async (request) => ({ keys: (await keys.list(request.account!.id)).map(apiKeyToJson) }),
  );

  app.post<{ Body: { name?: string; role?: string } | undefined }>(
    '/api/keys',
    {
      preValidation,
      config,
      schema: {
        tags: ['keys'],
        summary: 'Make an API key in this account; the key is in this answer only',
        security: ownerSecurity,
        body: {
          type: ['object', 'null'],
          properties: {
            name: text({ maxLength: 100, description: 'A label for the key' }),
            role: { type: 'string', enum: ['owner', 'manager', 'member', 'viewer'], description: "Default: your role. Never higher than yours" },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: { key: { type: 'string', description: 'adk_…, shown this once' }, prefix: { type: 'string' }, role: { type: 'string' } },
            required: ['key', 'prefix', 'role'],
          },
          400: errorSchema,
          401: errorSchema,
          403: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const issued = await keys.issue(request.owner!.id, request.account!, request.body ?? {});
      reply.code(201);
      return { key: issued.key, prefix: issued.prefix, role: issued.role };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/keys/:id',
    {
      preValidation,
      config,
      schema: {
        tags: ['keys'],
        summary: "Revoke one of the account's API keys (members: only their own): it stops working at once",
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
      await keys.revoke(request.owner!.id, request.account!, request.params.id);
      return { success: true, message: 'API key revoked' };
    },
  );
}
