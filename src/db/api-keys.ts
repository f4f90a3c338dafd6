// Plain SQL for API keys: the account's list, revoking, and resolving a key to its caller.
// A key belongs to one member (user_id: who made it) in one account (account_id), with a role.
import type { Queryable } from './database.ts';
import { isUuid } from './bots.ts';
import type { UserRow } from './users.ts';
import type { Role } from '../domain/roles.ts';

export interface ApiKeyRow {
  id: string;
  key_prefix: string;
  name: string | null;
  role: Role;
  user_id: string;
  /** Who made the key (their address). */
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
}

export async function listApiKeys(db: Queryable, accountId: string): Promise<ApiKeyRow[]> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT k.id, k.key_prefix, k.name, k.role, k.user_id, u.email AS created_by, k.created_at, k.last_used_at
     FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.account_id = $1 ORDER BY k.created_at DESC, k.id`,
    [accountId],
  );
  return rows;
}

/** Deletes one of the account's keys (only `madeBy`'s, when given); false when there is no such key. */
export async function deleteApiKey(db: Queryable, accountId: string, keyId: string, madeBy?: string): Promise<boolean> {
  if (!isUuid(keyId)) return false;
  const { rowCount } = await db.query('DELETE FROM api_keys WHERE id = $1 AND account_id = $2 AND ($3::uuid IS NULL OR user_id = $3)', [
    keyId,
    accountId,
    madeBy ?? null,
  ]);
  return (rowCount ?? 0) > 0;
}

/** Deletes every key the person made, in every account (after a password change); returns how many. */
export async function deleteApiKeys(db: Queryable, userId: string): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM api_keys WHERE user_id = $1', [userId]);
  return rowCount ?? 0;
}

export interface ApiKeyCaller {
  user: UserRow;
  key: { id: string; account_id: string; account_name: string; role: Role };
  /** The maker's role in the key's account today (a key never does more than its maker may). */
  memberRole: Role;
}

/**
 * The caller behind a key hash: the person who made it, the key's account and role, and their
 * current role there; undefined when the key is unknown or its maker left the account. Stamps
 * when the key was last used (at most once a minute, to spare writes).
 */
export async function findApiKeyCaller(db: Queryable, keyHash: string, now: Date): Promise<ApiKeyCaller | undefined> {
  const { rows } = await db.query<
    UserRow & { k_id: string; k_account_id: string; k_account_name: string; k_role: Role; k_last_used_at: Date | null; m_role: Role }
  >(
    `SELECT u.*, k.id AS k_id, k.account_id AS k_account_id, a.name AS k_account_name, k.role AS k_role,
            k.last_used_at AS k_last_used_at, m.role AS m_role
     FROM api_keys k JOIN users u ON u.id = k.user_id
     JOIN account_members m ON m.account_id = k.account_id AND m.user_id = k.user_id
     JOIN accounts a ON a.id = k.account_id
     WHERE k.key_hash = $1`,
    [keyHash],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (!row.k_last_used_at || now.getTime() - row.k_last_used_at.getTime() > 60_000) {
    await db.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1', [row.k_id, now]);
  }
  const { k_id, k_account_id, k_account_name, k_role, k_last_used_at: _lastUsed, m_role, ...user } = row;
  return { user, key: { id: k_id, account_id: k_account_id, account_name: k_account_name, role: k_role }, memberRole: m_role };
}
