// Plain SQL for alert channels (docs/alerts.md "Channels"): an owner's list, one channel (always by owner and id, so
// another owner's channel is simply not found), the channels that cover a set of owners for the
// sweep, the stale alerts each channel actually announced, and the deliveries of one channel.
import { pastPosition, positionColumn, withPositions } from './keyset.ts';
import type { ListPosition } from '../domain/list-cursor.ts';
import { randomUUID } from 'node:crypto';
import { channelTestKey, contactVerificationKey } from '../domain/alert-keys.ts';
import type { Queryable } from './database.ts';
import { staleAlertAnnouncedSql, type NewOutboxRow, type OutboxStatus } from './outbox.ts';

export type ChannelKind = 'email' | 'webhook' | 'slack';
export const CHANNEL_KINDS: readonly ChannelKind[] = ['email', 'webhook', 'slack'];

export interface ChannelRow {
  id: string;
  user_id: string;
  kind: ChannelKind;
  is_account: boolean;
  name: string;
  target: string | null;
  secret: string | null;
  bot_ids: string[] | null;
  escalate_after_seconds: number | null;
  enabled: boolean;
  last_error: string | null;
  last_error_at: Date | null;
  /** When the current address of an email contact confirmed; null = not yet (see verificationOf). */
  verified_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewChannel {
  kind: ChannelKind;
  name: string;
  target: string;
  secret: string | null;
  botIds: string[] | null;
  escalateAfterSeconds: number | null;
  enabled: boolean;
}

export async function listChannels(db: Queryable, userId: string): Promise<ChannelRow[]> {
  const { rows } = await db.query<ChannelRow>('SELECT * FROM alert_channels WHERE user_id = $1 ORDER BY is_account DESC, created_at, id', [userId]);
  return rows;
}

/** Where a channel sorts in the paged list: the account email first (at the epoch), the others by creation. */
const CHANNEL_SORT_AT = `CASE WHEN is_account THEN 'epoch'::timestamptz ELSE created_at END`;

/** Up to `limit` of the account's channels after `after`, the account email first and then oldest first, each with its position. */
export async function listChannelsAfter(db: Queryable, userId: string, page: { after?: ListPosition; limit: number }): Promise<Array<{ channel: ChannelRow; position: ListPosition }>> {
  const params: unknown[] = [userId, page.limit];
  const past = pastPosition(params, CHANNEL_SORT_AT, page.after, '>');
  const { rows } = await db.query<ChannelRow & { list_position_us: string }>(
    `SELECT *, ${positionColumn(CHANNEL_SORT_AT)} FROM alert_channels WHERE user_id = $1 ${past} ORDER BY ${CHANNEL_SORT_AT}, id LIMIT $2`,
    params,
  );
  return withPositions(rows).map(({ row, position }) => ({ channel: row, position }));
}

export async function findChannel(db: Queryable, userId: string, id: string): Promise<ChannelRow | undefined> {
  const { rows } = await db.query<ChannelRow>('SELECT * FROM alert_channels WHERE user_id = $1 AND id = $2', [userId, id]);
  return rows[0];
}

export async function findChannelById(db: Queryable, id: string): Promise<ChannelRow | undefined> {
  const { rows } = await db.query<ChannelRow>('SELECT * FROM alert_channels WHERE id = $1', [id]);
  return rows[0];
}

export async function insertChannel(db: Queryable, userId: string, channel: NewChannel, now: Date): Promise<ChannelRow> {
  const { rows } = await db.query<ChannelRow>(
    `INSERT INTO alert_channels (user_id, kind, name, target, secret, bot_ids, escalate_after_seconds, enabled, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING *`,
    [userId, channel.kind, channel.name, channel.target, channel.secret, channel.botIds, channel.escalateAfterSeconds, channel.enabled, now],
  );
  return rows[0]!;
}

export interface ChannelChanges {
  name?: string;
  target?: string;
  botIds?: string[] | null;
  escalateAfterSeconds?: number | null;
  enabled?: boolean;
}

/**
 * Applies the given changes; re-enabling a channel clears its last error, and a new address
 * (a different target) has to confirm again.
 */
export async function updateChannel(db: Queryable, userId: string, id: string, changes: ChannelChanges, now: Date): Promise<ChannelRow | undefined> {
  const { rows } = await db.query<ChannelRow>(
    `UPDATE alert_channels SET
       name = CASE WHEN $3 THEN $4 ELSE name END,
       target = CASE WHEN $5 THEN $6 ELSE target END,
       verified_at = CASE WHEN $5 AND $6 IS DISTINCT FROM target THEN NULL ELSE verified_at END,
       bot_ids = CASE WHEN $7 THEN $8::uuid[] ELSE bot_ids END,
       escalate_after_seconds = CASE WHEN $9 THEN $10::integer ELSE escalate_after_seconds END,
       last_error = CASE WHEN $11 AND $12 AND NOT enabled THEN NULL ELSE last_error END,
       enabled = CASE WHEN $11 THEN $12 ELSE enabled END,
       updated_at = $13
     WHERE user_id = $1 AND id = $2 RETURNING *`,
    [
      userId,
      id,
      changes.name !== undefined,
      changes.name ?? null,
      changes.target !== undefined,
      changes.target ?? null,
      changes.botIds !== undefined,
      changes.botIds ?? null,
      changes.escalateAfterSeconds !== undefined,
      changes.escalateAfterSeconds ?? null,
      changes.enabled !== undefined,
      changes.enabled ?? null,
      now,
    ],
  );
  return rows[0];
}

/** Deletes an added channel (never the account email); false when there is none. */
export async function deleteChannel(db: Queryable, userId: string, id: string): Promise<boolean> {
  const result = await db.query('DELETE FROM alert_channels WHERE user_id = $1 AND id = $2 AND NOT is_account', [userId, id]);
  return result.rowCount > 0;
}

/** Records a delivery failure on the channel; `disable` turns it off (the receiver said it is gone). */
export async function recordChannelError(db: Queryable, id: string, error: string, disable: boolean, now: Date): Promise<void> {
  await db.query('UPDATE alert_channels SET last_error = $2, last_error_at = $3, enabled = enabled AND NOT $4, updated_at = $3 WHERE id = $1', [
    id,
    error,
    now,
    disable,
  ]);
}

export async function clearChannelError(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE alert_channels SET last_error = NULL, last_error_at = NULL WHERE id = $1', [id]);
}

/** Which of these bot ids the owner does not own (a channel may only list its owner's bots). */
export async function foreignBotIds(db: Queryable, userId: string, botIds: readonly string[]): Promise<string[]> {
  if (botIds.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(
    `SELECT t.id::text AS id FROM unnest($2::uuid[]) AS t(id) WHERE NOT EXISTS (SELECT 1 FROM bots b WHERE b.id = t.id AND b.user_id = $1)`,
    [userId, botIds],
  );
  return rows.map((row) => row.id);
}

/** Every channel of these owners (enabled or not: the router decides), for one sweep. */
export async function selectOwnersChannels(tx: Queryable, userIds: readonly string[]): Promise<ChannelRow[]> {
  if (userIds.length === 0) return [];
  const { rows } = await tx.query<ChannelRow>('SELECT * FROM alert_channels WHERE user_id = ANY($1::uuid[]) ORDER BY created_at, id', [userIds]);
  return rows;
}

/**
 * The (episode, channel) pairs whose stale alert went out or is on its way; channel null = the
 * account email's own mails. An escalation still waiting for its time (never attempted, due later)
 * does not count: a site that recovers before it gets no recovery on that channel either.
 * `sentOnly` (reminders) counts only delivered alerts, as the account email always did (the
 * levels 'due' and 'delivered' of staleAlertAnnounced in src/domain/alert-rules.ts).
 */
export async function selectAnnouncedChannels(tx: Queryable, episodeIds: readonly number[], sentOnly: boolean, now: Date) {
  if (episodeIds.length === 0) return new Set<string>();
  const { rows } = await tx.query<{ episode_id: number; channel_id: string | null }>(
    `SELECT DISTINCT n.episode_id, o.channel_id FROM alert_notifications n JOIN alert_outbox o ON o.id = n.outbox_id
     WHERE n.episode_id = ANY($1::bigint[]) AND n.kind = 'stale'
       AND ${sentOnly ? staleAlertAnnouncedSql('o', 'delivered') : staleAlertAnnouncedSql('o', 'due', '$2')}`,
    sentOnly ? [episodeIds] : [episodeIds, now],
  );
  return new Set(rows.map((row) => announcedKey(Number(row.episode_id), row.channel_id)));
}

export const announcedKey = (episodeId: number, channelId: string | null) => `${episodeId}:${channelId ?? 'account'}`;

/** The bots of a channel row's alert still stale in the same episode (an escalation is sent only for them). */
export async function selectStillStaleBots(db: Queryable, outboxId: number): Promise<Set<string>> {
  const { rows } = await db.query<{ bot_id: string }>(
    `SELECT n.bot_id FROM alert_notifications n JOIN alert_episodes ep ON ep.id = n.episode_id JOIN bots b ON b.id = n.bot_id
     WHERE n.outbox_id = $1 AND ep.closed_at IS NULL AND b.connection_status = 'stale'`,
    [outboxId],
  );
  return new Set(rows.map((row) => row.bot_id));
}

export interface ChannelDelivery {
  id: number;
  kind: string;
  status: OutboxStatus;
  delivery_id: string;
  attempts: number;
  created_at: Date;
  next_attempt_at: Date;
  sent_at: Date | null;
  last_error: string | null;
  /** Set for a group (ALERT_GROUP_WINDOW) that later sites may join while it is held. */
  group_key: string | null;
  incident_id: number | null;
}

/** The latest deliveries on one channel, newest first (its page shows them, failures included). */
export async function listChannelDeliveries(db: Queryable, channelId: string, limit = 20): Promise<ChannelDelivery[]> {
  const { rows } = await db.query<ChannelDelivery>(
    `SELECT id, kind, status, delivery_id, attempts, created_at, next_attempt_at, sent_at, last_error, group_key, incident_id
     FROM alert_outbox WHERE channel_id = $1 ORDER BY id DESC LIMIT $2`,
    [channelId, limit],
  );
  return rows;
}

/** Outbox rows waiting (pending or being sent) per channel kind; rows without a channel are email. */
export async function countPendingByChannelKind(db: Queryable): Promise<Map<string, number>> {
  const { rows } = await db.query<{ kind: string; count: number }>(
    `SELECT coalesce(c.kind, 'email') AS kind, count(*)::int AS count
     FROM alert_outbox o LEFT JOIN alert_channels c ON c.id = o.channel_id
     WHERE o.status IN ('pending', 'sending') GROUP BY 1`,
  );
  return new Map(rows.map((row) => [row.kind, row.count]));
}

/** A row for one of the owner's channels (enqueued by outbox.ts's enqueueOutboxRows). */
export type NewChannelMail = NewOutboxRow & { channelId: string };

/**
 * Marks an email contact confirmed, if its address is still the one the link was sent to; the
 * channel's name, or undefined when it is gone or its address changed since.
 */
export async function markContactVerified(db: Queryable, userId: string, channelId: string, address: string, now: Date): Promise<{ name: string } | undefined> {
  const { rows } = await db.query<{ name: string }>(
    `UPDATE alert_channels SET verified_at = coalesce(verified_at, $4)
     WHERE user_id = $1 AND id = $2 AND kind = 'email' AND NOT is_account AND target = $3 RETURNING name`,
    [userId, channelId, address, now],
  );
  return rows[0];
}

/** Enqueues the confirmation mail of an email contact, to the address it has now; its id. */
export async function enqueueContactVerification(db: Queryable, channel: ChannelRow, now: Date): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO alert_outbox (dedupe_key, kind, user_id, channel_id, payload, status, next_attempt_at, created_at)
     VALUES ($5, 'contact_verification', $1, $2, $3, 'pending', $4, $4) RETURNING id`,
    [channel.user_id, channel.id, JSON.stringify({ address: channel.target }), now, contactVerificationKey(randomUUID())],
  );
  return rows[0]!.id;
}

/** Enqueues the "Send a test" row of a channel; its id. */
export async function enqueueChannelTest(db: Queryable, channel: ChannelRow, now: Date): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO alert_outbox (dedupe_key, kind, user_id, channel_id, payload, status, next_attempt_at, created_at)
     VALUES ($5, 'test', $1, $2, $3, 'pending', $4, $4) RETURNING id`,
    [channel.user_id, channel.id, JSON.stringify({ sites: [], channel_name: channel.name }), now, channelTestKey(randomUUID())],
  );
  return rows[0]!.id;
}
