// One place that turns errors into answers. Every JSON error has the seed's shape
// {"success":false,"message":…}; 5xx messages are never shown; an unreachable database is 503.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseUnavailableError } from '../db/database.ts';
import { AppError, TooManyRequestsError } from '../errors.ts';
import { describeValidationError } from './text-schemas.ts';

export const RETRY_AFTER_UNAVAILABLE_SECONDS = 5;

const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'Malformed JSON body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Body must be a JSON object',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Content-Type must be application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
};

/** Errors Fastify raises before routing (a bad URL, a path segment over maxParamLength). */
const ROUTING_MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: 'Malformed URL',
  FST_ERR_MAX_PARAM_LENGTH: 'A path segment is too long',
};

/**
 * Fastify's `frameworkErrors` option: routing errors happen before any route (and its error
 * handler) is chosen, so without this they would answer in Fastify's own shape.
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const known = error.code ? ROUTING_MESSAGES[error.code] : undefined;
  return sendError(reply, known ? (error.statusCode ?? 400) : 400, known ?? 'Bad request');
}

/** Why a bot-token endpoint (heartbeat, site maintenance) refused a call. */
export type BotTokenRefusal = { kind: 'invalid_token' } | { kind: 'bot_disabled' } | { kind: 'invalid_body'; message: string };

/** The one wording and status of each refusal, shared by every endpoint the plugin calls with its token (docs/contract.md "Heartbeat API"). */
export function sendBotTokenRefusal(reply: FastifyReply, refusal: BotTokenRefusal) {
  switch (refusal.kind) {
    case 'invalid_token':
      return sendError(reply, 401, 'Missing or invalid bot token');
    case 'bot_disabled':
      return sendError(reply, 403, 'This bot is disabled in AgentDesk');
    case 'invalid_body':
      return sendError(reply, 400, refusal.message);
  }
}

export function sendError(reply: FastifyReply, statusCode: number, message: string) {
  return reply.code(statusCode).type('application/json; charset=utf-8').send({ success: false, message });
}

/**
 * Answers an error as an HTML page instead of JSON when the request is a browser's page request
 * (the dashboard); returns undefined to let the JSON answer go out.
 */
export type HtmlErrorRenderer = (request: FastifyRequest, reply: FastifyReply, statusCode: number, message: string) => FastifyReply | undefined;

export function registerErrorHandler(app: FastifyInstance, options: { htmlErrors?: HtmlErrorRenderer } = {}) {
  const answer = (request: FastifyRequest, reply: FastifyReply, statusCode: number, message: string) =>
    options.htmlErrors?.(request, reply, statusCode, message) ?? sendError(reply, statusCode, message);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DatabaseUnavailableError) {
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('Retry-After', String(RETRY_AFTER_UNAVAILABLE_SECONDS));
      return answer(request, reply, 503, 'Service temporarily unavailable, please retry later');
    }
    if (error instanceof TooManyRequestsError) reply.header('Retry-After', String(error.retryAfterSeconds));
    if (error instanceof AppError) return answer(request, reply, error.statusCode, error.message);

    const status = error.statusCode ?? 500;
    if (status === 413) return answer(request, reply, 413, `Request body is too large (limit ${request.routeOptions.bodyLimit ?? 'exceeded'} bytes)`);
    if (status >= 400 && status < 500) {
      const message = (error.code && FRAMEWORK_MESSAGES[error.code]) ?? (error.validation ? describeValidationError(error, request) : error.message);
      return answer(request, reply, status, message);
    }
    request.log.error({ err: error }, 'request failed');
    return answer(request, reply, 500, 'Internal server error');
  });

  app.setNotFoundHandler((request, reply) => answer(request, reply, 404, `Route ${request.method} ${request.url.split('?')[0]} not found`));
}
