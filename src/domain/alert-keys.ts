// The kinds of row the alert outbox holds, and the dedupe keys that make delivery "at least once,
// never twice" (docs/alerts.md): a row or notification whose key already exists is not queued
// again. Keys are stored, so each shape here must keep producing exactly the bytes it always has
// (tests/domain/alert-keys.test.ts pins them); a new shape is a new function, never an edit.

/** Every kind of outbox row; the database's CHECK constraint on alert_outbox.kind allows exactly these. */
export const ALERT_KINDS = ['stale', 'recovery', 'reminder', 'incident', 'maintenance_ending', 'test', 'contact_verification', 'signup_confirmation', 'attention', 'uptime_report', 'account_invitation'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** The kinds a sweep queues about sites (each carries notifications: which bot, which episode). */
export const SITE_ALERT_KINDS = ['stale', 'recovery', 'reminder'] as const satisfies readonly AlertKind[];
export type SiteAlertKind = (typeof SITE_ALERT_KINDS)[number];

/** The kinds grouped over ALERT_GROUP_WINDOW (reminders go out per sweep). */
export const GROUPED_KINDS = ['stale', 'recovery'] as const satisfies readonly SiteAlertKind[];
export type GroupedKind = (typeof GROUPED_KINDS)[number];

export const isGroupedKind = (kind: string): kind is GroupedKind => (GROUPED_KINDS as readonly string[]).includes(kind);

/** The kinds counted by alert_emails_total (mails that go to an address of their own, not a channel's buttons). */
export const ALERT_EMAIL_KINDS = ['stale', 'recovery', 'reminder', 'incident', 'maintenance_ending', 'signup_confirmation', 'attention', 'uptime_report', 'account_invitation'] as const satisfies readonly AlertKind[];

/** The kinds counted by notifications_total (what a channel delivers). */
export const NOTIFICATION_KINDS = [...SITE_ALERT_KINDS, 'test', 'attention'] as const satisfies readonly AlertKind[];

/** One site's notification of one episode ("stale:<bot>:<episode>"); a reminder adds its number. */
export function siteNotificationKey(kind: SiteAlertKind, botId: string, episodeId: number, reminder?: number): string {
  const suffix = reminder === undefined ? '' : `:${reminder}`;
  return `${kind}:${botId}:${episodeId}${suffix}`;
}

/** The account email's digest to one owner, named by its first site's notification key. */
export function ownerDigestKey(kind: SiteAlertKind, userId: string, firstNotificationKey: string): string {
  return `${kind}:${userId}:${firstNotificationKey}`;
}

/** A channel's row, named by its first site's notification key. */
export function channelRowKey(kind: SiteAlertKind, channelId: string, firstNotificationKey: string): string {
  return `${kind}:ch:${channelId}:${firstNotificationKey}`;
}

/** A site's notification as carried on a channel (the account email's key, then the channel). */
export function channelNotificationKey(notificationKey: string, channelId: string): string {
  return `${notificationKey}:ch:${channelId}`;
}

/** The operator's mail about a storm incident in one state: once per incident and state. */
export function incidentMailKey(incidentId: number, state: string): string {
  return `incident:${incidentId}:${state}`;
}

/** An owner's notice of maintenance windows ending: once per set of (bot, window end). */
export function maintenanceEndingKey(userId: string, windows: ReadonlyArray<{ botId: string; until: Date }>): string {
  return `maintenance_ending:${userId}:${windows.map((w) => `${w.botId}@${w.until.getTime()}`).join(',')}`;
}

/**
 * An owner's weekly "needs attention" digest (docs/attention.md), once per weekly occurrence: on the
 * account email (no channel) or on one webhook or Slack channel.
 */
export function attentionDigestKey(userId: string, occurrence: Date, channelId?: string): string {
  return channelId === undefined ? `attention:${userId}:${occurrence.toISOString()}` : `attention:ch:${channelId}:${occurrence.toISOString()}`;
}

/** A client's monthly uptime report: once per client and month ("2026-11"). */
export function uptimeReportKey(clientId: string, month: string): string {
  return `uptime_report:${clientId}:${month}`;
}

/** A sign-up confirmation mail: one per send (the resend throttle lives elsewhere). */
export function signupConfirmationKey(userId: string, now: Date): string {
  return `signup_confirmation:${userId}:${now.toISOString()}`;
}

/** An invitation mail to join an account: one per invitation per sending. */
export function accountInvitationKey(invitationId: string, now: Date): string {
  return `account_invitation:${invitationId}:${now.toISOString()}`;
}

/** An email contact's confirmation mail: every request is its own row (a random id). */
export function contactVerificationKey(randomId: string): string {
  return `verify:${randomId}`;
}

/** A channel's "Send a test" row: every press is its own row (a random id). */
export function channelTestKey(randomId: string): string {
  return `test:${randomId}`;
}

/**
 * Who an alert group is for: one open group per kind and owner for the account email
 * ("stale:<owner>"), and one per kind and channel for the owner's other digest channels
 * ("stale:ch:<channel>"; a channel has one owner, so its id alone names the group).
 */
export function alertGroupKey(kind: GroupedKind, to: { ownerId: string } | { channelId: string }): string {
  return 'channelId' in to ? `${kind}:ch:${to.channelId}` : `${kind}:${to.ownerId}`;
}
