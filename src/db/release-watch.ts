// Reads for the release watch: sites per plugin version and status (from the fleet counts that
// sql/092_fleet_counts.sql's triggers keep, so a read is a few hundred rows at any fleet size), and
// the time the service first served each plugin release (service_state).
import type { VersionStatusCount } from '../domain/release-watch.ts';
import { effectiveStatusSql } from './bots.ts';
import type { Queryable } from './database.ts';

const FIRST_SERVED = 'plugin_release_first_served:';

/** Connected and stale sites per reported plugin version (effective status: a disabled bot counts as neither). */
export async function readPluginVersionStatusCounts(db: Queryable): Promise<VersionStatusCount[]> {
  const { rows } = await db.query<{ version: string; status: 'connected' | 'stale'; n: string }>(
    `WITH counts AS (
       SELECT connection_status, is_active, plugin_version, n FROM fleet_counts
       UNION ALL
       SELECT connection_status, is_active, plugin_version, delta FROM fleet_count_changes
     ), judged AS (
       SELECT plugin_version AS version, ${effectiveStatusSql('counts')} AS status, n FROM counts WHERE plugin_version <> ''
     )
     SELECT version, status, sum(n) AS n FROM judged WHERE status IN ('connected', 'stale')
     GROUP BY version, status HAVING sum(n) > 0`,
    [],
  );
  return rows.map((row) => ({ version: row.version, status: row.status, count: Number(row.n) }));
}

/** Remembers when this release was first served: the first instance to serve it wins, later calls change nothing. */
export async function recordReleaseServed(db: Queryable, version: string, now: Date): Promise<void> {
  await db.query('INSERT INTO service_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [FIRST_SERVED + version, now.toISOString()]);
}

/** Every release the service has served, with the time it was first served. */
export async function readReleasesServed(db: Queryable): Promise<Map<string, Date>> {
  const { rows } = await db.query<{ key: string; value: string }>("SELECT key, value FROM service_state WHERE key LIKE 'plugin_release_first_served:%'");
  return new Map(rows.map((row) => [row.key.slice(FIRST_SERVED.length), new Date(row.value)]));
}
