// How the sweep's steps put what they decided into the outbox (docs/alerts.md "Channels"): one
// item per site, queued on the owner's channels (src/channels/channel-routing.ts): the account
// email as one digest per owner, other channels as routed. With ALERT_GROUP_WINDOW, stale and
// recovery digests (the account email's, email contacts' and Slack's) join the open group of their
// owner or channel instead (src/alerts/alert-groups.ts); webhooks and escalating stale alerts get
// rows of their own at once. Stale mails are held while an incident is open.
import { routeToChannels } from '../channels/channel-routing.ts';
import type { AlertBotRow } from '../db/bots.ts';
import type { Queryable } from '../db/database.ts';
import type { IncidentRow } from '../db/incidents.ts';
import { enqueueOutboxRows, type NewNotification } from '../db/outbox.ts';
import { groupByOwner, mayNotify } from '../domain/alert-rules.ts';
import { alertGroupKey, isGroupedKind, ownerDigestKey, siteNotificationKey, type SiteAlertKind } from '../domain/alert-keys.ts';
import type { SitePayload } from '../mail/alert-types.ts';
import { enqueueGrouped } from './alert-groups.ts';
import type { SweepItem } from './sweep-types.ts';

/** One bot's line in a mail, with the notification (bot, episode, kind) it carries. */
export function itemFor(
  row: AlertBotRow & { episode_id: number; last_seen_at: Date },
  kind: NewNotification['kind'],
  extra: Pick<SitePayload, 'recovered_at' | 'reminder' | 'diagnosis' | 'diagnosis_detail'> = {},
): SweepItem {
  return {
    userId: row.user_id,
    site: {
      id: row.bot_id,
      name: row.name,
      site_url: row.site_url,
      plugin_version: row.plugin_version,
      last_seen_at: row.last_seen_at.toISOString(),
      ...extra,
    },
    notification: { dedupeKey: siteNotificationKey(kind, row.bot_id, row.episode_id, extra.reminder), kind, botId: row.bot_id, episodeId: row.episode_id },
  };
}

/** Whether anyone may hear about this bot now (mayNotify: not muted, not disabled, owner subscribed). */
export const notifiable = (row: Pick<AlertBotRow, 'is_active' | 'muted_until' | 'alert_emails'>, now: Date) =>
  mayNotify({ botActive: row.is_active, mutedUntil: row.muted_until, ownerAlertEmails: row.alert_emails }, now);

export interface QueueOptions {
  now: Date;
  /** The open incident: stale mails are held by it. */
  incident?: IncidentRow;
  /** ALERT_GROUP_WINDOW (0 or absent: no groups). */
  groupWindowMs?: number;
}

/** Queues these items on their channels; returns the rows queued and the groups joined instead. */
export async function queueAlerts(tx: Queryable, kind: SiteAlertKind, items: SweepItem[], options: QueueOptions): Promise<{ queued: number; joined: number }> {
  const { now, incident, groupWindowMs } = options;
  const { accountItems, channelMails } = await routeToChannels(tx, kind, items, now);
  const mails = [...groupByOwner(accountItems)].map(([userId, list]) => ({
    dedupeKey: ownerDigestKey(kind, userId, list[0]!.notification.dedupeKey),
    userId,
    channelId: null,
    notBefore: now,
    payload: { sites: list.map((item) => ({ ...item.site, decided_at: now.toISOString() })) },
    notifications: list.map((item) => item.notification),
  }));
  const held = incident !== undefined && kind === 'stale';
  const [status, incidentId] = held ? (['held', incident.id] as const) : (['pending', null] as const);
  if (!groupWindowMs || !isGroupedKind(kind)) return { queued: await enqueueOutboxRows(tx, kind, [...channelMails, ...mails], status, incidentId, now), joined: 0 };
  const grouped = [
    ...mails.map((mail) => ({ ...mail, groupKey: alertGroupKey(kind, { ownerId: mail.userId }) })),
    ...channelMails.flatMap(({ groupKey, ...mail }) => (groupKey === null ? [] : [{ ...mail, groupKey }])),
  ];
  const apart = await enqueueOutboxRows(tx, kind, channelMails.filter((mail) => mail.groupKey === null), status, incidentId, now);
  const { opened, joined } = await enqueueGrouped(tx, kind, grouped, { incidentId, windowMs: groupWindowMs, now });
  return { queued: opened + apart, joined };
}
