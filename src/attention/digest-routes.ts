// The weekly digest settings API (docs/attention.md, "The weekly digest"): GET|PUT /api/attention/digest
// (weekday, local hour, kinds opted out) and PUT /api/attention/digest/channels/:id (a webhook or
// Slack channel's `attention` event, off by default). Owner routes like the channels API: a Bearer
// API key or the dashboard's session cookie (mutating calls then need x-csrf-token).
import type { FastifyInstance } from 'fastify';
import type { SessionService } from '../accounts/session-service.ts';
import type { UserService } from '../accounts/user-service.ts';
import { csrfForCookieAuth, requireOwner } from '../http/authenticate.ts';
import { errorSchema, ownerErrors, ownerSecurity } from '../http/schemas.ts';
import { ATTENTION_KINDS } from '../domain/attention.ts';
import type { DigestSettingsService } from './digest-settings-service.ts';

const channelSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: ['webhook', 'slack'] },
    name: { type: 'string' },
    attention_events: { type: 'boolean', description: 'Whether this channel gets the weekly `attention` event (off by default)' },
  },
  required: ['id', 'kind', 'name', 'attention_events'],
} as const;

const settingsSchema = {
  type: 'object',
  properties: {
    weekday: { type: 'integer', minimum: 1, maximum: 7, description: 'ISO weekday the digest comes on: 1 = Monday … 7 = Sunday' },
    hour: { type: 'integer', minimum: 0, maximum: 23, description: 'Local hour it comes at, in `timezone`' },
    timezone: { type: 'string', description: "The account's time zone (changed on the account settings)" },
    off: { type: 'array', items: { type: 'string', enum: [...ATTENTION_KINDS] }, description: 'Kinds of attention item never mentioned' },
    channels: { type: 'array', items: channelSchema },
  },
  required: ['weekday', 'hour', 'timezone', 'off', 'channels'],
} as const;

// Types and ranges are checked by the service, so a wrong value is one 400 naming its field.
const updateBody = {
  type: 'object',
  properties: { weekday: {}, hour: {}, off: {} },
  additionalProperties: false,
  minProperties: 1,
} as const;

export async function digestRoutes(app: FastifyInstance, deps: { digest: DigestSettingsService; users: UserService; sessions?: SessionService }) {
  const { digest } = deps;
  const preValidation = [requireOwner(deps.users, deps.sessions), csrfForCookieAuth];
  const owner = (summary: string, schema: Record<string, unknown>) => ({
    preValidation,
    config: { limitAuthFailures: true },
    schema: { tags: ['attention'], summary, security: ownerSecurity, ...schema },
  });

  app.get('/api/attention/digest', owner('Read your weekly "needs attention" digest settings', { response: { 200: settingsSchema, 401: errorSchema } }), async (request) =>
    digest.get(request.account!.id),
  );

  app.put<{ Body: Record<string, unknown> }>(
    '/api/attention/digest',
    owner('Change the weekday, local hour or kinds of your weekly digest (absent fields are kept)', {
      body: updateBody,
      response: { 200: settingsSchema, 400: errorSchema, 401: errorSchema },
    }),
    async (request) => digest.update(request.account!.id, request.body),
  );

  app.put<{ Params: { id: string }; Body: { attention_events?: unknown } }>(
    '/api/attention/digest/channels/:id',
    owner('Turn the weekly `attention` event of a webhook or Slack channel on or off', {
      params: { type: 'object', properties: { id: { type: 'string', maxLength: 100 } }, required: ['id'] },
      body: { type: 'object', properties: { attention_events: { type: 'boolean' } }, required: ['attention_events'], additionalProperties: false },
      response: { 200: channelSchema, 400: errorSchema, ...ownerErrors },
    }),
    async (request) => digest.setChannel(request.account!.id, request.params.id, request.body.attention_events),
  );
}
