// Plain SQL for owner alerts: stale flips, episodes, the outbox, notifications, incidents, link uses.
// Every function takes a Queryable so the sweep can run them inside its one transaction.
import type { Queryable } from './database.ts';

/** Arbitrary constant naming "the sweep" for pg_try_advisory_xact_lock. */
const SWEEP_LOCK_KEY = 7_402_113_010;

/** Takes the sweep lock for the rest of this transaction; false when another instance holds it. */
export async function tryLockSweep(tx: Queryable): Promise<boolean> {
  const { rows } = await tx.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [SWEEP_LOCK_KEY]);
  return rows[0]!.locked;
}

export async function countConnectedBots(tx: Queryable): Promise<number> {
  const { rows } = await tx.query<{ count: number }>("SELECT count(*)::int AS count FROM bots WHERE connection_status = 'connected'");
  return rows[0]!.count;
}

export interface StaleCandidateRow {
  id: string;
  last_activity: Date;
  grace_seconds: number;
}

/** Connected bots silent since before the cutoff: one range scan of bots_connected_last_activity_idx. */
export async function selectStaleCandidates(tx: Queryable, cutoff: Date): Promise<StaleCandidateRow[]> {
  const { rows } = await tx.query<StaleCandidateRow>(
    `SELECT id, wordpress_last_activity AS last_activity, stale_grace_seconds AS grace_seconds
     FROM bots WHERE connection_status = 'connected' AND wordpress_last_activity < $1`,
    [cutoff],
  );
  return rows;
}

/** The bot and owner facts a mail needs, and whether they may be mailed at all. */
export interface AlertBotRow {
  bot_id: string;
  user_id: string;
  name: string;
  site_url: string | null;
  plugin_version: string | null;
  is_active: boolean;
  muted_until: Date | null;
  alert_emails: boolean;
}

export interface FlippedRow extends AlertBotRow {
  episode_id: number;
  last_seen_at: Date;
  stale_at: Date;
}

export interface StaleFlip {
  id: string;
  lastActivity: Date;
  staleAt: Date;
}

/** Rows per flip statement: bounded statements and parameter arrays even in a storm. */
export const FLIP_BATCH = 5000;

/**
 * Flips each bot connected → stale with a conditional update (a heartbeat that landed meanwhile
 * changed last_activity, so the row no longer matches; compared at the millisecond precision
 * JavaScript read it with), writes its connection event dated at
 * staleAt and opens its alert episode. Returns only the bots really flipped.
 * The event id is drawn in the UPDATE's RETURNING so that no step joins two CTEs (the planner
 * cannot estimate them and would nest-loop a storm of flips quadratically).
 */
export async function flipStale(tx: Queryable, flips: readonly StaleFlip[], repeatMs: number): Promise<FlippedRow[]> {
  const flipped: FlippedRow[] = [];
  // In last-activity order, so each batch names its own slice of the partial index
  // bots_connected_last_activity_idx: the update reads that slice, never the whole fleet.
  const ordered = [...flips].sort((a, b) => a.lastActivity.getTime() - b.lastActivity.getTime());
  for (let start = 0; start < ordered.length; start += FLIP_BATCH) {
    const batch = ordered.slice(start, start + FLIP_BATCH);
    const { rows } = await tx.query<FlippedRow>(
      `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS t(id, last_activity, stale_at)
       ), flipped AS (
         UPDATE bots b SET connection_status = 'stale', wordpress_connected = false, status_changed_at = i.stale_at
         FROM input i
         WHERE b.connection_status = 'connected' AND b.wordpress_last_activity >= $5 AND b.wordpress_last_activity < $6::timestamptz + interval '1 millisecond'
           AND b.id = i.id AND date_trunc('milliseconds', b.wordpress_last_activity) = i.last_activity
         RETURNING b.id, b.user_id, b.name, b.wordpress_site_url, b.wordpress_plugin_version, b.is_active, b.muted_until,
                   i.last_activity, i.stale_at, nextval(pg_get_serial_sequence('connection_events', 'id')) AS event_id
       ), events AS (
         INSERT INTO connection_events (id, bot_id, occurred_at, kind, from_status, to_status, reason, details)
         SELECT event_id, id, stale_at, 'status', 'connected', 'stale', 'no_heartbeat', jsonb_build_object('last_activity', last_activity)
         FROM flipped
       ), episodes AS (
         INSERT INTO alert_episodes (id, bot_id, opened_at, last_seen_at, next_reminder_at)
         SELECT event_id, id, stale_at, last_activity, stale_at + $4 * interval '1 millisecond' FROM flipped
       )
       SELECT f.id AS bot_id, f.user_id, f.name, f.wordpress_site_url AS site_url, f.wordpress_plugin_version AS plugin_version,
              f.is_active, f.muted_until, u.alert_emails, f.event_id AS episode_id, f.last_activity AS last_seen_at, f.stale_at
       FROM flipped f JOIN users u ON u.id = f.user_id`,
      [batch.map((f) => f.id), batch.map((f) => f.lastActivity), batch.map((f) => f.staleAt), repeatMs, batch[0]!.lastActivity, batch.at(-1)!.lastActivity],
    );
    flipped.push(...rows);
  }
  // Owner by owner, oldest first: the order sites are listed in their digest.
  const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return flipped.sort((a, b) => order(a.user_id, b.user_id) || a.stale_at.getTime() - b.stale_at.getTime() || order(a.name, b.name));
}

