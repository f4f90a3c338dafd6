// Plain SQL for one-click connect (connect codes, binding a bot to the site that exchanged one) and
// for a plugin's disconnect (docs/contract.md "Connect").
import type { StatusChange } from '../domain/connection-status.ts';
import type { StoredCode } from '../domain/connect.ts';
import { BOT_COLUMNS, type BotRow } from './bots.ts';
import type { Queryable } from './database.ts';

export interface ConnectCodeRow extends StoredCode {
  code_hash: string;
  user_id: string;
  bot_id: string;
}

/** Codes are kept a day past their expiry (to tell "expired" from "unknown"), then deleted. */
const KEEP_EXPIRED = "interval '1 day'";

export async function insertConnectCode(
  db: Queryable,
  code: { codeHash: string; userId: string; botId: string; siteUrl: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await db.query(`DELETE FROM connect_codes WHERE expires_at < $1::timestamptz - ${KEEP_EXPIRED}`, [code.createdAt]);
  await db.query(
    'INSERT INTO connect_codes (code_hash, user_id, bot_id, site_url, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
    [code.codeHash, code.userId, code.botId, code.siteUrl, code.createdAt, code.expiresAt],
  );
}

/**
 * Claims a code for `siteUrl` at `now` in one conditional update (two exchanges racing: one wins).
 * Undefined when it is unknown, used, expired or another site's: findConnectCode tells which.
 */
export async function claimConnectCode(db: Queryable, codeHash: string, siteUrl: string, now: Date): Promise<ConnectCodeRow | undefined> {
  const { rows } = await db.query<ConnectCodeRow>(
    `UPDATE connect_codes SET used_at = $3
     WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $3 AND site_url = $2
     RETURNING code_hash, user_id, bot_id, site_url, expires_at, used_at`,
    [codeHash, siteUrl, now],
  );
  return rows[0];
}

export async function findConnectCode(db: Queryable, codeHash: string): Promise<ConnectCodeRow | undefined> {
  const { rows } = await db.query<ConnectCodeRow>(
    'SELECT code_hash, user_id, bot_id, site_url, expires_at, used_at FROM connect_codes WHERE code_hash = $1',
    [codeHash],
  );
  return rows[0];
}

/**
 * Gives the owner's bot a new token and binds it to the site that connected: its site URL becomes
 * `siteUrl` (so the site's first heartbeat is not taken for a copy of the previous one) and any
 * copy seen before is forgotten.
 */
export async function bindBotToSite(
  db: Queryable,
  ownerId: string,
  botId: string,
  siteUrl: string,
  token: { hash: string; prefix: string },
  now: Date,
): Promise<BotRow | undefined> {
  const { rows } = await db.query<BotRow>(
    `UPDATE bots SET token_hash = $3, token_prefix = $4, wordpress_site_url = $5, wordpress_clone_url = NULL,
       wordpress_clone_seen_at = NULL, updated_at = $6
     WHERE id = $1 AND user_id = $2 RETURNING ${BOT_COLUMNS}`,
    [botId, ownerId, token.hash, token.prefix, siteUrl, now],
  );
  return rows[0];
}

/**
 * The plugin's disconnect: the bot with this token becomes `change.to`, written once with its
 * event (a bot already disconnected is left as it is). Undefined for an unknown token; a disabled
 * bot is returned unchanged.
 */
export async function disconnectBotByToken(
  db: Queryable,
  tokenHash: string,
  change: StatusChange,
  at: Date,
): Promise<{ id: string; is_active: boolean } | undefined> {
  const { rows } = await db.query<{ id: string; is_active: boolean }>(
    `WITH bot AS (
       SELECT id, is_active, connection_status FROM bots WHERE token_hash = $1 FOR UPDATE
     ), updated AS (
       UPDATE bots b SET connection_status = $2, wordpress_connected = false, status_changed_at = $4
       FROM bot WHERE b.id = bot.id AND bot.is_active AND bot.connection_status <> $2
       RETURNING b.id
     ), event AS (
       INSERT INTO connection_events (bot_id, occurred_at, kind, from_status, to_status, reason)
       SELECT bot.id, $4, 'status', bot.connection_status, $2, $3 FROM bot JOIN updated ON updated.id = bot.id
     )
     SELECT id, is_active FROM bot`,
    [tokenHash, change.to, change.reason, at],
  );
  return rows[0];
}
