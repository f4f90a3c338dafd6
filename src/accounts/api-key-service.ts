// An owner's personal API keys: list them (prefix and dates only), issue one (the key is shown
// once), revoke one or all (after a password change, see account-routes.ts).
import { deleteApiKey, deleteApiKeys, listApiKeys, type ApiKeyRow } from '../db/api-keys.ts';
import type { Database } from '../db/database.ts';
import { insertApiKey } from '../db/users.ts';
import { NotFoundError } from '../errors.ts';
import { issueApiKey } from './credentials.ts';

export interface ApiKeyView {
  id: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
}

export function apiKeyToJson(row: ApiKeyRow): ApiKeyView {
  return { id: row.id, prefix: row.key_prefix, created_at: row.created_at.toISOString(), last_used_at: row.last_used_at?.toISOString() ?? null };
}

export function createApiKeyService({ db }: { db: Database }) {
  return {
    list: (userId: string) => listApiKeys(db, userId),

    /** Issues a key; its value is returned this once and only its hash is kept. */
    async issue(userId: string): Promise<{ key: string; prefix: string }> {
      const key = issueApiKey();
      await insertApiKey(db, userId, key.hash, key.prefix);
      return { key: key.value, prefix: key.prefix };
    },

    /** Revokes one of the user's keys; another owner's key answers like a missing one. */
    async revoke(userId: string, keyId: string): Promise<void> {
      if (!(await deleteApiKey(db, userId, keyId))) throw new NotFoundError('API key not found');
    },

    revokeAll: (userId: string) => deleteApiKeys(db, userId),
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