export interface ClosedEpisodeRow extends AlertBotRow {
  episode_id: number;
  last_seen_at: Date;
  ended_at: Date;
  to_status: string;
  /** A stale mail for this episode was sent or is on its way (not held, dropped or failed). */
  announced: boolean;
}

/**
 * Claims every not yet handled "stale → something" connection event (written by the heartbeat
 * path) and closes the bot's open episode with it. Returns the closed episodes.
 */
export async function closeEpisodesFromEvents(tx: Queryable, now: Date): Promise<ClosedEpisodeRow[]> {
  const { rows } = await tx.query<ClosedEpisodeRow>(
    `WITH claimed AS (
       UPDATE connection_events SET alert_processed_at = $1
       WHERE alert_processed_at IS NULL AND kind = 'status' AND from_status = 'stale'
       RETURNING id, bot_id, occurred_at, to_status
     ), closed AS (
       UPDATE alert_episodes ep SET closed_at = c.occurred_at, closed_to_status = c.to_status
       FROM claimed c
       WHERE ep.bot_id = c.bot_id AND ep.closed_at IS NULL AND ep.id < c.id
       RETURNING ep.id, ep.bot_id, ep.last_seen_at, c.occurred_at AS ended_at, c.to_status
     )
     SELECT cl.id AS episode_id, cl.bot_id, cl.last_seen_at, cl.ended_at, cl.to_status,
            b.user_id, b.name, b.wordpress_site_url AS site_url, b.wordpress_plugin_version AS plugin_version,
            b.is_active, b.muted_until, u.alert_emails,
            EXISTS (SELECT 1 FROM alert_notifications n JOIN alert_outbox o ON o.id = n.outbox_id
                    WHERE n.episode_id = cl.id AND n.kind = 'stale' AND o.status IN ('pending', 'sending', 'sent')) AS announced
     FROM closed cl JOIN bots b ON b.id = cl.bot_id JOIN users u ON u.id = b.user_id
     ORDER BY b.user_id, cl.ended_at, b.name`,
    [now],
  );
  return rows;
}

export interface DueReminderRow extends AlertBotRow {
  episode_id: number;
  opened_at: Date;
  last_seen_at: Date;
  reminders_sent: number;
  connection_status: string;
  /** The stale mail of this episode was delivered. */
  announced: boolean;
}

export async function selectDueReminders(tx: Queryable, now: Date): Promise<DueReminderRow[]> {
  const { rows } = await tx.query<DueReminderRow>(
    `SELECT ep.id AS episode_id, ep.bot_id, ep.opened_at, ep.last_seen_at, ep.reminders_sent,
            b.user_id, b.name, b.wordpress_site_url AS site_url, b.wordpress_plugin_version AS plugin_version,
            b.is_active, b.muted_until, b.connection_status, u.alert_emails,
            EXISTS (SELECT 1 FROM alert_notifications n JOIN alert_outbox o ON o.id = n.outbox_id
                    WHERE n.episode_id = ep.id AND n.kind = 'stale' AND o.status = 'sent') AS announced
     FROM alert_episodes ep JOIN bots b ON b.id = ep.bot_id JOIN users u ON u.id = b.user_id
     WHERE ep.closed_at IS NULL AND ep.next_reminder_at <= $1
     ORDER BY b.user_id, ep.opened_at, b.name`,
    [now],
  );
  return rows;
}

export async function updateReminderSchedule(
  tx: Queryable,
  updates: ReadonlyArray<{ episodeId: number; remindersSent: number; nextAt: Date | null }>,
): Promise<void> {
  if (updates.length === 0) return;
  await tx.query(
    `UPDATE alert_episodes ep SET reminders_sent = u.sent, next_reminder_at = u.next_at
     FROM unnest($1::bigint[], $2::int[], $3::timestamptz[]) AS u(id, sent, next_at) WHERE ep.id = u.id`,
    [updates.map((u) => u.episodeId), updates.map((u) => u.remindersSent), updates.map((u) => u.nextAt)],
  );
}

