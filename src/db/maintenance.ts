// Plain SQL for maintenance windows (spec §12): the one-off window on the bots row, the owners'
// weekly windows (maintenance_schedules), the episodes whose stale mail waits for a window to end,
// and the facts the rule in src/domain/maintenance.ts needs per bot.
import type { MaintenanceFacts, WeeklyWindow } from '../domain/maintenance.ts';
import { alertBotColumns, isUuid, type AlertBotRow } from './bots.ts';
import type { Queryable } from './database.ts';

/**
 * Opens (or replaces) the one-off window of these bots of this owner; returns the ids it applied to.
 * Bots of other owners are silently not matched, so a list naming them changes nothing of theirs.
 */
export async function setOneOffWindow(
  db: Queryable,
  ownerId: string,
  botIds: readonly string[] | 'all',
  window: { startsAt: Date; until: Date; reason: string | null },
): Promise<string[]> {
  const ids = botIds === 'all' ? null : botIds.filter(isUuid);
  if (ids !== null && ids.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(
    `UPDATE bots SET maintenance_started_at = $3, maintenance_until = $4, maintenance_reason = $5, updated_at = $3
     WHERE user_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[])) RETURNING id`,
    [ownerId, ids, window.startsAt, window.until, window.reason],
  );
  return rows.map((row) => row.id);
}

/**
 * Locks and finds the owner's bot before deciding whether it is in maintenance, so a window opened
 * meanwhile is not cleared by an "end" that did not see it. False: no such bot of this owner.
 */
export async function lockOwnedBotForMaintenance(tx: Queryable, ownerId: string, botId: string): Promise<boolean> {
  if (!isUuid(botId)) return false;
  const { rowCount } = await tx.query('SELECT 1 FROM bots WHERE id = $1 AND user_id = $2 FOR UPDATE', [botId, ownerId]);
  return rowCount > 0;
}

/**
 * Ends the maintenance these bots of this owner are in, at `now`: their one-off window is cleared
 * and the running occurrences of their weekly windows are over (maintenance_ended_at; the weekly
 * rules stay, so next week's occurrence applies). Returns the ids it applied to.
 */
export async function endMaintenance(tx: Queryable, ownerId: string, botIds: readonly string[], now: Date): Promise<string[]> {
  const ids = botIds.filter(isUuid);
  if (ids.length === 0) return [];
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE bots SET maintenance_started_at = NULL, maintenance_until = NULL, maintenance_reason = NULL,
            maintenance_ended_at = $3, updated_at = $3
     WHERE user_id = $1 AND id = ANY($2::uuid[]) RETURNING id`,
    [ownerId, ids, now],
  );
  return rows.map((row) => row.id);
}

export interface ScheduleRow {
  id: number;
  user_id: string;
  bot_id: string | null;
  weekday: number;
  start_minute: number;
  duration_minutes: number;
  reason: string | null;
  created_at: Date;
}

export async function insertSchedule(
  db: Queryable,
  ownerId: string,
  botId: string | null,
  window: WeeklyWindow,
  reason: string | null,
  now: Date,
): Promise<ScheduleRow> {
  const { rows } = await db.query<ScheduleRow>(
    `INSERT INTO maintenance_schedules (user_id, bot_id, weekday, start_minute, duration_minutes, reason, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
    [ownerId, botId, window.weekday, window.startMinute, window.durationMinutes, reason, now],
  );
  return rows[0]!;
}

export async function listSchedules(db: Queryable, ownerId: string): Promise<ScheduleRow[]> {
  const { rows } = await db.query<ScheduleRow>('SELECT * FROM maintenance_schedules WHERE user_id = $1 ORDER BY weekday, start_minute, id', [ownerId]);
  return rows;
}

export async function deleteSchedule(db: Queryable, ownerId: string, id: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id)) return false;
  const { rowCount } = await db.query('DELETE FROM maintenance_schedules WHERE id = $1 AND user_id = $2', [id, ownerId]);
  return rowCount > 0;
}

/**
 * Per bot: its one-off window, the weekly windows covering it, its owner's time zone and when its
 * maintenance was last ended early.
 */
