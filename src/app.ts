// buildApp(deps): the whole HTTP application as one Fastify instance that never listens, so tests
// inject into exactly what production runs. src/main.ts does the listening.
import Fastify, { type FastifyServerOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createUserService } from './accounts/user-service.ts';
import { createBotService } from './bots/bot-service.ts';
import { createHeartbeatService } from './heartbeats/heartbeat-service.ts';
import { registerErrorHandler } from './http/error-handler.ts';
import { heartbeatRoutes } from './heartbeats/heartbeat-routes.ts';
import { botRoutes } from './bots/bot-routes.ts';
import { healthRoutes } from './http/health-routes.ts';
import { metricsRoutes, observeHttpRequests } from './http/metrics-routes.ts';
import { registerFleetMetrics } from './observability/fleet-metrics.ts';
import { traceLogFields } from './observability/trace-context.ts';
import { createPluginPackage, DEFAULT_PLUGIN_DIR } from './plugin/plugin-release.ts';
import { pluginRoutes } from './plugin/plugin-routes.ts';
import { widgetRoutes } from './plugin/widget-routes.ts';

export interface AppDeps {
  config: Config;
  db: Database;
  metrics?: Metrics;
  /** The clock; tests pass a fixed or moving one. */
  now?: () => Date;
  logger?: FastifyServerOptions['logger'];
  /** The WordPress plugin folder the updater endpoints describe and zip (tests point it at a copy). */
  pluginDir?: string;
}

export async function buildApp(deps: AppDeps) {
  const { config, db } = deps;
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? createMetrics();

  const app = Fastify({
    logger: deps.logger ?? { level: config.logLevel, mixin: traceLogFields },
    trustProxy: config.trustProxy,
  });

  // Only JSON (and, from the dashboard, forms) are accepted: text/plain bodies get 415.
  app.removeContentTypeParser('text/plain');
  registerErrorHandler(app);
  observeHttpRequests(app, metrics);
  registerFleetMetrics(metrics.registry, {
    db,
    now,
    staleAfterMs: config.staleAfterMs,
    onError: (error) => app.log.warn({ err: error }, 'fleet metrics unavailable'),
  });
  await app.register(rateLimit, { global: false });

  const users = createUserService({ db, now });
  const bots = createBotService({ db });
  const heartbeats = createHeartbeatService({ db, now });
  // Heartbeats already received are written before the database closes.
  app.addHook('onClose', async () => heartbeats.drain());

  await app.register(metricsRoutes, { metrics, token: config.metricsToken });
  await app.register(healthRoutes, { db });
  await app.register(heartbeatRoutes, { heartbeats, metrics, ratePerMinute: config.heartbeatRateLimit });
  await app.register(botRoutes, { db, bots, users });
  await app.register(pluginRoutes, { plugin: createPluginPackage(deps.pluginDir ?? DEFAULT_PLUGIN_DIR) });
  await app.register(widgetRoutes);

  return app;
}