export type OutboxKind = 'stale' | 'recovery' | 'reminder' | 'incident';
export type OutboxStatus = 'held' | 'pending' | 'sending' | 'sent' | 'failed' | 'dropped';

export interface NewOutboxMail {
  dedupeKey: string;
  kind: OutboxKind;
  userId?: string;
  toAddress?: string;
  payload: unknown;
  status: 'held' | 'pending';
  incidentId?: number | null;
  now: Date;
}

/** Enqueues one mail; undefined when a mail with this dedupe key already exists. */
export async function enqueueMail(tx: Queryable, mail: NewOutboxMail): Promise<number | undefined> {
  const { rows } = await tx.query<{ id: number }>(
    `INSERT INTO alert_outbox (dedupe_key, kind, user_id, to_address, payload, status, incident_id, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
    [mail.dedupeKey, mail.kind, mail.userId ?? null, mail.toAddress ?? null, JSON.stringify(mail.payload), mail.status, mail.incidentId ?? null, mail.now],
  );
  return rows[0]?.id;
}

export interface NewOwnerMail {
  dedupeKey: string;
  userId: string;
  payload: unknown;
  notifications: readonly NewNotification[];
}

/**
 * Enqueues many owner mails of one kind, then the notifications each carries (two statements).
 * A mail whose dedupe key exists is skipped with its notifications; a notification whose dedupe key
 * exists raises a unique violation, rolling the whole sweep back: a bot is never announced twice
 * for the same thing. Returns how many mails were enqueued.
 */
export async function enqueueOwnerMails(
  tx: Queryable,
  kind: Exclude<OutboxKind, 'incident'>,
  mails: readonly NewOwnerMail[],
  status: 'held' | 'pending',
  incidentId: number | null,
  now: Date,
): Promise<number> {
  if (mails.length === 0) return 0;
  const { rows: inserted } = await tx.query<{ id: number; dedupe_key: string }>(
    `INSERT INTO alert_outbox (dedupe_key, kind, user_id, payload, status, incident_id, next_attempt_at, created_at)
     SELECT t.key, $4, t.user_id, t.payload::jsonb, $5, $6, $7, $7
     FROM unnest($1::text[], $2::uuid[], $3::text[]) AS t(key, user_id, payload)
     ON CONFLICT (dedupe_key) DO NOTHING
     RETURNING id, dedupe_key`,
    [mails.map((m) => m.dedupeKey), mails.map((m) => m.userId), mails.map((m) => JSON.stringify(m.payload)), kind, status, incidentId, now],
  );
  const ids = new Map(inserted.map((row) => [row.dedupe_key, row.id]));
  const notifications = mails.flatMap((mail) => {
    const outboxId = ids.get(mail.dedupeKey);
    return outboxId === undefined ? [] : mail.notifications.map((n) => ({ ...n, outboxId }));
  });
  if (notifications.length) {
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
  return inserted.length;
}

export interface NewNotification {
  dedupeKey: string;
  kind: 'stale' | 'recovery' | 'reminder';
  botId: string;
  episodeId: number;
}

export interface IncidentRow {
  id: number;
  opened_at: Date;
  last_storm_at: Date;
  closed_at: Date | null;
  stale_count: number;
  connected_count: number;
}

export async function findOpenIncident(tx: Queryable): Promise<IncidentRow | undefined> {
  const { rows } = await tx.query<IncidentRow>('SELECT * FROM alert_incidents WHERE closed_at IS NULL FOR UPDATE');
  return rows[0];
}

export async function openIncident(tx: Queryable, now: Date, staleCount: number, connectedCount: number): Promise<IncidentRow> {
  const { rows } = await tx.query<IncidentRow>(
    `INSERT INTO alert_incidents (opened_at, last_storm_at, stale_count, connected_count) VALUES ($1, $1, $2, $3) RETURNING *`,
    [now, staleCount, connectedCount],
  );
  return rows[0]!;
}

export async function extendIncident(tx: Queryable, id: number, now: Date, staleCount: number): Promise<void> {
  await tx.query('UPDATE alert_incidents SET last_storm_at = $2, stale_count = stale_count + $3 WHERE id = $1', [id, now, staleCount]);
}

export async function closeIncident(tx: Queryable, id: number, now: Date): Promise<void> {
  await tx.query('UPDATE alert_incidents SET closed_at = $2 WHERE id = $1', [id, now]);
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
    `SELECT n.outbox_id, n.bot_id, b.user_id, b.name, b.wordpress_site_url AS site_url, b.wordpress_plugin_version AS plugin_version,
            b.is_active, b.muted_until, u.alert_emails,
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

// ---- delivery ----

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
}

/**
 * Claims up to `limit` mails that are due (pending and due, or claimed by a worker whose lease
 * ran out): status sending, a lease until now + leaseMs, one more attempt. SKIP LOCKED lets several
 * workers claim disjoint mails.
 */
export async function claimDueMails(db: Queryable, now: Date, leaseMs: number, limit: number): Promise<OutboxRow[]> {
  const { rows } = await db.query<OutboxRow>(
    `UPDATE alert_outbox o SET status = 'sending', locked_until = $1::timestamptz + $2 * interval '1 millisecond', attempts = o.attempts + 1
     FROM (SELECT id FROM alert_outbox
           WHERE (status = 'pending' AND next_attempt_at <= $1) OR (status = 'sending' AND locked_until <= $1)
           ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) due
     WHERE o.id = due.id
     RETURNING o.id, o.dedupe_key, o.kind, o.user_id, o.to_address, o.payload, o.status, o.attempts, o.created_at`,
    [now, leaseMs, limit],
  );
  return rows.sort((a, b) => a.id - b.id);
}

export interface RecipientRow {
  id: string;
  email: string;
  name: string | null;
  timezone: string;
  alert_emails: boolean;
}

export async function findRecipients(db: Queryable, userIds: readonly string[]): Promise<Map<string, RecipientRow>> {
  if (userIds.length === 0) return new Map();
  const { rows } = await db.query<RecipientRow>('SELECT id, email, name, timezone, alert_emails FROM users WHERE id = ANY($1::uuid[])', [
    userIds,
  ]);
  return new Map(rows.map((r) => [r.id, r]));
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

export async function isIncidentOpen(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ open: boolean }>('SELECT EXISTS (SELECT 1 FROM alert_incidents WHERE closed_at IS NULL) AS open');
  return rows[0]!.open;
}

// ---- signed links ----

/** Records a single-use link as used; false when it had been used before. */
export async function claimLinkUse(tx: Queryable, tokenHash: string, now: Date, expiresAt: Date): Promise<boolean> {
  await tx.query('DELETE FROM alert_link_uses WHERE expires_at < $1', [now]);
  const { rows } = await tx.query(
    'INSERT INTO alert_link_uses (token_hash, used_at, expires_at) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING RETURNING token_hash',
    [tokenHash, now, expiresAt],
  );
  return rows.length > 0;
}

/** Mutes one owner's bot until `until` (never shortening a longer mute); false when no such bot. */
export async function muteBot(tx: Queryable, userId: string, botId: string, until: Date): Promise<Date | undefined> {
  const { rows } = await tx.query<{ muted_until: Date }>(
    `UPDATE bots SET muted_until = greatest(coalesce(muted_until, $3), $3), updated_at = now()
     WHERE id = $1 AND user_id = $2 RETURNING muted_until`,
    [botId, userId, until],
  );
  return rows[0]?.muted_until;
}

export async function unsubscribeOwner(db: Queryable, userId: string): Promise<boolean> {
  const result = await db.query('UPDATE users SET alert_emails = false, updated_at = now() WHERE id = $1', [userId]);
  return result.rowCount > 0;
}

export async function findBotName(db: Queryable, userId: string, botId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ name: string }>('SELECT name FROM bots WHERE id = $1 AND user_id = $2', [botId, userId]);
  return rows[0]?.name;
}

export interface BotAlertMail {
  kind: 'stale' | 'recovery' | 'reminder';
  status: 'held' | 'pending' | 'sending' | 'sent' | 'failed' | 'dropped';
  created_at: Date;
  sent_at: Date | null;
  attempts: number;
  last_error: string | null;
}

/** The latest alert mails that mention this bot, newest first (its page shows them, failures included). */
export async function listAlertMailsForBot(db: Queryable, botId: string, limit = 10): Promise<BotAlertMail[]> {
  const { rows } = await db.query<BotAlertMail>(
    `SELECT n.kind, o.status, o.created_at, o.sent_at, o.attempts, o.last_error
     FROM alert_notifications n JOIN alert_outbox o ON o.id = n.outbox_id
     WHERE n.bot_id = $1 ORDER BY n.id DESC LIMIT $2`,
    [botId, limit],
  );
  return rows;
}
