// Maintenance windows over HTTP (docs/alerts.md "Maintenance windows"): the owner API (Bearer key or session + x-csrf-token),
// the site's own endpoints (X-Bot-Token, for deploy scripts and `wp agentdesk maintenance`: open a
// window, end it). The owner's pages are src/dashboard/maintenance-pages.ts. Handlers call
// MaintenanceService and map its result; schemas feed OpenAPI.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import type { UserService } from '../accounts/user-service.ts';
import { idParamsSchema } from '../bots/bot-schemas.ts';
import { errorSchema, ownerErrors, ownerSecurity } from '../http/schemas.ts';
import { MAX_MAINTENANCE_MINUTES, MAX_REASON_LENGTH } from '../domain/maintenance.ts';
import { csrfForCookieAuth, requireOwner } from '../http/authenticate.ts';
import { sendBotTokenRefusal } from '../http/error-handler.ts';
import { hashedBotToken, perBotToken } from '../accounts/token-rate-key.ts';
import { errorAnswer, retryAnswer, successAnswer, unavailableAnswer } from '../http/schemas.ts';
import { nullableText, text } from '../http/text-schemas.ts';
import type { MaintenanceService } from './maintenance-service.ts';

export const WORDPRESS_MAINTENANCE_PATH = '/api/bots/wordpress-maintenance';
/** Windows a site may open per token per minute: a deploy script opens one, not hundreds. */
const TOKEN_RATE_PER_MINUTE = 10;

export interface MaintenanceRouteDeps {
  maintenance: MaintenanceService;
  users: UserService;
  sessions: SessionService;
}

const minutes = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_MAINTENANCE_MINUTES,
  description: `Length of the window in minutes, from now: 1 to ${MAX_MAINTENANCE_MINUTES} (7 days)`,
};
const reason = nullableText({ maxLength: MAX_REASON_LENGTH, description: 'Why (shown on the bot page and in the mail before a long window ends)' });
const untilAnswer = {
  type: 'object',
  properties: { until: { type: 'string', format: 'date-time', description: 'When the window ends' } },
  required: ['until'],
} as const;
const endAnswer = {
  type: 'object',
  properties: {
    success: { type: 'boolean', const: true },
    ended: { type: 'boolean', description: 'true: a window was running and is over now; false: the bot was in no maintenance window (nothing changed)' },
    message: { type: 'string' },
  },
  required: ['success', 'ended', 'message'],
} as const;
/** What an "end" answers, in words (the API and the pages say the same). */
const ENDED_MESSAGE = 'Maintenance ended: a site still silent is alerted as usual. Weekly windows stay and apply again next time.';
const NOTHING_TO_END_MESSAGE = 'Nothing to end: the bot is not in a maintenance window.';
const scheduleSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    bot_id: { type: ['string', 'null'], description: 'null = all your bots' },
    weekday: { type: 'integer', minimum: 1, maximum: 7, description: '1 = Monday … 7 = Sunday' },
    weekday_name: { type: 'string' },
    start: { type: 'string', description: 'Local start time HH:MM in your time zone' },
    minutes: { type: 'integer' },
    time_zone: { type: 'string', description: "Your account's time zone, in which start is read" },
    reason: { type: ['string', 'null'] },
    next_start: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['id', 'weekday', 'start', 'minutes'],
} as const;

type IdParams = { Params: { id: string } };


function endedCount(count: number): string {
  if (count === 0) return 'Nothing to end: none of these bots is in a maintenance window.';
  return `Maintenance ended for ${count} ${count === 1 ? 'bot' : 'bots'}: a site still silent is alerted as usual. Weekly windows stay and apply again next time.`;
}

/** The site's endpoints: made-up tokens count against the caller's address, as on the heartbeat, and each token has its own rate. */
const siteTokenConfig = (ratePrefix: string) => ({
  limitAuthFailures: true,
  rateLimit: { max: TOKEN_RATE_PER_MINUTE, timeWindow: 60_000, keyGenerator: perBotToken(ratePrefix) },
});

