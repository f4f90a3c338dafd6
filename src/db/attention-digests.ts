// Plain SQL for the weekly "needs attention" digest (docs/attention.md, "The weekly digest"): the
// owners whose digest may be due, their sites' facts, the last digest decided for each (locked, so
// two instances decide a week once), the digest rows in the outbox, and the owner's settings.
import { enqueueMail } from './outbox.ts';
import type { AttentionFacts, AttentionKind } from '../domain/attention.ts';
import type { AttentionDigestPayload, DigestSettings } from '../domain/attention-digest.ts';
import type { Queryable } from './database.ts';

export interface DigestCandidate {
  id: string;
  timezone: string;
  weekday: number;
  hour: number;
  off: AttentionKind[];
}

/**
 * Owners whose chosen weekday is today or yesterday in their time zone (the job decides the exact
 * hour), who have not had a digest decided in the last 6 days, who have a site that ever reported
 * and who have not opted out of every kind. An unknown zone name counts as UTC here.
 */
export async function selectDigestCandidates(db: Queryable, now: Date, kindCount: number): Promise<DigestCandidate[]> {
  const { rows } = await db.query<DigestCandidate>(
    `WITH local AS (
       SELECT u.id, u.timezone, u.attention_digest_weekday AS weekday, u.attention_digest_hour AS hour, u.attention_digest_off AS off,
              extract(isodow FROM $1::timestamptz AT TIME ZONE coalesce(z.name, 'UTC'))::int AS today
       FROM users u
       LEFT JOIN pg_timezone_names z ON z.name = u.timezone
       LEFT JOIN attention_digest_state s ON s.user_id = u.id
       WHERE (s.occurrence IS NULL OR s.occurrence < $1::timestamptz - interval '6 days')
         AND cardinality(u.attention_digest_off) < $2
         AND EXISTS (SELECT 1 FROM bots b JOIN bot_liveness l ON l.bot_id = b.id WHERE b.user_id = u.id AND b.is_active))
     SELECT id, timezone, weekday, hour, off FROM local WHERE today = weekday OR today = weekday % 7 + 1 ORDER BY id`,
    [now, kindCount],
  );
  return rows;
}

export interface DigestBotRow extends AttentionFacts {
  id: string;
  user_id: string;
  name: string;
  wordpress_site_url: string | null;
}

/** The facts the attention rules read, for every site of these owners that ever reported. */
export async function selectDigestBots(db: Queryable, userIds: readonly string[]): Promise<DigestBotRow[]> {
  if (userIds.length === 0) return [];
  const { rows } = await db.query<DigestBotRow>(
    `SELECT id, user_id, name, wordpress_site_url, is_active, l.last_activity AS wordpress_last_activity,
            wordpress_plugin_version, wordpress_plugin_version_since, wordpress_wp_version, wordpress_wp_version_since,
            wordpress_php_version, wordpress_php_version_since, wordpress_cron_mode, wordpress_cron_mode_since,
            wordpress_cron_overdue_events, wordpress_cron_oldest_overdue_seconds, wordpress_environment, wordpress_environment_since
     FROM bots JOIN bot_liveness l ON l.bot_id = bots.id
     WHERE user_id = ANY($1::uuid[]) AND is_active ORDER BY user_id, name, id`,
    [userIds],
  );
  return rows;
}

/** The last digest decided for the owner, locked until the transaction ends. */
export async function lockDigestState(tx: Queryable, userId: string): Promise<{ occurrence: Date; items: string[] } | undefined> {
  const { rows } = await tx.query<{ occurrence: Date; items: string[] }>('SELECT occurrence, items FROM attention_digest_state WHERE user_id = $1 FOR UPDATE', [userId]);
  return rows[0];
}

/**
 * Records this week's digest as decided, with the item keys it listed; false when another instance
 * recorded this occurrence (or a later one) first, in which case this one sends nothing.
 */
