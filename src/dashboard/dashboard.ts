// The owner dashboard and admin fleet view: server-rendered handlebars pages on the same service,
// made partial by htmx when JavaScript runs (plain forms and links otherwise).
import type { FastifyInstance } from 'fastify';
import type { AttentionService } from '../attention/attention-service.ts';
import type { MaintenanceService } from '../maintenance/maintenance-service.ts';
import { maintenancePages } from './maintenance-pages.ts';
import { createAccountService } from '../accounts/account-service.ts';
import type { ApiKeyService } from '../accounts/api-key-service.ts';
import type { SessionService } from '../accounts/session-service.ts';
import type { UserService } from '../accounts/user-service.ts';
import type { BotService } from '../bots/bot-service.ts';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { DigestSettingsService } from '../attention/digest-settings-service.ts';
import { digestPages } from './digest-pages.ts';
import { accountRoutes, DEFAULT_LOGIN_LIMITS, type LoginLimits } from './account-routes.ts';
import { createSignupConfirmation } from '../alerts/signup-links.ts';
import { botPages } from './bot-pages.ts';
import { teamPages } from './team-pages.ts';
import type { TeamService } from '../accounts/team-service.ts';
import { createInvitationLinks } from '../alerts/invitation-links.ts';
import { channelPages } from './channel-pages.ts';
import type { ChannelService } from '../channels/channel-service.ts';
import { fleetRoutes } from './fleet-routes.ts';
import { createFleetService } from './fleet-service.ts';
import type { PageRenderer } from './session-hooks.ts';
import { limitRouteBodies } from '../http/body-limit.ts';
import { registerUtf8FormParser } from '../http/utf8-input.ts';
import type { ConnectService } from '../connect/connect-service.ts';
import { connectPages } from './connect-pages.ts';

export const DASHBOARD_BODY_LIMIT = 64 * 1024;

export interface DashboardOptions {
  /** Seconds between htmx refreshes of the bot list and the bot status card (default 30). */
  pollSeconds?: number;
  loginLimits?: LoginLimits;
  /** The current plugin release, for "outdated plugin" counts on the fleet page. */
  latestPluginVersion?: string;
  /** Where owners download the WordPress plugin. */
  pluginDownloadUrl?: string;
}

export interface DashboardDeps extends DashboardOptions {
  config: Config;
  db: Database;
  users: UserService;
  bots: BotService;
  sessions: SessionService;
  render: PageRenderer;
  now: () => Date;
  /** The API keys of the account pages (the same service as the owner API's). */
  keys: ApiKeyService;
  /** Members, invitations and the audit log (the same service as the owner API's). */
  team: TeamService;
  /** The alert channels: their pages appear when given. */
  channels?: ChannelService;
  /** Attention items: the bot page's "Needs attention" card and the list's filter appear when given. */
  attention?: AttentionService;
  /** The weekly attention digest: its form on the account page appears when given. */
  digest?: DigestSettingsService;
  /** Maintenance windows: the maintenance page and the bot page's window forms appear when given. */
  maintenance?: MaintenanceService;
  /** One-click connect: the approval page GET/POST /connect appears when given. */
  connect?: ConnectService;
}

export async function dashboardRoutes(app: FastifyInstance, deps: DashboardDeps) {
  const { config, db, users, bots, sessions, render, now } = deps;
  const pluginDownloadUrl = deps.pluginDownloadUrl ?? '/api/wordpress/plugin/download';
  // Pages sign their CSRF cookie: the secret must be loaded (once) before they run.
  app.addHook('onRequest', async () => {
    await app.serverSecret.ensure();
  });
  limitRouteBodies(app, DASHBOARD_BODY_LIMIT);
  registerUtf8FormParser(app);
  await app.register(accountRoutes, {
    config,
    users,
    sessions,
    accounts: createAccountService({ db, now }),
    keys: deps.keys,
    team: deps.team,
    render,
    loginLimits: deps.loginLimits ?? DEFAULT_LOGIN_LIMITS,
    confirmations: createSignupConfirmation({ db, now, secret: () => app.serverSecret.ensure() }),
    now,
    digest: deps.digest,
  });
  if (deps.digest) await app.register(digestPages, { digest: deps.digest, sessions });
  const invitations = createInvitationLinks({ team: deps.team, secret: () => app.serverSecret.ensure(), now });
  await app.register(teamPages, { team: deps.team, invitations, sessions, render, now });
  await app.register(botPages, { config, bots, sessions, render, now, pluginDownloadUrl, attention: deps.attention });
  if (deps.channels) await app.register(channelPages, { channels: deps.channels, sessions, render });
  if (deps.maintenance) await app.register(maintenancePages, { maintenance: deps.maintenance, sessions, render });
  if (deps.connect) await app.register(connectPages, { connect: deps.connect, sessions, render });
  await app.register(fleetRoutes, { fleet: createFleetService({ db, latestPluginVersion: deps.latestPluginVersion, now, attentionContext: deps.attention?.context }), sessions, render, now });
}
