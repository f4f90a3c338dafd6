// POST /api/bots/wordpress-heartbeat (docs/contract.md "Heartbeat API"). Thin: rate limit, call the service, map its result.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hashedBotToken } from '../accounts/token-rate-key.ts';
import { TooManyRequestsError } from '../errors.ts';
import { sendBotTokenRefusal } from '../http/error-handler.ts';
import { createWindowLimit } from '../http/window-limit.ts';
import type { HeartbeatResultLabel, Metrics } from '../metrics.ts';
import type { HeartbeatService } from './heartbeat-service.ts';
import { heartbeatRouteSchema } from './heartbeat-schema.ts';
import type { AttentionService } from '../attention/attention-service.ts';

export const HEARTBEAT_BODY_LIMIT = 4096;
export const HEARTBEAT_PATH = '/api/bots/wordpress-heartbeat';

export interface HeartbeatRouteDeps {
  heartbeats: HeartbeatService;
  metrics: Metrics;
  ratePerMinute: number;
  now: () => Date;
  /** The attention rules: the answer tells the plugin its items and the release served (docs/attention.md, "In WordPress"). */
  attention?: Pick<AttentionService, 'answerFor' | 'latestPluginVersion'>;
}

/** The metric label for an answer, derived from its status so every exit path is counted once. */
function resultLabel(statusCode: number): HeartbeatResultLabel {
  if (statusCode < 300) return 'accepted';
  if (statusCode === 401) return 'invalid_token';
  if (statusCode === 403) return 'bot_disabled';
  if (statusCode === 429) return 'rate_limited';
  if (statusCode >= 500) return 'unavailable';
  return 'invalid_body';
}

/** The rate-limit key: the token's hash (the limiter's memory holds no secret), or without a token the address. */
function rateKey(request: FastifyRequest): string {
  const token = hashedBotToken(request);
  return token ? token.hash : `ip:${request.ip}`;
}

export async function heartbeatRoutes(app: FastifyInstance, { heartbeats, metrics, ratePerMinute, now, attention }: HeartbeatRouteDeps) {
  // Per token, in memory: a plain counter in place of @fastify/rate-limit on the hot path, whose
  // async hook, three x-ratelimit-* headers on every answer and shared 5,000-key LRU (a fleet
  // rotating more tokens than that evicted one on every heartbeat) cost Node CPU per heartbeat
  // (docs/SCALING.md "CPU per heartbeat").
  const limit = createWindowLimit({ max: ratePerMinute, windowMs: 60_000, now });
  app.post(
    HEARTBEAT_PATH,
    {
      bodyLimit: HEARTBEAT_BODY_LIMIT,
      schema: heartbeatRouteSchema,
      // The schema documents; the service validates (field-named messages, unknown fields ignored).
      validatorCompiler: () => () => true,
      // The hot path of the service (bench/heartbeat-ingest.ts): a JSON answer needs none of
      // helmet's page headers, which it rebuilds per request.
      helmet: false,
      config: {
        // Successes are counted by the metrics below; only failures get a log line (src/http/request-logging.ts).
        logFailuresOnly: true,
        // Made-up tokens count against the caller's address (src/http/auth-failure-limit.ts).
        limitAuthFailures: true,
      },
      onRequest: (request, _reply, done) => {
        const wait = limit.take(rateKey(request));
        if (wait === 0) return done();
        done(new TooManyRequestsError(`Too many heartbeats for this token: at most ${ratePerMinute} a minute, retry in ${wait} seconds`, wait));
      },
      onResponse: (_request, reply, done) => {
        metrics.heartbeats.inc({ result: resultLabel(reply.statusCode) });
        metrics.heartbeatDuration.observe(reply.elapsedTime / 1000);
        done();
      },
    },
    async (request, reply) => {
      const header = hashedBotToken(request);
      const token = header?.token.trim();
      // The rate limiter already hashed the header; that hash is the lookup key unless trimming changed it.
      const result = await heartbeats.receive(token, request.body, token === header?.token ? header?.hash : undefined);
      if (result.kind === 'accepted') {
        const answer = { success: true, message: 'WordPress connection updated successfully' };
        // A 1.1 body keeps the seed's answer to the byte; a 1.2 plugin is told its items (older 1.2 builds ignore them).
        if (!attention || !result.siteHealth) return answer;
        return { ...answer, attention: attention.answerFor(result.facts), latest_plugin_version: attention.latestPluginVersion() ?? null };
      }
      return sendBotTokenRefusal(reply, result);
    },
  );
}
