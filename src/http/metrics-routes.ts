// GET /metrics for Prometheus, plus the http_request_duration_seconds hook for every route.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';
import { bearerToken } from './authenticate.ts';
import { sendError } from './error-handler.ts';
import { errorAnswer, retryAnswer } from './schemas.ts';

/** Adds the latency hook; call it on the root instance so it sees every route. */
export function observeHttpRequests(app: FastifyInstance, metrics: Metrics) {
  // A callback hook, not an async one: it runs for every request, and a promise per request is a
  // measurable share of a heartbeat's CPU (docs/SCALING.md "CPU per heartbeat").
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: ids in paths would make one series per bot.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}

export async function metricsRoutes(app: FastifyInstance, { metrics, token }: { metrics: Metrics; token: string | undefined }) {
  app.get(
    '/metrics',
    {
      // Wrong tokens count against the caller's address like bad bot tokens and API keys
      // (src/http/auth-failure-limit.ts); without METRICS_TOKEN there is no 401 to count.
      config: { limitAuthFailures: true },
      schema: {
        tags: ['service'],
        summary: 'Prometheus metrics, in the text exposition format',
        security: [{ metricsToken: [] }, {}],
        response: {
          200: { description: 'Every metric of this instance; fleet gauges come from the database', content: { 'text/plain': { schema: { type: 'string' } } } },
          401: errorAnswer('METRICS_TOKEN is set and the request did not send it as a Bearer token'),
          429: retryAnswer('Too many wrong tokens from this address (AUTH_FAILURE_LIMIT per 10 minutes)'),
        },
      },
    },
    async (request, reply) => {
      if (token && !sameSecret(bearerToken(request), token)) return sendError(reply, 401, 'Metrics require Authorization: Bearer <METRICS_TOKEN>');
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    },
  );
}

/** Constant-time comparison: both sides are hashed first, so neither content nor length leaks through timing. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}
