// Attention items: what a connected site's own heartbeat says needs its owner's care, each with
// one sentence saying what is wrong and one next step. Pure: the bot's facts, the version tables,
// the plugin release the service serves and `now` in, the items out. docs/attention.md lists
// every rule, where its data comes from and what dates its `since`.
import { branchOf, type VersionSupport } from './version-support.ts';
import { compareVersions } from './versions.ts';
import type { HeartbeatInput } from './heartbeat-input.ts';

export const ATTENTION_KINDS = ['plugin_outdated', 'wordpress_outdated', 'php_unsupported', 'cron_disabled', 'cron_overdue', 'not_production'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

export interface AttentionItem {
  kind: AttentionKind;
  /** One sentence: what is wrong. */
  detail: string;
  /** One sentence: what to do about it. */
  next_step: string;
  /** Since when it holds, as far as the service can tell. */
  since: Date;
}

/** The bot's columns the rules read (a BotRow has them all). */
export interface AttentionFacts {
  is_active: boolean;
  wordpress_last_activity: Date | null;
  wordpress_plugin_version: string | null;
  wordpress_plugin_version_since: Date | null;
  wordpress_wp_version: string | null;
  wordpress_wp_version_since: Date | null;
  wordpress_php_version: string | null;
  wordpress_php_version_since: Date | null;
  wordpress_cron_mode: string | null;
  wordpress_cron_mode_since: Date | null;
  wordpress_cron_overdue_events: number | null;
  wordpress_cron_oldest_overdue_seconds: number | null;
  wordpress_environment: string | null;
  wordpress_environment_since: Date | null;
}

export interface AttentionContext {
  tables: VersionSupport;
  /** The plugin release the service serves to the updater; undefined when it cannot tell. */
  latestPluginVersion: string | undefined;
  now: Date;
}

/** Overdue events count as a problem once the oldest has waited this long (a quiet site's WP-Cron is often late by minutes). */
/** What a list's attention filter asks for: any item, or one of this kind. */
export type AttentionFilter = 'any' | AttentionKind;

/** Whether a bot with these items passes the filter (the API's list and the dashboard's, alike). */
export function matchesAttention(items: ReadonlyArray<Pick<AttentionItem, 'kind'>>, wanted: AttentionFilter): boolean {
  return items.some((item) => wanted === 'any' || item.kind === wanted);
}

export const CRON_OVERDUE_AFTER_SECONDS = 3600;

/**
 * The items that hold for the bot, in ATTENTION_KINDS order. None for a bot switched off in
 * AgentDesk (its owner chose to ignore it) and none for facts the site has not reported.
 */
export function attentionItems(bot: AttentionFacts, { tables, latestPluginVersion, now }: AttentionContext): AttentionItem[] {
  if (!bot.is_active || !bot.wordpress_last_activity) return [];
  const seen = bot.wordpress_last_activity;
  const items: AttentionItem[] = [];
  const add = (kind: AttentionKind, detail: string, next_step: string, since: Date | null) =>
    items.push({ kind, detail, next_step, since: since ?? seen });

  const plugin = bot.wordpress_plugin_version;
  if (plugin && latestPluginVersion && compareVersions(plugin, latestPluginVersion) < 0) {
    add(
      'plugin_outdated',
      `The AgentDesk plugin on this site is version ${plugin}; version ${latestPluginVersion} is available.`,
      'Update it under Plugins → Installed Plugins in WordPress (or run wp plugin update agentdesk-chatbot).',
      bot.wordpress_plugin_version_since,
    );
  }

  const wp = bot.wordpress_wp_version;
  const wpBranch = wp ? branchOf(wp) : undefined;
  const oldestSecured = tables.wordpress.oldestBranchWithSecurityFixes;
  if (wp && wpBranch && compareVersions(wpBranch, oldestSecured) < 0) {
    add(
      'wordpress_outdated',
      `WordPress ${wp} is on the ${wpBranch} branch, which no longer gets security fixes (${oldestSecured} and later do).`,
      `Update WordPress under Dashboard → Updates, to ${tables.wordpress.latestBranch} if you can.`,
      bot.wordpress_wp_version_since,
    );
  }

  const php = bot.wordpress_php_version;
  const phpEnd = php ? phpSupportEnd(php, tables) : undefined;
  if (php && phpEnd && phpEnd.getTime() < now.getTime()) {
    const supported = tables.php.find((row) => row.securitySupportUntil.getTime() >= now.getTime());
    add(
      'php_unsupported',
      `PHP ${php} stopped getting security fixes on ${phpEnd.toISOString().slice(0, 10)}.`,
      `Ask your host to move the site to a supported PHP version${supported ? ` (${supported.branch} or later)` : ''}.`,
      latest(bot.wordpress_php_version_since, phpEnd),
    );
  }

  if (bot.wordpress_cron_mode === 'disabled') {
    add(
      'cron_disabled',
      "WP-Cron is turned off (DISABLE_WP_CRON) and nothing has run the site's scheduled tasks for over an hour.",
      'Add a system cron job that requests wp-cron.php every 5 minutes, or remove DISABLE_WP_CRON from wp-config.php.',
      bot.wordpress_cron_mode_since,
    );
  } else if (bot.wordpress_cron_mode && (bot.wordpress_cron_oldest_overdue_seconds ?? 0) > CRON_OVERDUE_AFTER_SECONDS) {
    const oldest = bot.wordpress_cron_oldest_overdue_seconds!;
    const events = bot.wordpress_cron_overdue_events ?? 1;
    add(
      'cron_overdue',
      `${events === 1 ? '1 scheduled task is' : `${events} scheduled tasks are`} overdue, the oldest by ${hoursAndMinutes(oldest)}.`,
      bot.wordpress_cron_mode === 'system'
        ? 'Check that the system cron job requesting wp-cron.php still runs.'
        : 'Check that the site can request its own wp-cron.php (a firewall or basic auth often blocks it), or add a system cron job.',
      // The oldest event became an hour late at: last report − its lateness + an hour.
      new Date(seen.getTime() - (oldest - CRON_OVERDUE_AFTER_SECONDS) * 1000),
    );
  }

  const environment = bot.wordpress_environment;
  if (environment && environment !== 'production') {
    add(
      'not_production',
      `WordPress reports this site as a "${environment}" environment, not production.`,
      'If this is your live site, set WP_ENVIRONMENT_TYPE to production in wp-config.php; otherwise connect the live site with its own bot.',
      bot.wordpress_environment_since,
    );
  }
  return items;
}

/**
 * When the PHP version's branch stopped (or stops) getting security fixes. A branch older than
 * every row of the table ended before the oldest one; one newer than every row is not judged.
 */
export function phpSupportEnd(version: string, tables: VersionSupport): Date | undefined {
  const branch = branchOf(version);
  if (!branch || tables.php.length === 0) return undefined;
  const row = tables.php.find((r) => r.branch === branch);
  if (row) return row.securitySupportUntil;
  const oldest = tables.php[0]!;
  return compareVersions(branch, oldest.branch) < 0 ? oldest.securitySupportUntil : undefined;
}

function latest(a: Date | null, b: Date): Date {
  return a && a.getTime() > b.getTime() ? a : b;
}

function hoursAndMinutes(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (hours >= 48) return `${Math.floor(hours / 24)} days`;
  return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
}

/**
 * The facts of one accepted heartbeat, as the rules read them: what the plugin is told back in the
 * heartbeat's answer (docs/attention.md, "In WordPress"). Every `since` is unknown here (the
 * stored columns know it), so items judged from these are dated `at`.
 */
export function heartbeatFacts(input: Pick<HeartbeatInput, 'pluginVersion' | 'wpVersion' | 'health'>, at: Date): AttentionFacts {
  const { health } = input;
  return {
    is_active: true,
    wordpress_last_activity: at,
    wordpress_plugin_version: input.pluginVersion || null,
    wordpress_plugin_version_since: null,
    wordpress_wp_version: input.wpVersion || null,
    wordpress_wp_version_since: null,
    wordpress_php_version: health.phpVersion,
    wordpress_php_version_since: null,
    wordpress_cron_mode: health.cron?.mode ?? null,
    wordpress_cron_mode_since: null,
    wordpress_cron_overdue_events: health.cron?.overdueEvents ?? null,
    wordpress_cron_oldest_overdue_seconds: health.cron?.oldestOverdueSeconds ?? null,
    wordpress_environment: health.environment,
    wordpress_environment_since: null,
  };
}
