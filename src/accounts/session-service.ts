// Dashboard sessions: log in (password check), resolve a session cookie to its user, log out.
// The cookie holds 256 random bits; the database keeps only their SHA-256. Sessions slide: each
// use (at most one write a minute) pushes the expiry SESSION_TTL_MS ahead.
import { randomBytes } from 'node:crypto';
import type { Database, Queryable } from '../db/database.ts';
import { deleteExpiredSessions, deleteOtherSessions, deleteSession, findSessionUser, insertSession, touchSession } from '../db/sessions.ts';
import { findUserByEmail, type UserRow } from '../db/users.ts';
import { hashSecret, verifyPassword } from './credentials.ts';

export const SESSION_TTL_MS = 30 * 86_400_000;
const TOUCH_EVERY_MS = 60_000;

export interface SessionServiceDeps {
  db: Database;
  now: () => Date;
}

// A fixed scrypt hash, verified against when the email is unknown so both answers take as long.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export function createSessionService({ db, now }: SessionServiceDeps) {
  return {
    /** The user whose email (parsed, src/domain/email-address.ts) and password match, or undefined (same time either way). */
    async checkPassword(email: string, password: string): Promise<UserRow | undefined> {
      const user = await findUserByEmail(db, email);
      const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
      return user && ok ? user : undefined;
    },

    /** Starts a session; returns the cookie value (shown to the browser only). */
    async startSession(user: UserRow, userAgent: string | undefined): Promise<string> {
      const at = now();
      await deleteExpiredSessions(db, user.id, at);
      return insertNewSession(db, user, userAgent, at);
    },

    /**
     * After a password change: every session of the user ends, this browser's included, and it
     * gets a new one (returned). A session id copied before the change, from any browser, is then
     * worthless; the browser that made the change stays logged in under its new id.
     */
    rotateAllSessions: (user: UserRow, userAgent: string | undefined): Promise<string> =>
      db.transaction(async (tx) => {
        await deleteOtherSessions(tx, user.id, null);
        return insertNewSession(tx, user, userAgent, now());
      }),

    async userForSession(token: string): Promise<UserRow | undefined> {
      if (token.length < 20 || token.length > 100) return undefined;
      const at = now();
      const found = await findSessionUser(db, hashSecret(token), at);
      if (!found) return undefined;
      if (at.getTime() - found.session.last_seen_at.getTime() > TOUCH_EVERY_MS) {
        await touchSession(db, found.session.token_hash, at, new Date(at.getTime() + SESSION_TTL_MS));
      }
      return found.user;
    },

    endSession: (token: string) => deleteSession(db, hashSecret(token)),
  };
}

async function insertNewSession(db: Queryable, user: UserRow, userAgent: string | undefined, at: Date): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await insertSession(db, {
    tokenHash: hashSecret(token),
    userId: user.id,
    now: at,
    expiresAt: new Date(at.getTime() + SESSION_TTL_MS),
    userAgent: userAgent?.slice(0, 300) ?? null,
  });
  return token;
}

export type SessionService = ReturnType<typeof createSessionService>;
