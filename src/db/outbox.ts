// Plain SQL for the alert outbox (one row per mail, sent by src/alerts/delivery.ts) and the
// notifications each mail carries (which bot, which episode, which kind): enqueue, hold and
// release during a storm, claim and finish delivery attempts, and the mails about one bot.
import { alertBotColumns, type AlertBotRow } from './bots.ts';
import type { Queryable } from './database.ts';
import type { AlertKind, SiteAlertKind } from '../domain/alert-keys.ts';
import type { AnnouncedLevel } from '../domain/alert-rules.ts';

/** The kinds of row (src/domain/alert-keys.ts); a sweep queues the site kinds, the others are the operator's, the maintenance notice's, the channel buttons' and sign-up's. */
export type OutboxKind = AlertKind;
export type AlertOutboxKind = SiteAlertKind;
export type OutboxStatus = 'held' | 'pending' | 'sending' | 'sent' | 'failed' | 'dropped';

/**
 * Whether the outbox row aliased `outbox`, carrying a stale notification, has got far enough for
 * the site to count as announced at this level (staleAlertAnnounced in src/domain/alert-rules.ts
 * says why there are three). 'due' compares with `now`, an SQL expression (a parameter).
 */
export function staleAlertAnnouncedSql(outbox: string, level: AnnouncedLevel, now?: string): string {
  switch (level) {
    case 'delivered':
      return `${outbox}.status = 'sent'`;
    case 'queued':
      return `${outbox}.status IN ('pending', 'sending', 'sent')`;
    case 'due':
      if (!now) throw new Error("'due' needs now");
      return `(${outbox}.status = 'sent' OR (${outbox}.status IN ('pending', 'sending') AND (${outbox}.attempts > 0 OR ${outbox}.next_attempt_at <= ${now})))`;
  }
}

/** Whether the episode `episode` (an SQL expression for its id) has a stale alert announced at this level, on any channel. */
export function episodeAnnouncedSql(episode: string, level: Exclude<AnnouncedLevel, 'due'>): string {
  return `EXISTS (SELECT 1 FROM alert_notifications ann_n JOIN alert_outbox ann_o ON ann_o.id = ann_n.outbox_id
                  WHERE ann_n.episode_id = ${episode} AND ann_n.kind = 'stale' AND ${staleAlertAnnouncedSql('ann_o', level)})`;
}

export interface NewOutboxMail {
  dedupeKey: string;
  kind: OutboxKind;
  userId?: string;
  toAddress?: string;
  /** A row for one of the owner's channels (delivered by its channel); none: the owner's own mail. */
  channelId?: string | null;
  payload: unknown;
  status: 'held' | 'pending';
  incidentId?: number | null;
  now: Date;
}

/** Names "queueing outbox rows" for pg_advisory_xact_lock (lockOutboxQueue). */
const OUTBOX_QUEUE_LOCK = 7_402_113_010;

/**
 * Serialises enqueueing until this transaction ends, so a dedupe-key check after it sees every row
 * committed before. alert_outbox is partitioned by month (sql/190_history_partitions.sql): no
 * unique index spans the partitions, so this lock and `NOT EXISTS` keep a key once across all of
 * them, exactly, and through a transaction pooler. Call it inside the transaction that enqueues.
 */
async function lockOutboxQueue(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [OUTBOX_QUEUE_LOCK]);
}

