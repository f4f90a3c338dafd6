// The fleet in numbers, for the Prometheus gauges: bots by connection status and the plugin and
// WordPress versions of connected sites, in ONE statement (one pass over bots, grouping sets).
import type { ConnectionStatus } from '../domain/connection-status.ts';
import type { Queryable } from './database.ts';

export interface FleetSummary {
  /** Bots by effective status; every status is present (0 when none). */
  connections: Record<ConnectionStatus, number>;
  /** Connected sites by plugin version: the top N, the rest summed under "other". */
  pluginVersions: Map<string, number>;
  /** Connected sites by WordPress version, bounded the same way. */
  wpVersions: Map<string, number>;
}

export interface FleetSummaryQuery {
  now: Date;
  /** The global stale threshold; each bot's own grace is added to it. */
  staleAfterMs: number;
  /** How many versions get their own label; the rest are "other". */
  topVersions: number;
}

export const OTHER_VERSION = 'other';

/**
 * Reads the summary in one statement:
 * 1. derives each bot's effective status from one frozen `now`: disabled when the bot is switched
 *    off, stale when it is stored as connected but silent for longer than its threshold (the sweep
 *    has not flipped it yet), the stored status otherwise;
 * 2. counts by status, by plugin version and by WordPress version with GROUPING SETS, so the
 *    table is scanned once;
 * 3. ranks versions within each kind and folds everything after the top N into "other" inside the
 *    database, so at most 2N + 7 rows come back however many distinct versions sites send.
 */
export async function readFleetSummary(db: Queryable, query: FleetSummaryQuery): Promise<FleetSummary> {
  const { rows } = await db.query<{ kind: 'status' | 'plugin' | 'wp'; value: string; n: number }>(
    `WITH fleet AS (
       SELECT CASE
                WHEN NOT is_active THEN 'disabled'
                WHEN connection_status = 'connected'
                     AND wordpress_last_activity < $1::timestamptz - ($2::float8 + stale_grace_seconds) * interval '1 second'
                  THEN 'stale'
                ELSE connection_status
              END AS status,
              wordpress_plugin_version, wordpress_wp_version
       FROM bots
     ), counted AS (
       SELECT GROUPING(status, plugin, wp) AS set_id, status, plugin, wp, count(*) AS n
       FROM (
         SELECT status,
                CASE WHEN status = 'connected' THEN wordpress_plugin_version END AS plugin,
                CASE WHEN status = 'connected' THEN wordpress_wp_version END AS wp
         FROM fleet
       ) f
       GROUP BY GROUPING SETS ((status), (plugin), (wp))
     ), labelled AS (
       SELECT CASE set_id WHEN 3 THEN 'status' WHEN 5 THEN 'plugin' ELSE 'wp' END AS kind,
              CASE set_id WHEN 3 THEN status WHEN 5 THEN plugin ELSE wp END AS value, n
       FROM counted
     ), ranked AS (
       SELECT kind, value, n, row_number() OVER (PARTITION BY kind ORDER BY n DESC, value) AS rank
       FROM labelled WHERE value IS NOT NULL
     )
     SELECT kind, CASE WHEN kind <> 'status' AND rank > $3 THEN '${OTHER_VERSION}' ELSE value END AS value, sum(n)::bigint AS n
     FROM ranked GROUP BY 1, 2`,
    [query.now, query.staleAfterMs / 1000, query.topVersions],
  );

  const summary: FleetSummary = {
    connections: { never: 0, connected: 0, stale: 0, deactivated: 0, disabled: 0 },
    pluginVersions: new Map(),
    wpVersions: new Map(),
  };
  for (const row of rows) {
    const n = Number(row.n);
    if (row.kind === 'status') summary.connections[row.value as ConnectionStatus] = n;
    else (row.kind === 'plugin' ? summary.pluginVersions : summary.wpVersions).set(row.value, n);
  }
  return summary;
}
