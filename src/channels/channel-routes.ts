// The channels API (docs/alerts.md "Channels"): GET|POST /api/channels, GET|PUT|DELETE /api/channels/:id,
// POST /api/channels/:id/test and POST /api/channels/:id/verification (resend a contact's
// confirmation mail). Owner routes like the bots API: a Bearer API key or the dashboard's
// session cookie (mutating calls then need x-csrf-token). Schemas feed /docs/openapi.json.
import type { FastifyInstance } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import type { UserService } from '../accounts/user-service.ts';
import { errorSchema, ownerErrors, ownerSecurity, pageQuerySchema } from '../http/schemas.ts';
import { csrfForCookieAuth, requireOwner } from '../http/authenticate.ts';
import { text } from '../http/text-schemas.ts';
import { errorAnswer, retryAnswer, successAnswer } from '../http/schemas.ts';
import { MAX_CHANNEL_BOTS } from '../domain/channel-input.ts';
import type { ChannelService } from './channel-service.ts';

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...extra });

/** Whether adding a contact, or changing its address, queued its confirmation mail. */
const confirmationSchema = {
  type: 'object',
  description: 'Email contacts: whether a confirmation mail was queued (false when a limit held: resend it later)',
  properties: { queued: { type: 'boolean' }, message: { type: 'string' } },
  required: ['queued', 'message'],
} as const;

export const channelJsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: ['email', 'webhook', 'slack'] },
    name: { type: 'string' },
    target: nullable('string', { description: 'Email address, or the URL masked (scheme, host and its last 4 characters)' }),
    is_account: { type: 'boolean', description: 'The account email: always there, follows the account address, cannot be deleted' },
    bots: { description: '"all", or the ids of the bots this channel covers', anyOf: [{ type: 'string', const: 'all' }, { type: 'array', items: { type: 'string' } }] },
    escalate_after: nullable('string', { description: 'Only alert if the site is still stale this long after the first alert ("30m"); null = at once' }),
    enabled: { type: 'boolean', description: 'false = no alerts; set by AgentDesk when the receiver answered that it is gone (HTTP 410)' },
    verification: {
      type: ['string', 'null'],
      enum: ['unverified', 'verified', null],
      description:
        'Email channels: "unverified" until the address follows the link of its confirmation mail (nothing else is sent to it, tests included), then "verified"; the account email is always "verified". null for webhooks and Slack.',
    },
    last_error: nullable('string', { description: 'The last permanent delivery failure, cleared by the next success' }),
    last_error_at: nullable('string', { format: 'date-time' }),
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'kind', 'name', 'bots', 'enabled'],
  additionalProperties: true,
} as const;

const editable = {
  name: text({ minLength: 1, maxLength: 100 }),
  target: text({ minLength: 1, maxLength: 2000, description: 'An email address (email), or an http(s) URL (webhook, Slack incoming webhook)' }),
  bots: {
    description: '"all" (the default) or a list of your bot ids',
    anyOf: [{ type: 'string', const: 'all' }, { type: 'array', items: text({ maxLength: 36 }), minItems: 1, maxItems: MAX_CHANNEL_BOTS }],
  },
  escalate_after: { ...nullable('string'), pattern: '^[0-9a-z.]*$', maxLength: 20, description: 'A duration between 1m and 7d such as "30m", or null' },
  enabled: { type: 'boolean' },
};

const createBody = {
  type: 'object',
  properties: { kind: { type: 'string', enum: ['email', 'webhook', 'slack'] }, ...editable },
  required: ['kind', 'name', 'target'],
} as const;

const updateBody = { type: 'object', properties: { kind: { type: 'string', enum: ['email', 'webhook', 'slack'] }, ...editable }, minProperties: 1 } as const;

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 100, description: 'The channel id (uuid)' } }, required: ['id'] } as const;

type IdParams = { Params: { id: string } };

