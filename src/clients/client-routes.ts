// The owner API for clients (docs/clients.md): CRUD, a client's status page link, and bulk actions
// on its sites. Same authentication as the bots API: a Bearer key, or the dashboard's session
// cookie with the CSRF header on changes. Another owner's client is a 404.
import type { FastifyInstance } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import type { UserService } from '../accounts/user-service.ts';
import { csrfForCookieAuth, requireOwner } from '../http/authenticate.ts';
import { errorSchema, ownerErrors, ownerSecurity, pageQuerySchema, successAnswer } from '../http/schemas.ts';
import { text } from '../http/text-schemas.ts';
import { clientToJson, type ClientService } from './client-service.ts';

const clientSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    bot_count: { type: 'integer', description: 'How many sites are under this client' },
    status_page: { type: 'boolean', description: 'Whether a status page link is live' },
    status_page_shows_urls: { type: 'boolean' },
    report_monthly: { type: 'boolean', description: "Whether last month's uptime report is mailed on the 1st" },
    report_channel_id: { type: ['string', 'null'], description: 'The email contact it goes to; null: the account email' },
  },
  required: ['id', 'name', 'created_at', 'bot_count', 'status_page', 'status_page_shows_urls', 'report_monthly', 'report_channel_id'],
} as const;

const nameBody = { type: 'object', properties: { name: text({ maxLength: 200 }) }, required: ['name'] } as const;
const idParams = { type: 'object', properties: { id: text({ maxLength: 100, description: 'The client id (uuid)' }) }, required: ['id'] } as const;
const changed = { type: 'object', properties: { changed: { type: 'integer', description: "How many of the client's sites it changed" } }, required: ['changed'] } as const;

type IdParams = { Params: { id: string } };

