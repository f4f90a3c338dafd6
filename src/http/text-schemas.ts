// Shared JSON-schema fragments for text inputs, and the plain-language message for a request they
// refuse. Every route that reads a form field or a query parameter declares it with text() (one
// line) or multilineText() (may keep tabs and line breaks): `type: 'string'` refuses a repeated
// field (`email=a&email=b` parses to an array), the pattern refuses control characters, and
// Fastify answers 400 before the handler runs. Unknown fields are allowed and never read.
import type { FastifyError, FastifyRequest } from 'fastify';
import { hasLoneSurrogates, MULTILINE_PATTERN, NOT_UNICODE, SINGLE_LINE_PATTERN } from '../domain/text.ts';

type Extra = Record<string, unknown>;

export const text = (extra: Extra = {}) => ({ type: 'string', pattern: SINGLE_LINE_PATTERN, ...extra });
export const multilineText = (extra: Extra = {}) => ({ type: 'string', pattern: MULTILINE_PATTERN, ...extra });
/** A JSON field that may also be null (the bots API). */
export const nullableText = (extra: Extra = {}, { multiline = false } = {}) => ({
  type: ['string', 'null'],
  pattern: multiline ? MULTILINE_PATTERN : SINGLE_LINE_PATTERN,
  ...extra,
});

/** An object of text fields (a form body or a query string); every field optional unless listed. */
export function fields(properties: Record<string, object>, required: string[] = []) {
  return { type: 'object', properties, ...(required.length ? { required } : {}) } as const;
}

/** A dashboard form: its fields plus the CSRF token every form carries. */
export const form = (properties: Record<string, object> = {}) => fields({ _csrf: text({ maxLength: 200 }), ...properties });

const PLACE: Record<string, string> = { body: 'field', querystring: 'query parameter', params: 'path parameter', headers: 'header' };

/**
 * The message for a request refused by its schema, naming the field in words a form user or an
 * API client can act on ("email must be given once", "name must not contain control characters").
 */
export function describeValidationError(error: FastifyError, request: FastifyRequest): string {
  const first = error.validation?.[0];
  if (!first) return `Invalid request: ${error.message}`;
  const context = error.validationContext ?? 'body';
  const missing = first.keyword === 'required' ? String((first.params as { missingProperty?: string }).missingProperty ?? '') : '';
  const name = missing || first.instancePath.replace(/^\//, '').replace(/\//g, '.') || context;
  const place = PLACE[context] ?? 'field';
  const isForm = context === 'querystring' || String(request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  const params = first.params as { type?: string | string[]; pattern?: string };
  if (first.keyword === 'type' && first.instancePath === '' && context === 'body') return 'The request body is missing, or is not a form or a JSON object';
  if (first.keyword === 'type' && [params.type].flat().includes('string')) {
    return isForm ? `The ${place} "${name}" must be given once` : `${name} must be a string`;
  }
  const textPattern = first.keyword === 'pattern' && (params.pattern === SINGLE_LINE_PATTERN || params.pattern === MULTILINE_PATTERN);
  if (textPattern && hasLoneSurrogates(String(valueAt(request, context, first.instancePath) ?? ''))) return `${name} ${NOT_UNICODE}`;
  if (first.keyword === 'pattern' && params.pattern === SINGLE_LINE_PATTERN) return `${name} must not contain control characters`;
  if (first.keyword === 'pattern' && params.pattern === MULTILINE_PATTERN) {
    return `${name} must not contain control characters (tabs and line breaks are allowed)`;
  }
  if (first.keyword === 'required') return `${name} is required`;
  return `Invalid request: ${name} ${first.message ?? 'is not valid'}`;
}

/** The refused value itself (Ajv's error names only its path), to tell which text rule it broke. */
function valueAt(request: FastifyRequest, context: string, instancePath: string): unknown {
  const where: Record<string, unknown> = { body: request.body, querystring: request.query, params: request.params, headers: request.headers };
  let value = where[context];
  for (const step of instancePath.split('/').slice(1)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[step.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}
