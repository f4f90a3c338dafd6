// Plain SQL for what owners do to their bots (edit, delete, rotate the token, mute) and the
// paginated, filtered list of the dashboard. Every statement is scoped by owner and id together.
import { pastPosition, positionColumn, withPositions } from './keyset.ts';
import type { ConnectionStatus } from '../domain/connection-status.ts';
import type { ListPosition } from '../domain/list-cursor.ts';
import { BOT_COLUMNS, effectiveStatusIs, isUuid, type BotRow } from './bots.ts';
import type { Queryable } from './database.ts';

export interface BotChanges {
  name?: string;
  description?: string | null;
  language?: string;
  model?: string;
  personality?: string | null;
  welcomeMessage?: string | null;
  isActive?: boolean;
  isTrained?: boolean;
  staleGraceSeconds?: number;
  mutedUntil?: Date | null;
  clientId?: string | null;
}

const COLUMN_OF: Record<keyof BotChanges, string> = {
  name: 'name',
  description: 'description',
  language: 'language',
  model: 'model',
  personality: 'personality',
  welcomeMessage: 'welcome_message',
  isActive: 'is_active',
  isTrained: 'is_trained',
  staleGraceSeconds: 'stale_grace_seconds',
  mutedUntil: 'muted_until',
  clientId: 'client_id',
};

/** Applies the given changes to the owner's bot; undefined when the owner has no such bot. */
export async function updateOwnedBot(db: Queryable, ownerId: string, botId: string, changes: BotChanges, now: Date): Promise<BotRow | undefined> {
  if (!isUuid(botId)) return undefined;
  const sets: string[] = [];
  const params: unknown[] = [botId, ownerId, now];
  for (const [key, column] of Object.entries(COLUMN_OF) as Array<[keyof BotChanges, string]>) {
    if (changes[key] === undefined) continue;
    params.push(changes[key]);
    sets.push(`${column} = $${params.length}`);
  }
  const { rows } = await db.query<BotRow>(
    `UPDATE bots SET ${[...sets, 'updated_at = $3'].join(', ')} WHERE id = $1 AND user_id = $2 RETURNING ${BOT_COLUMNS}`,
    params,
  );
  return rows[0];
}

/** Sets muted_until on these bots of the owner in one statement (a client's bulk mute); how many it changed. */
export async function setOwnedBotsMutedUntil(db: Queryable, ownerId: string, botIds: readonly string[], until: Date | null, now: Date): Promise<number> {
  const ids = botIds.filter(isUuid);
  if (ids.length === 0) return 0;
  const { rowCount } = await db.query('UPDATE bots SET muted_until = $3, updated_at = $4 WHERE user_id = $1 AND id = ANY($2::uuid[])', [ownerId, ids, until, now]);
  return rowCount;
}

/** Deletes the owner's bot (its events and history cascade); false when there was none. */
export async function deleteOwnedBot(db: Queryable, ownerId: string, botId: string): Promise<boolean> {
  if (!isUuid(botId)) return false;
  const { rowCount } = await db.query('DELETE FROM bots WHERE id = $1 AND user_id = $2', [botId, ownerId]);
  return rowCount > 0;
}

/** Replaces the token hash: the old token stops working at once. */
export async function replaceBotToken(
  db: Queryable,
  ownerId: string,
  botId: string,
  token: { hash: string; prefix: string },
  now: Date,
): Promise<BotRow | undefined> {
  if (!isUuid(botId)) return undefined;
  const { rows } = await db.query<BotRow>(
    `UPDATE bots SET token_hash = $3, token_prefix = $4, updated_at = $5 WHERE id = $1 AND user_id = $2 RETURNING ${BOT_COLUMNS}`,
    [botId, ownerId, token.hash, token.prefix, now],
  );
  return rows[0];
}

export interface BotListFilter {
  status?: ConnectionStatus;
  /** Only the sites of this client of the owner. */
  clientId?: string;
  /** Matches the name or the site URL, case-insensitively. */
  search?: string;
  limit: number;
  offset: number;
}

/** A LIKE pattern matching `search` anywhere, its wildcards taken literally. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The WHERE condition and parameters of the owner's filtered bot list ($1 is the owner). */
function ownedBotsWhere(ownerId: string, filter: Pick<BotListFilter, 'status' | 'search' | 'clientId'>): { where: string[]; params: unknown[] } {
  const where = ['user_id = $1'];
  const params: unknown[] = [ownerId];
  if (filter.status) where.push(effectiveStatusIs(filter.status));
  if (filter.clientId) {
    params.push(filter.clientId);
    where.push(`client_id = $${params.length}::uuid`);
  }
  if (filter.search) {
    params.push(likePattern(filter.search));
    where.push(`(name ILIKE $${params.length} OR wordpress_site_url ILIKE $${params.length})`);
  }
  return { where, params };
}

/** One page of the owner's bots, newest first, with the total matching the filter (the dashboard's numbered pages). */
export async function listOwnedBotsPage(db: Queryable, ownerId: string, filter: BotListFilter): Promise<{ bots: BotRow[]; total: number }> {
  const { where, params } = ownedBotsWhere(ownerId, filter);
  const condition = where.join(' AND ');
  const { rows: counted } = await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM bots WHERE ${condition}`, params);
  const { rows } = await db.query<BotRow>(
    `SELECT ${BOT_COLUMNS} FROM bots WHERE ${condition} ORDER BY created_at DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, filter.limit, filter.offset],
  );
  return { bots: rows, total: counted[0]?.total ?? 0 };
}

export interface BotKeysetFilter extends Pick<BotListFilter, 'status' | 'search' | 'clientId' | 'limit'> {
  /** Start right after this bot in the list's order; from the oldest when absent. */
  after?: ListPosition;
}

/**
 * Up to `limit` of the owner's bots after `after`, oldest first, each with its own position for
 * the next cursor (the API's paged list: no count and no offset, so a deep page costs what the
 * first does; the (user_id, created_at, id) index serves it).
 */
export async function listOwnedBotsAfter(db: Queryable, ownerId: string, filter: BotKeysetFilter): Promise<Array<{ bot: BotRow; position: ListPosition }>> {
  const { where, params } = ownedBotsWhere(ownerId, filter);
  const past = pastPosition(params, 'created_at', filter.after, '>');
  params.push(filter.limit);
  const { rows } = await db.query<BotRow & { list_position_us: string }>(
    `SELECT ${BOT_COLUMNS}, ${positionColumn('created_at')}
     FROM bots WHERE ${where.join(' AND ')} ${past} ORDER BY created_at, id LIMIT $${params.length}`,
    params,
  );
  return withPositions(rows).map(({ row, position }) => ({ bot: row, position }));
}

export interface HeartbeatHour {
  hour: Date;
  count: number;
}

/** Hourly heartbeat counts of one bot since `since` (the 7-day chart). */
export async function listHeartbeatHours(db: Queryable, botId: string, since: Date): Promise<HeartbeatHour[]> {
  const { rows } = await db.query<HeartbeatHour>('SELECT hour, count FROM heartbeat_hours WHERE bot_id = $1 AND hour >= $2 ORDER BY hour', [
    botId,
    since,
  ]);
  return rows;
}
