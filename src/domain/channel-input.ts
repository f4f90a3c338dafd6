// What an owner may type for an alert channel (docs/alerts.md "Channels"), checked the same way from the API and the
// dashboard: the kind, a name, the target (an email address, or an http(s) URL for webhooks and
// Slack), the bots it covers ("all" or a list of ids), escalate_after ("30m", 1 minute to 7 days, or
// null) and enabled. Pure: whether the bots are the owner's is the service's question.
import { parseDuration } from './duration.ts';
import { parseEmail } from './email-address.ts';
import { hasControlCharacters, NOT_UNICODE, textFault } from './text.ts';

export const ESCALATE_MIN_SECONDS = 60;
export const ESCALATE_MAX_SECONDS = 7 * 86_400;
export const MAX_CHANNEL_BOTS = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ChannelInput {
  kind?: 'email' | 'webhook' | 'slack';
  name?: string;
  target?: string;
  /** null = every bot. */
  botIds?: string[] | null;
  escalateAfterSeconds?: number | null;
  enabled?: boolean;
}

type Parsed = { ok: true; value: ChannelInput } | { ok: false; message: string };

/** An email address (its one stored form, email-address.ts) or a URL fit for the kind; the message says what is wrong. */
export function parseTarget(kind: string, raw: unknown): { ok: true; value: string } | { ok: false; message: string } {
  if (typeof raw !== 'string' || raw.trim() === '') return { ok: false, message: 'target is required' };
  const value = raw.trim();
  const fault = textFault(value);
  if (fault) return { ok: false, message: `target ${fault}` };
  if (kind === 'email') {
    return parseEmail(value, 'target', 'ops@example.com');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, message: `target must be a URL such as ${kind === 'slack' ? 'https://hooks.slack.com/services/…' : 'https://example.com/hooks/agentdesk'}` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, message: 'target must be an http or https URL' };
  if (url.username || url.password) return { ok: false, message: 'target must not contain a user name or password' };
  if (value.length > 2000) return { ok: false, message: 'target must be at most 2000 characters' };
  return { ok: true, value: url.href };
}

/** escalate_after: null, or a duration such as "30m" between 1 minute and 7 days, in seconds. */
export function parseEscalateAfter(raw: unknown): { ok: true; value: number | null } | { ok: false; message: string } {
  if (raw === null || raw === '' || raw === undefined) return { ok: true, value: null };
  const ms = typeof raw === 'string' ? parseDuration(raw) : null;
  const seconds = ms === null ? null : Math.round(ms / 1000);
  if (seconds === null || seconds < ESCALATE_MIN_SECONDS || seconds > ESCALATE_MAX_SECONDS) {
    return { ok: false, message: 'escalate_after must be a duration between 1m and 7d such as "30m", or null' };
  }
  return { ok: true, value: seconds };
}

/** bots: "all" (null) or a list of bot ids without repeats. */
export function parseBots(raw: unknown): { ok: true; value: string[] | null } | { ok: false; message: string } {
  if (raw === 'all') return { ok: true, value: null };
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_CHANNEL_BOTS || !raw.every((id) => typeof id === 'string' && UUID.test(id))) {
    return { ok: false, message: `bots must be "all" or a list of 1 to ${MAX_CHANNEL_BOTS} bot ids` };
  }
  return { ok: true, value: [...new Set(raw.map((id: string) => id.toLowerCase()))] };
}

/** A new channel (kind, name and target required) or changes (`partial`; kind cannot change). */
export function parseChannelInput(body: Record<string, unknown>, partial: boolean, currentKind?: string): Parsed {
  const value: ChannelInput = {};
  if (!partial) {
    if (body.kind !== 'email' && body.kind !== 'webhook' && body.kind !== 'slack') return { ok: false, message: 'kind must be email, webhook or slack' };
    value.kind = body.kind;
  } else if (body.kind !== undefined && body.kind !== currentKind) {
    return { ok: false, message: 'kind cannot be changed: add a new channel instead' };
  }
  const kind = value.kind ?? currentKind ?? '';
  if (body.name !== undefined || !partial) {
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (textFault(name) === NOT_UNICODE) return { ok: false, message: `name ${NOT_UNICODE}` };
    if (name === '' || name.length > 100 || hasControlCharacters(name)) return { ok: false, message: 'name must be 1 to 100 characters without control characters' };
    value.name = name;
  }
  if (body.target !== undefined || !partial) {
    const target = parseTarget(kind, body.target);
    if (!target.ok) return target;
    value.target = target.value;
  }
  if (body.bots !== undefined) {
    const bots = parseBots(body.bots);
    if (!bots.ok) return bots;
    value.botIds = bots.value;
  } else if (!partial) value.botIds = null;
  if (body.escalate_after !== undefined) {
    const escalate = parseEscalateAfter(body.escalate_after);
    if (!escalate.ok) return escalate;
    value.escalateAfterSeconds = escalate.value;
  } else if (!partial) value.escalateAfterSeconds = null;
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== 'boolean') return { ok: false, message: 'enabled must be true or false' };
    value.enabled = body.enabled;
  } else if (!partial) value.enabled = true;
  return { ok: true, value };
}

/** "1800" seconds → "30m": the shortest exact spelling, as escalate_after is read back. */
export function formatSeconds(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

/** A stored URL as it is shown: scheme, host and the last 4 characters, the secret path hidden. */
export function maskUrl(target: string): string {
  try {
    const url = new URL(target);
    const rest = `${url.pathname}${url.search}`;
    return rest.length > 1 ? `${url.protocol}//${url.host}/…${rest.slice(-4)}` : `${url.protocol}//${url.host}/`;
  } catch {
    return '…';
  }
}
