// Which channels an alert goes to (docs/alerts.md "Channels"), decided inside the sweep's transaction so the rows are
// written with the decision. Pure rule (covers) plus one function that reads the owners' channels.
//
//  1. A channel takes an item when it is enabled, may receive alerts (an email contact whose address
//     has not confirmed may not: src/domain/channel-sends.ts) and covers the bot (bot_ids null =
//     every bot).
//  2. Recoveries and reminders go only to channels that announced the episode's stale alert
//     (reminders: delivered; recoveries: delivered or on its way). An escalation still waiting counts
//     as not announced, so a site that recovers first is never mentioned on that channel.
//  3. The account email without escalation keeps the owner-mail path (one digest per owner, channel
//     null in the outbox); an owner with no channel row at all (none is created outside SQL) too.
//  4. Every other channel gets rows of its own: email contacts and Slack one digest per channel,
//     webhooks one row per site (their event names one bot). A stale alert on a channel with
//     escalate_after is due that long after now and marked `escalate`, so delivery re-checks it.
//  5. A digest row of a stale or recovery alert (email contacts and Slack; not webhooks, not a stale
//     alert that escalates: channelRowGroups) carries its group key, so that with
//     ALERT_GROUP_WINDOW the sweep adds it to the channel's open group (src/alerts/alert-groups.ts).
// Dedupe keys add the channel to the owner path's keys: per bot, episode, kind and channel.
import type { Queryable } from '../db/database.ts';
import { announcedKey, selectAnnouncedChannels, selectOwnersChannels, type ChannelRow, type NewChannelMail } from '../db/channels.ts';
import type { NewNotification } from '../db/outbox.ts';
import { channelRowGroups } from '../domain/alert-grouping.ts';
import { alertGroupKey, channelNotificationKey, channelRowKey, type SiteAlertKind } from '../domain/alert-keys.ts';
import { mayReceiveAlerts } from '../domain/channel-sends.ts';
import type { SitePayload } from '../mail/alert-types.ts';

/** A channel's row, with the group it joins under ALERT_GROUP_WINDOW (null: never grouped). */
export type RoutedChannelMail = NewChannelMail & { groupKey: string | null; payload: { sites: SitePayload[]; escalate?: true } };

export interface RoutedItem {
  userId: string;
  site: SitePayload;
  notification: NewNotification;
}

/** Rule 1. */
export function covers(channel: Pick<ChannelRow, 'enabled' | 'bot_ids' | 'kind' | 'is_account' | 'verified_at'>, botId: string): boolean {
  return channel.enabled && mayReceiveAlerts(channel) && (channel.bot_ids === null || channel.bot_ids.includes(botId));
}

export async function routeToChannels<T extends RoutedItem>(
  tx: Queryable,
  kind: SiteAlertKind,
  items: readonly T[],
  now: Date,
): Promise<{ accountItems: T[]; channelMails: RoutedChannelMail[] }> {
  if (items.length === 0) return { accountItems: [], channelMails: [] };
  const channels = await selectOwnersChannels(tx, [...new Set(items.map((item) => item.userId))]);
  // 2.
  const announced =
    kind === 'stale' ? undefined : await selectAnnouncedChannels(tx, [...new Set(items.map((i) => i.notification.episodeId))], kind === 'reminder', now);
  const wasAnnounced = (item: T, channelId: string | null) => !announced || announced.has(announcedKey(item.notification.episodeId, channelId));

  const accountItems: T[] = [];
  const perChannel = new Map<ChannelRow, T[]>();
  for (const item of items) {
    const own = channels.filter((c) => c.user_id === item.userId);
    // 3.
    if (!own.some((c) => c.is_account)) {
      if (wasAnnounced(item, null)) accountItems.push(item);
    }
    for (const channel of own) {
      if (!covers(channel, item.notification.botId)) continue;
      if (channel.is_account && channel.escalate_after_seconds === null) {
        if (wasAnnounced(item, null)) accountItems.push(item);
        continue;
      }
      // 4.
      if (!wasAnnounced(item, channel.id)) continue;
      const list = perChannel.get(channel);
      if (list) list.push(item);
      else perChannel.set(channel, [item]);
    }
  }

  const channelMails: RoutedChannelMail[] = [];
  for (const [channel, list] of perChannel) {
    const escalates = kind === 'stale' && channel.escalate_after_seconds !== null;
    // 5.
    const groupKey = channelRowGroups(kind, channel) ? alertGroupKey(kind, { channelId: channel.id }) : null;
    const notBefore = escalates ? new Date(now.getTime() + channel.escalate_after_seconds! * 1000) : now;
    const groups = channel.kind === 'webhook' ? list.map((item) => [item]) : [list];
    for (const group of groups) {
      channelMails.push({
        dedupeKey: channelRowKey(kind, channel.id, group[0]!.notification.dedupeKey),
        userId: channel.user_id,
        channelId: channel.id,
        payload: { sites: group.map((item) => item.site), ...(escalates ? { escalate: true } : {}) },
        notBefore,
        notifications: group.map((item) => ({ ...item.notification, dedupeKey: channelNotificationKey(item.notification.dedupeKey, channel.id) })),
        groupKey,
      });
    }
  }
  return { accountItems, channelMails };
}
