// buildApp(deps): the whole HTTP application as one Fastify instance that never listens, so tests
// inject into exactly what production runs. src/main.ts does the listening.
import Fastify, { type FastifyServerOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { createUserService } from './accounts/user-service.ts';
import { createBotService } from './bots/bot-service.ts';
import { createApiKeyService } from './accounts/api-key-service.ts';
import { apiKeyRoutes } from './accounts/api-key-routes.ts';
import { createTeamService } from './accounts/team-service.ts';
import { teamRoutes } from './accounts/team-routes.ts';
import { registerAuditHook } from './http/audit-hook.ts';
import { createHeartbeatService } from './heartbeats/heartbeat-service.ts';
import { answerFrameworkError, registerErrorHandler } from './http/error-handler.ts';
import { lazyChildLoggersFor, RequestLogController } from './http/request-logging.ts';
import { serverOptions } from './http/server-options.ts';
import { withLogRedaction } from './http/log-redaction.ts';
import { recordRouteTable } from './http/route-table.ts';
import { registerAuthFailureLimit } from './http/auth-failure-limit.ts';
import { refuseNonUtf8QueryStrings, registerUtf8JsonParser } from './http/utf8-input.ts';
import { HEARTBEAT_PATH, heartbeatRoutes } from './heartbeats/heartbeat-routes.ts';
import { botRoutes } from './bots/bot-routes.ts';
import { healthRoutes } from './http/health-routes.ts';
import { pendingMigrations } from './db/migrate.ts';
import { metricsRoutes, observeHttpRequests } from './http/metrics-routes.ts';
import { docsRoutes } from './http/docs-routes.ts';
import { createSessionService } from './accounts/session-service.ts';
import { createServerSecret } from './http/server-secret.ts';
import { registerAppPlugins } from './http/app-plugins.ts';
import { registerWebPlugins } from './dashboard/web-plugins.ts';
import { createPageRenderer } from './dashboard/session-hooks.ts';
import { createHtmlErrorRenderer } from './dashboard/error-pages.ts';
import { dashboardRoutes, type DashboardOptions } from './dashboard/dashboard.ts';
import { legalPages } from './dashboard/legal-pages.ts';
import { registerFleetMetrics } from './observability/fleet-metrics.ts';
import { traceLogFields } from './observability/trace-context.ts';
import { createPluginPackage, DEFAULT_PLUGIN_DIR, type PluginPackage } from './plugin/plugin-release.ts';
import { pluginSigningKey } from './plugin/plugin-signing.ts';
import { loadPluginSigningSeed } from './db/service-state.ts';
import { PLUGIN_DOWNLOAD_PATH, pluginRoutes } from './plugin/plugin-routes.ts';
import { widgetRoutes } from './plugin/widget-routes.ts';
import { createAttentionService, type AttentionService } from './attention/attention-service.ts';
import { createDigestSettingsService } from './attention/digest-settings-service.ts';
import { digestRoutes } from './attention/digest-routes.ts';
import { registerReleaseWatchMetrics } from './observability/release-watch-metrics.ts';
import { registerSiteHealthMetrics } from './observability/site-health-metrics.ts';
import { createVersionTables, loadShippedTable } from './attention/version-tables.ts';
import { registerAlertMetrics, type AlertMetrics } from './observability/alert-metrics.ts';
import { createLinkService } from './alerts/link-service.ts';
import { alertRoutes } from './alerts/alert-routes.ts';
import { channelRoutes } from './channels/channel-routes.ts';
import { createChannelService } from './channels/channel-service.ts';
import { appChannelDelivery } from './alerts/alert-pipeline.ts';
import { createMaintenanceService } from './maintenance/maintenance-service.ts';
import { maintenanceRoutes } from './maintenance/maintenance-routes.ts';
import { reportRoutes } from './reports/report-routes.ts';
import { createUptimeReports } from './reports/uptime-reports.ts';
import { clientRoutes } from './clients/client-routes.ts';
import { createClientService } from './clients/client-service.ts';
import { statusPageRoutes } from './clients/status-page-routes.ts';
import { createStatusPageService } from './clients/status-page-service.ts';
import { createConnectService } from './connect/connect-service.ts';
import { connectRoutes } from './connect/connect-routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    alertMetrics: AlertMetrics;
    /** The attention rules with this app's version tables and plugin release (the weekly digest job uses them). */
    attention: AttentionService;
  }
}

export interface AppDeps {
  config: Config;
  db: Database;
  metrics?: Metrics;
  /** The clock; tests pass a fixed or moving one. */
  now?: () => Date;
  logger?: FastifyServerOptions['logger'];
  /** Dashboard settings (poll interval, login throttling, plugin release); tests shorten them. */
  dashboard?: DashboardOptions;
  /** The WordPress plugin folder the updater endpoints describe and zip (tests point it at a copy). */
  pluginDir?: string;
}

