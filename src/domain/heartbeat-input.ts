// Validation of the heartbeat body (docs/contract.md "Heartbeat API"). Pure, so every rule has a direct test and the
// message always names the field the plugin got wrong. Unknown fields are ignored.

import { textFault } from './text.ts';

export interface HeartbeatInput {
  siteUrl: string;
  pluginVersion: string;
  wpVersion: string;
  isActive: boolean;
}

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

  return {
    ok: true,
    value: {
      siteUrl: site.value,
      pluginVersion: fields.plugin_version as string,
      wpVersion: fields.wp_version as string,
      isActive: fields.is_active,
    },
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