export async function selectMaintenanceFacts(db: Queryable, botIds: readonly string[]): Promise<Map<string, MaintenanceFacts>> {
  if (botIds.length === 0) return new Map();
  const { rows } = await db.query<{
    id: string;
    maintenance_until: Date | null;
    maintenance_ended_at: Date | null;
    timezone: string;
    weekly: Array<WeeklyWindow & { createdAt: string }>;
  }>(
    `SELECT b.id, b.maintenance_until, b.maintenance_ended_at, u.timezone,
            COALESCE((SELECT json_agg(json_build_object('weekday', s.weekday, 'startMinute', s.start_minute, 'durationMinutes', s.duration_minutes,
                                                        'createdAt', s.created_at))
                      FROM maintenance_schedules s WHERE s.user_id = b.user_id AND (s.bot_id IS NULL OR s.bot_id = b.id)), '[]'::json) AS weekly
     FROM bots b JOIN users u ON u.id = b.user_id WHERE b.id = ANY($1::uuid[])`,
    [botIds],
  );
  return new Map(
    rows.map((row) => [
      row.id,
      {
        oneOffUntil: row.maintenance_until,
        weekly: row.weekly.map((window) => ({ ...window, createdAt: new Date(window.createdAt) })),
        zone: row.timezone,
        endedAt: row.maintenance_ended_at,
      },
    ]),
  );
}

/** Marks these episodes' stale mail as waiting for the end of a maintenance window. */
export async function holdEpisodesForMaintenance(tx: Queryable, episodeIds: readonly number[]): Promise<void> {
  if (episodeIds.length === 0) return;
  await tx.query('UPDATE alert_episodes SET maintenance_held = true WHERE id = ANY($1::bigint[])', [episodeIds]);
}

export interface HeldEpisodeRow extends AlertBotRow {
  episode_id: number;
  last_seen_at: Date;
  diagnosis: string | null;
  diagnosis_detail: string | null;
}

/** Open episodes still waiting for a window to end, of bots still stale. */
export async function selectHeldEpisodes(tx: Queryable): Promise<HeldEpisodeRow[]> {
  const { rows } = await tx.query<HeldEpisodeRow>(
    `SELECT ep.id AS episode_id, ep.bot_id, ep.last_seen_at, ${alertBotColumns('b', 'u')}, b.diagnosis, b.diagnosis_detail
     FROM alert_episodes ep JOIN bots b ON b.id = ep.bot_id JOIN users u ON u.id = b.user_id
     WHERE ep.maintenance_held AND ep.closed_at IS NULL AND b.connection_status = 'stale'
     ORDER BY b.user_id, ep.opened_at, b.name`,
  );
  return rows;
}

/** The held episodes whose stale mail is now queued (or will never be: muted, unsubscribed). */
export async function releaseEpisodes(tx: Queryable, episodeIds: readonly number[]): Promise<void> {
  if (episodeIds.length === 0) return;
  await tx.query('UPDATE alert_episodes SET maintenance_held = false WHERE id = ANY($1::bigint[])', [episodeIds]);
}

export interface EndingWindowRow {
  bot_id: string;
  user_id: string;
  name: string;
  site_url: string | null;
  started_at: Date;
  until: Date;
  notice_for: Date | null;
  reason: string | null;
}

/** One-off windows ending within `withinMs` whose notice for that end was not queued yet. */
export async function selectEndingWindows(tx: Queryable, now: Date, withinMs: number): Promise<EndingWindowRow[]> {
  const { rows } = await tx.query<EndingWindowRow>(
    `SELECT id AS bot_id, user_id, name, wordpress_site_url AS site_url, maintenance_started_at AS started_at,
            maintenance_until AS until, maintenance_notice_for AS notice_for, maintenance_reason AS reason
     FROM bots
     WHERE maintenance_until > $1 AND maintenance_until <= $1::timestamptz + $2 * interval '1 millisecond'
       AND maintenance_notice_for IS DISTINCT FROM maintenance_until
     ORDER BY user_id, maintenance_until, name`,
    [now, withinMs],
  );
  return rows;
}

export async function markEndingNoticed(tx: Queryable, windows: ReadonlyArray<{ botId: string; until: Date }>): Promise<void> {
  if (windows.length === 0) return;
  await tx.query(
    `UPDATE bots b SET maintenance_notice_for = w.until FROM unnest($1::uuid[], $2::timestamptz[]) AS w(id, until)
     WHERE b.id = w.id AND b.maintenance_until = w.until`,
    [windows.map((w) => w.botId), windows.map((w) => w.until)],
  );
}
