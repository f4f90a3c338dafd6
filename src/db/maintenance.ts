// Plain SQL for maintenance windows (docs/alerts.md "Maintenance windows"): the one-off window on the bots row, the owners'
// weekly windows (maintenance_schedules), the episodes whose stale mail waits for a window to end,
// and the facts the rule in src/domain/maintenance.ts needs per bot.
import { maintenanceEnds, type RunningOccurrence, type WeeklyWindow } from '../domain/maintenance.ts';
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
  // The uptime report's log (maintenance_periods): a window this replaces stops where it starts.
  const { rows } = await db.query<{ id: string }>(
    `WITH opened AS (
       UPDATE bots SET maintenance_started_at = $3, maintenance_until = $4, maintenance_reason = $5, updated_at = $3
       WHERE user_id = $1 AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[])) RETURNING id
     ), replaced AS (
       UPDATE maintenance_periods p SET ends_at = $3 FROM opened o WHERE p.bot_id = o.id AND p.starts_at <= $3 AND p.ends_at > $3
     ), logged AS (
       INSERT INTO maintenance_periods (bot_id, starts_at, ends_at, reason) SELECT id, $3, $4, $5 FROM opened
     )
     SELECT id FROM opened`,
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
  // The uptime report's log: the one-off window stops now, and so do the weekly occurrences running
  // now (maintenance_endings; the weekly rules themselves are expanded at report time).
  const { rows } = await tx.query<{ id: string }>(
    `WITH ended AS (
       UPDATE bots SET maintenance_started_at = NULL, maintenance_until = NULL, maintenance_reason = NULL,
              maintenance_ended_at = $3, updated_at = $3
       WHERE user_id = $1 AND id = ANY($2::uuid[]) RETURNING id
     ), cut AS (
       UPDATE maintenance_periods p SET ends_at = $3 FROM ended e WHERE p.bot_id = e.id AND p.starts_at <= $3 AND p.ends_at > $3
     ), marked AS (
       INSERT INTO maintenance_endings (bot_id, ended_at) SELECT id, $3 FROM ended ON CONFLICT DO NOTHING
     )
     SELECT id FROM ended`,
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
 * The occurrences of weekly windows running at $1, for the owners in $2 and the windows of all
 * their bots or of the bots in $3: the SQL twin of runningOccurrences in src/domain/maintenance.ts
 * (tests/db/maintenance-occurrences.test.ts checks that they agree). PostgreSQL's zone arithmetic
 * runs once per window here, so no per-window work is left for the event loop.
 *  1. `now` as the owner's local wall time, and each of the 9 local dates back to 8 days ago
 *     (a 7-day window begun last week still runs) that falls on the window's weekday;
 *  2. that date at the window's local start, read in the owner's zone: a time skipped by a DST
 *     change moves forward by the gap, a repeated one is its standard-time instant (as in luxon);
 *  3. running when it began at or before `now` and ends (duration of real time) after it.
 */
const RUNNING_OCCURRENCES = `
  SELECT s.user_id, s.bot_id, s.created_at, o.starts_at, o.starts_at + s.duration_minutes * interval '1 minute' AS until
  FROM maintenance_schedules s JOIN users u ON u.id = s.user_id
  CROSS JOIN LATERAL (
    SELECT ((($1::timestamptz AT TIME ZONE u.timezone)::date - back) + s.start_minute * interval '1 minute') AT TIME ZONE u.timezone AS starts_at
    FROM generate_series(0, 8) AS back
    WHERE extract(isodow FROM ($1::timestamptz AT TIME ZONE u.timezone)::date - back) = s.weekday
  ) o
  WHERE s.user_id = ANY($2::uuid[]) AND (s.bot_id IS NULL OR s.bot_id = ANY($3::uuid[]))
    AND o.starts_at <= $1 AND $1 < o.starts_at + s.duration_minutes * interval '1 minute'`;

export interface OccurrenceRow {
  user_id: string;
  bot_id: string | null;
  created_at: Date;
  starts_at: Date;
  until: Date;
}

/** The running occurrences of these owners' weekly windows (all-bots ones, and these bots' own). */
export async function selectRunningOccurrences(db: Queryable, now: Date, ownerIds: readonly string[], botIds: readonly string[]): Promise<OccurrenceRow[]> {
  if (ownerIds.length === 0) return [];
  const { rows } = await db.query<OccurrenceRow>(RUNNING_OCCURRENCES, [now, ownerIds, botIds]);
  return rows;
}

/**
 * Per bot: when the maintenance it is in at `now` ends, or null when it is in none (the rule is
 * maintenanceEnds in src/domain/maintenance.ts). Two reads, the bots and then the running
 * occurrences of their owners' windows, so the work grows with bots + windows: a join per bot
 * would repeat every "all bots" window once per bot.
 */
export async function selectMaintenanceEnds(db: Queryable, botIds: readonly string[], now: Date): Promise<Map<string, Date | null>> {
  const ids = [...new Set(botIds)];
  if (ids.length === 0) return new Map();
  const { rows: bots } = await db.query<{ id: string; user_id: string; maintenance_until: Date | null; maintenance_ended_at: Date | null }>(
    'SELECT id, user_id, maintenance_until, maintenance_ended_at FROM bots WHERE id = ANY($1::uuid[])',
    [ids],
  );
  const owners = new Map<string, { allBots: RunningOccurrence[]; byBot: Map<string, RunningOccurrence[]> }>();
  for (const bot of bots) if (!owners.has(bot.user_id)) owners.set(bot.user_id, { allBots: [], byBot: new Map() });
  for (const row of await selectRunningOccurrences(db, now, [...owners.keys()], ids)) {
    const owner = owners.get(row.user_id)!;
    const occurrence = { startsAt: row.starts_at, until: row.until, createdAt: row.created_at };
    if (row.bot_id === null) owner.allBots.push(occurrence);
    else owner.byBot.set(row.bot_id, [...(owner.byBot.get(row.bot_id) ?? []), occurrence]);
  }
  const states = bots.map((bot) => ({ id: bot.id, ownerId: bot.user_id, oneOffUntil: bot.maintenance_until, endedAt: bot.maintenance_ended_at }));
  return maintenanceEnds(states, owners, now);
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
