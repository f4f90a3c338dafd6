// JSON schemas of the bots API: fastify validates requests and serializes responses with them,
// and @fastify/swagger turns them into /docs/openapi.json. botJsonSchema lists every field of
// botToJson (tests check the two agree, since the serializer drops unknown fields).
import { CONNECTION_STATUSES, type ConnectionStatus } from '../domain/connection-status.ts';
import { MAX_GRACE_SECONDS } from '../domain/bot-input.ts';
import { DIAGNOSES } from '../domain/probe-diagnosis.ts';
import { CRON_MODES } from '../domain/heartbeat-input.ts';
import { ATTENTION_KINDS, type AttentionFilter } from '../domain/attention.ts';
import { errorSchema, pageQuerySchema } from '../http/schemas.ts';
import { nullableText, text } from '../http/text-schemas.ts';

const nullable = (type: string, extra: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...extra });
const time = { type: 'string', format: 'date-time' };

export const botJsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    user_id: { type: 'string', format: 'uuid' },
    client_id: nullable('string', { format: 'uuid', description: 'The client this site is grouped under; null: none' }),
    name: { type: 'string' },
    description: nullable('string'),
    language: { type: 'string' },
    model: { type: 'string' },
    personality: nullable('string'),
    welcome_message: nullable('string'),
    is_active: { type: 'boolean', description: 'false = the bot is switched off in AgentDesk (status "disabled")' },
    is_trained: { type: 'boolean' },
    created_at: time,
    updated_at: time,
    widget_key: { type: 'string', description: 'Public key for the chat widget (pub_…)' },
    token_prefix: { type: 'string', description: 'The first characters of the secret token, for recognising it' },
    wordpress_connected: { type: 'boolean' },
    wordpress_site_url: nullable('string'),
    wordpress_plugin_version: nullable('string'),
    wordpress_wp_version: nullable('string'),
    wordpress_last_activity: nullable('string', { format: 'date-time' }),
    wordpress_php_version: nullable('string', { description: 'PHP version the site reported (heartbeat 1.2); null when not reported' }),
    wordpress_cron: {
      type: ['object', 'null'],
      description: 'How the site runs WP-Cron, as last reported (heartbeat 1.2); null when not reported',
      properties: {
        mode: { type: 'string', enum: [...CRON_MODES] },
        overdue_events: { type: 'integer' },
        oldest_overdue_seconds: { type: 'integer' },
      },
    },
    wordpress_environment: nullable('string', { description: 'wp_get_environment_type() as last reported; null when not reported' }),
    wordpress_multisite: nullable('boolean', { description: 'Part of a multisite network, as last reported; null when not reported' }),
    connection_status: { type: 'string', enum: [...CONNECTION_STATUSES] },
    status_changed_at: nullable('string', { format: 'date-time' }),
    stale_grace_seconds: { type: 'integer' },
    muted_until: nullable('string', { format: 'date-time' }),
    site_url_changed_at: nullable('string', { format: 'date-time' }),
    wordpress_clone_url: nullable('string', { description: 'A copy of the site reporting with this token while the site itself still reports; it changes nothing else' }),
    wordpress_clone_seen_at: nullable('string', { format: 'date-time', description: "The copy's last heartbeat" }),
    diagnosis: {
      type: ['string', 'null'],
      enum: [...DIAGNOSES, null],
      description: 'While stale: what the probe of the silent site found (site_down, plugin_silent, probe_blocked, not_probed); null otherwise',
    },
    diagnosis_detail: nullable('string', { description: 'The diagnosis in words, with the error or HTTP status the probe got' }),
    last_probe_at: nullable('string', { format: 'date-time', description: 'When the site was last probed' }),
    maintenance_until: nullable('string', {
      format: 'date-time',
      description: 'While the bot is in a maintenance window (one-off or weekly): when it ends; no stale alert until then. Null otherwise',
    }),
    alert_pending_until: nullable('string', {
      format: 'date-time',
      description: 'While an alert about this site (email, or a message on one of your channels) waits for more of your sites to join it (ALERT_GROUP_WINDOW): when the first of them will be sent at the latest; null otherwise',
    }),
    attention: {
      type: 'array',
      description: 'What needs the owner\'s care on the site, from what its heartbeat reports (docs/attention.md); empty when nothing does',
      items: {
        type: 'object',
        properties: {
          kind: { type: 'string', enum: [...ATTENTION_KINDS] },
          detail: { type: 'string', description: 'One sentence: what is wrong' },
          next_step: { type: 'string', description: 'One sentence: what to do' },
          since: { type: 'string', format: 'date-time', description: 'Since when it holds, as far as the service can tell' },
        },
        required: ['kind', 'detail', 'since'],
      },
    },
  },
  required: ['id', 'name', 'connection_status'],
  // A field added to botToJson and forgotten here still reaches clients.
  additionalProperties: true,
} as const;

// Text fields refuse control characters (multi-line ones keep tabs and line breaks).
const editableFields = {
  name: text({ minLength: 1, maxLength: 100 }),
  description: nullableText({ maxLength: 2000 }, { multiline: true }),
  language: text({ maxLength: 35, description: 'Language code such as en, fr or pt-BR' }),
  model: text({ maxLength: 64 }),
  personality: nullableText({ maxLength: 2000 }, { multiline: true }),
  welcome_message: nullableText({ maxLength: 1000 }, { multiline: true }),
  is_active: { type: 'boolean' },
  is_trained: { type: 'boolean' },
  stale_grace_seconds: { type: 'integer', minimum: 0, maximum: MAX_GRACE_SECONDS, description: 'Extra silence allowed before the bot counts as stale' },
};

export const createBotBodySchema = {
  type: 'object',
  properties: editableFields,
  required: ['name'],
} as const;

export const updateBotBodySchema = {
  type: 'object',
  properties: {
    ...editableFields,
    muted_until: nullable('string', { format: 'date-time', description: 'No owner alerts for this bot until then; null unmutes' }),
    client_id: nullable('string', { maxLength: 36, description: 'Put the site under one of your clients; null takes it out' }),
  },
  minProperties: 1,
} as const;

export const botWithTokenSchema = {
  type: 'object',
  properties: {
    bot: botJsonSchema,
    token: { type: 'string', description: 'The secret bot token (bot_…): shown only in this response' },
  },
  required: ['bot', 'token'],
} as const;

export const idParamsSchema = {
  type: 'object',
  properties: { id: { type: 'string', description: 'The bot id (uuid)' } },
  required: ['id'],
} as const;

/** The query of the paged bot list (docs/contract.md "Paged lists"). */
export interface BotListQuery {
  limit: number;
  cursor?: string;
  status?: ConnectionStatus;
  q?: string;
  attention?: AttentionFilter;
  client_id?: string;
}

export const botListQuerySchema = {
  type: 'object',
  properties: {
    ...pageQuerySchema.properties,
    status: { type: 'string', enum: [...CONNECTION_STATUSES], description: 'Only the bots with this status' },
    q: text({ maxLength: 100, description: 'Only the bots whose name or site address contains this text' }),
    client_id: { type: 'string', format: 'uuid', description: 'Only the sites of this client' },
    attention: {
      type: 'string',
      enum: ['any', ...ATTENTION_KINDS],
      description: 'Only the bots with an attention item (any), or with one of this kind',
    },
  },
} as const;
