// One place that turns errors into answers. Every JSON error has the seed's shape
// {"success":false,"message":…}; 5xx messages are never shown; an unreachable database is 503.
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { DatabaseUnavailableError } from '../db/database.ts';
import { AppError } from '../errors.ts';

export const RETRY_AFTER_UNAVAILABLE_SECONDS = 5;

const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'Malformed JSON body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Body must be a JSON object',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Content-Type must be application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
};

export function sendError(reply: FastifyReply, statusCode: number, message: string) {
  return reply.code(statusCode).type('application/json; charset=utf-8').send({ success: false, message });
}

export function registerErrorHandler(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DatabaseUnavailableError) {
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('Retry-After', String(RETRY_AFTER_UNAVAILABLE_SECONDS));
      return sendError(reply, 503, 'Service temporarily unavailable, please retry later');
    }
    if (error instanceof AppError) return sendError(reply, error.statusCode, error.message);

    const status = error.statusCode ?? 500;
    if (status === 413) return sendError(reply, 413, `Request body is too large (limit ${request.routeOptions.bodyLimit ?? 'exceeded'} bytes)`);
    if (status >= 400 && status < 500) {
      const message = (error.code && FRAMEWORK_MESSAGES[error.code]) ?? (error.validation ? `Invalid request: ${error.message}` : error.message);
      return sendError(reply, status, message);
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, 'Internal server error');
  });

  app.setNotFoundHandler((request, reply) => sendError(reply, 404, `Route ${request.method} ${request.url.split('?')[0]} not found`));
}
