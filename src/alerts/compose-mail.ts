// Turns one outbox row into a ready-to-send message: template data (times in the owner's time zone,
// "how long ago" as of sending), signed mute and unsubscribe links, List-Unsubscribe headers and a
// Message-ID derived from the outbox id, so a resend after a crash is recognisably the same mail.
import type { Config } from '../config.ts';
import type { OutboxRow } from '../db/outbox.ts';
import type { RecipientRow } from '../db/users.ts';
import { formatDuration } from '../domain/duration.ts';
import { REMINDERS_STOP_AFTER_MS } from '../domain/alert-rules.ts';
import type { EmailName, EmailTemplates } from './email-templates.ts';
import { signLink } from './signed-links.ts';
import type { SitePayload } from './sweep.ts';

export interface MailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
  /** Names the .eml file when there is no SMTP server. */
  fileName: string;
}

export interface ComposeDeps {
  templates: EmailTemplates;
  secret: string;
  publicUrl: string;
  mailFrom: string;
  staleAfterMs: number;
  alertRepeatMs: number;
}

/** How mails are composed, from the configuration and the signing secret. */
export function composeSettings(config: Config, templates: EmailTemplates, secret: string): ComposeDeps {
  return {
    templates,
    secret,
    publicUrl: config.publicUrl,
    mailFrom: config.mailFrom,
    staleAfterMs: config.staleAfterMs,
    alertRepeatMs: config.alertRepeatMs,
  };
}

const TEMPLATE: Record<OutboxRow['kind'], EmailName> = {
  stale: 'stale-digest',
  recovery: 'recovery',
  reminder: 'reminder',
  incident: 'incident',
};

/** "5 Jan 2026, 10:02 (Europe/Paris)"; an unknown time zone falls back to UTC. */
export function formatInZone(date: Date, timeZone: string): string {
  const format = (zone: string) =>
    new Intl.DateTimeFormat('en-GB', { timeZone: zone, dateStyle: 'medium', timeStyle: 'short' }).format(date) + ` (${zone})`;
  try {
    return format(timeZone);
  } catch {
    return format('UTC');
  }
}

export function composeMail(deps: ComposeDeps, row: OutboxRow, recipient: RecipientRow | undefined, now: Date): MailMessage {
  const base = deps.publicUrl.replace(/\/+$/, '');
  const host = new URL(base).hostname || 'agentdesk.localhost';
  const messageId = `<alert-${row.id}.${row.kind}@${host}>`;
  const fileName = `${String(row.id).padStart(8, '0')}-${row.kind}.eml`;

  if (row.kind === 'incident') {
    const p = row.payload as Record<string, unknown>;
    const data = {
      ...p,
      resolved: p.state === 'resolved',
      openedAt: formatInZone(new Date(String(p.opened_at)), 'UTC'),
      closedAt: p.closed_at ? formatInZone(new Date(String(p.closed_at)), 'UTC') : null,
      metricsUrl: `${base}/metrics`,
    };
    const rendered = deps.templates.render('incident', data);
    return { from: deps.mailFrom, to: row.to_address!, ...rendered, messageId, headers: {}, fileName };
  }

  if (!recipient) throw new Error(`outbox mail ${row.id} has no recipient`);
  const zone = recipient.timezone || 'UTC';
  const unsubscribeUrl = `${base}/alerts/unsubscribe?t=${signLink(deps.secret, { action: 'unsubscribe', userId: recipient.id }, now)}`;
  const sites = ((row.payload.sites ?? []) as SitePayload[]).map((site) => {
    const lastSeen = new Date(site.last_seen_at);
    const recoveredAt = site.recovered_at ? new Date(site.recovered_at) : undefined;
    return {
      name: site.name,
      siteUrl: site.site_url,
      pluginVersion: site.plugin_version ?? 'unknown',
      lastSeen: formatInZone(lastSeen, zone),
      ago: formatDuration(now.getTime() - lastSeen.getTime()),
      downFor: recoveredAt ? formatDuration(recoveredAt.getTime() - lastSeen.getTime()) : null,
      recoveredAt: recoveredAt ? formatInZone(recoveredAt, zone) : null,
      reminder: site.reminder ?? null,
      lastReminder: site.reminder !== undefined && (site.reminder + 1) * deps.alertRepeatMs > REMINDERS_STOP_AFTER_MS,
      botUrl: `${base}/bots/${encodeURIComponent(site.id)}`,
      muteUrl: `${base}/alerts/mute?t=${signLink(deps.secret, { action: 'mute', userId: recipient.id, botId: site.id }, now)}`,
    };
  });
  const data = {
    ownerName: recipient.name,
    count: sites.length,
    many: sites.length > 1,
    first: sites[0],
    sites,
    staleAfter: formatDuration(deps.staleAfterMs),
    repeat: formatDuration(deps.alertRepeatMs),
    dashboardUrl: `${base}/bots`,
    unsubscribeUrl,
  };
  const rendered = deps.templates.render(TEMPLATE[row.kind], data);
  return {
    from: deps.mailFrom,
    to: recipient.email,
    ...rendered,
    messageId,
    headers: {
      'List-Unsubscribe': `<${unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'Auto-Submitted': 'auto-generated',
    },
    fileName,
  };
}