export async function maintenanceRoutes(app: FastifyInstance, { maintenance, users, sessions }: MaintenanceRouteDeps) {
  // The site opens its own window (deploy script, WP-CLI): authenticated by the bot token alone.
  app.post(
    WORDPRESS_MAINTENANCE_PATH,
    {
      bodyLimit: 4096,
      schema: {
        tags: ['plugin'],
        summary: 'Open a maintenance window for this site (deploy scripts, `wp agentdesk maintenance`)',
        headers: { type: 'object', properties: { 'x-bot-token': { type: 'string' } } },
        body: { type: 'object', properties: { minutes, reason }, required: ['minutes'] },
        response: {
          200: { ...untilAnswer, properties: { success: { type: 'boolean', const: true }, ...untilAnswer.properties } },
          400: errorAnswer('minutes missing, not a whole number, or more than 7 days'),
          401: errorAnswer('Missing or unknown bot token'),
          403: errorAnswer('The bot is disabled in AgentDesk'),
          429: retryAnswer('Too many windows for this token, or too many failed authentications from this address'),
          503: unavailableAnswer,
        },
      },
      // The service validates, so every error has the seed's shape and names the field.
      validatorCompiler: () => () => true,
      config: siteTokenConfig('mw'),
    },
    async (request, reply) => {
      const result = await maintenance.openForToken(hashedBotToken(request)?.token.trim(), request.body);
      if (result.kind === 'opened') return { success: true, until: result.until.toISOString() };
      return sendBotTokenRefusal(reply, result);
    },
  );

  // The site ends its own maintenance (the end of a deploy script, `wp agentdesk maintenance end`).
  app.post(
    `${WORDPRESS_MAINTENANCE_PATH}/end`,
    {
      bodyLimit: 4096,
      schema: {
        tags: ['plugin'],
        summary: "End this site's maintenance now (`wp agentdesk maintenance end`): 200 with ended: false when it is in none",
        headers: { type: 'object', properties: { 'x-bot-token': { type: 'string' } } },
        response: {
          200: endAnswer,
          401: errorAnswer('Missing or unknown bot token'),
          403: errorAnswer('The bot is disabled in AgentDesk'),
          429: retryAnswer('Too many requests for this token, or too many failed authentications from this address'),
          503: unavailableAnswer,
        },
      },
      config: siteTokenConfig('mw-end'),
    },
    async (request, reply) => {
      const result = await maintenance.endForToken(hashedBotToken(request)?.token.trim());
      if (result.kind !== 'ended') return sendBotTokenRefusal(reply, result);
      return { success: true, ended: result.ended, message: result.ended ? ENDED_MESSAGE : NOTHING_TO_END_MESSAGE };
    },
  );

  // Authenticated before body validation, so an anonymous caller learns nothing from a 400.
  const preValidation = [requireOwner(users, sessions), csrfForCookieAuth];
  const owner = (summary: string, schema: Record<string, unknown>) => ({
    preValidation,
    config: { limitAuthFailures: true },
    schema: { tags: ['maintenance'], summary, security: ownerSecurity, ...schema },
  });

  app.post<IdParams & { Body: unknown }>(
    '/api/bots/:id/maintenance',
    owner('Open (or replace) a maintenance window for one of your bots: no stale alert until it ends', {
      params: idParamsSchema,
      body: { type: 'object', properties: { minutes, reason }, required: ['minutes'] },
      response: { 200: untilAnswer, 400: errorSchema, 403: errorSchema, ...ownerErrors },
    }),
    async (request) => {
      const { until } = await maintenance.openForBot(request.account!.id, request.params.id, request.body);
      return { until: until.toISOString() };
    },
  );

  // Ending when nothing runs is a 200 with ended: false, not a 409: DELETE is idempotent, and a
  // script or button that races a window's natural end has got what it asked for.
  app.delete<IdParams>(
    '/api/bots/:id/maintenance',
    owner(
      "End a bot's maintenance now: its one-off window and the running occurrence of any weekly window covering it (the weekly windows stay for next time). 200 with ended: false when it is in none",
      { params: idParamsSchema, response: { 200: endAnswer, 403: errorSchema, ...ownerErrors } },
    ),
    async (request) => {
      const { ended } = await maintenance.endForBot(request.account!.id, request.params.id);
      return { success: true, ended, message: ended ? ENDED_MESSAGE : NOTHING_TO_END_MESSAGE };
    },
  );

  app.post<{ Body: unknown }>(
    '/api/maintenance',
    owner('Open a maintenance window for several of your bots, or all of them when bot_ids is absent', {
      body: {
        type: 'object',
        properties: { minutes, reason, bot_ids: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 1000, description: 'Absent = all your bots' } },
        required: ['minutes'],
      },
      response: {
        200: { type: 'object', properties: { ...untilAnswer.properties, bot_ids: { type: 'array', items: { type: 'string' } } }, required: ['until', 'bot_ids'] },
        400: errorSchema,
        401: errorSchema,
        403: errorSchema,
        404: errorAnswer('bot_ids names a bot you do not have (nothing was changed)'),
      },
    }),
    async (request) => {
      const { until, botIds } = await maintenance.openForOwner(request.account!.id, request.body);
      return { until: until.toISOString(), bot_ids: botIds };
    },
  );

  // No body at all (curl -X POST without -d) means "all my bots", as `{}` does: the body is
  // defaulted after authentication, before the schema sees it.
  const endMany = owner('End the maintenance of several of your bots now, or of all of them when bot_ids is absent (one-off windows and running weekly occurrences)', {
    body: {
      type: 'object',
      properties: { bot_ids: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 1000, description: 'Absent = all your bots' } },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          bot_ids: { type: 'array', items: { type: 'string' }, description: 'The bots that were in maintenance and no longer are (empty: none was)' },
          message: { type: 'string' },
        },
        required: ['bot_ids', 'message'],
      },
      400: errorSchema,
      401: errorSchema,
      403: errorSchema,
      404: errorAnswer('bot_ids names a bot you do not have (nothing was changed)'),
    },
  });
  const noBodyMeansAll = async (request: FastifyRequest) => {
    request.body ??= {};
  };
  app.post<{ Body: unknown }>(
    '/api/maintenance/end',
    { ...endMany, preValidation: [...endMany.preValidation, noBodyMeansAll] },
    async (request) => {
      const { botIds } = await maintenance.endForOwner(request.account!.id, request.body);
      return { bot_ids: botIds, message: endedCount(botIds.length) };
    },
  );

  app.get(
    '/api/maintenance/schedules',
    owner('List your weekly maintenance windows', {
      response: { 200: { type: 'object', properties: { schedules: { type: 'array', items: scheduleSchema } }, required: ['schedules'] }, 401: errorSchema },
    }),
    async (request) => ({ schedules: await maintenance.schedules(request.account!.id) }),
  );

  app.post<{ Body: unknown }>(
    '/api/maintenance/schedules',
    owner('Add a weekly maintenance window, read in your time zone (correct across daylight-saving changes)', {
      body: {
        type: 'object',
        properties: {
          weekday: { type: 'integer', minimum: 1, maximum: 7, description: '1 = Monday … 7 = Sunday' },
          start: text({ maxLength: 5, description: 'Local start time HH:MM' }),
          minutes,
          bot_id: { type: ['string', 'null'], description: 'One of your bots; absent or null = all your bots' },
          reason,
        },
        required: ['weekday', 'start', 'minutes'],
      },
      response: { 201: scheduleSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema },
    }),
    async (request, reply) => {
      const schedule = await maintenance.addSchedule(request.account!.id, request.body);
      reply.code(201);
      return schedule;
    },
  );

  app.delete<IdParams>(
    '/api/maintenance/schedules/:id',
    owner('Delete one of your weekly maintenance windows', {
      params: { type: 'object', properties: { id: { type: 'string', description: 'The schedule id' } }, required: ['id'] },
      response: { 200: successAnswer, 403: errorSchema, ...ownerErrors },
    }),
    async (request) => {
      await maintenance.removeSchedule(request.account!.id, request.params.id);
      return { success: true, message: 'Weekly maintenance window deleted' };
    },
  );
}
