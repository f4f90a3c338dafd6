// Validation of the heartbeat body (docs/contract.md "Heartbeat API"). Pure, so every rule has a direct test and the
// message always names the field the plugin got wrong. Unknown fields are ignored.
// Version 1.2 of the body adds optional site-health facts (docs/wordpress-plugin.md, "What a
// heartbeat sends"): a 1.1 body without them stays valid, and each is checked only when present.

import { textFault } from './text.ts';

export interface HeartbeatInput {
  siteUrl: string;
  pluginVersion: string;
  wpVersion: string;
  isActive: boolean;
  /** Heartbeat 1.2's site-health facts; each null when the plugin did not send it. */
  health: SiteHealth;
}

/** How the site runs its scheduled events (WP-Cron). */
export const CRON_MODES = ['wp-cron', 'alternate', 'system', 'disabled'] as const;
export type CronMode = (typeof CRON_MODES)[number];

export interface SiteHealth {
  phpVersion: string | null;
  cron: { mode: CronMode; overdueEvents: number; oldestOverdueSeconds: number } | null;
  /** wp_get_environment_type(): production, staging, development or local. */
  environment: string | null;
  multisite: boolean | null;
}

/** Whether the body carried any of 1.2's fields: only such a plugin is answered with its attention items. */
export function reportsSiteHealth(health: SiteHealth): boolean {
  return health.phpVersion !== null || health.cron !== null || health.environment !== null || health.multisite !== null;
}

export const NO_SITE_HEALTH: SiteHealth = Object.freeze({ phpVersion: null, cron: null, environment: null, multisite: null });

/** The largest count or age the cron facts may carry: the int4 column's range. */
export const MAX_CRON_NUMBER = 2_147_483_647;
const ENVIRONMENT = /^[a-z][a-z0-9_-]{0,31}$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const VERSION = /^[0-9A-Za-z.+\-]{1,32}$/;
export const MAX_SITE_URL_LENGTH = 2048;

export function parseHeartbeat(body: unknown): Parsed<HeartbeatInput> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'Body must be a JSON object' };
  }
  const fields = body as Record<string, unknown>;

  const site = parseSiteUrl(fields.site_url);
  if (!site.ok) return site;
  for (const name of ['plugin_version', 'wp_version'] as const) {
    const value = fields[name];
    if (value === undefined || value === null) return { ok: false, message: `${name} is required` };
    if (typeof value !== 'string' || !VERSION.test(value)) {
      return { ok: false, message: `${name} must be a string of 1 to 32 characters from 0-9 A-Z a-z . + -` };
    }
  }
  if (fields.is_active === undefined || fields.is_active === null) return { ok: false, message: 'is_active is required' };
  if (typeof fields.is_active !== 'boolean') return { ok: false, message: 'is_active must be true or false' };
  const health = parseSiteHealth(fields);
  if (!health.ok) return health;

  return {
    ok: true,
    value: {
      siteUrl: site.value,
      pluginVersion: fields.plugin_version as string,
      wpVersion: fields.wp_version as string,
      isActive: fields.is_active,
      health: health.value,
    },
  };
}

const absent = (value: unknown) => value === undefined || value === null;

/** Heartbeat 1.2's optional fields; an absent (or null) field is simply not known. */
export function parseSiteHealth(fields: Record<string, unknown>): Parsed<SiteHealth> {
  const { php_version: php, cron, environment, multisite } = fields;
  if (!absent(php) && (typeof php !== 'string' || !VERSION.test(php))) {
    return { ok: false, message: 'php_version must be a string of 1 to 32 characters from 0-9 A-Z a-z . + -' };
  }
  if (!absent(environment) && (typeof environment !== 'string' || !ENVIRONMENT.test(environment))) {
    return { ok: false, message: 'environment must be a string of 1 to 32 lower-case letters, digits, _ or -, starting with a letter' };
  }
  if (!absent(multisite) && typeof multisite !== 'boolean') return { ok: false, message: 'multisite must be true or false' };
  const parsedCron = absent(cron) ? ({ ok: true, value: null } as const) : parseCron(cron);
  if (!parsedCron.ok) return parsedCron;
  return {
    ok: true,
    value: {
      phpVersion: absent(php) ? null : (php as string),
      cron: parsedCron.value,
      environment: absent(environment) ? null : (environment as string),
      multisite: absent(multisite) ? null : (multisite as boolean),
    },
  };
}

function parseCron(cron: unknown): Parsed<SiteHealth['cron']> {
  if (typeof cron !== 'object' || cron === null || Array.isArray(cron)) {
    return { ok: false, message: 'cron must be an object with mode, overdue_events and oldest_overdue_seconds' };
  }
  const { mode, overdue_events: events, oldest_overdue_seconds: oldest } = cron as Record<string, unknown>;
  if (absent(mode)) return { ok: false, message: 'cron.mode is required' };
  if (typeof mode !== 'string' || !(CRON_MODES as readonly string[]).includes(mode)) {
    return { ok: false, message: `cron.mode must be one of ${CRON_MODES.join(', ')}` };
  }
  for (const [name, value] of [['overdue_events', events], ['oldest_overdue_seconds', oldest]] as const) {
    if (!absent(value) && !(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_CRON_NUMBER)) {
      return { ok: false, message: `cron.${name} must be an integer from 0 to ${MAX_CRON_NUMBER}` };
    }
  }
  return {
    ok: true,
    value: { mode: mode as CronMode, overdueEvents: (events as number | null | undefined) ?? 0, oldestOverdueSeconds: (oldest as number | null | undefined) ?? 0 },
  };
}

/** An absolute http(s) URL without credentials, at most 2048 characters. */
export function parseSiteUrl(value: unknown, field = 'site_url'): Parsed<string> {
  if (value === undefined || value === null || value === '') return { ok: false, message: `${field} is required` };
  if (typeof value !== 'string') return { ok: false, message: `${field} must be a string` };
  // Checked on the raw text: the URL parser would silently drop tabs and line breaks, and turn a
  // lone surrogate into U+FFFD.
  const fault = textFault(value);
  if (fault) return { ok: false, message: `${field} ${fault}` };
  if (value.length > MAX_SITE_URL_LENGTH) {
    return { ok: false, message: `${field} must be at most ${MAX_SITE_URL_LENGTH} characters` };
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, message: `${field} must be an absolute http or https URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, message: `${field} must be an absolute http or https URL` };
  }
  if (url.username || url.password) return { ok: false, message: `${field} must not contain a user name or password` };
  if (/[\s<>"]/.test(value)) return { ok: false, message: `${field} must not contain spaces, quotes or angle brackets` };
  // Kept as the site sent it (WordPress's home_url()), so owners recognise it.
  return { ok: true, value };
}
