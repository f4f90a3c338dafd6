// The fleet in numbers, for the Prometheus gauges: bots by connection status and the plugin and
// WordPress versions of connected sites, in ONE statement that reads the bots table once.
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
 * 1. one pass over bots groups them by the raw low-cardinality columns (active flag, stored status,
 *    "silent past its threshold" at one frozen `now`, plugin version, WordPress version): the
 *    planner's statistics know these columns, so it picks a parallel hash aggregate;
 * 2. from those few thousand groups it derives each bot's effective status (disabled when the bot
 *    is switched off; stale when stored as connected but silent past its threshold, i.e. before
 *    the sweep flips it; the stored status otherwise) and totals by status, by plugin version and
 *    by WordPress version of connected sites;
 * 3. ranks versions within each kind and folds everything after the top N into "other" inside the
 *    database, so at most 2N + 7 rows come back however many distinct versions sites send.
 * Measured at a million bots in bench/fleet-metrics.ts (see docs/observability.md).
 */
export async function readFleetSummary(db: Queryable, query: FleetSummaryQuery): Promise<FleetSummary> {
  const { rows } = await db.query<{ kind: 'status' | 'plugin' | 'wp'; value: string; n: number }>(
    `WITH grouped AS (
       SELECT is_active, connection_status,
              (connection_status = 'connected'
               AND wordpress_last_activity < $1::timestamptz - ($2::float8 + stale_grace_seconds) * interval '1 second') AS overdue,
              wordpress_plugin_version AS plugin, wordpress_wp_version AS wp, count(*) AS n
       FROM bots
       GROUP BY 1, 2, 3, 4, 5
     ), fleet AS MATERIALIZED (
       SELECT CASE WHEN NOT is_active THEN 'disabled' WHEN overdue THEN 'stale' ELSE connection_status END AS status, plugin, wp, n
       FROM grouped
     ), labelled AS (
       SELECT 'status' AS kind, status AS value, sum(n) AS n FROM fleet GROUP BY status
       UNION ALL
       SELECT 'plugin', plugin, sum(n) FROM fleet WHERE status = 'connected' AND plugin IS NOT NULL GROUP BY plugin
       UNION ALL
       SELECT 'wp', wp, sum(n) FROM fleet WHERE status = 'connected' AND wp IS NOT NULL GROUP BY wp
     ), ranked AS (
       SELECT kind, value, n, row_number() OVER (PARTITION BY kind ORDER BY n DESC, value) AS rank FROM labelled
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
