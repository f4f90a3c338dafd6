// JSON schemas every feature's routes share: the error body of docs/contract.md "Heartbeat API" and small helpers for
// documenting answers in /docs/openapi.json.

import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../domain/list-cursor.ts';

/** Every error body: `{"success":false,"message":…}`. */
export const errorSchema = {
  type: 'object',
  properties: { success: { type: 'boolean', const: false }, message: { type: 'string' } },
  required: ['success', 'message'],
} as const;

/** A success that carries no data: `{"success":true,"message":…}` (deleted, revoked, …). */
export const successAnswer = {
  type: 'object',
  properties: { success: { type: 'boolean', const: true }, message: { type: 'string' } },
  required: ['success'],
} as const;

/** The error body, with a description of when it is answered. */
export const errorAnswer = (description: string) => ({ ...errorSchema, description });

/** The answer a Retry-After header comes with (429, 503). */
export const retryAnswer = (description: string) => ({
  ...errorAnswer(description),
  headers: { 'Retry-After': { type: 'string', description: 'Seconds to wait before trying again' } },
});

/** 503 when the database cannot be reached: a fault we expect, never a 500. */
export const unavailableAnswer = retryAnswer('The database is not reachable right now; retry after the given seconds');

/** How an owner API route authenticates: a personal API key, or the dashboard's session cookie. */
export const ownerSecurity: Array<Record<string, string[]>> = [{ bearerKey: [] }, { sessionCookie: [] }];

/** The errors every owner API route may answer: not authenticated, or not theirs. */
export const ownerErrors = { 401: errorSchema, 404: errorSchema } as const;

/** The query of every paged list (docs/contract.md "Paged lists"): `limit` and the previous page's `next_cursor`. */
export const pageQuerySchema = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: `Items per page (1–${MAX_PAGE_SIZE})` },
    cursor: { type: 'string', maxLength: 200, pattern: '^[A-Za-z0-9_-]*$', description: "The previous page's next_cursor" },
  },
} as const;
