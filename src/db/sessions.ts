// Plain SQL for dashboard sessions (sql/020_dashboard_sessions.sql). Only token hashes are stored.
import type { Queryable } from './database.ts';
import type { UserRow } from './users.ts';

export interface SessionRow {
  token_hash: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
}

export async function insertSession(
  db: Queryable,
  session: { tokenHash: string; userId: string; now: Date; expiresAt: Date; userAgent: string | null },
): Promise<void> {
  await db.query(
    `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, user_agent)
     VALUES ($1, $2, $3, $3, $4, $5)`,
    [session.tokenHash, session.userId, session.now, session.expiresAt, session.userAgent],
  );
}

/** The live session with this hash and its user; expired sessions count as absent. */
export async function findSessionUser(
  db: Queryable,
  tokenHash: string,
  now: Date,
): Promise<{ session: SessionRow; user: UserRow } | undefined> {
  const { rows } = await db.query<UserRow & { s_token_hash: string; s_created_at: Date; s_last_seen_at: Date; s_expires_at: Date }>(
    `SELECT u.*, s.token_hash AS s_token_hash, s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at,
            s.expires_at AS s_expires_at
     FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = $1 AND s.expires_at > $2`,
    [tokenHash, now],
  );
  const row = rows[0];
  if (!row) return undefined;
  const { s_token_hash, s_created_at, s_last_seen_at, s_expires_at, ...user } = row;
  return {
    session: { token_hash: s_token_hash, user_id: user.id, created_at: s_created_at, last_seen_at: s_last_seen_at, expires_at: s_expires_at },
    user,
  };
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
