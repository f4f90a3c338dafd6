// Plain SQL for listing and revoking personal API keys (issuing and resolving them is in users.ts).
import type { Queryable } from './database.ts';
import { isUuid } from './bots.ts';

export interface ApiKeyRow {
  id: string;
  key_prefix: string;
  created_at: Date;
  last_used_at: Date | null;
}

export async function listApiKeys(db: Queryable, userId: string): Promise<ApiKeyRow[]> {
  const { rows } = await db.query<ApiKeyRow>(
    'SELECT id, key_prefix, created_at, last_used_at FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC, id',
    [userId],
  );
  return rows;
}

/** Deletes one of the user's keys; false when there is no such key of theirs. */
export async function deleteApiKey(db: Queryable, userId: string, keyId: string): Promise<boolean> {
  if (!isUuid(keyId)) return false;
  const { rowCount } = await db.query('DELETE FROM api_keys WHERE id = $1 AND user_id = $2', [keyId, userId]);
  return (rowCount ?? 0) > 0;
}

/** Deletes every key of the user; returns how many there were. */
export async function deleteApiKeys(db: Queryable, userId: string): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM api_keys WHERE user_id = $1', [userId]);
  return rowCount ?? 0;
}
