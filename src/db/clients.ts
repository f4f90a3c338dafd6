// Plain SQL for an owner's clients (docs/clients.md): the rows, which sites each holds, and the
// status page's secret link (kept as a SHA-256 only). Every statement is scoped by owner.
import { pastPosition, positionColumn, withPositions } from './keyset.ts';
import type { ListPosition } from '../domain/list-cursor.ts';
import { BOT_COLUMNS, isUuid, type BotRow } from './bots.ts';
import type { Queryable } from './database.ts';

export interface ClientRow {
  id: string;
  user_id: string;
  name: string;
  created_at: Date;
  has_status_page: boolean;
  status_page_shows_urls: boolean;
  bot_count: number;
  report_monthly: boolean;
  report_channel_id: string | null;
}

const CLIENT_COLUMNS = `c.id, c.user_id, c.name, c.created_at, c.status_page_key_hash IS NOT NULL AS has_status_page, c.status_page_shows_urls,
  c.report_monthly, c.report_channel_id,
  (SELECT count(*)::int FROM bots b WHERE b.client_id = c.id) AS bot_count`;

export async function insertClient(db: Queryable, ownerId: string, name: string, now: Date): Promise<ClientRow> {
  const { rows } = await db.query<ClientRow>(
    `WITH c AS (INSERT INTO clients (user_id, name, created_at) VALUES ($1, $2, $3) RETURNING *) SELECT ${CLIENT_COLUMNS} FROM c`,
    [ownerId, name, now],
  );
  return rows[0]!;
}

export async function countClients(db: Queryable, ownerId: string): Promise<number> {
  const { rows } = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM clients WHERE user_id = $1', [ownerId]);
  return rows[0]!.count;
}

export async function findOwnedClient(db: Queryable, ownerId: string, clientId: string): Promise<ClientRow | undefined> {
  if (!isUuid(clientId)) return undefined;
  const { rows } = await db.query<ClientRow>(`SELECT ${CLIENT_COLUMNS} FROM clients c WHERE c.id = $1 AND c.user_id = $2`, [clientId, ownerId]);
  return rows[0];
}

/** Up to `limit` of the owner's clients after `after`, oldest first, each with its position (the API's pages). */
export async function listOwnedClientsAfter(
  db: Queryable,
  ownerId: string,
  page: { after?: ListPosition; limit: number },
): Promise<Array<{ client: ClientRow; position: ListPosition }>> {
  const params: unknown[] = [ownerId, page.limit];
  const past = pastPosition(params, 'c.created_at', page.after, '>');
  const { rows } = await db.query<ClientRow & { list_position_us: string }>(
    `SELECT ${CLIENT_COLUMNS}, ${positionColumn('c.created_at')}
     FROM clients c WHERE c.user_id = $1 ${past} ORDER BY c.created_at, c.id LIMIT $2`,
    params,
  );
  return withPositions(rows).map(({ row, position }) => ({ client: row, position }));
}

export async function renameClient(db: Queryable, ownerId: string, clientId: string, name: string): Promise<boolean> {
  if (!isUuid(clientId)) return false;
  const { rowCount } = await db.query('UPDATE clients SET name = $3 WHERE id = $1 AND user_id = $2', [clientId, ownerId, name]);
  return rowCount > 0;
}

/** Deletes the client; its sites stay, without a client (the foreign key sets their client_id to NULL). */
export async function deleteClient(db: Queryable, ownerId: string, clientId: string): Promise<boolean> {
  if (!isUuid(clientId)) return false;
  const { rowCount } = await db.query('DELETE FROM clients WHERE id = $1 AND user_id = $2', [clientId, ownerId]);
  return rowCount > 0;
}

/** Puts the owner's bot under the client (or none); false when either is not the owner's. */
export async function assignBotToClient(db: Queryable, ownerId: string, botId: string, clientId: string | null, now: Date): Promise<boolean> {
  if (!isUuid(botId) || (clientId !== null && !isUuid(clientId))) return false;
  const { rowCount } = await db.query(
    `UPDATE bots SET client_id = $3, updated_at = $4
     WHERE id = $1 AND user_id = $2 AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM clients WHERE id = $3 AND user_id = $2))`,
    [botId, ownerId, clientId, now],
  );
  return rowCount > 0;
}