/** Enqueues one mail; undefined when a mail with this dedupe key already exists. Inside a transaction. */
export async function enqueueMail(tx: Queryable, mail: NewOutboxMail): Promise<number | undefined> {
  await lockOutboxQueue(tx);
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO alert_outbox (dedupe_key, kind, user_id, to_address, payload, status, incident_id, next_attempt_at, created_at, channel_id)
     SELECT $1::text, $2::text, $3::uuid, $4::text, $5::jsonb, $6::text, $7::bigint, $8::timestamptz, $8::timestamptz, $9::uuid
     WHERE NOT EXISTS (SELECT 1 FROM alert_outbox WHERE dedupe_key = $1::text)
     RETURNING id`,
    [mail.dedupeKey, mail.kind, mail.userId ?? null, mail.toAddress ?? null, JSON.stringify(mail.payload), mail.status, mail.incidentId ?? null, mail.now, mail.channelId ?? null],
  );
  return rows[0]?.id;
}

export interface NewOwnerMail {
  dedupeKey: string;
  userId: string;
  payload: unknown;
  notifications: readonly NewNotification[];
}

/** A row for one owner's channel (null: the owner's own mail), due at notBefore. */
export interface NewOutboxRow extends NewOwnerMail {
  channelId: string | null;
  /** When it may first be sent: now, or later for a channel that escalates. */
  notBefore: Date;
}

/**
 * Enqueues many outbox rows of one kind, then the notifications each carries (two statements).
 * A row whose dedupe key exists is skipped with its notifications; a notification whose dedupe key
 * (bot, episode, kind, channel) exists raises a unique violation, rolling the whole sweep back: a
 * bot is never announced twice for the same thing. Returns how many rows were enqueued. Inside a
 * transaction (lockOutboxQueue).
 */
export async function enqueueOutboxRows(
  tx: Queryable,
  kind: AlertOutboxKind,
  rows: readonly NewOutboxRow[],
  status: 'held' | 'pending',
  incidentId: number | null,
  now: Date,
): Promise<number> {
  if (rows.length === 0) return 0;
  await lockOutboxQueue(tx);
  const { rows: inserted } = await tx.query<{ id: number; dedupe_key: string }>(
    `INSERT INTO alert_outbox (dedupe_key, kind, user_id, channel_id, payload, status, incident_id, next_attempt_at, created_at)
     SELECT d.key, $6, d.user_id, d.channel_id, d.payload::jsonb, $7, $8, d.not_before, $9
     FROM (SELECT DISTINCT ON (t.key) t.*
           FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[]) WITH ORDINALITY AS t(key, user_id, channel_id, payload, not_before, n)
           WHERE NOT EXISTS (SELECT 1 FROM alert_outbox o WHERE o.dedupe_key = t.key)
           ORDER BY t.key, t.n) d
     ORDER BY d.n
     RETURNING id, dedupe_key`,
    [
      rows.map((r) => r.dedupeKey),
      rows.map((r) => r.userId),
      rows.map((r) => r.channelId),
      rows.map((r) => JSON.stringify(r.payload)),
      rows.map((r) => r.notBefore),
      kind,
      status,
      incidentId,
      now,
    ],
  );
  await insertNotificationsOf(tx, inserted, rows);
  return inserted.length;
}

/** The notifications of the rows just inserted; a row skipped by its dedupe key takes its own along. */
export async function insertNotificationsOf(
  tx: Queryable,
  inserted: ReadonlyArray<{ id: number; dedupe_key: string }>,
  mails: ReadonlyArray<{ dedupeKey: string; notifications: readonly NewNotification[] }>,
): Promise<void> {
  const ids = new Map(inserted.map((row) => [row.dedupe_key, row.id]));
  const notifications = mails.flatMap((mail) => {
    const outboxId = ids.get(mail.dedupeKey);
    return outboxId === undefined ? [] : mail.notifications.map((n) => ({ ...n, outboxId }));
  });
  await insertNotifications(tx, notifications);
}

/** Records which mail carries each notification; a dedupe key that exists raises a unique violation. */
export async function insertNotifications(tx: Queryable, notifications: ReadonlyArray<NewNotification & { outboxId: number }>): Promise<void> {
  if (notifications.length === 0) return;
  await tx.query(
    `INSERT INTO alert_notifications (dedupe_key, kind, bot_id, episode_id, outbox_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::bigint[], $5::bigint[])`,
    [
      notifications.map((n) => n.dedupeKey),
      notifications.map((n) => n.kind),
      notifications.map((n) => n.botId),
      notifications.map((n) => n.episodeId),
      notifications.map((n) => n.outboxId),
    ],
  );
}

export interface NewNotification {
  dedupeKey: string;
  kind: SiteAlertKind;
  botId: string;
  episodeId: number;
}

export interface HeldMailRow {
  id: number;
  kind: OutboxKind;
  payload: { sites: Array<{ id: string }> } & Record<string, unknown>;
}

export async function selectHeldMails(tx: Queryable, incidentId: number): Promise<HeldMailRow[]> {
  const { rows } = await tx.query<HeldMailRow>(
    "SELECT id, kind, payload FROM alert_outbox WHERE status = 'held' AND incident_id = $1 ORDER BY id FOR UPDATE",
    [incidentId],
  );
  return rows;
}

export interface HeldNotificationRow extends AlertBotRow {
  outbox_id: number;
  still_stale: boolean;
}

/** For each held mail, its bots and whether each is still stale in the same episode. */
export async function selectHeldNotifications(tx: Queryable, outboxIds: readonly number[]): Promise<HeldNotificationRow[]> {
  const { rows } = await tx.query<HeldNotificationRow>(
    `SELECT n.outbox_id, n.bot_id, ${alertBotColumns('b', 'u')},
            (ep.closed_at IS NULL AND b.connection_status = 'stale') AS still_stale
     FROM alert_notifications n
     JOIN alert_episodes ep ON ep.id = n.episode_id
     JOIN bots b ON b.id = n.bot_id JOIN users u ON u.id = b.user_id
     WHERE n.outbox_id = ANY($1::bigint[])`,
    [outboxIds],
  );
  return rows;
}

/** Releases a held mail with the sites still true, or drops it; forgets the notifications dropped. */
export async function releaseHeldMail(tx: Queryable, id: number, payload: unknown | null, keepBotIds: readonly string[]): Promise<void> {
  await tx.query('DELETE FROM alert_notifications WHERE outbox_id = $1 AND NOT (bot_id = ANY($2::uuid[]))', [id, keepBotIds]);
  if (payload === null) {
    await tx.query("UPDATE alert_outbox SET status = 'dropped', last_error = 'no longer true when the storm ended' WHERE id = $1", [id]);
  } else {
    await tx.query("UPDATE alert_outbox SET status = 'pending', payload = $2 WHERE id = $1", [id, JSON.stringify(payload)]);
  }
}

export interface OutboxRow {
  id: number;
  dedupe_key: string;
  kind: OutboxKind;
  user_id: string | null;
  to_address: string | null;
  payload: Record<string, unknown>;
  status: OutboxStatus;
  attempts: number;
  created_at: Date;
  /** The channel this row is for; null = the owner's account email, or the operator. */
  channel_id: string | null;
  /** Names this delivery to receivers, the same on every retry. */
  delivery_id: string;
}

const CLAIMED_COLUMNS = 'o.id, o.dedupe_key, o.kind, o.user_id, o.to_address, o.payload, o.status, o.attempts, o.created_at, o.channel_id, o.delivery_id';

/** Claims one row now if it is pending (the "Send a test" button delivers its row at once). */
export async function claimMail(db: Queryable, id: number, now: Date, leaseMs: number): Promise<OutboxRow | undefined> {
  const { rows } = await db.query<OutboxRow>(
    `UPDATE alert_outbox o SET status = 'sending', locked_until = $2::timestamptz + $3 * interval '1 millisecond', attempts = o.attempts + 1
     WHERE o.id = $1 AND o.status = 'pending'
     RETURNING ${CLAIMED_COLUMNS}`,
    [id, now, leaseMs],
  );
  return rows[0];
}

/**
 * Claims up to `limit` mails that are due (pending and due, or claimed by a worker whose lease
 * ran out): status sending, a lease until now + leaseMs, one more attempt. SKIP LOCKED lets several
 * workers claim disjoint mails.
 */
export async function claimDueMails(db: Queryable, now: Date, leaseMs: number, limit: number, withChannels = true): Promise<OutboxRow[]> {
  const { rows } = await db.query<OutboxRow>(
    `UPDATE alert_outbox o SET status = 'sending', locked_until = $1::timestamptz + $2 * interval '1 millisecond', attempts = o.attempts + 1
     FROM (SELECT id FROM alert_outbox
           WHERE ((status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND locked_until <= $1))
             AND ($4 OR channel_id IS NULL)
           ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) due
     WHERE o.id = due.id
     RETURNING ${CLAIMED_COLUMNS}`,
    [now, leaseMs, limit, withChannels],
  );
  return rows.sort((a, b) => a.id - b.id);
}

/**
 * Ends one claimed attempt. Fenced by the attempt number: if this worker's lease ran out and
 * another worker claimed the mail again, this late result changes nothing.
 */
export async function finishAttempt(
  db: Queryable,
  id: number,
  attempt: number,
  outcome: { status: 'sent' | 'failed' | 'dropped'; at: Date; error?: string } | { status: 'pending'; retryAt: Date; error: string },
): Promise<boolean> {
  const result =
    outcome.status === 'pending'
      ? await db.query(
          `UPDATE alert_outbox SET status = 'pending', next_attempt_at = $3, locked_until = NULL, last_error = $4
           WHERE id = $1 AND status = 'sending' AND attempts = $2`,
          [id, attempt, outcome.retryAt, outcome.error],
        )
      : await db.query(
          `UPDATE alert_outbox SET status = $3, sent_at = CASE WHEN $3 = 'sent' THEN $4::timestamptz END, locked_until = NULL, last_error = $5
           WHERE id = $1 AND status = 'sending' AND attempts = $2`,
          [id, attempt, outcome.status, outcome.at, outcome.error ?? null],
        );
  return result.rowCount > 0;
}

export async function countPendingMails(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ count: number }>("SELECT count(*)::int AS count FROM alert_outbox WHERE status IN ('pending', 'sending')");
  return rows[0]!.count;
}

export interface BotAlertMail {
  kind: SiteAlertKind;
  status: 'held' | 'pending' | 'sending' | 'sent' | 'failed' | 'dropped';
  created_at: Date;
  sent_at: Date | null;
  attempts: number;
  last_error: string | null;
  /** When it is due; for a group still held open (ALERT_GROUP_WINDOW), when its window closes. */
  next_attempt_at: Date;
  /** Set for a group mail, which other sites of the owner may join while its window is open. */
  group_key: string | null;
  /** The storm incident holding it, if any. */
  incident_id: number | null;
  /** The channel it went to; null = the account email. */
  channel_name: string | null;
}

/** The latest alert mails that mention this bot, newest first (its page shows them, failures included). */
export async function listAlertMailsForBot(db: Queryable, botId: string, limit = 10): Promise<BotAlertMail[]> {
  const { rows } = await db.query<BotAlertMail>(
    `SELECT n.kind, o.status, o.created_at, o.sent_at, o.attempts, o.last_error, o.next_attempt_at, o.group_key, o.incident_id, c.name AS channel_name
     FROM alert_notifications n JOIN alert_outbox o ON o.id = n.outbox_id LEFT JOIN alert_channels c ON c.id = o.channel_id
     WHERE n.bot_id = $1 ORDER BY n.id DESC LIMIT $2`,
    [botId, limit],
  );
  return rows;
}
