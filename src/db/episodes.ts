// Plain SQL for alert episodes: a bot's stale spell from the flip that opens it to the event that
// closes it, and its reminder schedule. Every function takes a Queryable so the sweep can run them
// inside its own transactions.
import { alertBotColumns, type AlertBotRow } from './bots.ts';
import type { Queryable } from './database.ts';
import { episodeAnnouncedSql } from './outbox.ts';

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

/**
 * Flips one batch of bots connected → stale with a conditional update (a heartbeat that landed
 * meanwhile changed last_activity, so the row no longer matches; compared at the millisecond
 * precision JavaScript read it with), writes each one's connection event dated at staleAt and
 * opens its alert episode. Returns only the bots really flipped, owner by owner, oldest first (the
 * order sites are listed in a digest).
 *
 * Rows are locked in id order, the order heartbeat batches lock them in (recordHeartbeats), so the
 * two never deadlock. The liveness row is locked with its bot: a heartbeat that committed while
 * this statement waited for the bot's lock moved it, and the row is then re-read and no longer
 * matches (a steady-state heartbeat writes only the liveness row, not the bot's). The event id
 * is drawn in the UPDATE's RETURNING so that no step joins two CTEs (the planner cannot estimate
 * them and would nest-loop a storm of flips quadratically).
 */
export async function flipStale(tx: Queryable, batch: readonly StaleFlip[], repeatMs: number): Promise<FlippedRow[]> {
  if (batch.length === 0) return [];
  const { rows } = await tx.query<FlippedRow>(
    `WITH input AS (
       SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS t(id, last_activity, stale_at)
     ), locked AS (
       SELECT b.id, i.last_activity, i.stale_at FROM bots b JOIN input i ON b.id = i.id JOIN bot_liveness l ON l.bot_id = b.id
       WHERE b.connection_status = 'connected' AND date_trunc('milliseconds', l.last_activity) = i.last_activity
       ORDER BY b.id
       FOR UPDATE OF b, l
     ), flipped AS (
       UPDATE bots b SET connection_status = 'stale', wordpress_connected = false, status_changed_at = l.stale_at
       FROM locked l
       WHERE b.id = l.id
       RETURNING b.id, b.user_id, b.name, b.wordpress_site_url, b.wordpress_plugin_version, b.is_active, b.muted_until,
                 l.last_activity, l.stale_at, nextval(pg_get_serial_sequence('connection_events', 'id')) AS event_id
     ), events AS (
       INSERT INTO connection_events (id, bot_id, occurred_at, kind, from_status, to_status, reason, details)
       SELECT event_id, id, stale_at, 'status', 'connected', 'stale', 'no_heartbeat', jsonb_build_object('last_activity', last_activity)
       FROM flipped
     ), episodes AS (
       INSERT INTO alert_episodes (id, bot_id, opened_at, last_seen_at, next_reminder_at)
       SELECT event_id, id, stale_at, last_activity, stale_at + $4 * interval '1 millisecond' FROM flipped
     )
     SELECT f.id AS bot_id, ${alertBotColumns('f', 'u')}, f.event_id AS episode_id, f.last_activity AS last_seen_at, f.stale_at
     FROM flipped f JOIN users u ON u.id = f.user_id`,
    [batch.map((f) => f.id), batch.map((f) => f.lastActivity), batch.map((f) => f.staleAt), repeatMs],
  );
  const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return rows.sort((a, b) => order(a.user_id, b.user_id) || a.stale_at.getTime() - b.stale_at.getTime() || order(a.name, b.name));
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
     SELECT cl.id AS episode_id, cl.bot_id, cl.last_seen_at, cl.ended_at, cl.to_status, ${alertBotColumns('b', 'u')},
            ${episodeAnnouncedSql('cl.id', 'queued')} AS announced
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
            ${alertBotColumns('b', 'u')}, b.connection_status,
            ${episodeAnnouncedSql('ep.id', 'delivered')} AS announced
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