/** Sets (a new secret) or clears (null: revoked) the status page's link; false when no such client. */
export async function setStatusPageKey(db: Queryable, ownerId: string, clientId: string, keyHash: string | null, showsUrls = false): Promise<boolean> {
  if (!isUuid(clientId)) return false;
  const { rowCount } = await db.query('UPDATE clients SET status_page_key_hash = $3, status_page_shows_urls = $4 WHERE id = $1 AND user_id = $2', [
    clientId,
    ownerId,
    keyHash,
    showsUrls,
  ]);
  return rowCount > 0;
}

/** The client whose status page has this key (by its hash), with its owner's time zone. */
export async function findClientByStatusKey(db: Queryable, keyHash: string): Promise<(ClientRow & { timezone: string }) | undefined> {
  const { rows } = await db.query<ClientRow & { timezone: string }>(
    `SELECT ${CLIENT_COLUMNS}, u.timezone FROM clients c JOIN users u ON u.id = c.user_id WHERE c.status_page_key_hash = $1`,
    [keyHash],
  );
  return rows[0];
}

/** Every site of the owner's client, oldest first. */
export async function listClientBots(db: Queryable, ownerId: string, clientId: string): Promise<BotRow[]> {
  if (!isUuid(clientId)) return [];
  const { rows } = await db.query<BotRow>(`SELECT ${BOT_COLUMNS} FROM bots WHERE user_id = $1 AND client_id = $2 ORDER BY created_at, id`, [ownerId, clientId]);
  return rows;
}

/**
 * The monthly report settings of the owner's client. A contact must be one of the owner's email
 * channels; false when the client (or that channel) is not the owner's.
 */
export async function setReportSettings(db: Queryable, ownerId: string, clientId: string, settings: { monthly: boolean; channelId: string | null }): Promise<boolean> {
  if (!isUuid(clientId) || (settings.channelId !== null && !isUuid(settings.channelId))) return false;
  const { rowCount } = await db.query(
    `UPDATE clients SET report_monthly = $3, report_channel_id = $4
     WHERE id = $1 AND user_id = $2
       AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM alert_channels ch WHERE ch.id = $4 AND ch.user_id = $2 AND ch.kind = 'email'))`,
    [clientId, ownerId, settings.monthly, settings.channelId],
  );
  return rowCount > 0;
}

export interface DueReportRow {
  client_id: string;
  user_id: string;
  timezone: string;
  client_name: string;
  /** The month just over in the owner's time zone, "YYYY-MM". */
  month: string;
  report_channel_id: string | null;
}

/**
 * The clients whose monthly report is due at `now` and not queued yet: opted in, and in their
 * owner's time zone it is the 1st to the 3rd of a month (a service down on the 1st catches up),
 * with no outbox row for the month just over (the key is src/domain/alert-keys.ts uptimeReportKey).
 */
export async function selectDueMonthlyReports(db: Queryable, now: Date, limit: number): Promise<DueReportRow[]> {
  const { rows } = await db.query<DueReportRow>(
    `SELECT c.id AS client_id, c.user_id, u.timezone, c.name AS client_name, d.month, c.report_channel_id
     FROM clients c JOIN users u ON u.id = c.user_id
     CROSS JOIN LATERAL (SELECT ($1::timestamptz AT TIME ZONE u.timezone) AS local_now) l
     CROSS JOIN LATERAL (SELECT to_char(l.local_now - interval '1 month', 'YYYY-MM') AS month) d
     WHERE c.report_monthly AND extract(day FROM l.local_now) <= 3
       AND NOT EXISTS (SELECT 1 FROM alert_outbox o WHERE o.dedupe_key = 'uptime_report:' || c.id || ':' || d.month)
     ORDER BY c.id LIMIT $2`,
    [now, limit],
  );
  return rows;
}
