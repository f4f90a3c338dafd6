// Plain SQL for the uptime report's history (docs/reports.md): a bot's status stretches with each
// stale episode's diagnosis, its logged one-off maintenance and early endings, and the service's
// own ingest outages. Written by ingest-liveness and db/maintenance.ts; read per report.
import type { Interval, StatusStretch } from '../domain/uptime.ts';
import type { Diagnosis } from '../domain/probe-diagnosis.ts';
import type { Queryable } from './database.ts';

export async function recordIngestOutage(db: Queryable, outage: Interval): Promise<void> {
  await db.query('INSERT INTO ingest_outages (started_at, ended_at) VALUES ($1, $2)', [outage.start, outage.end]);
}

export async function selectIngestOutages(db: Queryable, period: Interval): Promise<Interval[]> {
  const { rows } = await db.query<{ started_at: Date; ended_at: Date }>(
    'SELECT started_at, ended_at FROM ingest_outages WHERE ended_at > $1 AND started_at < $2 ORDER BY started_at',
    [period.start, period.end],
  );
  return rows.map((row) => ({ start: row.started_at, end: row.ended_at }));
}

/**
 * The bots' status stretches that touch `period`, per bot, oldest first: "never" from its creation,
 * then every status change up to the period's end, the one in force when the period began
 * included. A stretch into `stale` carries its episode's diagnosis (the episode's id is the id of
 * the connected → stale event).
 */
export async function selectStatusStretches(db: Queryable, botIds: readonly string[], period: Interval): Promise<Map<string, StatusStretch[]>> {
  const { rows } = await db.query<{ bot_id: string; from: Date; status: string; diagnosis: Diagnosis | null; detail: string | null }>(
    `SELECT b.id AS bot_id, b.created_at AS "from", 'never' AS status, NULL AS diagnosis, NULL AS detail, 0::bigint AS seq
     FROM bots b WHERE b.id = ANY($1::uuid[])
     UNION ALL
     SELECT e.bot_id, e.occurred_at, e.to_status, ep.diagnosis, ep.diagnosis_detail, e.id
     FROM connection_events e LEFT JOIN alert_episodes ep ON ep.id = e.id
     WHERE e.bot_id = ANY($1::uuid[]) AND e.kind = 'status' AND e.to_status IS NOT NULL AND e.occurred_at < $3
       AND e.occurred_at >= coalesce((
         SELECT max(before.occurred_at) FROM connection_events before
         WHERE before.bot_id = e.bot_id AND before.kind = 'status' AND before.occurred_at <= $2
       ), '-infinity')
     ORDER BY 1, 2, seq`,
    [botIds, period.start, period.end],
  );
  const stretches = new Map<string, StatusStretch[]>(botIds.map((id) => [id, []]));
  for (const row of rows) stretches.get(row.bot_id)?.push({ from: row.from, status: row.status, diagnosis: row.diagnosis, detail: row.detail });
  return stretches;
}

/** The logged one-off windows and the early endings of these bots that touch `period`, per bot. */
export async function selectMaintenanceLog(
  db: Queryable,
  botIds: readonly string[],
  period: Interval,
): Promise<Map<string, { periods: Interval[]; endings: Date[] }>> {
  const log = new Map(botIds.map((id) => [id, { periods: [] as Interval[], endings: [] as Date[] }]));
  const { rows: periods } = await db.query<{ bot_id: string; starts_at: Date; ends_at: Date }>(
    'SELECT bot_id, starts_at, ends_at FROM maintenance_periods WHERE bot_id = ANY($1::uuid[]) AND ends_at > $2 AND starts_at < $3 ORDER BY starts_at',
    [botIds, period.start, period.end],
  );
  for (const row of periods) log.get(row.bot_id)?.periods.push({ start: row.starts_at, end: row.ends_at });
  // Endings up to 8 days before the period: a weekly occurrence begun then may still run into it.
  const { rows: endings } = await db.query<{ bot_id: string; ended_at: Date }>(
    `SELECT bot_id, ended_at FROM maintenance_endings WHERE bot_id = ANY($1::uuid[]) AND ended_at >= $2::timestamptz - interval '8 days' AND ended_at < $3 ORDER BY ended_at`,
    [botIds, period.start, period.end],
  );
  for (const row of endings) log.get(row.bot_id)?.endings.push(row.ended_at);
  return log;
}
