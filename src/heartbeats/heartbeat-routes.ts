// POST /api/bots/wordpress-heartbeat (docs/contract.md "Heartbeat API"). Thin: rate limit, call the service, map its result.
import type { FastifyInstance } from 'fastify';
import { hashedBotToken, perBotToken } from '../accounts/token-rate-key.ts';
import { sendBotTokenRefusal } from '../http/error-handler.ts';
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

export async function heartbeatRoutes(app: FastifyInstance, { heartbeats, metrics, ratePerMinute, attention }: HeartbeatRouteDeps) {
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
        rateLimit: {
          max: ratePerMinute,
          timeWindow: 60_000,
          keyGenerator: perBotToken('hb'),
          errorResponseBuilder: (_request, context) => ({
            statusCode: 429,
            message: `Too many heartbeats for this token: at most ${context.max} a minute, retry in ${context.after}`,
          }),
        },
      },
      onResponse: async (request, reply) => {
        metrics.heartbeats.inc({ result: resultLabel(reply.statusCode) });
        metrics.heartbeatDuration.observe(reply.elapsedTime / 1000);
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