export async function saveDigestState(tx: Queryable, userId: string, occurrence: Date, keys: readonly string[], now: Date): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO attention_digest_state (user_id, occurrence, items, decided_at) VALUES ($1, $2, $3::jsonb, $4)
     ON CONFLICT (user_id) DO UPDATE SET occurrence = EXCLUDED.occurrence, items = EXCLUDED.items, decided_at = EXCLUDED.decided_at
     WHERE attention_digest_state.occurrence < EXCLUDED.occurrence`,
    [userId, occurrence, JSON.stringify(keys), now],
  );
  return result.rowCount > 0;
}

export interface AttentionChannelRow {
  id: string;
  user_id: string;
  kind: 'webhook' | 'slack';
  bot_ids: string[] | null;
}

/** The owners' webhook and Slack channels that take the attention event (enabled and switched on). */
export async function selectAttentionChannels(db: Queryable, userIds: readonly string[]): Promise<AttentionChannelRow[]> {
  if (userIds.length === 0) return [];
  const { rows } = await db.query<AttentionChannelRow>(
    `SELECT id, user_id, kind, bot_ids FROM alert_channels
     WHERE user_id = ANY($1::uuid[]) AND attention_events AND enabled AND kind IN ('webhook', 'slack') ORDER BY created_at, id`,
    [userIds],
  );
  return rows;
}

/** Queues one digest row (the account email: no channel); false when its dedupe key exists. */
export async function enqueueDigest(
  tx: Queryable,
  row: { dedupeKey: string; userId: string; channelId: string | null; payload: AttentionDigestPayload },
  now: Date,
): Promise<boolean> {
  // The outbox's one way in for a keyed row: its lock keeps the key once across partitions.
  const id = await enqueueMail(tx, { dedupeKey: row.dedupeKey, kind: 'attention', userId: row.userId, channelId: row.channelId, payload: row.payload, status: 'pending', now });
  return id !== undefined;
}

export async function selectDigestSettings(db: Queryable, userId: string): Promise<DigestSettings | undefined> {
  const { rows } = await db.query<DigestSettings>(
    'SELECT attention_digest_weekday AS weekday, attention_digest_hour AS hour, attention_digest_off AS off FROM users WHERE id = $1',
    [userId],
  );
  return rows[0];
}

export async function updateDigestSettings(db: Queryable, userId: string, settings: DigestSettings, now: Date): Promise<DigestSettings | undefined> {
  const { rows } = await db.query<DigestSettings>(
    `UPDATE users SET attention_digest_weekday = $2, attention_digest_hour = $3, attention_digest_off = $4, updated_at = $5 WHERE id = $1
     RETURNING attention_digest_weekday AS weekday, attention_digest_hour AS hour, attention_digest_off AS off`,
    [userId, settings.weekday, settings.hour, settings.off, now],
  );
  return rows[0];
}

export interface ChannelAttentionRow {
  id: string;
  kind: 'email' | 'webhook' | 'slack';
  name: string;
  attention_events: boolean;
}

/** The owner's webhook and Slack channels with their attention switch. */
export async function listChannelAttention(db: Queryable, userId: string): Promise<ChannelAttentionRow[]> {
  const { rows } = await db.query<ChannelAttentionRow>(
    "SELECT id, kind, name, attention_events FROM alert_channels WHERE user_id = $1 AND kind IN ('webhook', 'slack') ORDER BY created_at, id",
    [userId],
  );
  return rows;
}

/** Turns the channel's attention event on or off; undefined when the owner has no such webhook or Slack channel. */
export async function setChannelAttention(db: Queryable, userId: string, channelId: string, on: boolean, now: Date): Promise<ChannelAttentionRow | undefined> {
  const { rows } = await db.query<ChannelAttentionRow>(
    `UPDATE alert_channels SET attention_events = $3, updated_at = $4 WHERE user_id = $1 AND id = $2 AND kind IN ('webhook', 'slack')
     RETURNING id, kind, name, attention_events`,
    [userId, channelId, on, now],
  );
  return rows[0];
}

/** Adds one kind to the owner's opt-outs (idempotent); false when there is no such owner. */
export async function addDigestOptOut(db: Queryable, userId: string, kind: AttentionKind, now: Date): Promise<boolean> {
  const result = await db.query(
    `UPDATE users SET attention_digest_off = CASE WHEN $2 = ANY(attention_digest_off) THEN attention_digest_off ELSE attention_digest_off || $2::text END,
            updated_at = $3
     WHERE id = $1`,
    [userId, kind, now],
  );
  return result.rowCount > 0;
}
