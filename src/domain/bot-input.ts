// Validation of the owner-editable bot fields (CLI, JSON API and dashboard forms share it).
import type { Parsed } from './heartbeat-input.ts';
import { textFault } from './text.ts';

export interface BotInput {
  name: string;
  description: string | null;
  language: string;
  model: string;
  personality: string | null;
  welcomeMessage: string | null;
  isActive: boolean;
  isTrained: boolean;
  staleGraceSeconds: number;
}

const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const MODEL = /^[A-Za-z0-9._:\-\/]{1,64}$/;
export const MAX_GRACE_SECONDS = 7 * 86_400;

type Fields = Record<string, unknown>;

/**
 * Checks the fields present in `fields` (snake_case, as in the API). With `partial` absent fields
 * stay absent (PUT of some fields); otherwise `name` is required.
 */
export function parseBotInput(fields: Fields, options: { partial?: boolean } = {}): Parsed<Partial<BotInput>> {
  const out: Partial<BotInput> = {};
  const has = (key: string) => fields[key] !== undefined;

  if (has('name') || !options.partial) {
    const name = fields.name;
    if (typeof name !== 'string' || name.trim() === '') return fail('name is required');
    if (name.trim().length > 100) return fail('name must be at most 100 characters');
    const fault = textFault(name);
    if (fault) return fail(`name ${fault}`);
    out.name = name.trim();
  }
  for (const [key, prop, max] of [
    ['description', 'description', 2000],
    ['personality', 'personality', 2000],
    ['welcome_message', 'welcomeMessage', 1000],
  ] as const) {
    if (!has(key)) continue;
    const value = fields[key];
    if (value === null || value === '') {
      out[prop] = null;
      continue;
    }
    if (typeof value !== 'string') return fail(`${key} must be a string`);
    if (value.length > max) return fail(`${key} must be at most ${max} characters`);
    const fault = textFault(value, { multiline: true });
    if (fault) return fail(`${key} ${fault}`);
    out[prop] = value;
  }
  if (has('language')) {
    const value = fields.language;
    if (typeof value !== 'string' || value.length > 35 || !LANGUAGE.test(value)) {
      return fail('language must be a language code such as en, fr or pt-BR');
    }
    out.language = value;
  }
  if (has('model')) {
    const value = fields.model;
    if (typeof value !== 'string' || !MODEL.test(value)) return fail('model must be 1 to 64 characters from A-Z a-z 0-9 . _ : - /');
    out.model = value;
  }
  for (const [key, prop] of [
    ['is_active', 'isActive'],
    ['is_trained', 'isTrained'],
  ] as const) {
    if (!has(key)) continue;
    if (typeof fields[key] !== 'boolean') return fail(`${key} must be true or false`);
    out[prop] = fields[key] as boolean;
  }
  if (has('stale_grace_seconds')) {
    const value = fields.stale_grace_seconds;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_GRACE_SECONDS) {
      return fail(`stale_grace_seconds must be a whole number from 0 to ${MAX_GRACE_SECONDS}`);
    }
    out.staleGraceSeconds = value;
  }
  return { ok: true, value: out };
}

function fail(message: string): Parsed<never> {
  return { ok: false, message };
}
