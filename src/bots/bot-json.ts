// The JSON shape of a bot for its owner: the seed's fields plus the contract's, never the token
// or its hash.
import type { MaintainedBot } from './bot-maintenance.ts';
import { effectiveStatus } from '../domain/connection-status.ts';
import { currentDiagnosis } from '../domain/probe-diagnosis.ts';
import type { AttentionItem } from '../domain/attention.ts';
import { attentionToJson } from '../attention/attention-service.ts';

/**
 * `alertPendingUntil`: the end of the open alert group this bot's mail waits in (ALERT_GROUP_WINDOW).
 * `attention`: the items that hold for the bot now (docs/attention.md).
 */
export function botToJson(bot: MaintainedBot, alertPendingUntil: Date | null = null, attention: readonly AttentionItem[] = []) {
  return {
    id: bot.id,
    user_id: bot.user_id,
    client_id: bot.client_id,
    name: bot.name,
    description: bot.description,
    language: bot.language,
    model: bot.model,
    personality: bot.personality,
    welcome_message: bot.welcome_message,
    is_active: bot.is_active,
    is_trained: bot.is_trained,
    created_at: bot.created_at.toISOString(),
    updated_at: bot.updated_at.toISOString(),
    widget_key: bot.widget_key,
    token_prefix: bot.token_prefix,
    wordpress_connected: bot.wordpress_connected,
    wordpress_site_url: bot.wordpress_site_url,
    wordpress_plugin_version: bot.wordpress_plugin_version,
    wordpress_wp_version: bot.wordpress_wp_version,
    wordpress_last_activity: bot.wordpress_last_activity?.toISOString() ?? null,
    // Heartbeat 1.2's site-health facts, as the latest heartbeat reported them (null: not reported).
    wordpress_php_version: bot.wordpress_php_version,
    wordpress_cron: bot.wordpress_cron_mode
      ? {
          mode: bot.wordpress_cron_mode,
          overdue_events: bot.wordpress_cron_overdue_events ?? 0,
          oldest_overdue_seconds: bot.wordpress_cron_oldest_overdue_seconds ?? 0,
        }
      : null,
    wordpress_environment: bot.wordpress_environment,
    wordpress_multisite: bot.wordpress_multisite,
    connection_status: effectiveStatus(bot),
    status_changed_at: bot.status_changed_at?.toISOString() ?? null,
    stale_grace_seconds: bot.stale_grace_seconds,
    muted_until: bot.muted_until?.toISOString() ?? null,
    site_url_changed_at: bot.site_url_changed_at?.toISOString() ?? null,
    wordpress_clone_url: bot.wordpress_clone_url,
    wordpress_clone_seen_at: bot.wordpress_clone_seen_at?.toISOString() ?? null,
    // What the last probe found (docs/alerts.md "Nudge and probe"), while the site is stale; null otherwise.
    diagnosis: currentDiagnosis(bot),
    diagnosis_detail: currentDiagnosis(bot) ? bot.diagnosis_detail : null,
    last_probe_at: bot.last_probe_at?.toISOString() ?? null,
    // The end of the maintenance window the bot is in now (no stale alert until then).
    maintenance_until: bot.maintenance_until?.toISOString() ?? null,
    alert_pending_until: alertPendingUntil?.toISOString() ?? null,
    attention: attention.map(attentionToJson),
  };
}

export type BotJson = ReturnType<typeof botToJson>;
