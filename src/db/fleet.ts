// The admin fleet page's list of connections at a million bots (bench/fleet-page.ts): one bounded
// page, the latest status change first. Its counts come from fleet-summary.ts.
import { botColumns, effectiveStatusIs, type BotRow } from './bots.ts';
import type { ConnectionStatus } from '../domain/connection-status.ts';
import type { Queryable } from './database.ts';
import { likePattern } from './bot-changes.ts';

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
  if (filter.status) where.push(effectiveStatusIs(filter.status, 'b'));
  if (filter.pluginVersion) {
    params.push(filter.pluginVersion);
    where.push(`wordpress_plugin_version = $${params.length}`);
  }
  if (filter.wpVersion) {
    params.push(filter.wpVersion);
    where.push(`wordpress_wp_version = $${params.length}`);
  }
  if (filter.search) {
    // Across the whole fleet: through bot_search's trigram indexes (sql/091_bot_search.sql), not
    // a scan of a million bots rows. (An owner's own list, bounded by that owner, filters bots.)
    params.push(likePattern(filter.search));
    where.push(`b.id IN (SELECT bot_id FROM bot_search WHERE name ILIKE $${params.length} OR site_url ILIKE $${params.length})`);
  }
  params.push(filter.limit, filter.offset);
  // Connections are bots that reported at least once (they have a liveness row), the latest status
  // change first: a walk down bots_status_changed_idx. (Newest activity first would need an index
  // on last activity, which every heartbeat would then pay for: sql/280_bot_liveness.sql.)
  where.unshift('EXISTS (SELECT 1 FROM bot_liveness l WHERE l.bot_id = b.id)');
  const { rows } = await db.query<FleetBotRow>(
    `SELECT ${botColumns('b')}, u.email AS owner_email FROM bots b JOIN users u ON u.id = b.user_id
     WHERE ${where.join(' AND ')}
     ORDER BY b.status_changed_at DESC NULLS LAST, b.id DESC
     LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return rows;
}