export async function channelRoutes(app: FastifyInstance, deps: { channels: ChannelService; users: UserService; sessions?: SessionService }) {
  const { channels } = deps;
  const preValidation = [requireOwner(deps.users, deps.sessions), csrfForCookieAuth];
  const owner = (summary: string, schema: Record<string, unknown>) => ({
    preValidation,
    config: { limitAuthFailures: true },
    schema: { tags: ['channels'], summary, security: ownerSecurity, ...schema },
  });

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/api/channels',
    owner('List your alert channels, oldest first (the account email is the first), one page at a time', {
      querystring: pageQuerySchema,
      response: {
        200: { type: 'object', properties: { channels: { type: 'array', items: channelJsonSchema }, next_cursor: { type: ['string', 'null'] } }, required: ['channels', 'next_cursor'] },
        400: errorSchema,
        401: errorSchema,
      },
    }),
    async (request) => {
      const page = await channels.listPage(request.account!.id, request.query);
      return { channels: page.channels, next_cursor: page.nextCursor };
    },
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/api/channels',
    owner('Add an alert channel (email contact, webhook or Slack); a webhook\'s signing secret is in this response only', {
      body: createBody,
      response: {
        201: {
          type: 'object',
          properties: {
            channel: channelJsonSchema,
            secret: { type: 'string', description: 'Webhooks: the HMAC-SHA256 signing secret (whsec_…), shown only this once' },
            confirmation: confirmationSchema,
          },
          required: ['channel'],
        },
        400: errorSchema,
        401: errorSchema,
      },
    }),
    async (request, reply) => {
      const created = await channels.create(request.account!.id, request.body);
      reply.code(201).header('Cache-Control', 'no-store');
      return created;
    },
  );

  app.get<IdParams>(
    '/api/channels/:id',
    owner('Read one of your alert channels', { params: idParams, response: { 200: channelJsonSchema, ...ownerErrors } }),
    async (request) => channels.get(request.account!.id, request.params.id),
  );

  app.put<IdParams & { Body: Record<string, unknown> }>(
    '/api/channels/:id',
    owner('Change some fields of an alert channel (absent fields are kept; re-enabling clears the last error; a new contact address has to confirm again)', {
      params: idParams,
      body: updateBody,
      response: { 200: { ...channelJsonSchema, properties: { ...channelJsonSchema.properties, confirmation: confirmationSchema } }, 400: errorSchema, ...ownerErrors },
    }),
    async (request) => channels.update(request.account!.id, request.params.id, request.body),
  );

  app.delete<IdParams>(
    '/api/channels/:id',
    owner('Delete an alert channel (the account email can only be disabled)', {
      params: idParams,
      response: {
        200: successAnswer,
        400: errorSchema,
        ...ownerErrors,
      },
    }),
    async (request) => {
      await channels.remove(request.account!.id, request.params.id);
      return { success: true, message: 'Channel deleted' };
    },
  );

  app.post<IdParams>(
    '/api/channels/:id/test',
    owner('Send a test through the real delivery path and say what happened (one a minute per channel, ten an hour per account)', {
      params: idParams,
      response: {
        200: {
          type: 'object',
          properties: {
            result: { type: 'string', enum: ['sent', 'retry', 'failed', 'dropped'], description: 'retry: not delivered yet, retried with backoff' },
            message: { type: 'string' },
          },
          required: ['result', 'message'],
        },
        ...ownerErrors,
        409: errorAnswer('An email contact whose address has not confirmed yet: nothing is sent to it'),
        429: retryAnswer('A test of this channel in the last minute, or ten tests of the account in the last hour'),
      },
    }),
    async (request) => channels.test(request.account!.id, request.params.id),
  );

  app.post<IdParams>(
    '/api/channels/:id/verification',
    owner("Send an email contact's confirmation mail again (at most once an hour per address, ten an hour per account)", {
      params: idParams,
      response: {
        202: successAnswer,
        400: errorAnswer('Not an email contact (webhooks, Slack and the account email need no confirmation)'),
        ...ownerErrors,
        409: errorAnswer('The address has already confirmed'),
        429: retryAnswer('A confirmation mail went to this address in the last hour, or ten from the account'),
      },
    }),
    async (request, reply) => {
      const { message } = await channels.resendConfirmation(request.account!.id, request.params.id);
      reply.code(202);
      return { success: true, message };
    },
  );
}
