// Validation of a client's fields (docs/clients.md): the API and the CLI share it.
import type { Parsed } from './heartbeat-input.ts';
import { textFault } from './text.ts';

export const MAX_CLIENT_NAME = 100;

export function parseClientName(value: unknown): Parsed<string> {
  if (typeof value !== 'string' || value.trim() === '') return { ok: false, message: 'name is required' };
  const name = value.trim();
  if (name.length > MAX_CLIENT_NAME) return { ok: false, message: `name must be at most ${MAX_CLIENT_NAME} characters` };
  const fault = textFault(name);
  if (fault) return { ok: false, message: `name ${fault}` };
  return { ok: true, value: name };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `client_id` of a bot: a client's id, or null to take the site out of its client. */
export function parseClientId(value: unknown): Parsed<string | null> {
  if (value === null) return { ok: true, value: null };
  if (typeof value !== 'string' || !UUID.test(value)) return { ok: false, message: 'client_id must be one of your clients’ ids, or null' };
  return { ok: true, value: value.toLowerCase() };
}
