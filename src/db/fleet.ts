// The admin fleet view's questions, each cheap at a million bots (bench/fleet-page.ts): one
// GROUP BY over an index and one bounded page of connections.
import { BOT_COLUMNS, type BotRow } from './bots.ts';
import type { ConnectionStatus } from '../domain/connection-status.ts';
import type { Database, Queryable } from './database.ts';
import { likePattern, statusCondition } from './bot-changes.ts';

export interface VersionCount {
  version: string;
  count: number;
}

export interface FleetSummary {
  byStatus: Map<ConnectionStatus, number>;
  pluginVersions: VersionCount[];
  wpVersions: VersionCount[];
  total: number;
}

/**
 * Counts by status and the plugin and WordPress version distributions in one GROUP BY pass
 * (sql/021_dashboard_fleet_indexes.sql). Its result has one row per (status, plugin version,
 * WordPress version) combination, which stays small because versions are releases, however many
 * bots there are.
 */
export async function summarizeFleet(db: Database): Promise<FleetSummary> {
  type Row = { connection_status: string; is_active: boolean; plugin: string | null; wp: string | null; count: number };
  // An index-only scan of bots_fleet_summary_idx. Parallel workers made it 2x slower at a million
  // bots (their start-up costs more than they save on a narrow index), hence SET LOCAL.
  const rows = await db.transaction(async (tx) => {
    await tx.query('SET LOCAL max_parallel_workers_per_gather = 0');
    const result = await tx.query<Row>(
      `SELECT connection_status, is_active, wordpress_plugin_version AS plugin, wordpress_wp_version AS wp, count(*)::int AS count
       FROM bots GROUP BY 1, 2, 3, 4`,
    );
    return result.rows;
  });
  const byStatus = new Map<ConnectionStatus, number>();
  const plugin = new Map<string, number>();
  const wp = new Map<string, number>();
  let total = 0;
  for (const row of rows) {
    const status = (row.is_active ? row.connection_status : 'disabled') as ConnectionStatus;
    byStatus.set(status, (byStatus.get(status) ?? 0) + row.count);
    if (row.plugin !== null) plugin.set(row.plugin, (plugin.get(row.plugin) ?? 0) + row.count);
    if (row.wp !== null) wp.set(row.wp, (wp.get(row.wp) ?? 0) + row.count);
    total += row.count;
  }
  const sorted = (counts: Map<string, number>) =>
    [...counts].map(([version, count]) => ({ version, count })).sort((a, b) => b.count - a.count || a.version.localeCompare(b.version));
  return { byStatus, pluginVersions: sorted(plugin), wpVersions: sorted(wp), total };
}

export interface FleetFilter {
  status?: ConnectionStatus;
  pluginVersion?: string;
  wpVersion?: string;
  search?: string;
  limit: number;
  offset: number;
}

export type FleetBotRow = BotRow & { owner_email: string };

/** One page of all connections (pass limit + 1 to learn whether a next page exists). */
export async function listFleetPage(db: Queryable, filter: FleetFilter): Promise<FleetBotRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.status) where.push(statusCondition(filter.status));
  if (filter.pluginVersion) {
    params.push(filter.pluginVersion);
    where.push(`wordpress_plugin_version = $${params.length}`);
  }
  if (filter.wpVersion) {
    params.push(filter.wpVersion);
    where.push(`wordpress_wp_version = $${params.length}`);
  }
  if (filter.search) {
    params.push(likePattern(filter.search));
    where.push(`(b.name ILIKE $${params.length} OR wordpress_site_url ILIKE $${params.length})`);
  }
  const columns = BOT_COLUMNS.split(',')
    .map((column) => `b.${column.trim()}`)
    .join(', ');
  params.push(filter.limit, filter.offset);
  // Connections are bots that reported at least once; newest activity first (an index range scan).
  where.unshift('b.wordpress_last_activity IS NOT NULL');
  const { rows } = await db.query<FleetBotRow>(
    `SELECT ${columns}, u.email AS owner_email FROM bots b JOIN users u ON u.id = b.user_id
     WHERE ${where.join(' AND ')}
     ORDER BY b.wordpress_last_activity DESC, b.id DESC
     LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return rows;
}
