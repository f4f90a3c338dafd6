// Plain SQL for dashboard sessions (sql/020_dashboard_sessions.sql). Only token hashes are stored.
import type { Queryable } from './database.ts';
import type { UserRow } from './users.ts';
import type { Role } from '../domain/roles.ts';

export interface SessionRow {
  token_hash: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  /** The account this session works in (the account switcher changes it). */
  account_id: string;
}

export async function insertSession(
  db: Queryable,
  session: { tokenHash: string; userId: string; accountId: string; now: Date; expiresAt: Date; userAgent: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO sessions (token_hash, user_id, account_id, created_at, last_seen_at, expires_at, user_agent)
     VALUES ($1, $2, $6, $3, $3, $4, $5)`,
    [session.tokenHash, session.userId, session.now, session.expiresAt, session.userAgent, session.accountId],
  );
}

/**
 * The live session with this hash, its user and their role in the session's account; expired
 * sessions, and sessions in an account the user no longer belongs to, count as absent.
 */
export async function findSessionUser(
  db: Queryable,
  tokenHash: string,
  now: Date,
): Promise<{ session: SessionRow; user: UserRow; account: { id: string; name: string; role: Role } } | undefined> {
  const { rows } = await db.query<
    UserRow & { s_token_hash: string; s_created_at: Date; s_last_seen_at: Date; s_expires_at: Date; s_account_id: string; s_account_name: string; s_role: Role }
  >(
    `SELECT u.*, s.token_hash AS s_token_hash, s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at,
            s.expires_at AS s_expires_at, s.account_id AS s_account_id, a.name AS s_account_name, m.role AS s_role
     FROM sessions s JOIN users u ON u.id = s.user_id
     JOIN account_members m ON m.account_id = s.account_id AND m.user_id = s.user_id
     JOIN accounts a ON a.id = s.account_id
     WHERE s.token_hash = $1 AND s.expires_at > $2`,
    [tokenHash, now],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { s_token_hash, s_created_at, s_last_seen_at, s_expires_at, s_account_id, s_account_name, s_role, ...user } = row;
  return {
    session: { token_hash: s_token_hash, user_id: user.id, created_at: s_created_at, last_seen_at: s_last_seen_at, expires_at: s_expires_at, account_id: s_account_id },
    user,
    account: { id: s_account_id, name: s_account_name, role: s_role },
  };
}

/** The account switcher: the session now works in this account. */
export async function setSessionAccount(db: Queryable, tokenHash: string, accountId: string): Promise<void> {
  await db.query('UPDATE sessions SET account_id = $2 WHERE token_hash = $1', [tokenHash, accountId]);
}

export async function touchSession(db: Queryable, tokenHash: string, now: Date, expiresAt: Date): Promise<void> {
  await db.query('UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE token_hash = $1', [tokenHash, now, expiresAt]);
}

export async function deleteSession(db: Queryable, tokenHash: string): Promise<void> {
  await db.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
}

/** Ends every session of a user except one (after a password change), and their expired ones. */
export async function deleteOtherSessions(db: Queryable, userId: string, keepTokenHash: string | null): Promise<void> {
  await db.query('DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2', [userId, keepTokenHash]);
}

export async function deleteExpiredSessions(db: Queryable, userId: string, now: Date): Promise<void> {
  await db.query('DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2', [userId, now]);
}
