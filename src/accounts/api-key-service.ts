// An account's API keys: list them (prefix, name, role, who made each and when it was last used),
// issue one (the key is shown once), revoke one, or all of a person's (after a password change,
// see account-routes.ts). A key belongs to one member in one account and carries a role no
// higher than theirs (src/domain/roles.ts).
import { deleteApiKey, deleteApiKeys, listApiKeys, type ApiKeyRow } from '../db/api-keys.ts';
import { findMembership, listMemberships } from '../db/accounts.ts';
import type { Database, Queryable } from '../db/database.ts';
import { insertApiKey } from '../db/users.ts';
import { atLeast, isRole, lowerOf, type AccountContext, type Role } from '../domain/roles.ts';
import { textFault } from '../domain/text.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { issueApiKey } from './credentials.ts';

export interface ApiKeyView {
  id: string;
  prefix: string;
  name: string | null;
  role: Role;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
}

export interface KeyRequest {
  name?: unknown;
  role?: unknown;
}

export function apiKeyToJson(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    prefix: row.key_prefix,
    name: row.name,
    role: row.role,
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
  };
}

function keyName(name: unknown): string | null {
  if (name === undefined || name === null) return null;
  if (typeof name !== 'string') throw new ValidationError('name must be a string');
  const value = name.trim();
  if (value.length > 100) throw new ValidationError('name must be at most 100 characters');
  const fault = value ? textFault(value) : undefined;
  if (fault) throw new ValidationError(`name ${fault}`);
  return value || null;
}

/**
 * Issues a key made by userId in accountId (undefined: their first account), with the role asked
 * (default: the maker's) if it is no higher than theirs; the key is returned once.
 */
export async function issueKeyFor(
  db: Queryable,
  userId: string,
  accountId: string | undefined,
  request: KeyRequest,
  /** The caller's role in this request (a key's role), when lower than the member's. */
  cap?: Role,
): Promise<{ key: string; prefix: string; role: Role; accountId: string }> {
  const membership = accountId ? await findMembership(db, accountId, userId) : (await listMemberships(db, userId))[0];
  if (!membership) throw new NotFoundError('Account not found');
  if (request.role !== undefined && request.role !== '' && !isRole(request.role)) throw new ValidationError('role must be one of owner, manager, member, viewer');
  const mine = cap ? lowerOf(membership.role, cap) : membership.role;
  const role: Role = isRole(request.role) ? request.role : mine;
  if (!atLeast(mine, role)) throw new ForbiddenError(`a key's role cannot be higher than yours (${mine})`);
  const name = keyName(request.name);
  const key = issueApiKey();
  await insertApiKey(db, userId, key.hash, key.prefix, { accountId: membership.account_id, role, name });
  return { key: key.value, prefix: key.prefix, role, accountId: membership.account_id };
}

export function createApiKeyService({ db }: { db: Database }) {
  return {
    list: (accountId: string) => listApiKeys(db, accountId),

    /** Issues a key for the caller in their current account. */
    issue: (userId: string, account: AccountContext, request: KeyRequest = {}) => issueKeyFor(db, userId, account.id, request, account.role),

    /** Revokes a key of the account: owners and managers any, others only their own; another account's key answers like a missing one. */
    async revoke(userId: string, account: AccountContext, keyId: string): Promise<void> {
      const madeBy = atLeast(account.role, 'manager') ? undefined : userId;
      if (!(await deleteApiKey(db, account.id, keyId, madeBy))) throw new NotFoundError('API key not found');
    },

    revokeAll: (userId: string) => deleteApiKeys(db, userId),
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
