// Plugin-facing (validate, public widget config) and owner-facing (list, create, read, update,
// delete, rotate token) bot endpoints. Owner routes take a Bearer API key or the dashboard's
// session cookie (then mutating calls need the x-csrf-token header). Schemas feed /docs/openapi.json.
import type { FastifyInstance } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import type { UserService } from '../accounts/user-service.ts';
import type { MaintainedBot } from './bot-maintenance.ts';
import { effectiveStatus } from '../domain/connection-status.ts';
import { csrfForCookieAuth, requireOwner } from '../http/authenticate.ts';
import { sendError } from '../http/error-handler.ts';
import { errorAnswer, errorSchema, ownerErrors, ownerSecurity, pageQuerySchema, successAnswer, unavailableAnswer } from '../http/schemas.ts';
import { botToJson } from './bot-json.ts';
import { botJsonSchema, botListQuerySchema, botWithTokenSchema, createBotBodySchema, idParamsSchema, updateBotBodySchema, type BotListQuery } from './bot-schemas.ts';
import type { BotService } from './bot-service.ts';
import type { AttentionService } from '../attention/attention-service.ts';
import { matchesAttention } from '../domain/attention.ts';

export interface BotRouteDeps {
  bots: BotService;
  users: UserService;
  /** Lets the dashboard's session cookie authenticate owner calls too. */
  sessions?: SessionService;
  /** Attention items in the bot JSON; none without it. */
  attention?: AttentionService;
}

type IdParams = { Params: { id: string } };