export async function clientRoutes(app: FastifyInstance, deps: { clients: ClientService; users: UserService; sessions?: SessionService }) {
  const { clients } = deps;
  const preValidation = [requireOwner(deps.users, deps.sessions), csrfForCookieAuth];
  const owner = (summary: string, schema: Record<string, unknown>) => ({
    preValidation,
    config: { limitAuthFailures: true },
    schema: { tags: ['clients'], summary, security: ownerSecurity, ...schema },
  });

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/api/clients',
    owner('List your clients, oldest first, one page at a time', {
      querystring: pageQuerySchema,
      response: {
        200: { type: 'object', properties: { clients: { type: 'array', items: clientSchema }, next_cursor: { type: ['string', 'null'] } }, required: ['clients', 'next_cursor'] },
        400: errorSchema,
        401: errorSchema,
      },
    }),
    async (request) => {
      const page = await clients.list(request.account!.id, request.query);
      return { clients: page.clients.map(clientToJson), next_cursor: page.nextCursor };
    },
  );

  app.post<{ Body: unknown }>(
    '/api/clients',
    owner('Add a client (put sites under it with PUT /api/bots/:id {client_id})', {
      body: nameBody,
      response: { 201: clientSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema },
    }),
    async (request, reply) => {
      reply.code(201);
      return clientToJson(await clients.create(request.account!.id, request.body));
    },
  );

  app.get<IdParams>(
    '/api/clients/:id',
    owner('Read one of your clients', { params: idParams, response: { 200: clientSchema, ...ownerErrors } }),
    async (request) => clientToJson(await clients.get(request.account!.id, request.params.id)),
  );

  app.put<IdParams & { Body: unknown }>(
    '/api/clients/:id',
    owner('Rename one of your clients', { params: idParams, body: nameBody, response: { 200: clientSchema, 400: errorSchema, ...ownerErrors } }),
    async (request) => clientToJson(await clients.rename(request.account!.id, request.params.id, request.body)),
  );

  app.delete<IdParams>(
    '/api/clients/:id',
    owner('Delete one of your clients; its sites stay, without a client', { params: idParams, response: { 200: successAnswer, ...ownerErrors } }),
    async (request) => {
      await clients.remove(request.account!.id, request.params.id);
      return { success: true };
    },
  );

  app.post<IdParams & { Body: unknown }>(
    '/api/clients/:id/status-page',
    owner("A new secret link to the client's public status page, badge and JSON (the previous link stops working)", {
      params: idParams,
      body: { type: ['object', 'null'], properties: { show_urls: { type: 'boolean', description: "List the sites' addresses on the page (default false)" } } },
      response: {
        201: {
          type: 'object',
          properties: { url: { type: 'string' }, badge_url: { type: 'string' }, json_url: { type: 'string' } },
          required: ['url', 'badge_url', 'json_url'],
        },
        400: errorSchema,
        ...ownerErrors,
      },
    }),
    async (request, reply) => {
      reply.code(201).header('Cache-Control', 'no-store');
      return clients.createStatusPage(request.account!.id, request.params.id, request.body);
    },
  );

  app.delete<IdParams>(
    '/api/clients/:id/status-page',
    owner('Revoke the status page link: the page, badge and JSON answer 404 from now on', { params: idParams, response: { 200: successAnswer, ...ownerErrors } }),
    async (request) => {
      await clients.revokeStatusPage(request.account!.id, request.params.id);
      return { success: true };
    },
  );

  app.put<IdParams & { Body: unknown }>(
    '/api/clients/:id/report',
    owner("Mail the client's uptime report of the month just over on the 1st, to your account email or an email contact", {
      params: idParams,
      body: {
        type: 'object',
        properties: { monthly: { type: 'boolean' }, channel_id: { type: ['string', 'null'], maxLength: 100, description: 'One of your email contacts; null: your account email' } },
        required: ['monthly'],
      },
      response: { 200: clientSchema, 400: errorSchema, ...ownerErrors },
    }),
    async (request) => clientToJson(await clients.setReport(request.account!.id, request.params.id, request.body)),
  );

  app.post<IdParams & { Body: unknown }>(
    '/api/clients/:id/maintenance',
    owner('Open a maintenance window on every site of the client', {
      params: idParams,
      body: { type: 'object', properties: { minutes: { type: 'integer' }, reason: { type: ['string', 'null'] } }, required: ['minutes'] },
      response: { 200: { type: 'object', properties: { ...changed.properties, until: { type: ['string', 'null'], format: 'date-time' } }, required: ['changed', 'until'] }, 400: errorSchema, ...ownerErrors },
    }),
    async (request) => {
      const opened = await clients.openMaintenance(request.account!.id, request.params.id, request.body);
      return { changed: opened.changed, until: opened.until?.toISOString() ?? null };
    },
  );

  app.delete<IdParams>(
    '/api/clients/:id/maintenance',
    owner('End the maintenance of every site of the client', { params: idParams, response: { 200: changed, ...ownerErrors } }),
    async (request) => clients.endMaintenance(request.account!.id, request.params.id),
  );

  app.post<IdParams & { Body: unknown }>(
    '/api/clients/:id/channels',
    owner("Make these alert channels cover every site of the client too (a channel for all sites already does)", {
      params: idParams,
      body: { type: 'object', properties: { channel_ids: { type: 'array', items: { type: 'string', maxLength: 100 }, minItems: 1, maxItems: 50 } }, required: ['channel_ids'] },
      response: { 200: changed, 400: errorSchema, ...ownerErrors },
    }),
    async (request) => clients.coverWithChannels(request.account!.id, request.params.id, request.body),
  );

  app.post<IdParams & { Body: unknown }>(
    '/api/clients/:id/mute',
    owner("Mute (or unmute, with null) the owner alerts of every site of the client", {
      params: idParams,
      body: { type: 'object', properties: { muted_until: { type: ['string', 'null'], format: 'date-time' } }, required: ['muted_until'] },
      response: { 200: changed, 400: errorSchema, ...ownerErrors },
    }),
    async (request) => clients.mute(request.account!.id, request.params.id, request.body),
  );
}
