// Turns rows into what the templates print: badges, "3 minutes ago" with the exact time in the
// owner's zone, and site links only for http(s) URLs. Templates escape every value they print.
import type { MaintainedBot } from '../bots/bot-maintenance.ts';
import type { BotRow, ConnectionEventRow } from '../db/bots.ts';
import type { BotAlertMail } from '../db/outbox.ts';
import type { AttentionItem, AttentionKind } from '../domain/attention.ts';
import { effectiveStatus, type ConnectionStatus } from '../domain/connection-status.ts';
import { formatDuration } from '../domain/duration.ts';
import { currentDiagnosis, DIAGNOSIS_ADVICE, isDiagnosis, nudgeUrl } from '../domain/probe-diagnosis.ts';
import { formatExact, timeAgo } from '../domain/time-ago.ts';

export interface Moment {
  iso: string;
  ago: string;
  exact: string;
}

/** An attention item as the bot page's "Needs attention" card prints it. */
export function attentionView(item: AttentionItem, now: Date, timeZone: string) {
  return { kind: item.kind, detail: item.detail, nextStep: item.next_step, since: moment(item.since, now, timeZone) };
}

export function moment(date: Date | null, now: Date, timeZone: string): Moment | null {
  return date ? { iso: date.toISOString(), ago: timeAgo(date, now), exact: formatExact(date, timeZone) } : null;
}

/** The attention kinds as the bot list's filter names them. */
export const ATTENTION_LABELS: Record<AttentionKind, string> = {
  plugin_outdated: 'Plugin outdated',
  wordpress_outdated: 'WordPress without security fixes',
  php_unsupported: 'PHP past its end of life',
  cron_disabled: 'WP-Cron not running',
  cron_overdue: 'WP-Cron events overdue',
  not_production: 'Not a production site',
};

export const STATUS_LABELS: Record<ConnectionStatus, { icon: string; label: string }> = {
  never: { icon: '⚪', label: 'Not connected' },
  connected: { icon: '✅', label: 'Connected' },
  stale: { icon: '🟠', label: 'Stale' },
  deactivated: { icon: '⏸', label: 'Plugin deactivated' },
  disconnected: { icon: '🔌', label: 'Disconnected' },
  disabled: { icon: '⛔', label: 'Bot disabled' },
};

export const STATUS_OPTIONS = (Object.keys(STATUS_LABELS) as ConnectionStatus[]).map((value) => ({ value, label: STATUS_LABELS[value].label }));

