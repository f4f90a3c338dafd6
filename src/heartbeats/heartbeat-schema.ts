// The heartbeat endpoint as /docs/openapi.json shows it: the four fields, heartbeat 1.2's optional
// site-health facts, and every answer of docs/contract.md "Heartbeat API". Documentation only: the route turns Fastify's validation off (see heartbeatRouteSchema's
// use), because the service checks the body itself so that each 400 names the field, unknown
// fields are ignored, and ingest pays for no second validation.
import { CRON_MODES, MAX_CRON_NUMBER, MAX_SITE_URL_LENGTH } from '../domain/heartbeat-input.ts';
import { errorAnswer, retryAnswer, unavailableAnswer } from '../http/schemas.ts';

const version = (what: string) => ({ type: 'string', pattern: '^[0-9A-Za-z.+-]{1,32}$', maxLength: 32, description: what });

export const heartbeatRouteSchema = {
  tags: ['plugin'],
  summary: 'Report that the WordPress plugin is alive (every 5 minutes, from WP-Cron)',
  description:
    'Records the heartbeat and answers only once it is committed. The body (at most 4 KiB of JSON) is checked by the service; ' +
    'a 400 names the field that is wrong. Unknown fields are ignored.',
  headers: {
    type: 'object',
    properties: { 'x-bot-token': { type: 'string', description: "The bot's secret token (bot_…)" } },
    required: ['x-bot-token'],
  },
  body: {
    type: 'object',
    additionalProperties: true,
    properties: {
      site_url: { type: 'string', format: 'uri', maxLength: MAX_SITE_URL_LENGTH, description: 'Absolute http or https URL of the site, without credentials' },
      plugin_version: version('AgentDesk plugin version'),
      wp_version: version('WordPress version'),
      is_active: { type: 'boolean', description: 'false when the plugin is being deactivated (status "deactivated")' },
      // Heartbeat 1.2: optional; a plugin that sends none of them (1.1) is answered as before.
      php_version: version('PHP version (PHP_VERSION), since heartbeat 1.2'),
      cron: {
        type: 'object',
        description: 'How the site runs WP-Cron, since heartbeat 1.2 (docs/wordpress-plugin.md)',
        additionalProperties: true,
        properties: {
          mode: { type: 'string', enum: [...CRON_MODES] },
          overdue_events: { type: 'integer', minimum: 0, maximum: MAX_CRON_NUMBER, description: 'Events more than 10 minutes late (default 0)' },
          oldest_overdue_seconds: { type: 'integer', minimum: 0, maximum: MAX_CRON_NUMBER, description: 'How late the oldest of them is (default 0)' },
        },
        required: ['mode'],
      },
      environment: {
        type: 'string',
        pattern: '^[a-z][a-z0-9_-]{0,31}$',
        description: "wp_get_environment_type(): production, staging, development or local; since heartbeat 1.2",
      },
      multisite: { type: 'boolean', description: 'Whether the site is part of a multisite network, since heartbeat 1.2' },
    },
    required: ['site_url', 'plugin_version', 'wp_version', 'is_active'],
  },
  response: {
    200: {
      description: 'Recorded (committed)',
      type: 'object',
      properties: {
        success: { type: 'boolean', const: true },
        message: { type: 'string', const: 'WordPress connection updated successfully' },
        attention: {
          type: 'array',
          description: "The site's attention items as this heartbeat shows them (docs/attention.md); the plugin shows them in Site Health, its settings page and `wp agentdesk status`",
          items: {
            type: 'object',
            properties: { kind: { type: 'string' }, detail: { type: 'string' }, next_step: { type: 'string' } },
            required: ['kind', 'detail', 'next_step'],
          },
        },
        latest_plugin_version: { type: ['string', 'null'], description: 'The plugin release this service serves to the updater; null when unknown' },
      },
      required: ['success', 'message'],
    },
    400: errorAnswer('Malformed JSON or an invalid field; the message names the field'),
    401: errorAnswer('Missing or unknown token (the same body for both)'),
    403: errorAnswer('The bot is disabled in AgentDesk'),
    413: errorAnswer('Body larger than 4 KiB'),
    415: errorAnswer('Body is not JSON'),
    429: retryAnswer('More heartbeats for this token than the per-minute limit (HEARTBEAT_RATE_LIMIT, default 30)'),
    503: unavailableAnswer,
  },
} as const;
