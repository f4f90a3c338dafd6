// The fleet in numbers, for the admin fleet page and the Prometheus gauges alike, so both count the
// same: bots by effective status (one rule, effectiveStatusSql), and plugin and WordPress versions
// counted two named ways, in ONE statement over the fleet counts the database keeps current
// (sql/092_fleet_counts.sql), never a pass over the bots rows.
import type { ConnectionStatus } from '../domain/connection-status.ts';
import { effectiveStatusSql } from './bots.ts';
import type { Queryable } from './database.ts';

export interface VersionCount {
  version: string;
  count: number;
}

export interface FleetSummary {
  /** Bots by effective status; every status is present (0 when none). */
  connections: Record<ConnectionStatus, number>;
  /** Every bot, whatever its status. */
  total: number;
  /** Sites connected now, by plugin version: what runs today (the gauges). */
  connectedPluginVersions: VersionCount[];
  /** Sites connected now, by WordPress version. */
  connectedWpVersions: VersionCount[];
  /** Every bot that ever reported, by the plugin version it last reported (the fleet page's upgrade view). */
  reportedPluginVersions: VersionCount[];
  /** Every bot that ever reported, by the WordPress version it last reported. */
  reportedWpVersions: VersionCount[];
}

export interface FleetSummaryQuery {
  /** How many versions of each list keep their own entry, the rest summed as "other"; all when absent. */
  topVersions?: number;
}

export const OTHER_VERSION = 'other';

type VersionKind = 'connected_plugin' | 'connected_wp' | 'reported_plugin' | 'reported_wp';

/**
 * Reads the summary in one statement, from the counts the triggers of sql/092_fleet_counts.sql keep
 * (a few hundred rows however many bots; exact, since counts and pending changes are read in one
 * snapshot), after folding the pending changes in:
 * 1. the counts per (stored status, active flag, plugin version, WordPress version);
 * 2. from those groups, the effective status of each and the totals by status and by version,
 *    among connected sites and among every site that reported;
 * 3. with topVersions, ranks versions within each list and folds everything after the top N into
 *    "other" inside the database, so the rows coming back stay bounded however many distinct
 *    versions sites send.
 * Measured at a million bots in bench/fleet-metrics.ts and bench/fleet-page.ts.
 */
export async function readFleetSummary(db: Queryable, query: FleetSummaryQuery = {}): Promise<FleetSummary> {
  await foldFleetCounts(db);
  const { rows } = await db.query<{ kind: 'status' | VersionKind; value: string; n: number }>(
    `WITH counts AS (
       SELECT connection_status, is_active, plugin_version, wp_version, n FROM fleet_counts
       UNION ALL
       SELECT connection_status, is_active, plugin_version, wp_version, delta FROM fleet_count_changes
     ), grouped AS MATERIALIZED (
       SELECT ${effectiveStatusSql('counts')} AS status, nullif(plugin_version, '') AS plugin, nullif(wp_version, '') AS wp, sum(n) AS n
       FROM counts
       GROUP BY connection_status, is_active, plugin_version, wp_version
       HAVING sum(n) <> 0 -- a group every bot has left keeps its row, at zero
     ), labelled AS (
       SELECT 'status' AS kind, status AS value, sum(n) AS n FROM grouped GROUP BY status
       UNION ALL
       SELECT 'connected_plugin', plugin, sum(n) FROM grouped WHERE status = 'connected' AND plugin IS NOT NULL GROUP BY plugin
       UNION ALL
       SELECT 'connected_wp', wp, sum(n) FROM grouped WHERE status = 'connected' AND wp IS NOT NULL GROUP BY wp
       UNION ALL
       SELECT 'reported_plugin', plugin, sum(n) FROM grouped WHERE plugin IS NOT NULL GROUP BY plugin
       UNION ALL
       SELECT 'reported_wp', wp, sum(n) FROM grouped WHERE wp IS NOT NULL GROUP BY wp
     ), ranked AS (
       SELECT kind, value, n, row_number() OVER (PARTITION BY kind ORDER BY n DESC, value) AS rank FROM labelled
     )
     SELECT kind, CASE WHEN kind <> 'status' AND rank > $1 THEN '${OTHER_VERSION}' ELSE value END AS value, sum(n)::bigint AS n
     FROM ranked GROUP BY 1, 2`,
    [query.topVersions ?? null],
  );

  const connections: Record<ConnectionStatus, number> = { never: 0, connected: 0, stale: 0, deactivated: 0, disconnected: 0, disabled: 0 };
  const versions: Record<VersionKind, VersionCount[]> = { connected_plugin: [], connected_wp: [], reported_plugin: [], reported_wp: [] };
  for (const row of rows) {
    const count = Number(row.n);
    if (row.kind === 'status') connections[row.value as ConnectionStatus] = count;
    else versions[row.kind].push({ version: row.value, count });
  }
  // Most common first; "other" last, whatever its count.
  const rank = (list: VersionCount[]) =>
    list.sort((a, b) => Number(a.version === OTHER_VERSION) - Number(b.version === OTHER_VERSION) || b.count - a.count || a.version.localeCompare(b.version));
  return {
    connections,
    total: Object.values(connections).reduce((sum, n) => sum + n, 0),
    connectedPluginVersions: rank(versions.connected_plugin),
    connectedWpVersions: rank(versions.connected_wp),
    reportedPluginVersions: rank(versions.reported_plugin),
    reportedWpVersions: rank(versions.reported_wp),
  };
}

/**
 * Moves the pending +1/-1 changes into fleet_counts, in one statement (so at once or not at all).
 * Safe to run from any number of instances at the same time: a change row is deleted by one of
 * them only (the others wait on its row lock, then skip it), and the upsert adds to the latest
 * committed count. Cheap when nothing is pending; a storm's flips are a few thousand rows.
 */
export async function foldFleetCounts(db: Queryable): Promise<void> {
  await db.query(
    `WITH changes AS (
       DELETE FROM fleet_count_changes RETURNING connection_status, is_active, plugin_version, wp_version, delta
     )
     INSERT INTO fleet_counts AS c (connection_status, is_active, plugin_version, wp_version, n)
     SELECT connection_status, is_active, plugin_version, wp_version, sum(delta) FROM changes GROUP BY 1, 2, 3, 4
     ON CONFLICT (connection_status, is_active, plugin_version, wp_version) DO UPDATE SET n = c.n + excluded.n`,
    [],
    { name: 'fold_fleet_counts' },
  );
}
