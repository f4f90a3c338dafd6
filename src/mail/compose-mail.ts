// Turns one outbox row into a ready-to-send message: template data (times in the owner's time zone,
// "how long ago" as of sending), signed mute and unsubscribe links, List-Unsubscribe headers and a
// Message-ID derived from the outbox id, so a resend after a crash is recognisably the same mail.
import type { Config } from '../config.ts';
import type { OutboxRow } from '../db/outbox.ts';
import type { RecipientRow } from '../db/users.ts';
import { formatDuration } from '../domain/duration.ts';
import { REMINDERS_STOP_AFTER_MS } from '../domain/alert-rules.ts';
import { DIAGNOSES, DIAGNOSIS_ADVICE, isDiagnosis, type Diagnosis } from '../domain/probe-diagnosis.ts';
import type { EmailName, EmailTemplates } from './email-templates.ts';
import { LINK_LIFETIME_MS, signLink } from './signed-links.ts';
import type { SitePayload, UptimeReportPayload } from './alert-types.ts';
import { DIAGNOSIS_WORDS } from '../domain/public-status.ts';
import { secondsInWords, uptimeInWords } from '../domain/uptime.ts';
import { ATTENTION_KIND_LABELS, type AttentionDigestPayload, type DigestPayloadItem } from '../domain/attention-digest.ts';
import type { AttentionKind } from '../domain/attention.ts';

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
  test: 'channel-test',
  maintenance_ending: 'maintenance-ending',
  contact_verification: 'contact-verification',
  signup_confirmation: 'signup-confirmation',
  attention: 'attention-digest',
  uptime_report: 'uptime-report',
  account_invitation: 'account-invitation',
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
      assessed: p.state === 'assessed',
      openedAt: formatInZone(new Date(String(p.opened_at)), 'UTC'),
      closedAt: p.closed_at ? formatInZone(new Date(String(p.closed_at)), 'UTC') : null,
      metricsUrl: `${base}/metrics`,
      breakdown: incidentBreakdown(p.breakdown),
    };
    const rendered = deps.templates.render('incident', data);
    return { from: deps.mailFrom, to: row.to_address!, ...rendered, messageId, headers: {}, fileName };
  }

  if (row.kind === 'signup_confirmation') {
    // Signed when sent, like the mute links: the outbox row holds no credential.
    const userId = String(row.payload.user_id);
    // Where the person was going when they signed up, carried through to the log-in page.
    const next = typeof row.payload.next === 'string' ? `&next=${encodeURIComponent(row.payload.next)}` : '';
    const data = {
      email: row.to_address,
      confirmUrl: `${base}/signup/confirm?t=${signLink(deps.secret, { action: 'confirm_signup', userId }, now)}${next}`,
      validFor: formatDuration(LINK_LIFETIME_MS.confirm_signup),
    };
    const rendered = deps.templates.render('signup-confirmation', data);
    return { from: deps.mailFrom, to: row.to_address!, ...rendered, messageId, headers: { 'Auto-Submitted': 'auto-generated' }, fileName };
  }

  if (row.kind === 'account_invitation') {
    // Signed when sent, like the sign-up link: the outbox row holds no credential.
    const p = row.payload as { account_id: string; invitation_id: string; account_name: string; role: string; invited_by: string | null };
    const data = {
      email: row.to_address,
      accountName: p.account_name,
      role: p.role,
      invitedBy: p.invited_by,
      acceptUrl: `${base}/invitations/accept?t=${signLink(deps.secret, { action: 'accept_invitation', userId: p.account_id, invitationId: p.invitation_id }, now)}`,
      validFor: formatDuration(LINK_LIFETIME_MS.accept_invitation),
    };
    const rendered = deps.templates.render('account-invitation', data);
    return { from: deps.mailFrom, to: row.to_address!, ...rendered, messageId, headers: { 'Auto-Submitted': 'auto-generated' }, fileName };
  }

  if (!recipient) throw new Error(`outbox mail ${row.id} has no recipient`);
  if (row.kind === 'contact_verification') return contactVerification(deps, row, recipient, now, { messageId, fileName });
  if (row.kind === 'uptime_report') return uptimeReport(deps, row, recipient, now, { messageId, fileName });
  const zone = recipient.timezone || 'UTC';
  const unsubscribeUrl = `${base}/alerts/unsubscribe?t=${signLink(deps.secret, { action: 'unsubscribe', userId: recipient.id }, now)}`;
  const ownerHeaders = {
    'List-Unsubscribe': `<${unsubscribeUrl}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'Auto-Submitted': 'auto-generated',
  };
  if (row.kind === 'attention') {
    const offUrl = (kind: AttentionKind) => `${base}/alerts/attention-off?t=${signLink(deps.secret, { action: 'attention_off', userId: recipient.id, kind }, now)}`;
    const data = attentionDigestData(row.payload as unknown as AttentionDigestPayload, recipient, base, zone, unsubscribeUrl, offUrl);
    const rendered = deps.templates.render('attention-digest', data);
    return { from: deps.mailFrom, to: recipient.email, ...rendered, messageId, headers: ownerHeaders, fileName };
  }
  // An email contact is not the owner: no link that would switch off the owner's mails.
  const contact = row.payload.contact === true;
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
      muteUrl: `${base}/alerts/mute?t=${signLink(deps.secret, { action: 'mute', userId: recipient.account_id ?? recipient.id, botId: site.id }, now)}`,
      // Mails queued before probing existed, or with PROBE=off, carry no diagnosis: "not probed".
      diagnosis: isDiagnosis(site.diagnosis) ? site.diagnosis : 'not_probed',
      diagnosisKnown: isDiagnosis(site.diagnosis) && site.diagnosis !== 'not_probed',
      diagnosisHeading: DIAGNOSIS_ADVICE[isDiagnosis(site.diagnosis) ? site.diagnosis : 'not_probed'].heading,
      diagnosisWas: DIAGNOSIS_ADVICE[isDiagnosis(site.diagnosis) ? site.diagnosis : 'not_probed'].was,
      diagnosisDetail: site.diagnosis_detail ?? null,
      // The "maintenance window ends in a day" mail (docs/alerts.md "Maintenance windows").
      maintenanceUntil: site.maintenance_until ? formatInZone(new Date(site.maintenance_until), zone) : null,
      maintenanceReason: site.maintenance_reason ?? null,
    };
  });
  // The digest groups sites by what we found, each group with its next steps (docs/alerts.md "Nudge and probe").
  const groups = DIAGNOSES.map((diagnosis) => ({
    diagnosis,
    ...DIAGNOSIS_ADVICE[diagnosis],
    sites: sites.filter((site) => site.diagnosis === diagnosis),
  })).filter((group) => group.sites.length > 0);
  const first = sites[0] ? { ...sites[0], headline: singleSiteHeadline(sites[0].diagnosis) } : undefined;
  const data = {
    ownerName: recipient.name,
    count: sites.length,
    many: sites.length > 1,
    first,
    sites,
    groups,
    staleAfter: formatDuration(deps.staleAfterMs),
    repeat: formatDuration(deps.alertRepeatMs),
    dashboardUrl: `${base}/bots`,
    unsubscribeUrl: contact ? null : unsubscribeUrl,
    // "Send a test" names the channel it tests.
    channelName: typeof row.payload.channel_name === 'string' ? row.payload.channel_name : null,
    channelsUrl: `${base}/channels`,
  };
  const rendered = deps.templates.render(TEMPLATE[row.kind], data);
  return {
    from: deps.mailFrom,
    to: recipient.email,
    ...rendered,
    messageId,
    headers: ownerHeaders,
    fileName,
  };
}

/** The subject of a mail about one site: what we found, in a few words (its name is in the body). */
function singleSiteHeadline(diagnosis: Diagnosis): string {
  switch (diagnosis) {
    case 'site_down':
      return 'A site is down: it does not answer';
    case 'plugin_silent':
      return 'A site answers, but its AgentDesk plugin is silent';
    case 'probe_blocked':
      return 'A site stopped reporting, and its firewall blocks our check';
    case 'not_probed':
      return 'A site stopped reporting to AgentDesk';
  }
}

/**
 * The confirmation mail of an email contact: who added the address, and the signed link that
 * confirms this address for this contact (signed now, so a mail queued by a migration has one too).
 */
function contactVerification(deps: ComposeDeps, row: OutboxRow, owner: RecipientRow, now: Date, ids: { messageId: string; fileName: string }): MailMessage {
  const base = deps.publicUrl.replace(/\/+$/, '');
  const address = String(row.payload.address);
  const token = signLink(deps.secret, { action: 'verify_contact', userId: owner.id, channelId: row.channel_id!, address }, now);
  const rendered = deps.templates.render('contact-verification', { ownerEmail: owner.email, address, confirmUrl: `${base}/alerts/confirm-contact?t=${token}` });
  return { from: deps.mailFrom, to: address, ...rendered, ...ids, headers: { 'Auto-Submitted': 'auto-generated' } };
}

/**
 * A client's monthly uptime report (docs/reports.md "By mail"): the figures were computed when the
 * month was over and travel in the row. To a contact (the client) it carries no owner link.
 */
function uptimeReport(deps: ComposeDeps, row: OutboxRow, owner: RecipientRow, now: Date, ids: { messageId: string; fileName: string }): MailMessage {
  const base = deps.publicUrl.replace(/\/+$/, '');
  const report = row.payload as unknown as UptimeReportPayload;
  const figures = (name: string, f: UptimeReportPayload['totals']) => {
    const words = uptimeInWords(f);
    return { name, ...words, uptime: words.uptime ?? 'no data', mttr: words.mttr ?? '-' };
  };
  const contact = row.payload.contact === true;
  const unsubscribeUrl = `${base}/alerts/unsubscribe?t=${signLink(deps.secret, { action: 'unsubscribe', userId: owner.id }, now)}`;
  const rendered = deps.templates.render('uptime-report', {
    clientName: report.client_name,
    month: report.month,
    timeZone: report.time_zone,
    totals: figures('All sites', report.totals),
    sites: report.sites.map((site) => figures(site.name, site.figures)),
    incidents: report.sites.flatMap((site) =>
      site.figures.incidents.map((incident) => ({
        site: site.name,
        start: formatInZone(new Date(incident.start), report.time_zone),
        end: incident.end ? formatInZone(new Date(incident.end), report.time_zone) : 'still down at the end of the month',
        down: secondsInWords(incident.downtime_seconds),
        diagnosis: incident.diagnosis ? DIAGNOSIS_WORDS[incident.diagnosis] : 'not checked',
      })),
    ),
    unsubscribeUrl: contact ? null : unsubscribeUrl,
  });
  const headers: Record<string, string> = contact
    ? { 'Auto-Submitted': 'auto-generated' }
    : { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'Auto-Submitted': 'auto-generated' };
  return { from: deps.mailFrom, to: owner.email, ...rendered, ...ids, headers };
}

const RESULT_WORDS: Record<string, string> = {
  woke: 'woke when nudged (only idle, never mailed)',
  site_down: 'site down (no answer, or a server error)',
  plugin_silent: 'WordPress answers, plugin silent (more likely our side: ingest, DNS, TLS, network)',
  probe_blocked: 'blocked by the site firewall',
  not_probed: 'not probed',
  cancelled: 'reported before the nudge went out',
  unfinished: 'still being checked',
};

/** The incident mail's breakdown of its probes by result, largest first. */
function incidentBreakdown(raw: unknown) {
  if (!Array.isArray(raw)) return null;
  const rows = (raw as Array<{ result: string; count: number }>).map((row) => ({ ...row, words: RESULT_WORDS[row.result] ?? row.result }));
  return rows.length ? rows : null;
}

/**
 * The weekly "needs attention" digest (docs/attention.md, "The weekly digest"): new items first,
 * then those still open since the last digest, each grouped by site; a newer plugin release named
 * first. Every kind listed has a signed link that stops the digest mentioning it (one click and a
 * confirmation page, like unsubscribe), and the account page changes all the settings.
 */
function attentionDigestData(
  payload: AttentionDigestPayload,
  recipient: RecipientRow,
  base: string,
  zone: string,
  unsubscribeUrl: string,
  offUrl: (kind: AttentionKind) => string,
) {
  const bySite = (items: DigestPayloadItem[]) => {
    const sites = new Map<string, { name: string; siteUrl: string | null; botUrl: string; items: object[] }>();
    for (const item of items) {
      const site = sites.get(item.bot_id) ?? { name: item.bot_name, siteUrl: item.site_url, botUrl: `${base}/bots/${encodeURIComponent(item.bot_id)}`, items: [] };
      site.items.push({ kind: item.kind, label: ATTENTION_KIND_LABELS[item.kind], detail: item.detail, nextStep: item.next_step, since: formatInZone(new Date(item.since), zone) });
      sites.set(item.bot_id, site);
    }
    return [...sites.values()];
  };
  const all = [...payload.new_items, ...payload.still_items];
  const kinds = [...new Set(all.map((item) => item.kind))].map((kind) => ({ kind, label: ATTENTION_KIND_LABELS[kind], offUrl: offUrl(kind) }));
  const outdatedSites = new Set(all.filter((item) => item.kind === 'plugin_outdated').map((item) => item.bot_id)).size;
  return {
    ownerName: recipient.name,
    newCount: payload.new_items.length,
    stillCount: payload.still_items.length,
    stillMany: payload.still_items.length > 1,
    // Nothing new: the mail says so in its subject and first line ("still"), never the same list silently.
    onlyStill: payload.new_items.length === 0,
    newSites: bySite(payload.new_items),
    stillSites: bySite(payload.still_items),
    release: payload.plugin_release ? { version: payload.plugin_release, sites: outdatedSites, many: outdatedSites > 1 } : null,
    kinds,
    settingsUrl: `${base}/account#attention-digest`,
    dashboardUrl: `${base}/bots?attention=any`,
    unsubscribeUrl,
  };
}