/** The site URL as a link target, only when it is http(s); anything else is shown as text. */
export function safeHref(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

export function botView(bot: MaintainedBot, now: Date, timeZone: string) {
  const status = effectiveStatus(bot);
  const muted = bot.muted_until && bot.muted_until.getTime() > now.getTime() ? moment(bot.muted_until, now, timeZone) : null;
  return {
    id: bot.id,
    name: bot.name,
    description: bot.description,
    language: bot.language,
    model: bot.model,
    personality: bot.personality,
    welcomeMessage: bot.welcome_message,
    isActive: bot.is_active,
    isTrained: bot.is_trained,
    tokenPrefix: bot.token_prefix,
    widgetKey: bot.widget_key,
    status,
    badge: STATUS_LABELS[status],
    connected: status === 'connected',
    never: status === 'never',
    siteUrl: bot.wordpress_site_url,
    siteHref: safeHref(bot.wordpress_site_url),
    pluginVersion: bot.wordpress_plugin_version,
    wpVersion: bot.wordpress_wp_version,
    lastSync: moment(bot.wordpress_last_activity, now, timeZone),
    statusChanged: moment(bot.status_changed_at, now, timeZone),
    siteUrlChanged: moment(bot.site_url_changed_at, now, timeZone),
    clone: bot.wordpress_clone_url ? { url: bot.wordpress_clone_url, href: safeHref(bot.wordpress_clone_url), seen: moment(bot.wordpress_clone_seen_at, now, timeZone) } : null,
    createdAt: moment(bot.created_at, now, timeZone),
    graceSeconds: bot.stale_grace_seconds,
    graceMinutes: Math.round(bot.stale_grace_seconds / 60),
    grace: bot.stale_grace_seconds ? formatDuration(bot.stale_grace_seconds * 1000) : null,
    muted,
    // In a maintenance window until then, weekly windows included (docs/alerts.md "Maintenance windows").
    maintenance: bot.maintenance_until && bot.maintenance_until.getTime() > now.getTime() ? moment(bot.maintenance_until, now, timeZone) : null,
    maintenanceReason: bot.maintenance_reason,
    ...probeView(bot, now, timeZone),
  };
}

/** What the last probe found (while stale), and the WP-Cron advice for a site a nudge woke. */
function probeView(bot: BotRow, now: Date, timeZone: string) {
  const diagnosis = currentDiagnosis(bot);
  return {
    diagnosis: diagnosis ? { code: diagnosis, ...DIAGNOSIS_ADVICE[diagnosis], detail: bot.diagnosis_detail } : null,
    lastProbe: moment(bot.last_probe_at, now, timeZone),
    // A site that only reports when nudged runs WP-Cron on visits only: suggest a real cron job.
    cronOnlyOnVisits: bot.probe_woke_at ? moment(bot.probe_woke_at, now, timeZone) : null,
    cronUrl: safeHref(bot.wordpress_site_url) ? nudgeUrl(bot.wordpress_site_url!) : 'https://your-site.example/wp-cron.php?doing_wp_cron',
  };
}

export type BotView = ReturnType<typeof botView>;

export function eventView(event: ConnectionEventRow, now: Date, timeZone: string) {
  const label = (status: string | null) => (status && status in STATUS_LABELS ? STATUS_LABELS[status as ConnectionStatus].label : status);
  const details = event.details ?? {};
  return {
    at: moment(event.occurred_at, now, timeZone),
    kind: event.kind,
    text:
      event.kind === 'status'
        ? `${label(event.from_status)} → ${label(event.to_status)}`
        : event.kind === 'probe'
          ? probeEventText(details)
          : event.kind === 'site_clone'
            ? `A copy of the site reported with this token: ${String(details.copy ?? '?')} (the bot stays with ${String(details.site_url ?? '?')})`
            : `Reported from a new site URL: ${String(details.from ?? '?')} → ${String(details.to ?? '?')}`,
    reason: event.reason.replace(/_/g, ' '),
  };
}

/** A `probe` connection event in words: what the nudge of the silent site got, and what it meant. */
function probeEventText(details: Record<string, unknown>): string {
  const answer = typeof details.http_status === 'number' ? `HTTP ${details.http_status}` : typeof details.error === 'string' ? details.error : 'no request made';
  if (details.woke) return `Silent site nudged (${answer}): it woke and reported`;
  const result = isDiagnosis(details.result) ? DIAGNOSIS_ADVICE[details.result].heading : String(details.result);
  return `Silent site probed (${answer}): ${result}`;
}

const MAIL_KINDS: Record<BotAlertMail['kind'], string> = { stale: 'Stale alert', recovery: 'Recovery', reminder: 'Reminder' };
const MAIL_STATUSES: Record<BotAlertMail['status'], string> = {
  held: 'Held (incident on our side)',
  pending: 'Waiting to be sent',
  sending: 'Sending',
  sent: 'Sent',
  failed: 'Failed: the mail server refused it',
  dropped: 'Not sent (no longer true, or unsubscribed)',
};

/**
 * A group mail whose window is open (ALERT_GROUP_WINDOW, not held by a storm): when it will go out,
 * at the latest (its window's end; the sweep closes it then, or earlier once every site is in it).
 */
export function groupSendsAt(mail: Pick<BotAlertMail, 'group_key' | 'status' | 'incident_id' | 'next_attempt_at'>): Date | null {
  return mail.group_key !== null && mail.status === 'held' && mail.incident_id === null ? mail.next_attempt_at : null;
}

/** One alert mail about a bot, as its page lists it. */
export function alertMailView(mail: BotAlertMail, now: Date, timeZone: string) {
  const sendsAt = moment(groupSendsAt(mail), now, timeZone);
  return {
    at: moment(mail.sent_at ?? mail.created_at, now, timeZone),
    kind: MAIL_KINDS[mail.kind],
    status: sendsAt ? `Alert pending, will be sent at ${sendsAt.exact}` : MAIL_STATUSES[mail.status],
    sendsAt,
    failed: mail.status === 'failed',
    error: mail.status === 'failed' || mail.status === 'pending' ? mail.last_error : null,
    attempts: mail.attempts,
    channel: mail.channel_name,
  };
}
