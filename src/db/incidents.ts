// Plain SQL for storm incidents: at most one open at a time, while owner stale mails are held.
import type { Queryable } from './database.ts';

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

export async function isIncidentOpen(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ open: boolean }>('SELECT EXISTS (SELECT 1 FROM alert_incidents WHERE closed_at IS NULL) AS open');
  return rows[0]!.open;
}