export async function buildApp(deps: AppDeps) {
  const { config, db } = deps;
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? createMetrics();

  const app = Fastify({
    logger: withLogRedaction(deps.logger ?? { level: config.logLevel, mixin: traceLogFields }),
    logController: new RequestLogController(),
    // The heartbeat logs failures only: its requests make their child logger when they log.
    childLoggerFactory: lazyChildLoggersFor([HEARTBEAT_PATH]),
    frameworkErrors: answerFrameworkError,
    ...serverOptions(config),
  });

  recordRouteTable(app);
  // Only JSON (and, from the dashboard, forms) are accepted: text/plain bodies get 415. Bodies and
  // query strings must be UTF-8 (src/http/utf8-input.ts).
  app.removeContentTypeParser('text/plain');
  registerUtf8JsonParser(app);
  refuseNonUtf8QueryStrings(app);
  const render = createPageRenderer({ config, pollSeconds: deps.dashboard?.pollSeconds ?? 30 });
  registerErrorHandler(app, { htmlErrors: createHtmlErrorRenderer(render) });
  observeHttpRequests(app, metrics);
  registerFleetMetrics(metrics.registry, {
    db,
    now,
    onError: (error) => app.log.warn({ err: error }, 'fleet metrics unavailable'),
  });
  await app.register(rateLimit, { global: false });
  registerAuthFailureLimit(app, { max: config.authFailureLimit, now });
  await registerAppPlugins(app, { secret: createServerSecret(db, config.secretKey) });
  await registerWebPlugins(app, { config });

  const users = createUserService({ db, now });
  const bots = createBotService({ db, now, quotas: config.quotas });
  const heartbeats = createHeartbeatService({ db, now, writeConcurrency: config.heartbeatWriteConcurrency, staleAfterMs: config.staleAfterMs });
  const sessions = createSessionService({ db, now });
  // Heartbeats already received are written before the database closes.
  app.addHook('onClose', async () => heartbeats.drain());

  await app.register(metricsRoutes, { metrics, token: config.metricsToken });
  await app.register(healthRoutes, { pendingMigrations: () => pendingMigrations(db) });
  const plugin = createPluginPackage(deps.pluginDir ?? DEFAULT_PLUGIN_DIR, `${config.publicUrl}/api`, async () =>
    pluginSigningKey(await loadPluginSigningSeed(db, config.pluginSigningKey)),
  );
  const latestPluginVersion = deps.dashboard?.latestPluginVersion ?? currentPluginVersion(plugin, app);
  // Attention items judge sites against the shipped version tables, or RELEASES_URL's newer copy.
  const versionTables = createVersionTables({ shipped: loadShippedTable(), releasesUrl: config.releasesUrl, log: app.log });
  versionTables.start();
  app.addHook('onClose', async () => versionTables.stop());
  const attention = createAttentionService({ tables: versionTables, latestPluginVersion, now });
  await app.register(heartbeatRoutes, { heartbeats, metrics, ratePerMinute: config.heartbeatRateLimit, now, attention });
  registerSiteHealthMetrics(metrics.registry, {
    db,
    context: attention.context,
    onError: (error) => app.log.warn({ err: error }, 'site health metrics unavailable'),
  });
  registerReleaseWatchMetrics(metrics.registry, {
    db,
    now,
    servedVersion: latestPluginVersion,
    onError: (error) => app.log.warn({ err: error }, 'release watch metrics unavailable'),
  });
  app.decorate('attention', attention);
  await app.register(botRoutes, { bots, users, sessions, attention });
  const digest = createDigestSettingsService({ db, now });
  await app.register(digestRoutes, { digest, users, sessions });
  const maintenance = createMaintenanceService({ db, now, quotas: config.quotas });
  await app.register(maintenanceRoutes, { maintenance, users, sessions });
  // Alert channels; "Send a test" delivers through the same path as the outbox worker.
  const channels = createChannelService({ db, now, quotas: config.quotas, delivery: appChannelDelivery(app, { config, db, metrics, now }) });
  const reports = createUptimeReports({ db, now });
  await app.register(reportRoutes, { reports, users, sessions });
  const clients = createClientService({ db, bots, channels, maintenance, publicUrl: config.publicUrl, now, quotas: config.quotas });
  await app.register(clientRoutes, { clients, users, sessions });
  // Public like the legal pages: no session, no cookies (docs/clients.md "Status pages").
  await app.register(statusPageRoutes, { pages: createStatusPageService({ db, bots, reports, now }), render });
  const apiKeys = createApiKeyService({ db });
  await app.register(apiKeyRoutes, { users, sessions, keys: apiKeys });
  // Accounts with several people: members, invitations, the audit log (docs/dashboard.md "Accounts, members and roles").
  const team = createTeamService({ db, now });
  registerAuditHook(app, team);
  await app.register(teamRoutes, { users, sessions, team });
  await app.register(pluginRoutes, { plugin, publicUrl: config.publicUrl });
  // One-click connect: the site's exchange and disconnect here, the owner's approval page in the dashboard.
  const connect = createConnectService({ db, bots, now });
  await app.register(connectRoutes, { connect });
  await app.register(widgetRoutes);
  // Outside the dashboard's scope: the same for every reader, they need no session or CSRF secret.
  await app.register(legalPages, { config, render });
  await app.register(docsRoutes);
  await app.register(dashboardRoutes, {
    latestPluginVersion,
    attention,
    digest,
    maintenance,
    pluginDownloadUrl: PLUGIN_DOWNLOAD_PATH,
    ...deps.dashboard,
    config,
    db,
    users,
    bots,
    sessions,
    render,
    now,
    channels,
    keys: apiKeys,
    team,
    connect,
  });

  // Defined once here; the alert jobs (started by main.ts) and tests record into app.alertMetrics.
  app.decorate('alertMetrics', registerAlertMetrics(metrics.registry, { db }));
  const links = createLinkService({ db, now, secret: () => app.serverSecret.ensure() });
  await app.register(alertRoutes, { links, publicUrl: config.publicUrl });
  await app.register(channelRoutes, { channels, users, sessions });

  return app;
}

/** The plugin release this server ships (the fleet page's "outdated" line), if its files are readable. */
function currentPluginVersion(plugin: PluginPackage, app: { log: { warn(obj: object, msg: string): void } }): string | undefined {
  try {
    return plugin.release().version;
  } catch (error) {
    app.log.warn({ err: error }, 'plugin release unreadable: the fleet page compares with the newest reported version');
    return undefined;
  }
}
