// A per-address limit on failed authentications (docs/RELIABILITY.md "Abuse"): made-up bot tokens on the
// heartbeat and validate endpoints, and bad API keys, answer 401 — and after `max` of them in a
// window, that address gets 429 with Retry-After until the window ends. Routes opt in with
// `config: { limitAuthFailures: true }`; a correct token is never counted.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.ts';
import { createFailureCounter } from './failure-counter.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Count this route's 401 answers against the caller's address (src/http/auth-failure-limit.ts). */
    limitAuthFailures?: boolean;
  }
}

export const AUTH_FAILURE_WINDOW_MS = 10 * 60_000;

export function registerAuthFailureLimit(app: FastifyInstance, options: { max: number; now: () => Date; windowMs?: number }) {
  const failures = createFailureCounter({ max: options.max, windowMs: options.windowMs ?? AUTH_FAILURE_WINDOW_MS, now: options.now });

  app.addHook('onRequest', (request, reply, done) => {
    if (!request.routeOptions.config?.limitAuthFailures) return done();
    const wait = failures.retryAfterSeconds(request.ip);
    if (wait === 0) return done();
    reply.header('Retry-After', String(wait));
    done(new AppError(429, `Too many failed authentications from this address: retry in ${wait} seconds`));
  });

  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode === 401 && request.routeOptions.config?.limitAuthFailures) failures.fail(request.ip);
    done();
  });

  return failures;
}