export async function botRoutes(app: FastifyInstance, { bots, users, sessions, attention }: BotRouteDeps) {
  const toJson = (bot: MaintainedBot, pending?: Date | null) => botToJson(bot, pending ?? null, attention?.itemsFor(bot) ?? []);

  // The plugin's settings page checks a token before saving it.
  app.post(
    '/api/bots/validate',
    {
      // Guessed tokens count against the caller's address (src/http/auth-failure-limit.ts).
      config: { limitAuthFailures: true },
      schema: {
        tags: ['plugin'],
        summary: 'Check a bot token (WordPress plugin settings page)',
        headers: { type: 'object', properties: { 'x-bot-token': { type: 'string' } } },
        response: {
          200: {
            type: 'object',
            properties: {
              valid: { type: 'boolean', const: true },
              bot: {
                type: 'object',
                additionalProperties: true,
                properties: {
                  id: { type: 'string' },
                  name: { type: 'string' },
                  widget_key: { type: 'string' },
                  language: { type: 'string' },
                  welcome_message: { type: ['string', 'null'] },
                  is_active: { type: 'boolean' },
                  connection_status: { type: 'string' },
                },
              },
            },
          },
          '4xx': {
            description: 'Missing or unknown token (401), or the bot is disabled (403)',
            type: 'object',
            additionalProperties: true,
            properties: { valid: { type: 'boolean', const: false }, success: { type: 'boolean' }, message: { type: 'string' } },
          },
          503: unavailableAnswer,
        },
      },
    },
    async (request, reply) => {
      const token = request.headers['x-bot-token'];
      const bot = typeof token === 'string' ? await bots.botForToken(token.trim()) : undefined;
      if (!bot) return reply.code(401).send({ valid: false, success: false, message: 'Missing or invalid bot token' });
      if (!bot.is_active) return reply.code(403).send({ valid: false, success: false, message: 'This bot is disabled in AgentDesk' });
      return {
        valid: true,
        bot: {
          id: bot.id,
          name: bot.name,
          widget_key: bot.widget_key,
          language: bot.language,
          welcome_message: bot.welcome_message,
          is_active: bot.is_active,
          connection_status: effectiveStatus(bot),
        },
      };
    },
  );

  // Public: read by the chat widget on any site, so it is keyed by the public widget key and cacheable.
  app.get<{ Params: { widgetKey: string } }>(
    '/api/bots/config/:widgetKey',
    {
      schema: {
        tags: ['plugin'],
        summary: 'Public chat widget configuration',
        params: { type: 'object', properties: { widgetKey: { type: 'string' } }, required: ['widgetKey'] },
        response: {
          200: {
            type: 'object',
            additionalProperties: true,
            properties: {
              widget_key: { type: 'string' },
              name: { type: 'string' },
              language: { type: 'string' },
              welcome_message: { type: ['string', 'null'] },
              is_trained: { type: 'boolean' },
            },
          },
          404: errorAnswer('No active bot has this widget key'),
          503: unavailableAnswer,
        },
      },
    },
    async (request, reply) => {
      const config = await bots.widgetConfig(request.params.widgetKey);
      if (!config) return sendError(reply, 404, 'Unknown widget key');
      reply.header('Cache-Control', 'public, max-age=60').header('Access-Control-Allow-Origin', '*');
      return config;
    },
  );

  // Authenticated before body validation, so an anonymous caller learns nothing from a 400.
  const preValidation = [requireOwner(users, sessions), csrfForCookieAuth];
  const owner = (summary: string, schema: Record<string, unknown>) => ({
    preValidation,
    config: { limitAuthFailures: true },
    schema: { tags: ['bots'], summary, security: ownerSecurity, ...schema },
  });

  const withPendingAlert = async (bot: MaintainedBot) => toJson(bot, (await bots.alertPendingUntil([bot.id])).get(bot.id));

  app.get<{ Querystring: BotListQuery }>(
    '/api/bots',
    owner('List your bots, oldest first, one page at a time (follow next_cursor for the next page)', {
      querystring: botListQuerySchema,
      response: {
        200: {
          type: 'object',
          properties: {
            bots: { type: 'array', items: botJsonSchema },
            next_cursor: { type: ['string', 'null'], description: 'Pass as cursor for the next page; null on the last page' },
          },
          required: ['bots', 'next_cursor'],
        },
        400: errorSchema,
        401: errorSchema,
      },
    }),
    async (request) => {
      const { limit, cursor, status, q, attention: wanted, client_id: clientId } = request.query;
      const page = await bots.listBotsAfter(request.account!.id, {
        limit,
        cursor,
        status,
        clientId,
        search: q?.trim() || undefined,
        keep: wanted ? (bot) => matchesAttention(attention?.itemsFor(bot) ?? [], wanted) : undefined,
      });
      const pending = await bots.alertPendingUntil(page.bots.map((bot) => bot.id));
      return { bots: page.bots.map((bot) => toJson(bot, pending.get(bot.id))), next_cursor: page.nextCursor };
    },
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/api/bots',
    owner('Create a bot; the response holds its secret token, shown only this once', {
      body: createBotBodySchema,
      response: { 201: botWithTokenSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema },
    }),
    async (request, reply) => {
      const created = await bots.createBot(request.account!.id, request.body);
      reply.code(201).header('Cache-Control', 'no-store');
      return { bot: toJson(created.bot), token: created.token };
    },
  );

  app.get<IdParams>(
    '/api/bots/:id',
    owner('Read one of your bots', { params: idParamsSchema, response: { 200: botJsonSchema, ...ownerErrors } }),
    async (request) => withPendingAlert(await bots.getBot(request.account!.id, request.params.id)),
  );

  app.get<IdParams & { Querystring: { limit: number; cursor?: string } }>(
    '/api/bots/:id/events',
    owner("Read one of your bots' connection events (status changes, probes, address changes), newest first, one page at a time", {
      params: idParamsSchema,
      querystring: pageQuerySchema,
      response: {
        200: {
          type: 'object',
          properties: {
            events: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'integer' },
                  occurred_at: { type: 'string', format: 'date-time' },
                  kind: { type: 'string' },
                  from_status: { type: ['string', 'null'] },
                  to_status: { type: ['string', 'null'] },
                  reason: { type: 'string' },
                  details: { type: ['object', 'null'], additionalProperties: true },
                },
                required: ['id', 'occurred_at', 'kind', 'reason'],
              },
            },
            next_cursor: { type: ['string', 'null'] },
          },
          required: ['events', 'next_cursor'],
        },
        400: errorSchema,
        ...ownerErrors,
      },
    }),
    async (request) => {
      const page = await bots.events(request.account!.id, request.params.id, request.query);
      return {
        events: page.events.map((event) => ({ ...event, id: Number(event.id), occurred_at: event.occurred_at.toISOString() })),
        next_cursor: page.nextCursor,
      };
    },
  );

  app.put<IdParams & { Body: Record<string, unknown> }>(
    '/api/bots/:id',
    owner('Change some fields of one of your bots (absent fields are kept)', {
      params: idParamsSchema,
      body: updateBotBodySchema,
      response: { 200: botJsonSchema, 400: errorSchema, 403: errorSchema, ...ownerErrors },
    }),
    async (request) => withPendingAlert(await bots.updateBot(request.account!.id, request.params.id, request.body)),
  );

  app.delete<IdParams>(
    '/api/bots/:id',
    owner('Delete one of your bots, with its connection history', {
      params: idParamsSchema,
      response: {
        200: successAnswer,
        403: errorSchema,
        ...ownerErrors,
      },
    }),
    async (request) => {
      await bots.deleteBot(request.account!.id, request.params.id);
      return { success: true, message: 'Bot deleted' };
    },
  );

  app.post<IdParams>(
    '/api/bots/:id/rotate-token',
    owner('Issue a new secret token; the old one stops working at once', {
      params: idParamsSchema,
      response: { 200: botWithTokenSchema, 403: errorSchema, ...ownerErrors },
    }),
    async (request, reply) => {
      const rotated = await bots.rotateToken(request.account!.id, request.params.id);
      reply.header('Cache-Control', 'no-store');
      return { bot: toJson(rotated.bot), token: rotated.token };
    },
  );
}
